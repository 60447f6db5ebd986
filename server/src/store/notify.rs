//! The `notify` operation: a notification put in a user's inbox. Concurrent notifies are
//! committed together, one transaction per batch (`notify_writer`).

use std::collections::HashSet;

use sea_orm::{EntityTrait, Set};
use uuid::Uuid;

use super::entities::notifications;
use super::users::live_user;
use super::{Error, NewNotification, Notification, Result, Store, now, write_txn};

impl Store {
    /// Puts a notification in a live user's inbox, answering once the transaction that holds
    /// it has committed; `UserGone` when the user was removed (no notification of a removed
    /// user is committed after the removal).
    pub async fn notify_user(&self, new: NewNotification) -> Result<Notification> {
        let row = Notification {
            id: Uuid::now_v7(),
            user_id: new.user_id,
            title: new.title,
            message: new.message,
            level: new.level,
            source: new.source,
            app_origin: new.app_origin,
            action_url: new.action_url,
            read: false,
            created_at: now(),
        };
        self.notify.get(self).write(row).await
    }

    /// Commits `rows` in one transaction: first each user's row is checked live, the check
    /// every write acting for a user makes (on PostgreSQL it holds the row in share until the
    /// commit, so a removal waits for this batch or this batch for it); then the rows of live
    /// users are inserted. Returns the users found removed, whose rows were not written.
    pub(super) async fn insert_notifications(&self, rows: &[Notification]) -> Result<HashSet<Uuid>> {
        let postgres = !self.is_sqlite();
        let mut users: Vec<Uuid> = rows.iter().map(|n| n.user_id).collect();
        users.sort_unstable();
        users.dedup();
        write_txn!(self, |txn| {
            let mut gone = HashSet::new();
            for user in &users {
                match live_user(&txn, *user, postgres).await {
                    Ok(()) => {}
                    Err(Error::UserGone) => {
                        gone.insert(*user);
                    }
                    Err(e) => return Err(e),
                }
            }
            let live: Vec<notifications::ActiveModel> = rows
                .iter()
                .filter(|n| !gone.contains(&n.user_id))
                .map(active_model)
                .collect();
            if !live.is_empty() {
                notifications::Entity::insert_many(live)
                    .exec_without_returning(&txn)
                    .await?;
            }
            Ok(gone)
        })
    }

    /// A handle on this store's database with no notification writer of its own: what the
    /// writer task holds, so that it ends when the last `Store` is dropped.
    pub(super) fn without_writer(&self) -> Store {
        Store {
            db: self.db.clone(),
            reads: None,
            notify: Default::default(),
            checkpoints: None,
        }
    }
}

fn active_model(n: &Notification) -> notifications::ActiveModel {
    notifications::ActiveModel {
        id: Set(n.id),
        user_id: Set(n.user_id),
        title: Set(n.title.clone()),
        message: Set(n.message.clone()),
        level: Set(n.level.clone()),
        source: Set(n.source.clone()),
        app_origin: Set(n.app_origin.clone()),
        action_url: Set(n.action_url.clone()),
        read: Set(n.read),
        created_at: Set(n.created_at),
    }
}
