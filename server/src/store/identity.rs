//! The `identity` operations that touch the database: the caller's own user tokens.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::entities::api_tokens;
use super::users::live_user;
use super::{Error, Result, Store, Token, TokenKind, now, write_txn};

impl Store {
    /// The user's unrevoked user tokens (expired ones included), id ascending, after the
    /// cursor.
    pub async fn list_user_tokens(
        &self,
        user_id: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Token>> {
        let mut q = api_tokens::Entity::find()
            .filter(api_tokens::Column::UserId.eq(user_id))
            .filter(api_tokens::Column::Kind.eq(TokenKind::User.as_str()))
            .filter(api_tokens::Column::RevokedAt.is_null());
        if let Some(after) = after {
            q = q.filter(api_tokens::Column::Id.gt(after));
        }
        Ok(q.order_by_asc(api_tokens::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Token::try_from)
            .collect::<std::result::Result<Vec<_>, DbErr>>()?)
    }

    /// Revokes one of the user's own active user tokens; `NotFound` if there is none such,
    /// `UserGone` when the user was removed (which revoked them all).
    pub async fn revoke_user_token(&self, user_id: Uuid, token_id: Uuid) -> Result<()> {
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            live_user(&txn, user_id, postgres).await?;
            let done = api_tokens::Entity::update_many()
                .col_expr(api_tokens::Column::RevokedAt, Expr::value(now()))
                .filter(api_tokens::Column::Id.eq(token_id))
                .filter(api_tokens::Column::UserId.eq(user_id))
                .filter(api_tokens::Column::Kind.eq(TokenKind::User.as_str()))
                .filter(api_tokens::Column::RevokedAt.is_null())
                .exec(&txn)
                .await?;
            if done.rows_affected == 0 {
                return Err(Error::NotFound);
            }
            Ok(())
        })
    }
}
