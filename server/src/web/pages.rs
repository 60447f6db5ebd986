//! The pages people use in a browser: `/` (the front door: a page for people, the discovery
//! index for agents), `/setup` (first-run setup, see [`setup`]), `/login` (a sign-in form that
//! sets the same session cookie as `POST /auth/login`), `/notifications` (the signed-in
//! person's inbox, newest first, with read marks) and the form posts behind their buttons.
//!
//! Plain forms, a POST-redirect-GET after every change, and a strict Content-Security-Policy:
//! the one script is taosd's own `/assets/inbox.js` (local times, the inbox kept up to date),
//! and the pages work without it. Every POST must come from these pages (same origin) and
//! carry the CSRF token derived from the cookie secret (see [`guard`]).

mod guard;
mod links;
mod setup;
mod views;

pub use setup::announce as announce_setup;

use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_http::set_header::SetResponseHeaderLayer;
use uuid::Uuid;

use crate::auth::{client_address, session_set_cookie};
use crate::domain::principal::Principal;
use crate::domain::{accounts, auth, notifications, tokens};
use crate::errors::{self, Error};
use crate::state::SharedState;

use views::{FrontPage, LoginPage, NotificationView, NotificationsPage};

/// Notifications per page.
const PAGE_SIZE: u64 = 50;

/// How long the sign-in form's CSRF cookie lives: long enough for a form left open a while.
const LOGIN_CSRF_MAX_AGE: i64 = 24 * 60 * 60;

/// Where a signed-out visitor to the inbox is sent.
const LOGIN_FOR_INBOX: &str = "/login?next=/notifications";

/// No inline or third-party scripts (only taosd's own files), no images, nothing from
/// elsewhere; scripts fetch only from here; forms post only here; never framed.
const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
                   style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'";

/// The inbox's script (see its header).
const INBOX_JS: &str = include_str!("pages/inbox.js");

pub fn routes(state: SharedState) -> Router {
    let not_allowed = |allow: &'static str| move || async move { views::method_not_allowed(allow) };
    let router = Router::new()
        // Programs call `/` too: a wrong method gets the API's JSON error, not a page.
        .route(
            "/",
            get(front_door).fallback(|| async {
                let mut out = Error::method_not_allowed("/", "GET, HEAD").into_response();
                out.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
                out
            }),
        )
        .route(
            "/setup",
            get(setup::form)
                .post(setup::submit)
                .fallback(not_allowed("GET, HEAD, POST")),
        )
        .route(
            "/assets/inbox.js",
            get(inbox_js).fallback(not_allowed("GET, HEAD")),
        )
        .route(
            "/login",
            get(login_form)
                .post(login_submit)
                .fallback(not_allowed("GET, HEAD, POST")),
        )
        .route("/logout", post(logout).fallback(not_allowed("POST")))
        .route("/notifications", get(inbox).fallback(not_allowed("GET, HEAD")))
        .route(
            "/notifications/read-all",
            post(mark_all_read).fallback(not_allowed("POST")),
        )
        .route(
            "/notifications/{id}/read",
            post(mark_read).fallback(not_allowed("POST")),
        )
        .with_state(state);
    [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ]
    .into_iter()
    .fold(router, |r, (name, value): (HeaderName, &'static str)| {
        r.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// The front door
// ---------------------------------------------------------------------------------------------

/// A browser (one that takes `text/html`) gets the page for people, or the setup page while no
/// user exists; anything else (`curl`, an agent, `Accept: application/json`) the discovery
/// index, as `GET /api` answers it.
async fn front_door(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    let mut out = if wants_html(&headers) {
        match setup::needs_setup(&state.store).await {
            Ok(true) => see_other("/setup"),
            Ok(false) => views::render(
                StatusCode::OK,
                &FrontPage {
                    version: env!("CARGO_PKG_VERSION"),
                },
            ),
            Err(e) => failure(&e),
        }
    } else {
        axum::Json(crate::api::api_index()).into_response()
    };
    out.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    out
}

/// Whether the client asked for HTML (a browser's `Accept` lists `text/html`), `q=0` aside.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (media == "text/html" || media == "application/xhtml+xml") && !refused
        })
}

async fn inbox_js() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        INBOX_JS,
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// Sign in and out
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

