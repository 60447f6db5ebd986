//! The `agent-tokens` operations: an agent's one active token, issued and revoked.

use chrono::{DateTime, Duration, Utc};

use crate::digest::sha256_hex;
use crate::domain::agents::{AgentView, get_agent, no_live_agent};
use crate::domain::fleet::Fleet;
use crate::domain::principal::Principal;
use crate::domain::store_errors::user_gone;
use crate::domain::tokens::{self, Token};
use crate::errors::{Error, Result};
use crate::store::Store;

/// Issues the agent's token, revoking the previous one in the same transaction. An agent
/// deleted (archived) while this runs is a 404, like one that never existed: either the
/// issue came first and the delete revoked its token, or the delete came first.
pub async fn issue_agent_token(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
    scope: Option<Vec<String>>,
    expires_in_days: Option<i64>,
) -> Result<(AgentView, Token, String)> {
    let view = get_agent(store, caller, name).await?;
    fleet.ensure_free(view.agent.id, name)?;
    let scope = scope.unwrap_or_else(|| view.agent.scope.clone());
    caller.require_covers(&scope)?;
    let expires_at: Option<DateTime<Utc>> = expires_in_days.map(|d| Utc::now() + Duration::days(d));
    let secret = tokens::generate(tokens::TokenKind::Agent);
    let token = store
        .issue_agent_token(
            view.agent.id,
            caller.user_id,
            &sha256_hex(&secret),
            scope,
            expires_at,
        )
        .await
        .map_err(user_gone(|| caller.removed(), no_live_agent(name)))?;
    Ok((view, token, secret))
}

/// Revokes the agent's active token; an agent without one answers the same.
pub async fn revoke_agent_token(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
) -> Result<AgentView> {
    let view = get_agent(store, caller, name).await?;
    fleet.ensure_free(view.agent.id, name)?;
    store
        .revoke_agent_token(view.agent.id, caller.user_id)
        .await
        .map_err(user_gone(|| caller.removed(), Error::from))?;
    Ok(view)
}
