//! The `runtimes` operations: which runtimes this taosd has, and each agent's runtime spec.

use crate::domain::agents::get_agent;
use crate::domain::fleet::{
    Configured, Desired, Fleet, REMOVE_GRACE, RESERVED_ENV, RuntimeSpec, runtime_error,
};
use crate::domain::principal::Principal;
use crate::domain::store_errors::user_gone;
use crate::errors::{self, Error, Result};
use crate::runtime::{Availability, InstanceStatus, RuntimeKind};
use crate::store::{Agent, Store};

/// Every runtime, probed now.
pub async fn list_runtimes(fleet: &Fleet) -> (RuntimeKind, Vec<Availability>) {
    (fleet.runtimes.default_kind(), fleet.runtimes.probe_all().await)
}

/// An agent's runtime spec and state, as one answer.
pub struct AgentRuntime {
    pub agent: Agent,
    /// None: never given a spec (it shows the defaults).
    pub configured: Option<Configured>,
    pub kind: RuntimeKind,
    pub status: InstanceStatus,
}

impl AgentRuntime {
    pub fn spec(&self) -> RuntimeSpec {
        self.configured
            .as_ref()
            .map(|c| c.spec.clone())
            .unwrap_or_default()
    }

    pub fn desired(&self) -> Desired {
        self.configured.as_ref().map_or(Desired::Stopped, |c| c.desired)
    }
}

pub async fn get_agent_runtime(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
) -> Result<AgentRuntime> {
    let agent = get_agent(store, caller, name).await?.agent;
    let configured = match store.get_agent_runtime(agent.id).await? {
        Some(row) => Some(Configured::from_row(&row)?),
        None => None,
    };
    let kind = configured
        .as_ref()
        .map_or(fleet.runtimes.default_kind(), |c| c.kind);
    let status = current_status(fleet, agent.id, kind, configured.as_ref()).await;
    Ok(AgentRuntime {
        agent,
        configured,
        kind,
        status,
    })
}

/// The runtime's own answer when it has the agent, else the last recorded status, else
/// `created`.
pub async fn current_status(
    fleet: &Fleet,
    agent_id: uuid::Uuid,
    kind: RuntimeKind,
    configured: Option<&Configured>,
) -> InstanceStatus {
    if let Ok(backend) = fleet.backend(kind)
        && let Ok(status) = backend.state(agent_id).await
    {
        return match configured {
            Some(c) => c.weigh(status),
            None => status,
        };
    }
    configured.and_then(|c| c.status.clone()).unwrap_or_default()
}

/// Checks a spec against its runtime (before it is stored: a spec that could not run is
/// refused) and answers it as the store keeps it.
pub fn check_spec(
    fleet: &Fleet,
    kind: RuntimeKind,
    spec: &RuntimeSpec,
    agent_id: uuid::Uuid,
    slug: &str,
) -> Result<String> {
    if let Some(reserved) = spec.env.names().find(|n| RESERVED_ENV.contains(n)) {
        return Err(Error::new(
            &errors::INVALID_RUNTIME_SPEC,
            format!("The runtime spec's env may not set {reserved}: taosd sets it for the agent."),
        )
        .with("field", format!("env.{reserved}")));
    }
    let check = crate::runtime::InstanceSpec {
        agent_id,
        name: slug.to_owned(),
        command: spec.command.clone(),
        image: spec.image.clone(),
        env: spec.env.clone(),
        resources: spec.resources,
        restart: spec.restart,
        working_dir: None,
    };
    check.validate_for(kind).map_err(runtime_error)?;
    // Refused when the runtime is not here at all (not when it is merely down right now:
    // the spec is kept and used once it is back).
    fleet.backend(kind)?;
    serde_json::to_string(spec).map_err(|e| Error::internal("a runtime spec does not serialise", e))
}

/// Replaces the agent's spec, after checking it against its runtime (a spec that could not
/// run is refused before it is stored).
pub async fn set_agent_runtime(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
    kind: Option<RuntimeKind>,
    spec: RuntimeSpec,
) -> Result<AgentRuntime> {
    let agent = get_agent(store, caller, name).await?.agent;
    fleet.ensure_free(agent.id, name)?;
    let kind = kind.unwrap_or(fleet.runtimes.default_kind());
    let json = check_spec(fleet, kind, &spec, agent.id, &agent.slug)?;
    let _verb = fleet.lock(agent.id).await;
    let moved_from = refuse_moving_a_live_agent(store, fleet, agent.id, kind).await?;
    let row = store
        .set_agent_runtime(agent.id, caller.user_id, &fleet.node, kind.as_str(), &json)
        .await
        .map_err(user_gone(
            || caller.removed(),
            crate::domain::agents::no_live_agent(name),
        ))?;
    if let Some(old) = moved_from {
        // What the old runtime still keeps of it (a stopped container) would be left there,
        // unmanaged, for good.
        if let Ok(backend) = fleet.backend(old)
            && let Err(e) = backend.remove(agent.id, REMOVE_GRACE).await
        {
            tracing::warn!(agent = %agent.slug, runtime = old.as_str(), error = %e, "could not remove a moved agent from its old runtime");
        }
    }
    let configured = Configured::from_row(&row)?;
    let status = current_status(fleet, agent.id, kind, Some(&configured)).await;
    Ok(AgentRuntime {
        agent,
        configured: Some(configured),
        kind,
        status,
    })
}

/// A live instance stays with the runtime it runs on: moving its agent to another runtime
/// would leave it running there, unmanaged (stop and start would act on the new one).
/// Otherwise the runtime it moves from, if it moves.
async fn refuse_moving_a_live_agent(
    store: &Store,
    fleet: &Fleet,
    agent_id: uuid::Uuid,
    kind: RuntimeKind,
) -> Result<Option<RuntimeKind>> {
    let Some(row) = store.get_agent_runtime(agent_id).await? else {
        return Ok(None);
    };
    let configured = Configured::from_row(&row)?;
    if configured.kind == kind {
        return Ok(None);
    }
    let status = current_status(fleet, agent_id, configured.kind, Some(&configured)).await;
    if !status.state.is_live() {
        return Ok(Some(configured.kind));
    }
    Err(Error::new(
        &errors::INVALID_TRANSITION,
        format!(
            "The agent is {} on the {} runtime; stop it before moving it to {}.",
            status.state.as_str(),
            configured.kind.as_str(),
            kind.as_str()
        ),
    )
    .with("state", status.state.as_str())
    .with("allowed", "stop"))
}

/// One instance a runtime runs, with the agent it belongs to (None: the agent is gone).
pub struct Container {
    pub kind: RuntimeKind,
    pub agent: Option<String>,
    pub info: crate::runtime::InstanceInfo,
}

/// The instances of every available runtime that belong to the caller's agents (an admin
/// also sees those of no known owner).
pub async fn list_agent_containers(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
) -> Result<Vec<Container>> {
    let mut out = Vec::new();
    for kind in RuntimeKind::ALL {
        let Ok(backend) = fleet.backend(kind) else {
            continue;
        };
        let Ok(instances) = backend.list().await else {
            continue;
        };
        for info in instances {
            let owner = store.get_agent_runtime(info.agent_id).await?.map(|r| r.user_id);
            let mine = owner == Some(caller.user_id);
            let unowned = owner.is_none() && caller.admin;
            if !(mine || unowned) {
                continue;
            }
            let agent = match store.find_live_agent(info.agent_id).await {
                Ok(a) => Some(a.slug),
                Err(crate::store::Error::NotFound) => None,
                Err(e) => return Err(e.into()),
            };
            out.push(Container { kind, agent, info });
        }
    }
    Ok(out)
}
