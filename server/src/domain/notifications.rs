//! The `notifications` operations: a user's inbox, newest first, and its read marks.

use uuid::Uuid;

use crate::domain::pagination::{self, Page};
use crate::domain::principal::Principal;
use crate::domain::store_errors::{not_found, user_gone};
use crate::errors::{self, Error, Result};
use crate::store::Store;

pub use crate::store::Notification;

fn notification_not_found(id: Uuid) -> Error {
    Error::new(
        &errors::NOTIFICATION_NOT_FOUND,
        format!("No notification with id {id} exists."),
    )
}

pub async fn list_notifications(
    store: &Store,
    caller: &Principal,
    unread_only: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<Notification>> {
    let rows = store
        .list_notifications(caller.user_id, unread_only, after, pagination::fetch_size(limit))
        .await?;
    Ok(pagination::page(rows, limit, |n| n.id))
}

/// 1 if this call marked it read, 0 if it already was.
pub async fn mark_notification_read(store: &Store, caller: &Principal, id: Uuid) -> Result<u64> {
    store
        .mark_notification_read(caller.user_id, id)
        .await
        .map_err(user_gone(
            || caller.removed(),
            not_found(|| notification_not_found(id)),
        ))
}

/// How many of the user's notifications this call marked read.
pub async fn mark_all_notifications_read(store: &Store, caller: &Principal) -> Result<u64> {
    store
        .mark_all_notifications_read(caller.user_id)
        .await
        .map_err(user_gone(|| caller.removed(), Error::from))
}
