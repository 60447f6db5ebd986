//! API tokens: the authentication lookup, personal user tokens, agent tokens.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use uuid::Uuid;

use super::entities::{agents, api_tokens, users};
use super::records::scope_to_db;
use super::{NewUserToken, Store, Token, TokenPrincipal, now, write_txn};
use crate::domain::tokens::TokenKind;

/// Ids per `IN (…)` list: far below SQLite's and PostgreSQL's bind-parameter limits.
const IN_CHUNK: usize = 500;

pub(super) async fn revoke_active_agent_token<C: ConnectionTrait>(
    conn: &C,
    agent_id: Uuid,
    at: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::RevokedAt, Expr::value(at))
        .filter(api_tokens::Column::AgentId.eq(agent_id))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

impl Store {
    /// The authenticated hot path: one indexed query joining the token to its user and (for
    /// agent tokens) its agent. Revoked and expired tokens are returned too, so the caller can
    /// say which; None when the hash is unknown or the user has been deleted.
    pub async fn find_token(&self, token_hash: &str) -> Result<Option<TokenPrincipal>, DbErr> {
        match &self.reads {
            Some(reads) => reads.find_token(token_hash),
            None => self.find_token_orm(token_hash).await,
        }
    }

    /// `find_token` through sea-orm: the PostgreSQL path, and the reference the inline SQLite
    /// read is tested against.
    pub(super) async fn find_token_orm(&self, token_hash: &str) -> Result<Option<TokenPrincipal>, DbErr> {
        let row = api_tokens::Entity::find()
            .filter(api_tokens::Column::TokenHash.eq(token_hash))
            .find_also_related(users::Entity)
            .find_also_related(agents::Entity)
            .one(&self.db)
            .await?;
        let Some((token, Some(user), agent)) = row else {
            return Ok(None);
        };
        if user.deleted_at.is_some() {
            return Ok(None);
        }
        Ok(Some(TokenPrincipal {
            token: token.try_into()?,
            user: user.into(),
            agent: agent.map(TryInto::try_into).transpose()?,
        }))
    }

    pub async fn create_user_token(&self, new: NewUserToken) -> Result<Token, DbErr> {
        super::users::insert_user_token(&self.db, &new, new.user_id).await
    }

    /// The user's unrevoked personal tokens (expired ones included), id ascending.
    pub async fn list_user_tokens(
        &self,
        user_id: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Token>, DbErr> {
        let mut q = api_tokens::Entity::find()
            .filter(api_tokens::Column::UserId.eq(user_id))
            .filter(api_tokens::Column::Kind.eq(TokenKind::User.as_str()))
            .filter(api_tokens::Column::RevokedAt.is_null());
        if let Some(after) = after {
            q = q.filter(api_tokens::Column::Id.gt(after));
        }
        q.order_by_asc(api_tokens::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Token::try_from)
            .collect()
    }

    /// Revokes one of the user's own active personal tokens; false if there is none such.
    pub async fn revoke_user_token(&self, user_id: Uuid, token_id: Uuid) -> Result<bool, DbErr> {
        let done = api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::RevokedAt, Expr::value(now()))
            .filter(api_tokens::Column::Id.eq(token_id))
            .filter(api_tokens::Column::UserId.eq(user_id))
            .filter(api_tokens::Column::Kind.eq(TokenKind::User.as_str()))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected > 0)
    }

    /// Replaces the agent's active token with a new one, in one transaction.
    ///
    /// Any number of concurrent calls for one agent leave exactly one active token. The
    /// partial unique index guarantees it; the row lock (PostgreSQL) and `BEGIN IMMEDIATE`
    /// (SQLite) make the calls queue instead of failing, and a unique violation that slips
    /// through anyway is retried by `write_txn!`.
    /// `Err(DbErr::RecordNotFound)` when the agent is not a live agent of `user_id`.
    pub async fn issue_agent_token(
        &self,
        agent_id: Uuid,
        user_id: Uuid,
        token_hash: &str,
        scope: Vec<String>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Token, DbErr> {
        let scope = scope_to_db(&scope)?;
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            let mut q = agents::Entity::find_by_id(agent_id)
                .filter(agents::Column::UserId.eq(user_id))
                .filter(agents::Column::ArchivedAt.is_null());
            if postgres {
                q = q.lock_exclusive();
            }
            if q.one(&txn).await?.is_none() {
                return Err(DbErr::RecordNotFound(format!("live agent {agent_id}")));
            }
            let at = now();
            revoke_active_agent_token(&txn, agent_id, at).await?;
            api_tokens::ActiveModel {
                id: Set(Uuid::now_v7()),
                kind: Set(TokenKind::Agent.as_str().to_owned()),
                user_id: Set(user_id),
                agent_id: Set(Some(agent_id)),
                label: Set(None),
                token_hash: Set(token_hash.to_owned()),
                scope: Set(scope.clone()),
                created_at: Set(at),
                expires_at: Set(expires_at),
                revoked_at: Set(None),
                last_used_at: Set(None),
            }
            .insert(&txn)
            .await?
            .try_into()
        })
    }

    /// Revokes the agent's active token, if any; returns how many were revoked (0 or 1).
    pub async fn revoke_agent_token(&self, agent_id: Uuid) -> Result<u64, DbErr> {
        revoke_active_agent_token(&self.db, agent_id, now()).await
    }

    /// Records that these tokens were used at `at` (batched by a background flusher, so the
    /// request path never writes).
    pub async fn touch_tokens(&self, ids: &[Uuid], at: DateTime<Utc>) -> Result<(), DbErr> {
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
