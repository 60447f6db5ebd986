//! The `notifications` operations: a user's inbox, read and marked read. (Sending one is
//! `notify`.)

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::entities::notifications;
use super::users::live_user;
use super::{Error, Notification, Result, Store, write_txn};

impl Store {
    /// The user's notifications, newest first (id descending), before the cursor.
    pub async fn list_notifications(
        &self,
        user_id: Uuid,
        unread_only: bool,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Notification>> {
        match &self.reads {
            Some(reads) => Ok(reads.list_notifications(user_id, unread_only, after, limit)?),
            None => {
                self.list_notifications_orm(user_id, unread_only, after, limit)
                    .await
            }
        }
    }

    /// `list_notifications` through sea-orm: the PostgreSQL path, and the reference the inline
    /// SQLite read is tested against.
    pub(super) async fn list_notifications_orm(
        &self,
        user_id: Uuid,
        unread_only: bool,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Notification>> {
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

    /// 1 if this call marked it read, 0 if it already was; `NotFound` when the user has no
    /// such notification, `UserGone` when the user was removed.
    pub async fn mark_notification_read(&self, user_id: Uuid, id: Uuid) -> Result<u64> {
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            live_user(&txn, user_id, postgres).await?;
            let done = notifications::Entity::update_many()
                .col_expr(notifications::Column::Read, Expr::value(true))
                .filter(notifications::Column::Id.eq(id))
                .filter(notifications::Column::UserId.eq(user_id))
                .filter(notifications::Column::Read.eq(false))
                .exec(&txn)
                .await?;
            if done.rows_affected > 0 {
                return Ok(done.rows_affected);
            }
            let exists = notifications::Entity::find_by_id(id)
                .filter(notifications::Column::UserId.eq(user_id))
                .count(&txn)
                .await?
                > 0;
            if exists { Ok(0) } else { Err(Error::NotFound) }
        })
    }

    /// Marks all the user's unread notifications read; returns how many changed. `UserGone`
    /// when the user was removed.
    pub async fn mark_all_notifications_read(&self, user_id: Uuid) -> Result<u64> {
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            live_user(&txn, user_id, postgres).await?;
            Ok(notifications::Entity::update_many()
                .col_expr(notifications::Column::Read, Expr::value(true))
                .filter(notifications::Column::UserId.eq(user_id))
                .filter(notifications::Column::Read.eq(false))
                .exec(&txn)
                .await?
                .rows_affected)
        })
    }
}