async fn login_form(
    State(state): State<SharedState>,
    headers: HeaderMap,
    query: Result<Query<NextQuery>, QueryRejection>,
) -> Response {
    let next = query.ok().and_then(|Query(q)| q.next);
    let next = links::safe_next(next.as_deref()).to_string();
    match signed_in(&state, &headers).await {
        Ok(Some(_)) => return see_other(&next),
        Ok(None) => {}
        Err(e) => return failure(&e),
    }
    match setup::needs_setup(&state.store).await {
        Ok(false) => {}
        Ok(true) => {
            let page = LoginPage {
                username: String::new(),
                next,
                csrf: String::new(),
                error: None,
                no_user: true,
            };
            return views::render(StatusCode::OK, &page);
        }
        Err(e) => return failure(&e),
    }
    login_page(&state, &headers, StatusCode::OK, String::new(), next, None)
}

async fn login_submit(
    State(state): State<SharedState>,
    headers: HeaderMap,
    extensions: Extensions,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    if !guard::same_origin(&headers) {
        return views::forbidden();
    }
    let Ok(Form(form)) = form else {
        return views::bad_request();
    };
    let next = links::safe_next(Some(&form.next)).to_string();
    let csrf_cookie = guard::login_csrf_secret(&headers);
    if !csrf_cookie.is_some_and(|secret| guard::csrf_ok(&secret, &form.csrf)) {
        let message = "This sign-in form expired or was sent from another site. Please sign in again.";
        return login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            form.username,
            next,
            Some(message),
        );
    }
    let client = client_address(&extensions);
    match accounts::login(&state.store, &form.username, &form.password, client).await {
        Ok((_, secret, session)) => {
            let max_age = (session.expires_at - chrono::Utc::now()).num_seconds().max(0);
            let mut out = see_other(&next);
            set_cookie(
                &mut out,
                &session_set_cookie(&secret, max_age, state.secure_cookies),
            );
            set_cookie(&mut out, &guard::login_csrf_cookie("", 0, state.secure_cookies));
            out
        }
        Err(e) if e.is(&errors::INVALID_CREDENTIALS) => login_page(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            form.username,
            next,
            Some("The username or password is wrong."),
        ),
        Err(e) if e.is(&errors::TOO_MANY_ATTEMPTS) || e.is(&errors::PASSWORD_CHECKS_BUSY) => {
            let retry_after = e.extra.iter().find(|(k, _)| *k == "retry_after");
            let secs = retry_after.map_or("1", |(_, v)| v.as_str());
            let message = if e.is(&errors::TOO_MANY_ATTEMPTS) {
                format!("Too many failed sign-ins. Please wait {secs} seconds and try again.")
            } else {
                format!("The server is busy. Please wait {secs} seconds and try again.")
            };
            let status = StatusCode::from_u16(e.kind.status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
            let mut out = login_page(&state, &headers, status, form.username, next, Some(&message));
            if let Ok(v) = HeaderValue::from_str(secs) {
                out.headers_mut().insert(header::RETRY_AFTER, v);
            }
            out
        }
        Err(e) => failure(&e),
    }
}

/// The sign-in form, reusing the browser's form secret when it has one so that two open
/// tabs both still work.
fn login_page(
    state: &SharedState,
    headers: &HeaderMap,
    status: StatusCode,
    username: String,
    next: String,
    error: Option<&str>,
) -> Response {
    let existing = guard::login_csrf_secret(headers)
        .filter(|s| s.len() >= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    let secret = existing.unwrap_or_else(tokens::generate_session_secret);
    let page = LoginPage {
        username,
        next,
        csrf: guard::csrf_token(&secret),
        error: error.map(str::to_string),
        no_user: false,
    };
    let mut out = views::render(status, &page);
    set_cookie(
        &mut out,
        &guard::login_csrf_cookie(&secret, LOGIN_CSRF_MAX_AGE, state.secure_cookies),
    );
    out
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
    /// The inbox page to return to after marking one read.
    cursor: Option<String>,
}

async fn logout(
    State(state): State<SharedState>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    if !guard::same_origin(&headers) {
        return views::forbidden();
    }
    let Some(secret) = guard::session_secret(&headers) else {
        // Nothing to end.
        return see_other("/login");
    };
    let Ok(Form(form)) = form else {
        return views::bad_request();
    };
    if !guard::csrf_ok(&secret, &form.csrf) {
        return views::forbidden();
    }
    if let Err(e) = accounts::logout(&state.store, Some(&secret)).await {
        return failure(&e);
    }
    let mut out = see_other("/login");
    set_cookie(&mut out, &session_set_cookie("", 0, state.secure_cookies));
    out
}

// ---------------------------------------------------------------------------------------------
// The inbox
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct InboxQuery {
    cursor: Option<String>,
}

async fn inbox(
    State(state): State<SharedState>,
    headers: HeaderMap,
    query: Result<Query<InboxQuery>, QueryRejection>,
) -> Response {
    let (principal, secret) = match signed_in(&state, &headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return to_login(&state, &headers),
        Err(e) => return failure(&e),
    };
    let Ok(Query(query)) = query else {
        return views::bad_request();
    };
    let cursor = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match Uuid::parse_str(c) {
            Ok(id) => Some(id),
            Err(_) => return views::bad_request(),
        },
    };
    let page =
        match notifications::list_notifications(&state.store, &principal, false, cursor, PAGE_SIZE).await {
            Ok(page) => page,
            Err(e) => return failure(&e),
        };
    let mut view = NotificationsPage {
        username: principal.username.clone(),
        csrf: guard::csrf_token(&secret),
        items: page.items.iter().map(NotificationView::from).collect(),
        cursor: cursor.map(|c| c.to_string()),
        older_cursor: page.next_cursor.map(|c| c.to_string()),
        etag: String::new(),
    };
    view.etag = view.fingerprint();
    let Ok(etag) = HeaderValue::from_str(&view.etag) else {
        return views::render(StatusCode::OK, &view);
    };
    // What the inbox script polls with: nothing new is a bodiless 304.
    let mut out = if crate::web::docs::not_modified(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        views::render(StatusCode::OK, &view)
    };
    out.headers_mut().insert(header::ETAG, etag);
    out
}

