//! Turning a presented credential into a [`Principal`]. The hot path of every authenticated
//! request: checksum (no database work for a mistyped token), SHA-256, one indexed lookup.

use chrono::{DateTime, Utc};

use crate::digest::sha256_hex;
use crate::domain::principal::{Kind, Principal};
use crate::domain::store_errors::not_found;
use crate::domain::tokens::{self, TokenKind};
use crate::errors::{self, Error, Result};
use crate::store::Store;

fn unknown_token() -> Error {
    Error::new(&errors::INVALID_TOKEN, "The bearer token is unknown or revoked.")
}

/// `last_used_at` is written at most this often per token.
pub const TOUCH_INTERVAL: chrono::Duration = chrono::Duration::seconds(60);

/// A bearer token's principal, and whether its `last_used_at` is due for a write.
pub async fn bearer(store: &Store, token: &str) -> Result<(Principal, Option<uuid::Uuid>)> {
    let Some(kind) = tokens::parse(token) else {
        return Err(Error::new(
            &errors::INVALID_TOKEN,
            "The bearer token is malformed (wrong prefix, length or checksum).",
        ));
    };
    let found = store
        .find_token(&sha256_hex(token))
        .await
        .map_err(not_found(unknown_token))?;
    let now = Utc::now();
    if found.token.revoked_at.is_some() || found.token.kind != kind {
        return Err(unknown_token());
    }
    if found.token.expires_at.is_some_and(|e| e <= now) {
        return Err(Error::new(
            &errors::TOKEN_EXPIRED,
            "The bearer token has expired.",
        ));
    }
    let agent = match (kind, &found.agent) {
        (TokenKind::Agent, Some(agent)) if agent.archived_at.is_none() => {
            Some((agent.id, agent.slug.clone()))
        }
        (TokenKind::Agent, _) => {
            return Err(Error::new(
                &errors::INVALID_TOKEN,
                "The bearer token's agent no longer exists.",
            ));
        }
        (TokenKind::User, _) => None,
    };
    let due = found.token.last_used_at.is_none_or(|t| now - t >= TOUCH_INTERVAL);
    let principal = Principal {
        user_id: found.user.id,
        username: found.user.username,
        admin: found.user.admin,
        kind: if agent.is_some() {
            Kind::AgentToken
        } else {
            Kind::UserToken
        },
        scope: found.token.scope,
        agent,
        credential_id: found.token.id,
        expires_at: found.token.expires_at,
    };
    Ok((principal, due.then_some(found.token.id)))
}

/// A session cookie's principal. People signed in through a browser hold their full scope.
pub async fn session(store: &Store, secret: &str) -> Result<Principal> {
    let invalid = || {
        Error::new(
            &errors::AUTH_REQUIRED,
            "The session cookie is not valid (signed out or replaced).",
        )
    };
    let (session, user) = store
        .find_session(&sha256_hex(secret))
        .await
        .map_err(not_found(invalid))?;
    let now: DateTime<Utc> = Utc::now();
    if session.expires_at <= now {
        return Err(Error::new(&errors::SESSION_EXPIRED, "The session has expired."));
    }
    Ok(Principal {
        user_id: user.id,
        username: user.username,
        admin: user.admin,
        kind: Kind::Session,
        scope: vec!["*".into()],
        agent: None,
        credential_id: session.id,
        expires_at: Some(session.expires_at),
    })
}
