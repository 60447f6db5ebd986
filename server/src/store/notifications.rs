//! Notifications sent to a user (by their agents or the system).

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use uuid::Uuid;

use super::entities::notifications;
use super::{NewNotification, Notification, Store, now};

impl Store {
    pub async fn create_notification(&self, new: NewNotification) -> Result<Notification, DbErr> {
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

    /// The user's notifications, newest first (id descending), before the cursor.
    pub async fn list_notifications(
        &self,
        user_id: Uuid,
        unread_only: bool,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Notification>, DbErr> {
        let mut q = notifications::Entity::find().filter(notifications::Column::UserId.eq(user_id));
        if unread_only {
            q = q.filter(notifications::Column::Read.eq(false));
        }
        if let Some(after) = after {
            q = q.filter(notifications::Column::Id.lt(after));
        }
        Ok(q.order_by_desc(notifications::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Notification::from)
            .collect())
    }

    /// None when the user has no such notification; Some(1) if this call marked it read,
    /// Some(0) if it already was.
    pub async fn mark_notification_read(&self, user_id: Uuid, id: Uuid) -> Result<Option<u64>, DbErr> {
        let done = notifications::Entity::update_many()
            .col_expr(notifications::Column::Read, Expr::value(true))
            .filter(notifications::Column::Id.eq(id))
            .filter(notifications::Column::UserId.eq(user_id))
            .filter(notifications::Column::Read.eq(false))
            .exec(&self.db)
            .await?;
        if done.rows_affected > 0 {
            return Ok(Some(done.rows_affected));
        }
        let exists = notifications::Entity::find_by_id(id)
            .filter(notifications::Column::UserId.eq(user_id))
            .count(&self.db)
            .await?
            > 0;
        Ok(exists.then_some(0))
    }

    /// Marks all the user's unread notifications read; returns how many changed.
    pub async fn mark_all_notifications_read(&self, user_id: Uuid) -> Result<u64, DbErr> {
        Ok(notifications::Entity::update_many()
            .col_expr(notifications::Column::Read, Expr::value(true))
            .filter(notifications::Column::UserId.eq(user_id))
            .filter(notifications::Column::Read.eq(false))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
