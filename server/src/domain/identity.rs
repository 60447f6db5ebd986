//! The `identity` operations that reach the store: a person's own user tokens. (`whoami`
//! answers from the caller alone, in `api/`.)

use uuid::Uuid;

use crate::domain::pagination::{self, Page};
use crate::domain::principal::Principal;
use crate::domain::store_errors::{not_found, user_gone};
use crate::errors::{self, Error, Result};
use crate::store::{Store, Token};

fn user_token_not_found(id: Uuid) -> Error {
    Error::new(
        &errors::USER_TOKEN_NOT_FOUND,
        format!("You have no active personal token with id {id}."),
    )
}

pub async fn list_user_tokens(
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

pub async fn revoke_user_token(store: &Store, caller: &Principal, id: Uuid) -> Result<()> {
    caller.require_person()?;
    store
        .revoke_user_token(caller.user_id, id)
        .await
        .map_err(user_gone(
            || caller.removed(),
            not_found(|| user_token_not_found(id)),
        ))
}
