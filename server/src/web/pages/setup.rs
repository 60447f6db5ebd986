//! First-run setup in a browser, `/setup`: on a taosd with no user yet, a form that creates the
//! admin exactly as `POST /auth/setup` does (the same checks, errors and domain call), then
//! signs them in and opens their inbox. Once a user exists the page is gone (`/login`).
//!
//! Whoever sets up first owns the server, so the form is served only to a browser on this
//! machine (a loopback client that no proxy forwarded), or to one that presents the setup
//! token taosd logs at start-up when no user exists. The form carries a CSRF token and its
//! POST must come from this site, like the sign-in form's.

use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::views::{self, SetupPage};
use super::{failure, guard, see_other, set_cookie};
use crate::auth::{client_address, session_set_cookie};
use crate::domain::{accounts, tokens};
use crate::errors::{self, Error};
use crate::state::SharedState;
use crate::store::Store;

/// This process's setup token: what a browser that is not on this machine must present.
static SETUP_TOKEN: LazyLock<String> = LazyLock::new(tokens::generate_session_secret);

/// How long the setup form's CSRF cookie lives.
const SETUP_CSRF_MAX_AGE: i64 = 24 * 60 * 60;

/// Where a new admin lands.
const AFTER_SETUP: &str = "/notifications";

/// Logs the setup token when no user exists yet (called once, at start-up, with the address
/// taosd listens on).
pub async fn announce(store: &Store, addr: SocketAddr) {
    match needs_setup(store).await {
        Ok(true) => tracing::warn!(
            "no user exists yet: open http://{addr}/setup in a browser on this machine to create \
             the admin, or from another machine add ?setup_token={} (this start's setup token)",
            SETUP_TOKEN.as_str()
        ),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e.detail, "cannot tell whether taOS is set up"),
    }
}

/// Whether no user exists yet, the same question `GET /auth/status` answers.
pub async fn needs_setup(store: &Store) -> Result<bool, Error> {
    Ok(!accounts::get_auth_status(store, None).await?.configured)
}

/// Whether this request may see and use the setup form: from this machine, or with the token.
fn allowed(client: Option<IpAddr>, headers: &HeaderMap, presented: Option<&str>, token: &str) -> bool {
    let token_ok =
        presented.is_some_and(|p| !p.is_empty() && bool::from(p.as_bytes().ct_eq(token.as_bytes())));
    token_ok || from_this_machine(client, headers)
}

/// A loopback peer that no proxy says it forwarded (a proxy on this machine is a loopback peer
/// for everyone it serves).
fn from_this_machine(client: Option<IpAddr>, headers: &HeaderMap) -> bool {
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| headers.contains_key(*h));
    !forwarded && client.is_some_and(|ip| ip.to_canonical().is_loopback())
}

#[derive(Deserialize)]
pub struct SetupQuery {
    setup_token: Option<String>,
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    setup_token: String,
}

pub async fn form(
    State(state): State<SharedState>,
    headers: HeaderMap,
    extensions: Extensions,
    query: Result<Query<SetupQuery>, QueryRejection>,
) -> Response {
    match needs_setup(&state.store).await {
        Ok(true) => {}
        Ok(false) => return see_other("/login"),
        Err(e) => return failure(&e),
    }
    let presented = query.ok().and_then(|Query(q)| q.setup_token);
    if !allowed(
        client_address(&extensions),
        &headers,
        presented.as_deref(),
        &SETUP_TOKEN,
    ) {
        return refused();
    }
    let page = SetupPage {
        setup_token: presented.unwrap_or_default(),
        ..SetupPage::default()
    };
    setup_page(&state, &headers, StatusCode::OK, page)
}

