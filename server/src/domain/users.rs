//! The `users` operations: admins listing, adding and removing people. Also how a new
//! person's record is made, for first-run setup too.

use uuid::Uuid;

use crate::domain::pagination::{self, Page};
use crate::domain::passwords;
use crate::domain::principal::Principal;
use crate::domain::store_errors::{conflict, not_found};
use crate::errors::{self, Error, Result};
use crate::store::{NewUser, Store};

pub use crate::store::User;

/// A person to add: by `setupAccount` (the first admin) or `createUser`.
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

pub(super) async fn new_user(account: NewAccount) -> Result<NewUser> {
    Ok(NewUser {
        username: account.username,
        password_hash: hash_password(account.password).await?,
        full_name: account.full_name.filter(|s| !s.trim().is_empty()),
        email: account.email.filter(|s| !s.trim().is_empty()),
        admin: account.admin,
    })
}

fn username_taken(username: &str) -> Error {
    Error::new(
        &errors::USERNAME_TAKEN,
        format!("The username '{username}' is taken."),
    )
}

fn user_not_found(id: Uuid) -> Error {
    Error::new(&errors::USER_NOT_FOUND, format!("No user with id {id} exists."))
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

pub async fn create_user(store: &Store, caller: &Principal, account: NewAccount) -> Result<User> {
    caller.require_admin()?;
    let username = account.username.clone();
    store
        .create_user(new_user(account).await?)
        .await
        .map_err(conflict(|| username_taken(&username)))
}

/// Removes a person; the store cuts off everything acting for them in the same step.
pub async fn delete_user(store: &Store, caller: &Principal, id: Uuid) -> Result<()> {
    caller.require_admin()?;
    if id == caller.user_id {
        return Err(Error::new(
            &errors::CANNOT_DELETE_SELF,
            "You cannot remove your own account.",
        ));
    }
    store
        .delete_user(id)
        .await
        .map_err(not_found(|| user_not_found(id)))
}
