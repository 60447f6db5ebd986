//! First-run setup in the browser, `/setup`: creates the admin as `POST /auth/setup` does,
//! signs them in, then is gone; from anywhere but this machine only with the setup token.

use serde_json::json;
use taos_conformance::people::PASSWORD;
use taos_conformance::*;

use super::{Browser, From, Page, assert_page_headers, hidden, pager_token};

/// The setup form's fields for `username`, with the page's CSRF token and setup token.
fn fields<'f>(
    form: &'f Page,
    csrf: &'f str,
    username: &'f str,
    password: &'f str,
) -> Vec<(&'static str, String)> {
    vec![
        ("username", username.to_string()),
        ("password", password.to_string()),
        ("full_name", "Ada Lovelace".to_string()),
        ("email", String::new()),
        ("csrf", csrf.to_string()),
        (
            "setup_token",
            hidden(&form.body, "setup_token").unwrap_or_default(),
        ),
    ]
}

fn pairs<'a>(f: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    f.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The setup token taosd logged at start-up.
async fn logged_setup_token(s: &Server) -> String {
    let log = s
        .stderr_once_it_holds("setup_token=", std::time::Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("taosd logged no setup token in 5 s:\n{}", s.stderr()));
    let at = log.find("setup_token=").unwrap_or_default();
    log[at + "setup_token=".len()..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

e2e!(setup_creates_the_admin_and_opens_the_inbox);
/// The form creates the first user, an admin (as the API sees it), signs them in and opens
/// their inbox; after that `/setup` is gone and `POST /auth/setup` is 409, as before.
async fn setup_creates_the_admin_and_opens_the_inbox(s: &Server) {
    let mut b = Browser::new(s);
    let form = b.get("/setup").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_page_headers(&form);
    for field in [
        "name=\"username\"",
        "name=\"password\"",
        "name=\"full_name\"",
        "name=\"email\"",
    ] {
        assert!(form.body.contains(field), "the form lacks {field}");
    }
    let csrf = form.csrf();
    let f = fields(&form, &csrf, "ada", PASSWORD);
    let done = b.post("/setup", &pairs(&f)).await;
    assert_eq!(done.location(), "/notifications");
    assert!(b.session().is_some(), "signed in");
    let inbox = b.inbox().await;
    assert!(inbox.body.contains("<strong class=\"username\">ada</strong>"));

    // An admin, as if made by POST /auth/setup; the password works for the API too.
    let token = s.user_token("ada", PASSWORD, None).await;
    let me = s.get("/auth/status").bearer(&token).send().await.expect_json(200);
    assert_eq!(me["configured"], true, "{me}");
    let users = s.get("/api/users").bearer(&token).send().await.expect_json(200);
    assert_eq!(users["items"][0]["username"], "ada", "{users}");
    assert_eq!(users["items"][0]["admin"], true, "{users}");
    assert_eq!(users["items"][0]["full_name"], "Ada Lovelace", "{users}");
    assert!(
        users["items"][0]["email"].is_null(),
        "an empty email is not given: {users}"
    );

    // Gone once a user exists.
    let mut other = Browser::new(s);
    assert_eq!(other.get("/setup").await.location(), "/login");
    let again = other.post("/setup", &pairs(&f)).await;
    assert_eq!(again.location(), "/login");
    s.post("/auth/setup")
        .json(&json!({"username": "eve", "password": PASSWORD}))
        .send()
        .await
        .expect_error(409, "already_configured");
    let users = s.get("/api/users").bearer(&token).send().await.expect_json(200);
    assert_eq!(users["items"].as_array().unwrap().len(), 1, "{users}");

    // And the new admin's inbox gets what their agents send.
    let admin = Person {
        id: uuid::Uuid::nil(),
        username: "ada".into(),
        password: PASSWORD.into(),
        token,
    };
    let pager = pager_token(s, &admin).await;
    super::notify(s, &pager, json!({"title": "hello ada"})).await;
    assert!(b.inbox().await.body.contains("hello ada"));
}

e2e!(setup_keeps_the_rules_of_the_api);
/// What `POST /auth/setup` refuses the form refuses too, with the same detail and status, and
/// nothing is created; a form without its CSRF token or from another site changes nothing.
async fn setup_keeps_the_rules_of_the_api(s: &Server) {
    let mut b = Browser::new(s);
    let form = b.get("/setup").await;
    let csrf = form.csrf();
    for (username, password) in [
        ("bad name", PASSWORD),
        ("-ada", PASSWORD),
        ("ada", "short"),
        ("", PASSWORD),
    ] {
        let api = s
            .post("/auth/setup")
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect_canonical(422);
        let p = b
            .post("/setup", &pairs(&fields(&form, &csrf, username, password)))
            .await;
        assert_eq!(p.status, 422, "{username:?}/{password:?}: {}", p.body);
        assert_page_headers(&p);
        let shown = taos_conformance::html::unescape(&p.body);
        assert!(
            shown.contains(api.detail()),
            "the page says what the API says ({:?}):\n{}",
            api.detail(),
            p.body
        );
        if username == "ada" {
            assert!(
                p.body.contains("value=\"ada\""),
                "what was typed stays in the form"
            );
        }
    }
    // No CSRF token, another site: refused, nothing made.
    let mut f = fields(&form, &csrf, "ada", PASSWORD);
    f.retain(|(k, _)| *k != "csrf");
    let p = b.post("/setup", &pairs(&f)).await;
    assert_eq!(p.status, 403, "{}", p.body);
    let f = fields(&form, &csrf, "ada", PASSWORD);
    let p = b
        .post_from("/setup", &pairs(&f), From::Origin("http://evil.example"))
        .await;
    assert_eq!(p.status, 403);
    let p = b
        .post_from("/setup", &pairs(&f), From::FetchSite("cross-site"))
        .await;
    assert_eq!(p.status, 403);
    assert!(b.session().is_none());
    let status = s.get("/auth/status").send().await.expect_json(200);
    assert_eq!(status["configured"], false, "nothing was created: {status}");

    // Right, it works.
    let p = b.post("/setup", &pairs(&f)).await;
    assert_eq!(p.location(), "/notifications");
}

e2e!(setup_from_elsewhere_needs_the_logged_token);
/// A browser that is not on this machine (here: one a proxy forwarded) gets a page saying how
/// to set up instead of the form, unless it brings the token taosd logged at start-up.
async fn setup_from_elsewhere_needs_the_logged_token(s: &Server) {
    let token = logged_setup_token(s).await;
    assert!(token.len() >= 32, "{token}");
    let mut b = Browser::new(s);
    let proxied = |b: &Browser, path: &str| b.http.get(b.s.at(path)).header("x-forwarded-for", "203.0.113.9");

    let req = proxied(&b, "/setup");
    let p = b.send(req).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert_page_headers(&p);
    assert!(p.body.contains("setup_token"), "the page says how: {}", p.body);
    assert!(!p.body.contains("name=\"password\""));
    assert!(!p.body.contains(&token), "the page never shows the token");
    let req = proxied(&b, "/setup?setup_token=wrong");
    assert_eq!(b.send(req).await.status, 403);

    let req = proxied(&b, &format!("/setup?setup_token={token}"));
    let form = b.send(req).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(hidden(&form.body, "setup_token").as_deref(), Some(token.as_str()));
    let csrf = form.csrf();

    // The POST needs the token as well: without it, refused.
    let mut f = fields(&form, &csrf, "ada", PASSWORD);
    let post = |b: &Browser, f: &[(&'static str, String)]| {
        b.http
            .post(b.s.at("/setup"))
            .header("x-forwarded-for", "203.0.113.9")
            .header("origin", "null")
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(super::urlencode(&pairs(f)))
    };
    f.iter_mut().for_each(|(k, v)| {
        if *k == "setup_token" {
            v.clear();
        }
    });
    let req = post(&b, &f);
    assert_eq!(b.send(req).await.status, 403);
    let f = fields(&form, &csrf, "ada", PASSWORD);
    let req = post(&b, &f);
    let done = b.send(req).await;
    assert_eq!(done.location(), "/notifications");
    assert!(b.session().is_some());
}

e2e!(setup_form_racing_the_api);
/// The setup form and `POST /auth/setup` sent at the same moment to a fresh server, several
/// rounds (a fresh server each): exactly one of them creates the admin. The form that lost is
/// sent to sign-in (`/login`), the API call that lost gets `409 already_configured`; one user
/// exists afterwards, the winner, and taosd logged no internal error.
async fn setup_form_racing_the_api(s: &Server) {
    const ROUNDS: usize = 6;
    let mut form_won = 0;
    for round in 0..ROUNDS {
        let fresh = match s.backend() {
            Backend::Sqlite => Server::start_sqlite().await,
            _ => Server::start_postgres().await,
        };
        let mut b = Browser::new(&fresh);
        let form = b.get("/setup").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = form.csrf();
        let f = fields(&form, &csrf, "ada", PASSWORD);
        let api = fresh
            .post("/auth/setup")
            .json(&json!({"username": "eve", "password": PASSWORD}))
            .send();
        let sent = pairs(&f);
        let (page, api) = tokio::join!(b.post("/setup", &sent), api);
        let winner = match (page.location(), api.status().as_u16()) {
            ("/notifications", 409) => {
                api.expect_error(409, "already_configured");
                assert!(
                    b.session().is_some(),
                    "round {round}: the form's winner is signed in"
                );
                form_won += 1;
                "ada"
            }
            ("/login", 201) => {
                assert!(
                    b.session().is_none(),
                    "round {round}: the form's loser is not signed in"
                );
                "eve"
            }
            (location, status) => panic!(
                "round {round}: the form went to {location:?} ({}), the API answered {status} {}",
                page.status,
                api.text()
            ),
        };
        let token = fresh.user_token(winner, PASSWORD, None).await;
        let users = fresh
            .get("/api/users")
            .bearer(&token)
            .send()
            .await
            .expect_json(200);
        let names: Vec<_> = users["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|u| u["username"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(names, [winner], "round {round}: one user, the winner");
        let log = fresh.stderr();
        assert!(
            !log.contains("internal_error") && !log.contains("ERROR"),
            "round {round}: taosd logged an internal error:\n{log}"
        );
    }
    eprintln!("setup race: the form won {form_won} of {ROUNDS} rounds");
}
