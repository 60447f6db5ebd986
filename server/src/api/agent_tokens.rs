//! Agent tokens: issuing and revoking an agent's one active token. HTTP ↔ domain for the operations tagged `agent-tokens`.

use taos_api::server::{self as wire, AgentTokensApi};
use taos_api::types;

use super::{Api, Res, days, scope};
use crate::auth::Ctx;
use crate::domain::agent_tokens;

impl AgentTokensApi for Api {
    async fn issue_agent_token(
        &self,
        ctx: Ctx,
        path: wire::IssueAgentTokenPath,
        body: Option<types::TokenIssueRequest>,
    ) -> Res<wire::IssueAgentTokenResponse> {
        let body = body.unwrap_or_default();
        let scope = scope(body.scope.as_ref());
        let days = days(body.expires_in_days);
        let (view, token, secret) = agent_tokens::issue_agent_token(
            &self.state.store,
            &self.state.fleet,
            ctx.caller()?,
            &path.name,
            scope,
            days,
        )
        .await?;
        let injection = self
            .state
            .fleet
            .token_changed(&self.state.store, &view.agent, Some(secret.clone()))
            .await?;
        Ok(wire::IssueAgentTokenResponse::Ok(types::IssuedAgentToken {
            token: secret,
            agent: view.agent.slug,
            issued_at: token.created_at,
            scope: token.scope,
            expires_at: token.expires_at,
            injection: injection.map(super::convert::wire),
        }))
    }

    async fn revoke_agent_token(
        &self,
        ctx: Ctx,
        path: wire::RevokeAgentTokenPath,
    ) -> Res<wire::RevokeAgentTokenResponse> {
        let view =
            agent_tokens::revoke_agent_token(&self.state.store, &self.state.fleet, ctx.caller()?, &path.name)
                .await?;
        self.state
            .fleet
            .token_changed(&self.state.store, &view.agent, None)
            .await?;
        Ok(wire::RevokeAgentTokenResponse::NoContent)
    }
}
