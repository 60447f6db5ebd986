//! Authentication and authorization of every operation, from the request's headers: the
//! `Authorization: Bearer` token (agents, people's personal tokens) or the `taos_session`
//! cookie (browsers), then the operation's scope from the contract.

use axum::http::header;
use axum::http::request::Parts;
use taos_api::operations::Operation;

use crate::domain::principal::Principal;
use crate::domain::{auth, scopes};
use crate::errors::{self, Error, Result};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "taos_session";

/// What each operation is handed: the caller, when there is one.
pub struct Ctx {
    pub principal: Option<Principal>,
    /// The session cookie's secret, for `logout`.
    pub session_secret: Option<String>,
}

impl Ctx {
    /// The caller of an operation that requires one (`authorize` already refused anonymous
    /// callers, so this only fails if the contract marks an operation public by mistake).
    pub fn caller(&self) -> Result<&Principal> {
        self.principal
            .as_ref()
            .ok_or_else(|| Error::new(&errors::AUTH_REQUIRED, "This operation needs credentials."))
    }
}

fn bearer_token(parts: &Parts) -> Option<Result<&str>> {
    let value = parts.headers.get(header::AUTHORIZATION)?;
    let malformed = || {
        Error::new(
            &errors::INVALID_TOKEN,
            "The Authorization header must be `Bearer <token>`.",
        )
    };
    let Ok(value) = value.to_str() else {
        return Some(Err(malformed()));
    };
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Some(Err(malformed()));
    }
    Some(Ok(token.trim()))
}

pub fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

async fn principal(state: &AppState, parts: &Parts) -> Result<Option<Principal>> {
    if let Some(token) = bearer_token(parts) {
        let (principal, touch) = auth::bearer(&state.store, token?).await?;
        if let Some(id) = touch {
            state.toucher.touch(id);
        }
        return Ok(Some(principal));
    }
    match session_cookie(parts) {
        Some(secret) => auth::session(&state.store, &secret).await.map(Some),
        None => Ok(None),
    }
}

/// Runs before every operation: who is calling, and may they do this?
pub async fn authorize(state: &AppState, op: &'static Operation, parts: &Parts) -> Result<Ctx> {
    let session_secret = session_cookie(parts);
    let found = principal(state, parts).await;
    if op.public {
        // Public operations work for anyone; bad credentials simply make an anonymous caller.
        return Ok(Ctx {
            principal: found.ok().flatten(),
            session_secret,
        });
    }
    let Some(principal) = found? else {
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
        session_secret,
    })
}
