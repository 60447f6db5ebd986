//! The `accounts` operations: first-run setup, signing in and out, the sign-in status, and a
//! user token for a person who proves who they are with their password.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::digest::sha256_hex;
use crate::domain::principal::Principal;
use crate::domain::store_errors::{conflict, optional, user_gone};
use crate::domain::users::{NewAccount, User, new_user};
use crate::domain::{login_limits, passwords, tokens};
use crate::errors::{self, Error, Result};
use crate::store::{NewUserToken, Store, Token};

pub use crate::store::Session;

/// How long a browser session lasts.
pub const SESSION_TTL: Duration = Duration::days(7);

fn already_configured() -> Error {
    Error::new(
        &errors::ALREADY_CONFIGURED,
        "taOS is already set up: the first user exists.",
    )
}

fn invalid_credentials() -> Error {
    Error::new(&errors::INVALID_CREDENTIALS, "The username or password is wrong.")
}

/// First run: the first user (an admin) and a user token for them.
pub async fn setup_account(store: &Store, account: NewAccount) -> Result<(User, String)> {
    if store.count_users().await? > 0 {
        return Err(already_configured());
    }
    let mut new = new_user(account).await?;
    new.admin = true;
    let secret = tokens::generate(tokens::TokenKind::User);
    let token = NewUserToken {
        user_id: Uuid::nil(),
        label: Some("setup".into()),
        token_hash: sha256_hex(&secret),
        scope: vec!["*".into()],
        expires_at: None,
    };
    let (user, _) = store
        .setup_account(new, token)
        .await
        .map_err(conflict(already_configured))?;
    Ok((user, secret))
}

/// Checks a username and password; a wrong username and a wrong password look the same,
/// in the answer and in the time taken. Guessing is slowed per username and per `client`
/// address ([`login_limits`]), and the hashing itself is bounded ([`passwords::check`]).
pub async fn check_password(
    store: &Store,
    username: &str,
    password: &str,
    client: Option<IpAddr>,
) -> Result<User> {
    let attempt = login_limits::limiter().begin(username, client)?;
    let checked = async {
        let user = optional(store.find_user_by_username(username).await)?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let ok = passwords::check(password.to_owned(), hash).await?;
        Ok::<_, Error>(user.filter(|_| ok))
    };
    match checked.await {
        Ok(Some(user)) => {
            attempt.succeeded();
            Ok(user)
        }
        // Charged: a wrong username or password.
        Ok(None) => Err(invalid_credentials()),
        Err(e) => {
            attempt.not_checked();
            Err(e)
        }
    }
}

/// Signs in: a new session; returns the user and the cookie secret. A person removed while
/// signing in gets the same answer as one who never existed.
pub async fn login(
    store: &Store,
    username: &str,
    password: &str,
    client: Option<IpAddr>,
) -> Result<(User, String, Session)> {
    let user = check_password(store, username, password, client).await?;
    let secret = tokens::generate_session_secret();
    let session = store
        .create_session(user.id, &sha256_hex(&secret), Utc::now() + SESSION_TTL)
        .await
        .map_err(user_gone(invalid_credentials, Error::from))?;
    Ok((user, secret, session))
}

pub async fn logout(store: &Store, session_secret: Option<&str>) -> Result<()> {
    if let Some(secret) = session_secret {
        store.delete_session(&sha256_hex(secret)).await?;
    }
    Ok(())
}

/// Whether taOS is set up, and who the caller is if their credentials are valid.
pub struct AuthStatus {
    pub configured: bool,
    pub user: Option<User>,
}

pub async fn get_auth_status(store: &Store, caller: Option<&Principal>) -> Result<AuthStatus> {
    let configured = store.count_users().await? > 0;
    let user = match caller {
        // Removed since the credentials were checked: not signed in any more.
        Some(p) => optional(store.find_user(p.user_id).await)?,
        None => None,
    };
    Ok(AuthStatus { configured, user })
}

/// What a person asks for in a new user token.
pub struct UserTokenSpec {
    pub label: String,
    pub scope: Option<Vec<String>>,
    pub expires_in_days: Option<i64>,
}

fn expiry(days: Option<i64>) -> Option<DateTime<Utc>> {
    days.map(|d| Utc::now() + Duration::days(d))
}

/// A user token, for a person who proved who they are with their password
/// ([`check_password`]). A person removed meanwhile gets the same answer as a wrong password.
pub async fn create_user_token(store: &Store, user: &User, req: UserTokenSpec) -> Result<(Token, String)> {
    let secret = tokens::generate(tokens::TokenKind::User);
    let token = store
        .create_user_token(NewUserToken {
            user_id: user.id,
            label: Some(req.label),
            token_hash: sha256_hex(&secret),
            scope: req.scope.unwrap_or_else(|| vec!["*".into()]),
            expires_at: expiry(req.expires_in_days),
        })
        .await
        .map_err(user_gone(invalid_credentials, Error::from))?;
    Ok((token, secret))
}
