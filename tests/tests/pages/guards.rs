//! What guards every page: CSRF and same-origin checks on posts, the security headers, 405 with `Allow`.

use serde_json::json;
use taos_conformance::people::ADMIN;
use taos_conformance::*;

use super::{Browser, From, assert_page_headers, notify, pager_token, sign_in_fields, unread_count};

e2e!(posts_need_the_token_and_this_site);
/// Every POST without the right CSRF token, or from another site, is a 403 page and changes
/// nothing; the same post done right works.
async fn posts_need_the_token_and_this_site(s: &Server) {
    let admin = s.setup_admin().await;
    let token = pager_token(s, &admin).await;
    let id = notify(s, &token, json!({"title": "One"})).await;
    notify(s, &token, json!({"title": "Two"})).await;

    // The sign-in form: no token, a wrong one, another browser's.
    let mut b = Browser::new(s);
    let p = b.post("/login", &sign_in_fields(None)).await;
    assert_eq!(p.status, 403, "sign-in without a form token");
    assert!(b.session().is_none());
    let other_csrf = Browser::new(s).get("/login").await.csrf();
    b.get("/login").await;
    for csrf in ["", "0000", other_csrf.as_str()] {
        let p = b.post("/login", &sign_in_fields(Some(csrf))).await;
        assert_eq!(p.status, 403, "sign-in with csrf={csrf:?}");
        assert!(b.session().is_none());
        assert_page_headers(&p);
    }
    // From another site, even with the right token.
    let csrf = b.get("/login").await.csrf();
    let p = b
        .post_from(
            "/login",
            &sign_in_fields(Some(&csrf)),
            From::Origin("https://evil.example"),
        )
        .await;
    assert_eq!(p.status, 403);
    assert!(b.session().is_none());
    let p = b.post("/login", &sign_in_fields(Some(&csrf))).await;
    assert_eq!(
        p.location(),
        "/notifications",
        "the same form from this site works"
    );

    // The inbox posts.
    let mut b = Browser::signed_in(s, ADMIN).await;
    let mut other = Browser::signed_in(s, ADMIN).await;
    let csrf = b.inbox().await.csrf();
    let other_csrf = other.inbox().await.csrf();
    assert_ne!(csrf, other_csrf, "each session has its own token");
    let read_one = format!("/notifications/{id}/read");
    for path in ["/notifications/read-all", read_one.as_str(), "/logout"] {
        let p = b.post(path, &[]).await;
        assert_eq!(p.status, 403, "{path} without a token");
        assert_page_headers(&p);
        assert!(p.header("content-type").unwrap().starts_with("text/html"));
        for bad in ["", "nope", other_csrf.as_str()] {
            let p = b.post(path, &[("csrf", bad)]).await;
            assert_eq!(p.status, 403, "{path} with csrf={bad:?}");
        }
        for from in [
            From::Origin("https://evil.example"),
            From::NullOrigin("cross-site"),
            From::FetchSite("cross-site"),
            From::FetchSite("same-site"),
        ] {
            let p = b.post_from(path, &[("csrf", &csrf)], from).await;
            assert_eq!(p.status, 403, "{path} from another site");
        }
    }
    assert_eq!(unread_count(s, &admin.token).await, 2, "nothing was marked read");
    assert!(b.session().is_some());
    b.inbox().await;

    // Done right (and by a client that sends neither header, which the token alone covers).
    let p = b.post_from(&read_one, &[("csrf", &csrf)], From::NoHeaders).await;
    assert_eq!(p.location(), "/notifications");
    assert_eq!(unread_count(s, &admin.token).await, 1);
    let p = b
        .post_from("/notifications/read-all", &[("csrf", &csrf)], From::OwnOrigin)
        .await;
    assert_eq!(p.location(), "/notifications");
    assert_eq!(unread_count(s, &admin.token).await, 0);
}

e2e!(pages_carry_the_security_headers);
/// Every page answer, whatever its status, carries CSP, nosniff, no-referrer and no-store;
/// wrong methods get a 405 page with `Allow`.
async fn pages_carry_the_security_headers(s: &Server) {
    s.setup_admin().await;
    let mut b = Browser::new(s);
    assert_page_headers(&b.get("/login").await);
    assert_page_headers(&b.get("/notifications").await);
    let mut b = Browser::signed_in(s, ADMIN).await;
    let inbox = b.inbox().await;
    assert_page_headers(&inbox);
    // One script, taosd's own file (see live.rs); no inline script could run under the CSP.
    assert_eq!(
        inbox.body.matches("<script").count(),
        inbox.body.matches("<script src=\"/assets/").count(),
        "only taosd's own script files"
    );
    assert_page_headers(&b.get("/").await);
    assert_page_headers(&b.get("/assets/inbox.js").await);
    let bad = b.get("/notifications?cursor=not-a-uuid").await;
    assert_eq!(bad.status, 400);
    assert_page_headers(&bad);

    let resp = s.put("/login").send().await;
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(
        resp.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, HEAD, POST")
    );
    let resp = s.get("/logout").send().await;
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(
        resp.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let resp = s
        .post("/notifications")
        .header("cookie", format!("taos_session={}", b.session().unwrap()))
        .send()
        .await;
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(
        resp.headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.starts_with("default-src 'none'")),
        Some(true)
    );
}
