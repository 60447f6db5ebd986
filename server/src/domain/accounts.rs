//! People: first-run setup, sign-in, sessions, personal tokens, and admins managing users.

use chrono::{Duration, Utc};
use uuid::Uuid;

use crate::domain::pagination::{self, Page};
use crate::domain::principal::Principal;
use crate::domain::{passwords, tokens};
use crate::errors::{self, Error, Result};
use crate::store::{NewUser, NewUserToken, Session, Store, Token, User};

/// How long a browser session lasts.
pub const SESSION_TTL: Duration = Duration::days(7);

pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub admin: bool,
}

/// Password hashing is deliberately slow: keep it off the async workers.
async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .map_err(|e| Error::internal("password hashing task", e))
}

fn expiry(days: Option<i64>) -> Option<chrono::DateTime<Utc>> {
    days.map(|d| Utc::now() + Duration::days(d))
}

async fn new_user(account: NewAccount) -> Result<NewUser> {
    Ok(NewUser {
        username: account.username,
        password_hash: hash_password(account.password).await?,
        full_name: account.full_name.filter(|s| !s.trim().is_empty()),
        email: account.email.filter(|s| !s.trim().is_empty()),
        admin: account.admin,
    })
}

/// First run: the first user (an admin) and a personal token for them.
pub async fn setup(store: &Store, account: NewAccount) -> Result<(User, String)> {
    if store.count_users().await? > 0 {
        return Err(already_configured());
    }
    let mut new = new_user(account).await?;
    new.admin = true;
    let secret = tokens::generate(tokens::TokenKind::User);
    let token = NewUserToken {
        user_id: Uuid::nil(),
        label: Some("setup".into()),
        token_hash: tokens::hash(&secret),
        scope: vec!["*".into()],
        expires_at: None,
    };
    match store.create_first_user(new, token).await? {
        Some((user, _)) => Ok((user, secret)),
        None => Err(already_configured()),
    }
}

fn already_configured() -> Error {
    Error::new(
        &errors::ALREADY_CONFIGURED,
        "taOS is already set up: the first user exists.",
    )
}

/// Checks a username and password; a wrong username and a wrong password look the same,
/// in the answer and in the time taken.
pub async fn check_password(store: &Store, username: &str, password: &str) -> Result<User> {
    let user = store.find_user_by_username(username).await?;
    let password = password.to_owned();
    let verified = match user {
        Some(user) => {
            let hash = user.password_hash.clone();
            let ok = tokio::task::spawn_blocking(move || passwords::verify(&password, &hash))
                .await
                .map_err(|e| Error::internal("password check task", e))?;
            ok.then_some(user)
        }
        None => {
            tokio::task::spawn_blocking(move || passwords::verify_dummy(&password))
                .await
                .map_err(|e| Error::internal("password check task", e))?;
            None
        }
    };
    verified.ok_or_else(|| Error::new(&errors::INVALID_CREDENTIALS, "The username or password is wrong."))
}

/// Signs in: a new session; returns the user and the cookie secret.
pub async fn login(store: &Store, username: &str, password: &str) -> Result<(User, String, Session)> {
    let user = check_password(store, username, password).await?;
    let secret = tokens::generate_session_secret();
    let session = store
        .create_session(user.id, &tokens::hash(&secret), Utc::now() + SESSION_TTL)
        .await?;
    Ok((user, secret, session))
}

pub async fn logout(store: &Store, session_secret: Option<&str>) -> Result<()> {
    if let Some(secret) = session_secret {
        store.delete_session(&tokens::hash(secret)).await?;
    }
    Ok(())
}

pub struct NewPersonalToken {
    pub label: String,
    pub scope: Option<Vec<String>>,
    pub expires_in_days: Option<i64>,
}

/// A personal user token, for a person who proved who they are with their password.
pub async fn create_personal_token(
    store: &Store,
    user: &User,
    req: NewPersonalToken,
) -> Result<(Token, String)> {
    let secret = tokens::generate(tokens::TokenKind::User);
    let token = store
        .create_user_token(NewUserToken {
            user_id: user.id,
            label: Some(req.label),
            token_hash: tokens::hash(&secret),
            scope: req.scope.unwrap_or_else(|| vec!["*".into()]),
            expires_at: expiry(req.expires_in_days),
        })
        .await?;
    Ok((token, secret))
}

pub async fn list_personal_tokens(
    store: &Store,
    caller: &Principal,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<Token>> {
    caller.require_person()?;
    let rows = store
        .list_user_tokens(caller.user_id, after, pagination::fetch_size(limit))
        .await?;
    Ok(pagination::page(rows, limit, |t| t.id))
}

pub async fn revoke_personal_token(store: &Store, caller: &Principal, id: Uuid) -> Result<()> {
    caller.require_person()?;
    if store.revoke_user_token(caller.user_id, id).await? {
        Ok(())
    } else {
        Err(Error::new(
            &errors::USER_TOKEN_NOT_FOUND,
            format!("You have no active personal token with id {id}."),
        ))
    }
}

pub async fn create_user(store: &Store, caller: &Principal, account: NewAccount) -> Result<User> {
    caller.require_admin()?;
    let username = account.username.clone();
    match store.create_user(new_user(account).await?).await? {
        Ok(user) => Ok(user),
        Err(_) => Err(Error::new(
            &errors::USERNAME_TAKEN,
            format!("The username '{username}' is taken."),
        )),
    }
}

pub async fn list_users(
    store: &Store,
    caller: &Principal,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<User>> {
    caller.require_admin()?;
    let rows = store.list_users(after, pagination::fetch_size(limit)).await?;
    Ok(pagination::page(rows, limit, |u| u.id))
}

pub async fn delete_user(store: &Store, caller: &Principal, id: Uuid) -> Result<()> {
    caller.require_admin()?;
    if id == caller.user_id {
        return Err(Error::new(
            &errors::CANNOT_DELETE_SELF,
            "You cannot remove your own account.",
        ));
    }
    if store.delete_user(id).await? {
        Ok(())
    } else {
        Err(Error::new(
            &errors::USER_NOT_FOUND,
            format!("No user with id {id} exists."),
        ))
    }
}
