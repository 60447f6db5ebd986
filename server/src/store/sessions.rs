//! Browser sessions: made by signing in, looked up on every cookie request, ended by signing
//! out or by expiry.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::entities::{sessions, users};
use super::users::live_user_for_update;
use super::{Error, Result, Session, Store, User, now, write_txn};

impl Store {
    /// A session for a live user; `NotFound` when the user is gone (removed while they signed
    /// in: the cookie would be dead on arrival).
    pub async fn create_session(
        &self,
        user_id: Uuid,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Session> {
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            live_user_for_update(&txn, user_id, postgres).await?;
            Ok(sessions::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user_id),
                token_hash: Set(token_hash.to_owned()),
                created_at: Set(now()),
                expires_at: Set(expires_at),
            }
            .insert(&txn)
            .await?
            .into())
        })
    }

    /// The session with this secret hash and its (live) user, expired or not: the caller
    /// decides what an expired session means. `NotFound` when there is none.
    pub async fn find_session(&self, token_hash: &str) -> Result<(Session, User)> {
        let row = sessions::Entity::find()
            .filter(sessions::Column::TokenHash.eq(token_hash))
            .find_also_related(users::Entity)
            .one(&self.db)
            .await?;
        match row {
            Some((s, Some(u))) if u.deleted_at.is_none() => Ok((s.into(), u.into())),
            _ => Err(Error::NotFound),
        }
    }

    /// Ends the session with this secret hash, if there is one (signing out twice is fine).
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sessions::Entity::delete_many()
            .filter(sessions::Column::TokenHash.eq(token_hash))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Deletes sessions that expired at or before `now`; returns how many.
    pub async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
