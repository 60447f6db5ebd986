//! The `notify` operation: anyone with `ui.notify` puts a notification in their user's inbox;
//! the server, not the caller, says who sent it.

use crate::domain::principal::Principal;
use crate::domain::store_errors::user_gone;
use crate::errors::{Error, Result};
use crate::store::{NewNotification, Notification, Store};

pub struct Notify {
    pub title: String,
    pub body: String,
    pub priority: String,
    pub app_origin: Option<String>,
    pub action_url: Option<String>,
}

/// A caller whose user was removed while this ran gets the answer its next request would
/// get, and nothing is delivered.
pub async fn notify_user(store: &Store, caller: &Principal, n: Notify) -> Result<Notification> {
    store
        .notify_user(NewNotification {
            user_id: caller.user_id,
            title: n.title,
            message: n.body,
            level: n.priority,
            source: caller.source(),
            app_origin: n.app_origin.filter(|s| !s.trim().is_empty()),
            action_url: n.action_url,
        })
        .await
        .map_err(user_gone(|| caller.removed(), Error::from))
}