async fn mark_all_read(
    State(state): State<SharedState>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let principal = match checked_post(&state, &headers, form.as_ref().ok()).await {
        Ok(p) => p,
        Err(out) => return out,
    };
    match notifications::mark_all_notifications_read(&state.store, &principal).await {
        Ok(_) => see_other("/notifications"),
        Err(e) => failure(&e),
    }
}

async fn mark_read(
    State(state): State<SharedState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let principal = match checked_post(&state, &headers, form.as_ref().ok()).await {
        Ok(p) => p,
        Err(out) => return out,
    };
    let Some(id) = id.ok().and_then(|Path(id)| Uuid::parse_str(&id).ok()) else {
        return views::not_found();
    };
    let back = match form
        .ok()
        .and_then(|Form(f)| f.cursor)
        .and_then(|c| Uuid::parse_str(&c).ok())
    {
        Some(cursor) => format!("/notifications?cursor={cursor}"),
        None => "/notifications".to_string(),
    };
    match notifications::mark_notification_read(&state.store, &principal, id).await {
        Ok(_) => see_other(&back),
        Err(e) if e.is(&errors::NOTIFICATION_NOT_FOUND) => views::not_found(),
        Err(e) => failure(&e),
    }
}

/// The checks every inbox POST passes, in this order: from this site, signed in, and the
/// form's token matches the session.
async fn checked_post(
    state: &SharedState,
    headers: &HeaderMap,
    form: Option<&Form<CsrfForm>>,
) -> Result<Principal, Response> {
    if !guard::same_origin(headers) {
        return Err(views::forbidden());
    }
    let (principal, secret) = match signed_in(state, headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return Err(to_login(state, headers)),
        Err(e) => return Err(failure(&e)),
    };
    let Some(Form(form)) = form else {
        return Err(views::bad_request());
    };
    if !guard::csrf_ok(&secret, &form.csrf) {
        return Err(views::forbidden());
    }
    Ok(principal)
}

// ---------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------

/// The signed-in person and their cookie secret; `None` when there is no session, or it
/// ended or expired. `Err` only when the store failed.
async fn signed_in(state: &SharedState, headers: &HeaderMap) -> Result<Option<(Principal, String)>, Error> {
    let Some(secret) = guard::session_secret(headers) else {
        return Ok(None);
    };
    match auth::session(&state.store, &secret).await {
        Ok(principal) => Ok(Some((principal, secret))),
        Err(e) if e.is(&errors::AUTH_REQUIRED) || e.is(&errors::SESSION_EXPIRED) => Ok(None),
        Err(e) => Err(e),
    }
}

/// To the sign-in form, dropping a stale session cookie on the way.
fn to_login(state: &SharedState, headers: &HeaderMap) -> Response {
    let mut out = see_other(LOGIN_FOR_INBOX);
    if guard::session_secret(headers).is_some() {
        set_cookie(&mut out, &session_set_cookie("", 0, state.secure_cookies));
    }
    out
}

/// A failure of the store (already logged where it happened) as a page with its status.
fn failure(e: &Error) -> Response {
    let status = StatusCode::from_u16(e.kind.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    views::failed(status)
}

/// `303 See Other` to `location`, a path checked by [`links::is_local_path`] or a constant.
fn see_other(location: &str) -> Response {
    let location =
        HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static(links::DEFAULT_NEXT));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

fn set_cookie(out: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        out.headers_mut().append(header::SET_COOKIE, v);
    }
}
