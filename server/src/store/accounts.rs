//! The `accounts` operations that write: first-run setup and user tokens made with a password.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};
use uuid::Uuid;

use super::entities::{api_tokens, setup_marker};
use super::users::{live_user_for_update, new_user_model};
use super::{Error, NewUser, NewUserToken, Result, Store, Token, TokenKind, User, now, write_txn};

const FIRST_USER_MARKER: &str = "first-user";

pub(super) async fn insert_user_token<C: ConnectionTrait>(
    conn: &C,
    new: &NewUserToken,
    user_id: Uuid,
) -> std::result::Result<Token, DbErr> {
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

impl Store {
    /// Creates the first (admin) user and their user token, once per database.
    /// `Conflict` when setup has already happened, here or on another replica.
    pub async fn setup_account(&self, new: NewUser, token: NewUserToken) -> Result<(User, Token)> {
        write_txn!(self, |txn| {
            if setup_marker::Entity::find_by_id(FIRST_USER_MARKER.to_owned())
                .one(&txn)
                .await?
                .is_some()
            {
                return Err(Error::Conflict);
            }
            let at = now();
            // A concurrent setup on PostgreSQL fails here with a unique violation; the retry
            // then sees the marker and answers Conflict.
            setup_marker::ActiveModel {
                id: Set(FIRST_USER_MARKER.to_owned()),
                created_at: Set(at),
            }
            .insert(&txn)
            .await?;
            let user = new_user_model(&new, at).insert(&txn).await?;
            let token = insert_user_token(&txn, &token, user.id).await?;
            Ok((User::from(user), token))
        })
    }

    /// A new user token for a live user; `NotFound` when the user is gone (removed while the
    /// request ran: the token would be dead on arrival).
    pub async fn create_user_token(&self, new: NewUserToken) -> Result<Token> {
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            live_user_for_update(&txn, new.user_id, postgres).await?;
            Ok(insert_user_token(&txn, &new, new.user_id).await?)
        })
    }
}
