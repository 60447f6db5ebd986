//! Deploying agents, and following the operation. HTTP ↔ domain for the operations tagged `deploy`.

use std::time::Duration;

use taos_api::server::{self as wire, DeployApi};
use taos_api::types;

use super::{Api, Res, agents::agent_spec, convert};
use crate::auth::Ctx;
use crate::domain::deploy;
use crate::errors::Error;

impl DeployApi for Api {
    async fn deploy_agent(&self, ctx: Ctx, body: types::AgentDeploy) -> Res<wire::DeployAgentResponse> {
        // A deploy's body is a create's with the spec required: the same fields, the same rules.
        let create: types::AgentCreate = serde_json::to_value(body)
            .and_then(serde_json::from_value)
            .map_err(|e| Error::internal("a deploy body is not a create body", e))?;
        let op = deploy::deploy_agent(
            &self.state.store,
            &self.state.fleet,
            ctx.caller()?,
            agent_spec(create),
        )
        .await?;
        Ok(wire::DeployAgentResponse::Accepted(convert::operation(&op)))
    }

    async fn get_agent_deploy_status(
        &self,
        ctx: Ctx,
        path: wire::GetAgentDeployStatusPath,
    ) -> Res<wire::GetAgentDeployStatusResponse> {
        let op = deploy::get_agent_deploy_status(&self.state.store, ctx.caller()?, &path.name).await?;
        Ok(wire::GetAgentDeployStatusResponse::Ok(convert::operation(&op)))
    }

    async fn get_operation(
        &self,
        ctx: Ctx,
        path: wire::GetOperationPath,
        query: wire::GetOperationQuery,
    ) -> Res<wire::GetOperationResponse> {
        let wait = Duration::from_secs(u64::try_from(query.wait_s).unwrap_or(0));
        let op =
            deploy::get_operation(&self.state.store, &self.state.fleet, ctx.caller()?, path.id, wait).await?;
        Ok(wire::GetOperationResponse::Ok(convert::operation(&op)))
    }
}
