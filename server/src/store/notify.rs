//! The `notify` operation: a notification put in a user's inbox.

use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::entities::notifications;
use super::users::live_user;
use super::{NewNotification, Notification, Result, Store, now, write_txn};

impl Store {
    /// Puts a notification in a live user's inbox; `UserGone` when the user was removed (no
    /// notification of a removed user is committed after the removal).
    pub async fn notify_user(&self, new: NewNotification) -> Result<Notification> {
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            live_user(&txn, new.user_id, postgres).await?;
            Ok(notifications::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(new.user_id),
                title: Set(new.title.clone()),
                message: Set(new.message.clone()),
                level: Set(new.level.clone()),
                source: Set(new.source.clone()),
                app_origin: Set(new.app_origin.clone()),
                action_url: Set(new.action_url.clone()),
                read: Set(false),
                created_at: Set(now()),
            }
            .insert(&txn)
            .await?
            .into())
        })
    }
}
