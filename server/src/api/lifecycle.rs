//! Running agents. HTTP ↔ domain for the operations tagged `lifecycle`.

use std::time::Duration;

use taos_api::server::{self as wire, LifecycleApi};
use taos_api::types;

use super::{Api, Res, convert};
use crate::auth::Ctx;
use crate::domain::lifecycle;
use crate::errors::{self, Error};

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

    async fn bulk_agent_action(
        &self,
        ctx: Ctx,
        path: wire::BulkAgentActionPath,
        query: wire::BulkAgentActionQuery,
        body: types::BulkRequest,
    ) -> Res<wire::BulkAgentActionResponse> {
        let verb = convert::verb_named(&path.action)?;
        let selection = match (body.all == Some(true), body.names.is_empty()) {
            (true, true) => lifecycle::Selection::All,
            (false, false) => lifecycle::Selection::Names(body.names.iter().map(|n| n.to_string()).collect()),
            (true, false) => {
                return Err(Error::new(
                    &errors::INVALID_BULK_REQUEST,
                    "Give either `names` or `all: true`, not both.",
                ));
            }
            (false, true) => {
                return Err(Error::new(
                    &errors::INVALID_BULK_REQUEST,
                    "Name the agents in `names`, or send `all: true`.",
                ));
            }
        };
        let results = lifecycle::bulk_agent_action(
            &self.state.store,
            &self.state.fleet,
            ctx.caller()?,
            verb,
            selection,
            seconds(query.timeout_s),
        )
        .await?;
        Ok(wire::BulkAgentActionResponse::Ok(types::BulkResult {
            results: results
                .into_iter()
                .map(|(agent, r)| match r {
                    Ok(s) => types::BulkItem {
                        agent,
                        ok: true,
                        state: Some(convert::agent_state(&s)),
                        error: None,
                    },
                    Err(e) => types::BulkItem {
                        agent,
                        ok: false,
                        state: None,
                        error: convert::error(&e),
                    },
                })
                .collect(),
        }))
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
