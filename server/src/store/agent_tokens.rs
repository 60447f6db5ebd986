//! The `agent-tokens` operations: an agent's one active token, issued and revoked.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{agents, api_tokens};
use super::records::scope_to_db;
use super::users::live_user;
use super::{Error, Result, Store, Token, TokenKind, now, write_txn};

/// Revokes the agent's active token, if any, at `at`; returns how many were revoked (0 or 1).
pub(super) async fn revoke_active_agent_token<C: ConnectionTrait>(
    conn: &C,
    agent_id: Uuid,
    at: DateTime<Utc>,
) -> std::result::Result<u64, DbErr> {
    Ok(api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::RevokedAt, Expr::value(at))
        .filter(api_tokens::Column::AgentId.eq(agent_id))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

impl Store {
    /// Replaces the agent's active token with a new one, in one transaction.
    ///
    /// Any number of concurrent calls for one agent leave exactly one active token. The
    /// partial unique index guarantees it; the row lock (PostgreSQL) and `BEGIN IMMEDIATE`
    /// (SQLite) make the calls queue instead of failing, and a unique violation that slips
    /// through anyway is retried by `write_txn!`. The same lock orders an issue and a
    /// concurrent archive: whichever is second sees the other's work.
    /// `NotFound` when the agent is not (or no longer) a live agent of `user_id`, `UserGone`
    /// when the user was removed. The user's row is locked before the agent's, the order
    /// [`Store::delete_user`] takes them in.
    pub async fn issue_agent_token(
        &self,
        agent_id: Uuid,
        user_id: Uuid,
        token_hash: &str,
        scope: Vec<String>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Token> {
        let scope = scope_to_db(&scope)?;
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            live_user(&txn, user_id, postgres).await?;
            let mut q = agents::Entity::find_by_id(agent_id)
                .filter(agents::Column::UserId.eq(user_id))
                .filter(agents::Column::ArchivedAt.is_null());
            if postgres {
                q = q.lock_exclusive();
            }
            if q.one(&txn).await?.is_none() {
                return Err(Error::NotFound);
            }
            let at = now();
            revoke_active_agent_token(&txn, agent_id, at).await?;
            Ok(api_tokens::ActiveModel {
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
            .try_into()?)
        })
    }

    /// Revokes the agent's active token, if it has one (no token is not an error: the
    /// operation's answer is the same); `UserGone` when its user `user_id` was removed.
    pub async fn revoke_agent_token(&self, agent_id: Uuid, user_id: Uuid) -> Result<()> {
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            live_user(&txn, user_id, postgres).await?;
            revoke_active_agent_token(&txn, agent_id, now()).await?;
            Ok(())
        })
    }
}
