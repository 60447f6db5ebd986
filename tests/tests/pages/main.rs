//! The pages for people: `/`, `/setup`, `/login`, `/logout`, `/notifications` and its form
//! posts, driven over raw HTTP the way a browser would (cookies, form posts, `Origin`), checked
//! in the raw HTML.

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use taos_conformance::html;
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::*;

mod escaping;
mod front_door;
mod guards;
mod inbox;
mod live;
mod setup;
mod sign_in;

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

/// `shown` (the raw HTML of a text or attribute value) holds no markup and says exactly `want`.
#[track_caller]
fn assert_shown_as_text(shown: &str, want: &str, what: &str) {
    assert!(
        !shown.contains(['<', '>', '"', '\'']),
        "{what}: raw markup characters in {shown:?}"
    );
    assert_eq!(html::unescape(shown), want, "{what}");
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
            "default-src 'none'; script-src 'self'; connect-src 'self'; \
             style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'"
        ),
        "CSP on a {} page",
        p.status
    );
    assert_eq!(p.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(p.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(p.header("cache-control"), Some("no-store"));
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
