//! People, first-run setup and browser sessions.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{agents, api_tokens, sessions, setup_marker, users};
use super::{Conflict, NewUser, NewUserToken, Session, Store, Token, User, now, write_txn};
use crate::domain::tokens::TokenKind;
use sea_orm::DbErr;

const FIRST_USER_MARKER: &str = "first-user";

fn new_user_model(new: &NewUser, at: DateTime<Utc>) -> users::ActiveModel {
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

pub(super) async fn insert_user_token<C: ConnectionTrait>(
    conn: &C,
    new: &NewUserToken,
    user_id: Uuid,
) -> Result<Token, DbErr> {
    api_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(TokenKind::User.as_str().to_owned()),
        user_id: Set(user_id),
        agent_id: Set(None),
        label: Set(new.label.clone()),
        token_hash: Set(new.token_hash.clone()),
        scope: Set(super::records::scope_to_db(&new.scope)?),
        created_at: Set(now()),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
    }
    .insert(conn)
    .await?
    .try_into()
}

async fn live_user_by_name<C: ConnectionTrait>(
    conn: &C,
    username: &str,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::Username.eq(username))
        .filter(users::Column::DeletedAt.is_null())
        .one(conn)
        .await
}

impl Store {
    /// Creates the first (admin) user and their personal token, once per database.
    /// `Ok(None)` when setup has already happened, here or on another replica.
    pub async fn create_first_user(
        &self,
        new: NewUser,
        token: NewUserToken,
    ) -> Result<Option<(User, Token)>, DbErr> {
        write_txn!(self, |txn| {
            if setup_marker::Entity::find_by_id(FIRST_USER_MARKER.to_owned())
                .one(&txn)
                .await?
                .is_some()
            {
                return Ok(None);
            }
            let at = now();
            // A concurrent setup on PostgreSQL fails here with a unique violation; the retry
            // then sees the marker and answers None.
            setup_marker::ActiveModel {
                id: Set(FIRST_USER_MARKER.to_owned()),
                created_at: Set(at),
            }
            .insert(&txn)
            .await?;
            let user = new_user_model(&new, at).insert(&txn).await?;
            let token = insert_user_token(&txn, &token, user.id).await?;
            Ok(Some((User::from(user), token)))
        })
    }

    /// Live users.
    pub async fn count_users(&self) -> Result<u64, DbErr> {
        users::Entity::find()
            .filter(users::Column::DeletedAt.is_null())
            .count(&self.db)
            .await
    }

    /// `Ok(Err(Conflict))` when a live user already has this username.
    pub async fn create_user(&self, new: NewUser) -> Result<Result<User, Conflict>, DbErr> {
        write_txn!(self, |txn| {
            if live_user_by_name(&txn, &new.username).await?.is_some() {
                return Ok(Err(Conflict));
            }
            let user = new_user_model(&new, now()).insert(&txn).await?;
            Ok(Ok(User::from(user)))
        })
    }

    pub async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, DbErr> {
        Ok(live_user_by_name(&self.db, username).await?.map(User::from))
    }

    /// A live user by id.
    pub async fn find_user(&self, id: Uuid) -> Result<Option<User>, DbErr> {
        Ok(users::Entity::find_by_id(id)
            .filter(users::Column::DeletedAt.is_null())
            .one(&self.db)
            .await?
            .map(User::from))
    }

    /// Live users, by id ascending, after the cursor.
    pub async fn list_users(&self, after: Option<Uuid>, limit: u64) -> Result<Vec<User>, DbErr> {
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
    /// tokens revoked, sessions deleted, live agents archived. False when no such live user.
    pub async fn delete_user(&self, id: Uuid) -> Result<bool, DbErr> {
        write_txn!(self, |txn| {
            let at = now();
            let done = users::Entity::update_many()
                .col_expr(users::Column::DeletedAt, Expr::value(at))
                .filter(users::Column::Id.eq(id))
                .filter(users::Column::DeletedAt.is_null())
                .exec(&txn)
                .await?;
            if done.rows_affected == 0 {
                return Ok(false);
            }
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
            agents::Entity::update_many()
                .col_expr(agents::Column::ArchivedAt, Expr::value(at))
                .col_expr(agents::Column::UpdatedAt, Expr::value(at))
                .filter(agents::Column::UserId.eq(id))
                .filter(agents::Column::ArchivedAt.is_null())
                .exec(&txn)
                .await?;
            Ok(true)
        })
    }

    pub async fn create_session(
        &self,
        user_id: Uuid,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Session, DbErr> {
        Ok(sessions::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            token_hash: Set(token_hash.to_owned()),
            created_at: Set(now()),
            expires_at: Set(expires_at),
        }
        .insert(&self.db)
        .await?
        .into())
    }

    /// The session with this secret hash and its (live) user, expired or not: the caller
    /// decides what an expired session means.
    pub async fn find_session(&self, token_hash: &str) -> Result<Option<(Session, User)>, DbErr> {
        let row = sessions::Entity::find()
            .filter(sessions::Column::TokenHash.eq(token_hash))
            .find_also_related(users::Entity)
            .one(&self.db)
            .await?;
        Ok(match row {
            Some((s, Some(u))) if u.deleted_at.is_none() => Some((s.into(), u.into())),
            _ => None,
        })
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), DbErr> {
        sessions::Entity::delete_many()
            .filter(sessions::Column::TokenHash.eq(token_hash))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Deletes sessions that expired at or before `now`; returns how many.
    pub async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, DbErr> {
        Ok(sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
