//! Cross-site requests on the JSON API: a browser sends the `taos_session` cookie with a POST
//! that another origin of the same site started (another app on another port, a sibling
//! subdomain), and body-less operations need nothing else. Such cookie requests are refused
//! with 403 `cross_origin_request`; our own origin, non-browser callers and bearer tokens work.

use serde_json::json;
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::*;

/// What the signed-in person's state looks like, to show a refused request changed nothing.
struct Setup {
    admin: Person,
    session: String,
    agent_token: String,
    archived_id: String,
}

async fn setup(s: &Server) -> Setup {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Helper").await;
    let agent_token = issue_agent_token(&client, "helper").await;
    create_agent(&client, "Old One").await;
    let archived = client.delete_agent().name("old-one").send().await.value();
    s.post("/api/ui/notify")
        .bearer(&admin.token)
        .json(&json!({"title": "hello", "body": "b"}))
        .send()
        .await
        .expect_status(200);
    let session = s.login(ADMIN, PASSWORD).await;
    Setup {
        admin,
        session,
        agent_token,
        archived_id: archived.id.to_string(),
    }
}

/// The body-less operations that act on the cookie alone.
fn bodyless(archived_id: &str) -> Vec<String> {
    vec![
        "/api/agents/helper/token/issue".into(),
        "/api/notifications/read-all".into(),
        format!("/api/agents/archived/{archived_id}/restore"),
        "/auth/logout".into(),
    ]
}

/// Origins that are not this server: another site, and the same site on another port.
fn foreign(s: &Server) -> Vec<(&'static str, String)> {
    let url = s.url();
    let (host, port) = url.rsplit_once(':').expect("http://127.0.0.1:PORT");
    let port: u16 = port.parse().expect("a port");
    let other_port = format!("{host}:{}", port.wrapping_add(1).max(1));
    vec![
        ("cross-site", "https://evil.example".to_string()),
        ("same-site", other_port.clone()),
        // An Origin alone, without Sec-Fetch-Site (older browsers).
        ("", other_port),
    ]
}

fn with_site(req: Request, site: &str, origin: &str) -> Request {
    let req = req.header("origin", origin);
    if site.is_empty() {
        req
    } else {
        req.header("sec-fetch-site", site)
    }
}

e2e!(cookie_posts_from_other_origins_are_refused);
/// Each body-less operation, with the session cookie, from another site and from the same
/// site on another port: 403 `cross_origin_request`, and nothing changed (the agent's token
/// still works, the notification is unread, the archived agent is still archived, the session
/// still signs in).
async fn cookie_posts_from_other_origins_are_refused(s: &Server) {
    let setup = setup(s).await;
    for path in bodyless(&setup.archived_id) {
        for (site, origin) in foreign(s) {
            let err = with_site(s.post(&path).session(&setup.session), site, &origin)
                .send()
                .await
                .expect_error(403, "cross_origin_request");
            assert!(err.body["detail"].as_str().is_some_and(|d| d.contains("POST")));
        }
    }
    s.get("/api/auth/whoami")
        .bearer(&setup.agent_token)
        .send()
        .await
        .expect_status(200);
    let unread = s
        .get("/api/notifications")
        .query(&[("unread_only", "true")])
        .bearer(&setup.admin.token)
        .send()
        .await
        .expect_json(200);
    assert_eq!(unread["items"].as_array().map(Vec::len), Some(1), "{unread}");
    let archived = s
        .get("/api/agents/archived")
        .bearer(&setup.admin.token)
        .send()
        .await
        .expect_json(200);
    assert_eq!(archived["items"].as_array().map(Vec::len), Some(1), "{archived}");
    s.get("/api/auth/whoami")
        .session(&setup.session)
        .send()
        .await
        .expect_status(200);
}

e2e!(cookie_posts_from_our_own_origin_work);
/// The same operations with the cookie from this server's own origin (as its pages send them),
/// and from a caller that sends neither `Origin` nor `Sec-Fetch-Site` (not a browser), work.
async fn cookie_posts_from_our_own_origin_work(s: &Server) {
    let setup = setup(s).await;
    let own = s.url();
    let read = with_site(
        s.post("/api/notifications/read-all").session(&setup.session),
        "same-origin",
        &own,
    )
    .send()
    .await
    .expect_json(200);
    assert_eq!(read["updated"], json!(1));
    with_site(
        s.post("/api/agents/helper/token/issue").session(&setup.session),
        "same-origin",
        &own,
    )
    .send()
    .await
    .expect_status(200);
    s.get("/api/auth/whoami")
        .bearer(&setup.agent_token)
        .send()
        .await
        .expect_error(401, "invalid_token");
    // No browser headers at all: a script holding the cookie.
    s.post(&format!("/api/agents/archived/{}/restore", setup.archived_id))
        .session(&setup.session)
        .send()
        .await
        .expect_status(200);
    with_site(
        s.post("/auth/logout").session(&setup.session),
        "same-origin",
        &own,
    )
    .send()
    .await
    .expect_status(204);
    s.get("/api/auth/whoami")
        .session(&setup.session)
        .send()
        .await
        .expect_error(401, "auth_required");
}

e2e!(bearer_requests_ignore_the_origin);
/// A bearer token is sent only by whoever holds it: a foreign `Origin` and `Sec-Fetch-Site:
/// cross-site` change nothing, also when a session cookie rides along.
async fn bearer_requests_ignore_the_origin(s: &Server) {
    let setup = setup(s).await;
    let req = s
        .post("/api/notifications/read-all")
        .bearer(&setup.admin.token)
        .session(&setup.session);
    let read = with_site(req, "cross-site", "https://evil.example")
        .send()
        .await
        .expect_json(200);
    assert_eq!(read["updated"], json!(1));
    with_site(
        s.post(&format!("/api/agents/archived/{}/restore", setup.archived_id))
            .bearer(&setup.admin.token),
        "same-site",
        "http://127.0.0.1:1",
    )
    .send()
    .await
    .expect_status(200);
    with_site(
        s.post("/api/agents/helper/token/issue")
            .bearer(&setup.admin.token),
        "cross-site",
        "https://evil.example",
    )
    .send()
    .await
    .expect_status(200);
}

e2e!(cookie_reads_from_other_origins_still_work);
/// Only requests that change something are checked: a cross-site GET with the cookie (which
/// the browser does not let the other site read) answers as before.
async fn cookie_reads_from_other_origins_still_work(s: &Server) {
    let setup = setup(s).await;
    with_site(
        s.get("/api/auth/whoami").session(&setup.session),
        "cross-site",
        "https://evil.example",
    )
    .send()
    .await
    .expect_status(200);
}
