//! `/` for a browser: the page for people once someone can sign in, the setup page before.

use taos_conformance::*;

use super::{Browser, assert_page_headers};

/// `GET path` the way a browser asks (`Accept` lists `text/html`).
async fn browse(b: &mut Browser<'_>, path: &str) -> super::Page {
    let req = b.http.get(b.s.at(path)).header(
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    );
    b.send(req).await
}

e2e!(the_front_door_is_a_page_for_people);
/// With a user, `/` is a page saying what this server is and its version, linking the agent
/// docs, the API page, the inbox and `/llms.txt`, under the pages' strict headers.
async fn the_front_door_is_a_page_for_people(s: &Server) {
    s.setup_admin().await;
    let mut b = Browser::new(s);
    let p = browse(&mut b, "/").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(p.header("vary"), Some("Accept"));
    assert_page_headers(&p);
    assert!(p.body.contains("<h1>taOS agent API</h1>"), "{}", p.body);
    assert!(
        p.body.contains(&format!(
            "<code class=\"version\">{}</code>",
            env!("CARGO_PKG_VERSION")
        )),
        "the version is shown"
    );
    for link in [
        "/docs/agents/",
        "/docs/api",
        "/notifications",
        "/llms.txt",
        "/openapi.json",
    ] {
        assert!(
            p.body.contains(&format!("<a href=\"{link}\">")),
            "the front door links {link}"
        );
        let target = s.get(link).send().await;
        assert!(target.status().is_success(), "{link} answers {}", target.status());
    }
    assert!(!p.body.contains("<script"), "the front door runs nothing");
}

e2e!(a_fresh_server_leads_browsers_to_setup);
/// With no user yet, `/` sends a browser to `/setup`, and `/login` says no user exists and
/// links there instead of showing a form no one could use.
async fn a_fresh_server_leads_browsers_to_setup(s: &Server) {
    let mut b = Browser::new(s);
    let p = browse(&mut b, "/").await;
    assert_eq!(p.location(), "/setup");
    let login = browse(&mut b, "/login").await;
    assert_eq!(login.status, 200);
    assert_page_headers(&login);
    assert!(
        login.body.contains("No user exists on this server yet"),
        "{}",
        login.body
    );
    assert!(login.body.contains("href=\"/setup\""));
    assert!(!login.body.contains("name=\"password\""), "no sign-in form yet");

    s.setup_admin().await;
    let login = browse(&mut b, "/login").await;
    assert!(
        login.body.contains("name=\"password\""),
        "the sign-in form is back"
    );
    assert!(!login.body.contains("No user exists"));
    let p = browse(&mut b, "/").await;
    assert_eq!(p.status, 200);
}
