//! The `notify` operation: a notification put in a user's inbox.

use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::entities::notifications;
use super::{NewNotification, Notification, Result, Store, now};

impl Store {
    pub async fn notify_user(&self, new: NewNotification) -> Result<Notification> {
        Ok(notifications::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(new.user_id),
            title: Set(new.title),
            message: Set(new.message),
            level: Set(new.level),
            source: Set(new.source),
            app_origin: Set(new.app_origin),
            action_url: Set(new.action_url),
            read: Set(false),
            created_at: Set(now()),
        }
        .insert(&self.db)
        .await?
        .into())
    }
}
