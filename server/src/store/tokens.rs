//! Bearer tokens as authentication sees them: the lookup on every request, and the coalesced
//! record of their last use. (Issuing and revoking them: `accounts`, `identity`,
//! `agent_tokens`.)

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entities::{agents, api_tokens, users};
use super::{Error, Result, Store, TokenPrincipal};

/// Ids per `IN (…)` list: far below SQLite's and PostgreSQL's bind-parameter limits.
pub(super) const IN_CHUNK: usize = 500;

impl Store {
    /// The authenticated hot path: one indexed query joining the token to its user and (for
    /// agent tokens) its agent. Revoked and expired tokens are returned too, so the caller can
    /// say which; `NotFound` when the hash is unknown or the user has been deleted.
    pub async fn find_token(&self, token_hash: &str) -> Result<TokenPrincipal> {
        match &self.reads {
            Some(reads) => reads.find_token(token_hash)?.ok_or(Error::NotFound),
            None => self.find_token_orm(token_hash).await,
        }
    }

    /// `find_token` through sea-orm: the PostgreSQL path, and the reference the inline SQLite
    /// read is tested against.
    pub(super) async fn find_token_orm(&self, token_hash: &str) -> Result<TokenPrincipal> {
        let row = api_tokens::Entity::find()
            .filter(api_tokens::Column::TokenHash.eq(token_hash))
            .find_also_related(users::Entity)
            .find_also_related(agents::Entity)
            .one(&self.db)
            .await?;
        let Some((token, Some(user), agent)) = row else {
            return Err(Error::NotFound);
        };
        if user.deleted_at.is_some() {
            return Err(Error::NotFound);
        }
        Ok(TokenPrincipal {
            token: token.try_into()?,
            user: user.into(),
            agent: agent.map(TryInto::try_into).transpose()?,
        })
    }

    /// Records that these tokens were used at `at` (batched by a background flusher, so the
    /// request path never writes).
    pub async fn touch_tokens(&self, ids: &[Uuid], at: DateTime<Utc>) -> Result<()> {
        for chunk in ids.chunks(IN_CHUNK) {
            api_tokens::Entity::update_many()
                .col_expr(api_tokens::Column::LastUsedAt, Expr::value(at))
                .filter(api_tokens::Column::Id.is_in(chunk.iter().copied()))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }
}