pub async fn submit(
    State(state): State<SharedState>,
    headers: HeaderMap,
    extensions: Extensions,
    form: Result<Form<SetupForm>, FormRejection>,
) -> Response {
    if !guard::same_origin(&headers) {
        return views::forbidden();
    }
    let Ok(Form(form)) = form else {
        return views::bad_request();
    };
    match needs_setup(&state.store).await {
        Ok(true) => {}
        Ok(false) => return see_other("/login"),
        Err(e) => return failure(&e),
    }
    let client = client_address(&extensions);
    if !allowed(client, &headers, Some(&form.setup_token), &SETUP_TOKEN) {
        return refused();
    }
    let again = |error: String| SetupPage {
        username: form.username.clone(),
        full_name: form.full_name.clone(),
        email: form.email.clone(),
        setup_token: form.setup_token.clone(),
        error: Some(error),
        csrf: String::new(),
    };
    let csrf_cookie = guard::setup_csrf_secret(&headers);
    if !csrf_cookie.is_some_and(|secret| guard::csrf_ok(&secret, &form.csrf)) {
        let message = "This setup form expired or was sent from another site. Please try again.";
        return setup_page(&state, &headers, StatusCode::FORBIDDEN, again(message.into()));
    }
    // The fields as `POST /auth/setup` takes them: optional ones left empty are not given.
    let mut fields = json!({"username": form.username, "password": form.password});
    for (name, value) in [("full_name", &form.full_name), ("email", &form.email)] {
        if !value.is_empty() {
            fields[name] = json!(value);
        }
    }
    match crate::api::setup_from_fields(&state.store, &fields).await {
        Ok(_) => {}
        // Someone else was quicker.
        Err(e) if e.is(&errors::ALREADY_CONFIGURED) => return see_other("/login"),
        Err(e) if e.kind.status < 500 => {
            let status = StatusCode::from_u16(e.kind.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            return setup_page(&state, &headers, status, again(e.detail));
        }
        Err(e) => return failure(&e),
    }
    // Signed in the way the sign-in form does it; should that fail (it just worked), the
    // form is the way on.
    match accounts::login(&state.store, &form.username, &form.password, client).await {
        Ok((_, secret, session)) => {
            let max_age = (session.expires_at - chrono::Utc::now()).num_seconds().max(0);
            let mut out = see_other(AFTER_SETUP);
            set_cookie(
                &mut out,
                &session_set_cookie(&secret, max_age, state.secure_cookies),
            );
            set_cookie(&mut out, &guard::setup_csrf_cookie("", 0, state.secure_cookies));
            out
        }
        Err(_) => see_other("/login?next=/notifications"),
    }
}

/// The form, reusing the browser's form secret when it has one.
fn setup_page(state: &SharedState, headers: &HeaderMap, status: StatusCode, mut page: SetupPage) -> Response {
    let existing = guard::setup_csrf_secret(headers)
        .filter(|s| s.len() >= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    let secret = existing.unwrap_or_else(tokens::generate_session_secret);
    page.csrf = guard::csrf_token(&secret);
    let mut out = views::render(status, &page);
    set_cookie(
        &mut out,
        &guard::setup_csrf_cookie(&secret, SETUP_CSRF_MAX_AGE, state.secure_cookies),
    );
    out
}

fn refused() -> Response {
    views::render(
        StatusCode::FORBIDDEN,
        &views::MessagePage {
            title: "Set up taOS from its own machine",
            message: "No user exists on this taOS server yet, and the first person to set it up \
                      becomes its admin, so the setup page opens only in a browser on the machine \
                      taosd runs on (http://127.0.0.1:<port>/setup). From another machine, add the \
                      setup token that taosd printed in its log when it started: \
                      /setup?setup_token=<token>. Or create the admin with \
                      `taosctl auth setup` (or POST /auth/setup) on that machine.",
            back_href: "/docs/agents/",
            back_text: "Read the docs",
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const TOKEN: &str = "s3tupT0kenS3tupT0kenS3tupT0kenS3tupT0ken";

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn only_this_machine_or_the_token_may_set_up() {
        let none = HeaderMap::new();
        assert!(allowed(ip("127.0.0.1"), &none, None, TOKEN));
        assert!(allowed(ip("127.0.0.2"), &none, None, TOKEN));
        assert!(allowed(ip("::1"), &none, None, TOKEN));
        assert!(allowed(ip("::ffff:127.0.0.1"), &none, None, TOKEN));

        assert!(!allowed(ip("192.168.1.20"), &none, None, TOKEN));
        assert!(!allowed(ip("10.0.0.1"), &none, Some(""), TOKEN));
        assert!(!allowed(ip("10.0.0.1"), &none, Some("wrong"), TOKEN));
        assert!(!allowed(ip("10.0.0.1"), &none, Some(&TOKEN[1..]), TOKEN));
        assert!(!allowed(None, &none, None, TOKEN));
        assert!(allowed(ip("192.168.1.20"), &none, Some(TOKEN), TOKEN));

        // A proxy on this machine forwards everyone: loopback is not enough then.
        for h in ["forwarded", "x-forwarded-for", "x-real-ip"] {
            let mut proxied = HeaderMap::new();
            proxied.insert(h, HeaderValue::from_static("203.0.113.9"));
            assert!(!allowed(ip("127.0.0.1"), &proxied, None, TOKEN), "{h}");
            assert!(allowed(ip("127.0.0.1"), &proxied, Some(TOKEN), TOKEN), "{h}");
        }
    }

    #[test]
    fn each_start_has_its_own_long_token() {
        assert!(SETUP_TOKEN.len() >= 32);
        assert!(SETUP_TOKEN.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
