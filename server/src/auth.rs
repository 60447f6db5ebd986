//! Authentication and authorization of every operation, from the request's headers: the
//! `Authorization: Bearer` token (agents, people's user tokens) or the `taos_session`
//! cookie (browsers), then the operation's scope from the contract.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Method, header};
use taos_api::operations::Operation;

use crate::domain::principal::Principal;
use crate::domain::{auth, scopes};
use crate::errors::{self, Error, Result};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "taos_session";

/// The credentials a request carries, as read from its headers (no database work yet).
#[derive(Default)]
pub struct Credentials {
    /// The `Authorization` header as sent; checked for `Bearer <token>` when resolved.
    /// (A value that is not visible ASCII is kept as empty, which no token matches.)
    authorization: Option<String>,
    /// The `taos_session` cookie's secret.
    pub session: Option<String>,
}

impl Credentials {
    pub fn from_parts(parts: &Parts) -> Credentials {
        Credentials {
            authorization: parts
                .headers
                .get(header::AUTHORIZATION)
                .map(|v| v.to_str().unwrap_or_default().to_string()),
            session: cookie(&parts.headers, SESSION_COOKIE),
        }
    }

    /// Whether an `Authorization` header was sent (valid or not).
    pub fn has_authorization(&self) -> bool {
        self.authorization.is_some()
    }

    /// Who these credentials belong to; a bearer token wins over a cookie.
    pub async fn resolve(&self, state: &AppState) -> Result<Option<Principal>> {
        if let Some(header) = &self.authorization {
            let token = bearer_token(header).ok_or_else(|| {
                Error::new(
                    &errors::INVALID_TOKEN,
                    "The Authorization header must be `Bearer <token>`.",
                )
            })?;
            let (principal, touch) = auth::bearer(&state.store, token).await?;
            if let Some(id) = touch {
                state.toucher.touch(id);
            }
            return Ok(Some(principal));
        }
        match &self.session {
            Some(secret) => auth::session(&state.store, secret).await.map(Some),
            None => Ok(None),
        }
    }
}

/// The caller of a request whose bearer token was already resolved, by the same server a
/// moment before (the `/mcp` guard, for the tool calls the request carries). Only code of
/// this crate puts it into a request's extensions; no header can.
#[derive(Clone)]
pub struct Authenticated(pub Principal);

/// What each operation is handed: the caller, for operations that need one, and the
/// credentials as sent (public operations look at them only if they care, like `/auth/status`).
pub struct Ctx {
    pub principal: Option<Principal>,
    pub credentials: Credentials,
    /// The peer's address, when the server was started with it (sign-in limits use it).
    pub client: Option<IpAddr>,
}

impl Ctx {
    /// The caller of an operation that requires one (`authorize` already refused anonymous
    /// callers, so this only fails if the contract marks an operation public by mistake).
    pub fn caller(&self) -> Result<&Principal> {
        self.principal
            .as_ref()
            .ok_or_else(|| Error::new(&errors::AUTH_REQUIRED, "This operation needs credentials."))
    }

    /// The caller of a public operation, if its credentials are valid; anonymous otherwise.
    pub async fn optional_caller(&self, state: &AppState) -> Option<Principal> {
        match &self.principal {
            Some(p) => Some(p.clone()),
            None => self.credentials.resolve(state).await.ok().flatten(),
        }
    }
}

/// Whether an unsafe request may have come from this site's own pages (the `/login` and inbox
/// forms, and the JSON API when signed in with the cookie). Browsers send `Sec-Fetch-Site`
/// on form posts, and a sibling subdomain (`same-site`) is no more trusted than any other site.
/// `Origin`, when it names an origin, must be this one; it is `null` on our own posts because
/// the pages say `Referrer-Policy: no-referrer`, so `null` tells nothing. A request with neither
/// (an old browser, a script) still needs the CSRF token.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.to_str(), Ok("same-origin" | "none"))
    {
        return false;
    }
    let origin = match headers.get(header::ORIGIN).map(|o| o.to_str()) {
        None | Some(Ok("null")) => return true,
        Some(Ok(origin)) => origin,
        Some(Err(_)) => return false,
    };
    let Some(Ok(host)) = headers.get(header::HOST).map(|h| h.to_str()) else {
        return false;
    };
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

/// The token of an `Authorization: Bearer <token>` value (the keyword in any case).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The value of cookie `name` in the request, if set and not empty.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for the session: one definition for `POST /auth/login` and the `/login` page,
/// so a browser signed in either way holds one and the same cookie. An empty `value` with
/// `max_age` 0 ends it.
pub fn session_set_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// The address of the peer that sent the request, if the connection recorded one
/// (`ConnectInfo<SocketAddr>`).
pub fn client_address(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// A browser sends the session cookie with a request another site started, as long as that
/// site is the same *site* (another port, a sibling subdomain): a request signed in with the
/// cookie that changes something must come from our own origin. A bearer token is sent only
/// by whoever holds it, so bearer requests are not checked.
fn check_cookie_origin(credentials: &Credentials, parts: &Parts) -> Result<()> {
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || credentials.authorization.is_some() || credentials.session.is_none() {
        return Ok(());
    }
    if same_origin(&parts.headers) {
        return Ok(());
    }
    Err(Error::new(
        &errors::CROSS_ORIGIN_REQUEST,
        format!(
            "A {} signed in with the session cookie came from another origin.",
            parts.method
        ),
    ))
}

/// Runs before every operation: who is calling, and may they do this? Public operations do
/// no database work here.
pub async fn authorize(state: &AppState, op: &'static Operation, parts: &Parts) -> Result<Ctx> {
    let credentials = Credentials::from_parts(parts);
    check_cookie_origin(&credentials, parts)?;
    let client = client_address(&parts.extensions);
    if op.public {
        return Ok(Ctx {
            principal: None,
            credentials,
            client,
        });
    }
    let resolved = match parts.extensions.get::<Authenticated>() {
        Some(Authenticated(p)) => Some(p.clone()),
        None => credentials.resolve(state).await?,
    };
    let Some(principal) = resolved else {
        return Err(Error::new(
            &errors::AUTH_REQUIRED,
            "This operation needs credentials; none were sent.",
        ));
    };
    if let Some(required) = op.scope
        && !scopes::allows(&principal.scope, required)
    {
        return Err(Error::new(
            &errors::SCOPE_DENIED,
            format!("Your scope {:?} does not cover '{required}'.", principal.scope),
        )
        .with("required_scope", required));
    }
    Ok(Ctx {
        principal: Some(principal),
        credentials,
        client,
    })
}

#[cfg(test)]
mod tests {
    use super::{bearer_token, same_origin};
    use crate::test_support::headers;

    #[test]
    fn cross_site_posts_are_refused() {
        let host = ("host", "127.0.0.1:8080");
        assert!(same_origin(&headers(&[host])));
        assert!(same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        // What Chromium sends from a page with `Referrer-Policy: no-referrer`.
        let own_post = [host, ("origin", "null"), ("sec-fetch-site", "same-origin")];
        assert!(same_origin(&headers(&own_post)));
        let framed = [host, ("origin", "null"), ("sec-fetch-site", "cross-site")];
        assert!(!same_origin(&headers(&framed)));
        let both = [
            host,
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "same-origin"),
        ];
        assert!(!same_origin(&headers(&both)));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8081")
        ])));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "same-site")])));
        assert!(!same_origin(&headers(&[("origin", "http://127.0.0.1:8080")])));
    }

    #[test]
    fn bearer_keyword_in_any_case() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bEaReR  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token(""), None);
    }
}
