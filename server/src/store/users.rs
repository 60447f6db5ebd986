//! The `users` operations (admins managing people) and the user lookups the other areas need.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{agents, api_tokens, sessions, users};
use super::{Error, NewUser, Result, Store, User, now, write_txn};

pub(super) fn new_user_model(new: &NewUser, at: DateTime<Utc>) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(new.username.clone()),
        password_hash: Set(new.password_hash.clone()),
        full_name: Set(new.full_name.clone()),
        email: Set(new.email.clone()),
        admin: Set(new.admin),
        created_at: Set(at),
        deleted_at: Set(None),
    }
}

async fn live_user_by_name<C: ConnectionTrait>(
    conn: &C,
    username: &str,
) -> std::result::Result<Option<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::Username.eq(username))
        .filter(users::Column::DeletedAt.is_null())
        .one(conn)
        .await
}

/// A live user, read at the start of a transaction that writes something of theirs (an agent,
/// a token, a session) and must not interleave with other such writes for the user (choosing
/// a slug). On PostgreSQL it also locks the row, so the write and a concurrent
/// [`Store::delete_user`] take turns: whichever is second sees the other's work (SQLite's
/// `BEGIN IMMEDIATE` already serialises them). `FOR NO KEY UPDATE` does not block the
/// key-share locks that foreign-key inserts for this user take. `UserGone` when the user is
/// not live.
pub(super) async fn live_user_for_update<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    postgres: bool,
) -> Result<users::Model> {
    live_user_locked(conn, user_id, postgres.then_some(LockType::NoKeyUpdate)).await
}

/// The check every other write acting for a user makes first, in its transaction (a
/// notification, a read mark, an agent's settings or token, a personal token's revocation):
/// the user is live, and stays so until the write commits. On PostgreSQL `FOR SHARE`
/// conflicts with the row lock [`Store::delete_user`]'s update of `deleted_at` takes (so the
/// two take turns, as above), but not with itself: writes of one user still run side by side.
/// (`FOR KEY SHARE` would not do: a non-key update does not wait for it.) `UserGone` when the
/// user is not live.
pub(super) async fn live_user<C: ConnectionTrait>(conn: &C, user_id: Uuid, postgres: bool) -> Result<()> {
    live_user_locked(conn, user_id, postgres.then_some(LockType::Share)).await?;
    Ok(())
}

async fn live_user_locked<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    lock: Option<LockType>,
) -> Result<users::Model> {
    let mut q = users::Entity::find_by_id(user_id).filter(users::Column::DeletedAt.is_null());
    if let Some(lock) = lock {
        q = q.lock(lock);
    }
    q.one(conn).await?.ok_or(Error::UserGone)
}

impl Store {
    /// Live users.
    pub async fn count_users(&self) -> Result<u64> {
        Ok(users::Entity::find()
            .filter(users::Column::DeletedAt.is_null())
            .count(&self.db)
            .await?)
    }

    /// `Conflict` when a live user already has this username.
    pub async fn create_user(&self, new: NewUser) -> Result<User> {
        write_txn!(self, |txn| {
            if live_user_by_name(&txn, &new.username).await?.is_some() {
                return Err(Error::Conflict);
            }
            Ok(User::from(new_user_model(&new, now()).insert(&txn).await?))
        })
    }

    /// A live user by username.
    pub async fn find_user_by_username(&self, username: &str) -> Result<User> {
        live_user_by_name(&self.db, username)
            .await?
            .map(User::from)
            .ok_or(Error::NotFound)
    }

    /// A live user by id.
    pub async fn find_user(&self, id: Uuid) -> Result<User> {
        users::Entity::find_by_id(id)
            .filter(users::Column::DeletedAt.is_null())
            .one(&self.db)
            .await?
            .map(User::from)
            .ok_or(Error::NotFound)
    }

    /// Live users, by id ascending, after the cursor.
    pub async fn list_users(&self, after: Option<Uuid>, limit: u64) -> Result<Vec<User>> {
        let mut q = users::Entity::find().filter(users::Column::DeletedAt.is_null());
        if let Some(after) = after {
            q = q.filter(users::Column::Id.gt(after));
        }
        Ok(q.order_by_asc(users::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(User::from)
            .collect())
    }

    /// Soft-deletes a user and, in the same transaction, cuts off everything acting for them:
    /// live agents archived, tokens revoked, sessions deleted. `NotFound` when no such live
    /// user. Every write acting for the user checks, in its own transaction, that the user is
    /// live (`live_user`, `live_user_for_update`): one that began first commits before this
    /// update of `deleted_at` proceeds, and what it made is cut off below; one that began
    /// after finds the user gone and writes nothing. The agents are archived before the tokens are revoked: on PostgreSQL that
    /// statement waits for a token issue holding an agent's row, so the revoke that follows
    /// sees the token it issued.
    pub async fn delete_user(&self, id: Uuid) -> Result<()> {
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            // Waits for the user's writes under way (they hold the row in share), so that
            // `deleted_at` is later than anything they committed.
            match live_user_for_update(&txn, id, postgres).await {
                Err(Error::UserGone) => return Err(Error::NotFound),
                other => other?,
            };
            let at = now();
            let done = users::Entity::update_many()
                .col_expr(users::Column::DeletedAt, Expr::value(at))
                .filter(users::Column::Id.eq(id))
                .filter(users::Column::DeletedAt.is_null())
                .exec(&txn)
                .await?;
            if done.rows_affected == 0 {
                return Err(Error::NotFound);
            }
            agents::Entity::update_many()
                .col_expr(agents::Column::ArchivedAt, Expr::value(at))
                .col_expr(agents::Column::UpdatedAt, Expr::value(at))
                .filter(agents::Column::UserId.eq(id))
                .filter(agents::Column::ArchivedAt.is_null())
                .exec(&txn)
                .await?;
            api_tokens::Entity::update_many()
                .col_expr(api_tokens::Column::RevokedAt, Expr::value(at))
                .filter(api_tokens::Column::UserId.eq(id))
                .filter(api_tokens::Column::RevokedAt.is_null())
                .exec(&txn)
                .await?;
            sessions::Entity::delete_many()
                .filter(sessions::Column::UserId.eq(id))
                .exec(&txn)
                .await?;
            Ok(())
        })
    }
}
