//! Runtimes and each agent's runtime spec. HTTP ↔ domain for the operations tagged `runtimes`.

use taos_api::server::{self as wire, RuntimesApi};
use taos_api::types;

use super::{Api, Res, convert};
use crate::auth::Ctx;
use crate::domain::runtimes;

impl RuntimesApi for Api {
    async fn list_runtimes(&self, ctx: Ctx) -> Res<wire::ListRuntimesResponse> {
        ctx.caller()?;
        let (default, all) = runtimes::list_runtimes(&self.state.fleet).await;
        Ok(wire::ListRuntimesResponse::Ok(types::RuntimeList {
            default: convert::wire(default),
            items: all.iter().map(|a| convert::runtime_info(a, default)).collect(),
        }))
    }

    async fn list_agent_containers(&self, ctx: Ctx) -> Res<wire::ListAgentContainersResponse> {
        let all =
            runtimes::list_agent_containers(&self.state.store, &self.state.fleet, ctx.caller()?).await?;
        Ok(wire::ListAgentContainersResponse::Ok(types::ContainerList {
            items: all
                .iter()
                .map(|c| types::Container {
                    runtime: convert::wire(c.kind),
                    orphan: c.agent.is_none(),
                    agent: c.agent.clone(),
                    agent_id: c.info.agent_id,
                    name: c.info.name.clone(),
                    state: convert::wire(c.info.status.state),
                    pid: c.info.status.pid.map(i64::from),
                    ip: c.info.ip.clone(),
                    memory_bytes: c.info.memory_bytes.and_then(|b| i64::try_from(b).ok()),
                    cpu_time_ms: c.info.cpu_time_ms.and_then(|b| i64::try_from(b).ok()),
                })
                .collect(),
        }))
    }

    async fn get_agent_runtime(
        &self,
        ctx: Ctx,
        path: wire::GetAgentRuntimePath,
    ) -> Res<wire::GetAgentRuntimeResponse> {
        let r = runtimes::get_agent_runtime(&self.state.store, &self.state.fleet, ctx.caller()?, &path.name)
            .await?;
        Ok(wire::GetAgentRuntimeResponse::Ok(convert::agent_runtime(&r)))
    }

    async fn set_agent_runtime(
        &self,
        ctx: Ctx,
        path: wire::SetAgentRuntimePath,
        body: types::AgentRuntimeSpec,
    ) -> Res<wire::SetAgentRuntimeResponse> {
        let r = convert::runtime_request(body);
        let r = runtimes::set_agent_runtime(
            &self.state.store,
            &self.state.fleet,
            ctx.caller()?,
            &path.name,
            r.kind,
            r.spec,
        )
        .await?;
        Ok(wire::SetAgentRuntimeResponse::Ok(convert::agent_runtime(&r)))
    }
}
