//! Notifications: anyone with `ui.notify` puts one in their user's inbox; the server, not the
//! caller, says who sent it.

use uuid::Uuid;

use crate::domain::pagination::{self, Page};
use crate::domain::principal::Principal;
use crate::errors::{self, Error, Result};
use crate::store::{NewNotification, Notification, Store};

pub struct Notify {
    pub title: String,
    pub body: String,
    pub priority: String,
    pub app_origin: Option<String>,
    pub action_url: Option<String>,
}

pub async fn notify(store: &Store, caller: &Principal, n: Notify) -> Result<Notification> {
    Ok(store
        .create_notification(NewNotification {
            user_id: caller.user_id,
            title: n.title,
            message: n.body,
            level: n.priority,
            source: caller.source(),
            app_origin: n.app_origin.filter(|s| !s.trim().is_empty()),
            action_url: n.action_url,
        })
        .await?)
}

pub async fn list(
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

pub async fn mark_read(store: &Store, caller: &Principal, id: Uuid) -> Result<u64> {
    store
        .mark_notification_read(caller.user_id, id)
        .await?
        .ok_or_else(|| {
            Error::new(
                &errors::NOTIFICATION_NOT_FOUND,
                format!("No notification with id {id} exists."),
            )
        })
}

pub async fn mark_all_read(store: &Store, caller: &Principal) -> Result<u64> {
    Ok(store.mark_all_notifications_read(caller.user_id).await?)
}
