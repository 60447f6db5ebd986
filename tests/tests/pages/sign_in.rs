//! Signing in and out: signed-out visitors sent to the form, wrong then right passwords, a safe `next`.

use serde_json::json;
use taos_conformance::people::{ADMIN, PASSWORD, session_cookie, set_cookie};
use taos_conformance::tokens::sha256_hex;
use taos_conformance::*;

use super::{
    Browser, assert_page_headers, assert_shown_as_text, hidden, notify, pager_token, unread_count, urlencode,
};

/// The raw `value` attribute of the tag that contains `marker`.
#[track_caller]
fn value_attr<'p>(html: &'p str, marker: &str) -> &'p str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in:\n{html}"));
    let tag_start = html[..at].rfind('<').unwrap();
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>').unwrap()];
    let v = tag.find("value=\"").expect("a value attribute") + 7;
    &tag[v..v + tag[v..].find('"').unwrap()]
}

e2e!(signed_out_visitors_are_sent_to_sign_in);
/// No session, a made-up one, a signed-out one or an expired one: the inbox redirects to the
/// sign-in form (dropping a stale cookie), and its POSTs change nothing.
async fn signed_out_visitors_are_sent_to_sign_in(s: &Server) {
    let admin = s.setup_admin().await;
    let mut b = Browser::new(s);
    let p = b.get("/notifications").await;
    assert_eq!(p.location(), "/login?next=/notifications");
    assert_page_headers(&p);

    let form = b.get("/login?next=/notifications").await;
    assert_eq!(form.status, 200);
    assert!(form.header("content-type").unwrap().starts_with("text/html"));
    for field in ["name=\"username\"", "name=\"password\"", "type=\"password\""] {
        assert!(form.body.contains(field), "the form lacks {field}");
    }
    assert_eq!(hidden(&form.body, "next").as_deref(), Some("/notifications"));
    assert_eq!(form.csrf().len(), 64);

    // A cookie the server never issued.
    b.cookies.insert("taos_session".into(), "made-up".into());
    let p = b.get("/notifications").await;
    assert_eq!(p.location(), "/login?next=/notifications");
    assert!(b.session().is_none(), "the stale cookie is cleared");

    // An expired session.
    let mut b = Browser::signed_in(s, ADMIN).await;
    let secret = b.session().unwrap().to_string();
    let changed = s
        .sql_execute(
            "UPDATE sessions SET expires_at = created_at WHERE token_hash = $1",
            &[&sha256_hex(&secret)],
        )
        .await;
    assert_eq!(changed, 1, "the session's row was not found by its SHA-256");
    let p = b.get("/notifications").await;
    assert_eq!(p.location(), "/login?next=/notifications");

    // Posts without a session: nothing changes.
    let token = pager_token(s, &admin).await;
    let id = notify(s, &token, json!({"title": "Still unread"})).await;
    let mut anon = Browser::new(s);
    let p = anon.post("/notifications/read-all", &[("csrf", "x")]).await;
    assert_eq!(p.location(), "/login?next=/notifications");
    let p = anon
        .post(&format!("/notifications/{id}/read"), &[("csrf", "x")])
        .await;
    assert_eq!(p.location(), "/login?next=/notifications");
    assert_eq!(unread_count(s, &admin.token).await, 1);
}

e2e!(sign_in_wrong_then_right_then_out);
/// A wrong password gets the form again (401, a message, the username kept and escaped, no
/// session); the right one the same session cookie as `POST /auth/login`; signing out ends it.
async fn sign_in_wrong_then_right_then_out(s: &Server) {
    s.setup_admin().await;
    let mut b = Browser::new(s);
    let wrong = b.login("<b>\"admin\"</b>", "nope", None).await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.body.contains("The username or password is wrong."));
    assert_shown_as_text(
        value_attr(&wrong.body, "name=\"username\""),
        "<b>\"admin\"</b>",
        "the username kept in the form",
    );
    assert!(!wrong.body.contains("<b>"));
    assert!(b.session().is_none());
    assert!(set_cookie(&wrong.headers, "taos_session").is_none());
    assert_page_headers(&wrong);
    let wrong = b.login(ADMIN, "not-the-password", None).await;
    assert_eq!(wrong.status, 401);
    assert!(
        !wrong.body.contains("not-the-password"),
        "the password is never echoed"
    );

    let right = b.login(ADMIN, PASSWORD, None).await;
    assert_eq!(right.location(), "/notifications");
    let page_cookie = set_cookie(&right.headers, "taos_session").expect("a session cookie");
    let api = s
        .post("/auth/login")
        .json(&json!({"username": ADMIN, "password": PASSWORD}))
        .send()
        .await;
    let api_cookie = set_cookie(api.headers(), "taos_session").unwrap();
    let attributes = |c: &str| -> Vec<String> {
        c.split(';')
            .skip(1)
            .map(|a| a.trim().to_string())
            .filter(|a| !a.starts_with("Max-Age="))
            .collect()
    };
    assert_eq!(attributes(&page_cookie), attributes(&api_cookie));
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(page_cookie.contains(attr), "{attr} missing: {page_cookie}");
    }
    let max_age: i64 = page_cookie
        .split(';')
        .find_map(|a| a.trim().strip_prefix("Max-Age="))
        .and_then(|v| v.parse().ok())
        .expect("Max-Age");
    assert!((7 * 86400 - 60..=7 * 86400).contains(&max_age), "{max_age}");

    // The cookie works for the API too: it is one session.
    let session = b.session().unwrap().to_string();
    assert_eq!(session_cookie(&right.headers).as_deref(), Some(session.as_str()));
    let me = s.session_client(&session).whoami().send().await.value();
    assert_eq!(me.username, ADMIN);

    // Signed in: the form sends you on.
    assert_eq!(b.get("/login").await.location(), "/notifications");
    let inbox = b.inbox().await;
    assert!(
        inbox
            .body
            .contains("Signed in as <strong class=\"username\">admin</strong>")
    );

    // Sign out: the cookie is cleared and the session is over, for the API too.
    let csrf = inbox.csrf();
    let out = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.location(), "/login");
    assert!(
        set_cookie(&out.headers, "taos_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert!(b.session().is_none());
    let resp = s.get("/api/notifications").session(&session).send().await;
    assert_eq!(resp.status().as_u16(), 401);
    b.cookies.insert("taos_session".into(), session);
    assert_eq!(
        b.get("/notifications").await.location(),
        "/login?next=/notifications"
    );
}

e2e!(next_never_leaves_the_site);
/// `next` is followed only when it is a path on this site; anything else lands on the inbox.
async fn next_never_leaves_the_site(s: &Server) {
    s.setup_admin().await;
    for evil in [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ] {
        let mut b = Browser::new(s);
        let form = b.get(&format!("/login?{}", urlencode(&[("next", evil)]))).await;
        assert_eq!(
            hidden(&form.body, "next").as_deref(),
            Some("/notifications"),
            "the form for next={evil:?}"
        );
        // And posted directly, past the form.
        let csrf = form.csrf();
        let done = b
            .post(
                "/login",
                &[
                    ("username", ADMIN),
                    ("password", PASSWORD),
                    ("next", evil),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(done.location(), "/notifications", "next={evil:?}");
    }
    let mut b = Browser::new(s);
    let done = b.login(ADMIN, PASSWORD, Some("/docs/agents/")).await;
    assert_eq!(done.location(), "/docs/agents/", "a local path is followed");
}
