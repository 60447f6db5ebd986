//! Running agents. HTTP ↔ domain for the operations tagged `lifecycle`.

use std::time::Duration;

use taos_api::server::{self as wire, LifecycleApi};

use super::{Api, Res, convert};
use crate::auth::Ctx;
use crate::domain::lifecycle;

fn seconds(s: i64) -> Duration {
    Duration::from_secs(u64::try_from(s).unwrap_or(0))
}

impl LifecycleApi for Api {
    async fn start_agent(&self, ctx: Ctx, path: wire::StartAgentPath) -> Res<wire::StartAgentResponse> {
        let s =
            lifecycle::start_agent(&self.state.store, &self.state.fleet, ctx.caller()?, &path.name).await?;
        Ok(wire::StartAgentResponse::Ok(convert::agent_state(&s)))
    }

    async fn stop_agent(
        &self,
        ctx: Ctx,
        path: wire::StopAgentPath,
        query: wire::StopAgentQuery,
    ) -> Res<wire::StopAgentResponse> {
        let s = lifecycle::stop_agent(
            &self.state.store,
            &self.state.fleet,
            ctx.caller()?,
            &path.name,
            seconds(query.timeout_s),
        )
        .await?;
        Ok(wire::StopAgentResponse::Ok(convert::agent_state(&s)))
    }

    async fn pause_agent(&self, ctx: Ctx, path: wire::PauseAgentPath) -> Res<wire::PauseAgentResponse> {
        let s =
            lifecycle::pause_agent(&self.state.store, &self.state.fleet, ctx.caller()?, &path.name).await?;
        Ok(wire::PauseAgentResponse::Ok(convert::agent_state(&s)))
    }

    async fn resume_agent(&self, ctx: Ctx, path: wire::ResumeAgentPath) -> Res<wire::ResumeAgentResponse> {
        let s =
            lifecycle::resume_agent(&self.state.store, &self.state.fleet, ctx.caller()?, &path.name).await?;
        Ok(wire::ResumeAgentResponse::Ok(convert::agent_state(&s)))
    }

    async fn restart_agent(
        &self,
        ctx: Ctx,
        path: wire::RestartAgentPath,
        query: wire::RestartAgentQuery,
    ) -> Res<wire::RestartAgentResponse> {
        let s = lifecycle::restart_agent(
            &self.state.store,
            &self.state.fleet,
            ctx.caller()?,
            &path.name,
            seconds(query.timeout_s),
        )
        .await?;
        Ok(wire::RestartAgentResponse::Ok(convert::agent_state(&s)))
    }

    async fn wait_agent(
        &self,
        ctx: Ctx,
        path: wire::WaitAgentPath,
        query: wire::WaitAgentQuery,
    ) -> Res<wire::WaitAgentResponse> {
        // The contract's enum already checked it; an unknown value cannot reach here.
        let want = convert::state_named(&query.state)?;
        let s = lifecycle::wait_agent(
            &self.state.store,
            &self.state.fleet,
            ctx.caller()?,
            &path.name,
            want,
            seconds(query.timeout_s),
        )
        .await?;
        Ok(wire::WaitAgentResponse::Ok(convert::agent_state(&s)))
    }
}
