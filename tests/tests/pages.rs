//! The pages for people: `/login`, `/logout`, `/notifications` and its form posts, driven over
//! raw HTTP the way a browser would (cookies, form posts, `Origin`), checked in the raw HTML.

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use taos_conformance::html::{self, text_in};
use taos_conformance::people::{ADMIN, PASSWORD, session_cookie, set_cookie};
use taos_conformance::tokens::sha256_hex;
use taos_conformance::*;

// ---------------------------------------------------------------------------------------------
// A small browser: a cookie jar, no automatic redirects, same-origin headers on form posts
// ---------------------------------------------------------------------------------------------

struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    fn location(&self) -> &str {
        assert_eq!(
            self.status, 303,
            "expected a redirect, got {}: {}",
            self.status, self.body
        );
        self.header("location").expect("a 303 carries Location")
    }

    /// The first form's CSRF token.
    #[track_caller]
    fn csrf(&self) -> String {
        hidden(&self.body, "csrf").unwrap_or_else(|| panic!("no csrf field in:\n{}", self.body))
    }
}

/// The value of the first hidden input `name` in `html`.
fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_string())
}

struct Browser<'a> {
    s: &'a Server,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

/// How a form post is sent.
enum From {
    /// Like a browser on this site: `Origin` and `Sec-Fetch-Site: same-origin`.
    ThisSite,
    /// With no `Origin` or `Sec-Fetch-Site` at all (an old browser, a script).
    NoHeaders,
    Origin(&'static str),
    FetchSite(&'static str),
    /// `Origin: null` (what a page with `Referrer-Policy: no-referrer` sends) with this
    /// `Sec-Fetch-Site`.
    NullOrigin(&'static str),
    /// This server's own origin spelled out, as browsers with a laxer referrer policy send it.
    OwnOrigin,
}

impl<'a> Browser<'a> {
    fn new(s: &'a Server) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap();
        Browser {
            s,
            http,
            cookies: BTreeMap::new(),
        }
    }

    fn session(&self) -> Option<&str> {
        self.cookies.get("taos_session").map(String::as_str)
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req.header("cookie", jar.join("; "))
        };
        let resp = req.send().await.expect("request");
        for c in resp.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (name, value) = c.split(';').next().unwrap().split_once('=').unwrap();
            if value.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        Page {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(self.s.at(path));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.post_from(path, form, From::ThisSite).await
    }

    async fn post_from(&mut self, path: &str, form: &[(&str, &str)], from: From) -> Page {
        let mut req = self
            .http
            .post(self.s.at(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(urlencode(form));
        match from {
            // As Chromium sends it from these pages: their no-referrer policy makes it `null`.
            From::ThisSite => {
                req = req
                    .header("origin", "null")
                    .header("sec-fetch-site", "same-origin");
            }
            From::NoHeaders => {}
            From::Origin(o) => req = req.header("origin", o),
            From::FetchSite(v) => req = req.header("sec-fetch-site", v),
            From::OwnOrigin => {
                req = req
                    .header("origin", self.s.url())
                    .header("sec-fetch-site", "same-origin");
            }
            From::NullOrigin(v) => {
                req = req.header("origin", "null").header("sec-fetch-site", v);
            }
        }
        self.send(req).await
    }

    /// Through the form: `GET /login?next=…`, then post it back with the credentials.
    async fn login(&mut self, username: &str, password: &str, next: Option<&str>) -> Page {
        let path = match next {
            Some(n) => format!("/login?{}", urlencode(&[("next", n)])),
            None => "/login".to_string(),
        };
        let form = self.get(&path).await;
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = form.csrf();
        let next = hidden(&form.body, "next").expect("the form carries next");
        self.post(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("next", &next),
                ("csrf", &csrf),
            ],
        )
        .await
    }

    async fn signed_in(s: &'a Server, username: &str) -> Browser<'a> {
        let mut b = Browser::new(s);
        let done = b.login(username, PASSWORD, None).await;
        assert_eq!(done.location(), "/notifications");
        b
    }

    async fn inbox(&mut self) -> Page {
        let page = self.get("/notifications").await;
        assert_eq!(page.status, 200, "{}", page.body);
        page
    }
}

/// `application/x-www-form-urlencoded`, as a browser encodes a form or a query.
fn urlencode(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// An agent `Pager` of `person` with a `ui.notify` token.
async fn pager_token(s: &Server, person: &Person) -> String {
    let client = s.client(&person.token);
    create_agent(&client, "Pager").await;
    issue_agent_token_with(&client, "pager", json!({"scope": ["ui.notify"]}))
        .await
        .token
}

async fn notify(s: &Server, token: &str, body: Value) -> uuid::Uuid {
    s.post("/api/ui/notify")
        .bearer(token)
        .json(&body)
        .send()
        .await
        .expect_json(200)["notification_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("notification_id")
}

/// The `<li>` of notification `id` in an inbox page.
#[track_caller]
fn item<'p>(html: &'p str, id: &str) -> &'p str {
    let start = html
        .find(&format!("id=\"n-{id}\""))
        .unwrap_or_else(|| panic!("notification {id} is not on the page:\n{html}"));
    let start = html[..start].rfind("<li").unwrap();
    let end = start + html[start..].find("</li>").unwrap();
    &html[start..end]
}

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

/// `shown` (the raw HTML of a text or attribute value) holds no markup and says exactly `want`.
#[track_caller]
fn assert_shown_as_text(shown: &str, want: &str, what: &str) {
    assert!(
        !shown.contains(['<', '>', '"', '\'']),
        "{what}: raw markup characters in {shown:?}"
    );
    assert_eq!(html::unescape(shown), want, "{what}");
}

fn item_ids(html: &str) -> Vec<String> {
    html.match_indices("data-id=\"")
        .map(|(i, m)| html[i + m.len()..i + m.len() + 36].to_string())
        .collect()
}

async fn unread_count(s: &Server, token: &str) -> usize {
    s.client(token)
        .list_notifications()
        .unread_only(true)
        .send()
        .await
        .value()
        .items
        .len()
}

#[track_caller]
fn assert_page_headers(p: &Page) {
    assert_eq!(
        p.header("content-security-policy"),
        Some(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        ),
        "CSP on a {} page",
        p.status
    );
    assert_eq!(p.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(p.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(p.header("cache-control"), Some("no-store"));
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

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

/// The admin's sign-in form fields, with `csrf` when given.
fn sign_in_fields(csrf: Option<&str>) -> Vec<(&'static str, &str)> {
    let mut f = vec![
        ("username", ADMIN),
        ("password", PASSWORD),
        ("next", "/notifications"),
    ];
    if let Some(csrf) = csrf {
        f.push(("csrf", csrf));
    }
    f
}

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
    assert!(!inbox.body.contains("<script"), "the pages need no scripts");
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

e2e!(every_field_is_escaped);
/// Title, message, source, app origin, action URL and username reach the page as text.
async fn every_field_is_escaped(s: &Server) {
    let admin = s.setup_admin().await;
    let token = pager_token(s, &admin).await;
    let evil = "<script>alert(1)</script><img src=x onerror=\"document.title='pwned'\">&amp;";
    let id = notify(
        s,
        &token,
        json!({
            "title": format!("T{evil}"),
            "body": format!("M{evil}"),
            "app_origin": format!("A{evil}"),
            "action_url": "https://example.com/?q=<b>\"x'",
        }),
    )
    .await;
    // What the API would never store, as if it had been: a source and an unsafe action URL.
    let title = format!("T{evil}");
    s.sql_execute(
        "UPDATE notifications SET source = $1 WHERE title = $2",
        &[&format!("agent:{evil}"), &title],
    )
    .await;
    let text_id = notify(s, &token, json!({"title": "plain"})).await;
    s.sql_execute(
        "UPDATE notifications SET action_url = $1 WHERE title = $2",
        &[&format!("javascript:{evil}"), "plain"],
    )
    .await;
    // A username with markup (the API allows none; the page must not rely on that).
    let weird = "a<i>\"b'&";
    assert_eq!(
        s.sql_execute(
            "UPDATE users SET username = $1 WHERE username = $2",
            &[weird, ADMIN]
        )
        .await,
        1
    );

    let mut b = Browser::signed_in(s, weird).await;
    let html = b.inbox().await.body;
    assert!(!html.contains(evil), "a raw field reached the page");
    assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("<i>"));
    let li = item(&html, &id.to_string());
    for (what, open, close, want) in [
        ("title", "<h2 class=\"title\"", "</h2>", format!("T{evil}")),
        ("message", "<p class=\"message\"", "</p>", format!("M{evil}")),
        (
            "app_origin",
            "<code class=\"app-origin\"",
            "</code>",
            format!("A{evil}"),
        ),
        (
            "source",
            "<code class=\"source\"",
            "</code>",
            format!("agent:{evil}"),
        ),
    ] {
        assert_shown_as_text(text_in(li, open, close), &want, what);
    }
    assert!(
        li.contains("href=\"https://example.com/?q=%3Cb%3E%22x%27\""),
        "the action link is the parsed, encoded URL:\n{li}"
    );
    let li = item(&html, &text_id.to_string());
    let shown = text_in(li, "<span class=\"action-text\"", "</span>");
    let shown = shown.strip_prefix("Link (not opened): ").unwrap_or(shown);
    assert_shown_as_text(shown, &format!("javascript:{evil}"), "an unsafe action_url");
    assert!(!li.contains("href=\"javascript"), "{li}");
    assert_shown_as_text(
        text_in(&html, "<strong class=\"username\"", "</strong>"),
        weird,
        "the username",
    );
}

e2e!(action_urls_link_only_to_the_web_or_this_site);
/// `action_url` is a link only for an absolute http(s) URL or a path on this site; anything
/// else (stored before validation, or by a bug) is shown as text.
async fn action_urls_link_only_to_the_web_or_this_site(s: &Server) {
    let admin = s.setup_admin().await;
    let token = pager_token(s, &admin).await;
    let cases = [
        ("javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("//evil.example", None),
        (" javascript:alert(1)", None),
        ("/\\evil.example", None),
        ("vbscript:msgbox(1)", None),
        ("https://example.com/x", Some("https://example.com/x")),
        ("/notifications", Some("/notifications")),
    ];
    let mut ids = Vec::new();
    for (i, (url, _)) in cases.iter().enumerate() {
        let title = format!("case {i}");
        // The API refuses the unsafe ones, so they are written to the database directly.
        let resp = s
            .post("/api/ui/notify")
            .bearer(&token)
            .json(&json!({"title": title, "action_url": url}))
            .send()
            .await;
        let id = if resp.status().as_u16() == 200 {
            resp.expect_json(200)["notification_id"]
                .as_str()
                .unwrap()
                .to_string()
        } else {
            let status = resp.status().as_u16();
            assert!(matches!(status, 400 | 422), "the API refuses {url:?}: {status}");
            let id = notify(s, &token, json!({"title": title, "action_url": "/notifications"})).await;
            let changed = s
                .sql_execute(
                    "UPDATE notifications SET action_url = $1 WHERE title = $2",
                    &[url, &title],
                )
                .await;
            assert_eq!(changed, 1);
            id.to_string()
        };
        ids.push(id);
    }
    let mut b = Browser::signed_in(s, ADMIN).await;
    let html = b.inbox().await.body;
    for ((url, link), id) in cases.iter().zip(&ids) {
        let li = item(&html, id);
        match link {
            Some(href) => {
                assert!(
                    li.contains(&format!("href=\"{href}\" rel=\"noopener noreferrer\"")),
                    "{url:?} should be a link:\n{li}"
                );
            }
            None => {
                assert!(!li.contains("<a "), "{url:?} must not be a link:\n{li}");
                assert!(li.contains("action-text"), "{url:?} is shown as text:\n{li}");
            }
        }
    }
    for bad in [
        "href=\"javascript",
        "href=\"data:",
        "href=\"//",
        "href=\" ",
        "href=\"/\\",
    ] {
        assert!(!html.contains(bad), "{bad} on the page");
    }
}

e2e!(only_your_own_notifications);
/// Another person's notifications are never shown, and cannot be marked read by id.
async fn only_your_own_notifications(s: &Server) {
    let admin = s.setup_admin().await;
    let bob = s.add_user(&admin, "bob").await;
    let admin_pager = pager_token(s, &admin).await;
    let bob_pager = pager_token(s, &bob).await;
    let mine = notify(s, &admin_pager, json!({"title": "for admin"})).await;
    let theirs = notify(s, &bob_pager, json!({"title": "for bob only"})).await;

    let mut b = Browser::signed_in(s, ADMIN).await;
    let inbox = b.inbox().await;
    assert_eq!(item_ids(&inbox.body), vec![mine.to_string()]);
    assert!(!inbox.body.contains("for bob only"));
    let p = b
        .post(
            &format!("/notifications/{theirs}/read"),
            &[("csrf", &inbox.csrf())],
        )
        .await;
    assert_eq!(p.status, 404);
    assert_page_headers(&p);
    let p = b
        .post("/notifications/not-a-uuid/read", &[("csrf", &inbox.csrf())])
        .await;
    assert_eq!(p.status, 404);
    b.post("/notifications/read-all", &[("csrf", &inbox.csrf())])
        .await;
    assert_eq!(unread_count(s, &bob.token).await, 1, "bob's stays unread");
    assert_eq!(unread_count(s, &admin.token).await, 0);

    let mut bb = Browser::signed_in(s, "bob").await;
    let inbox = bb.inbox().await;
    assert_eq!(item_ids(&inbox.body), vec![theirs.to_string()]);
    assert!(
        inbox
            .body
            .contains("Signed in as <strong class=\"username\">bob</strong>")
    );
}

e2e!(newest_first_fifty_a_page);
/// Newest first, 50 a page, an "Older" link to the rest; unread marks as text and class;
/// marking one read returns to the page it was on; an empty inbox says so.
async fn newest_first_fifty_a_page(s: &Server) {
    let admin = s.setup_admin().await;
    let mut b = Browser::signed_in(s, ADMIN).await;
    let empty = b.inbox().await;
    assert!(empty.body.contains("No notifications yet."));
    assert!(!empty.body.contains("Mark all read"));
    assert!(!empty.body.contains("Older"));

    let token = pager_token(s, &admin).await;
    let mut ids = Vec::new();
    for i in 0..53 {
        ids.push(
            notify(s, &token, json!({"title": format!("number {i}")}))
                .await
                .to_string(),
        );
    }
    ids.reverse();

    let first = b.inbox().await;
    assert_eq!(
        item_ids(&first.body),
        ids[..50].to_vec(),
        "the 50 newest, newest first"
    );
    let older = "<a class=\"older\" href=\"/notifications?cursor=";
    let at = first.body.find(older).expect("an Older link") + older.len();
    let cursor = first.body[at..at + 36].to_string();
    assert_eq!(cursor, ids[49]);
    let li = item(&first.body, &ids[0]);
    assert!(
        li.contains("class=\"note unread\"") && li.contains(">Unread<"),
        "{li}"
    );
    assert!(li.contains("number 52") && li.contains("<code class=\"source\">agent:pager</code>"));
    assert!(li.contains("Mark read"));
    assert!(first.body.contains("Mark all read"));

    let second = b.get(&format!("/notifications?cursor={cursor}")).await;
    assert_eq!(second.status, 200);
    assert_eq!(item_ids(&second.body), ids[50..].to_vec());
    assert!(!second.body.contains(older), "no Older link on the last page");
    assert!(
        second.body.contains("href=\"/notifications\""),
        "a link back to the newest"
    );

    // Mark one on page two read: back to page two, and it shows as read.
    let csrf = second.csrf();
    let p = b
        .post(
            &format!("/notifications/{}/read", ids[51]),
            &[("csrf", &csrf), ("cursor", &cursor)],
        )
        .await;
    assert_eq!(p.location(), format!("/notifications?cursor={cursor}"));
    let second = b.get(&format!("/notifications?cursor={cursor}")).await;
    let li = item(&second.body, &ids[51]);
    assert!(
        li.contains("class=\"note read\"") && !li.contains("Unread") && !li.contains("Mark read"),
        "{li}"
    );
    assert!(item(&second.body, &ids[50]).contains(">Unread<"));

    let last = ids.last().unwrap();
    let past = b.get(&format!("/notifications?cursor={last}")).await;
    assert!(past.body.contains("Nothing older."));
}
