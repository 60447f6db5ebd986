//! The `lifecycle` operations: start, stop, pause, resume and restart an agent on its
//! runtime, and wait for a state. Every verb records what the owner asked for first (so a
//! taosd that dies mid-verb brings the agent back to it), then acts, then records what it
//! saw; verbs on one agent run one at a time.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::broadcast::error::RecvError;

use crate::domain::agents::get_agent;
use crate::domain::fleet::{Configured, Desired, Fleet, runtime_error};
use crate::domain::principal::Principal;
use crate::errors::{self, Error, Result};
use crate::runtime::{self, InstanceStatus, RuntimeKind, State, Transition, Verb};
use crate::store::{Agent, Store};

/// A verb's answer, and a wait's.
#[derive(Debug, Clone)]
pub struct AgentState {
    pub agent: String,
    pub kind: RuntimeKind,
    pub changed: bool,
    pub status: InstanceStatus,
}

/// The agent's runtime spec, or `agent_not_configured`.
async fn configured(store: &Store, agent: &Agent) -> Result<Configured> {
    match store.get_agent_runtime(agent.id).await? {
        Some(row) => Configured::from_row(&row),
        None => Err(Error::new(
            &errors::AGENT_NOT_CONFIGURED,
            format!(
                "The agent '{}' has no runtime spec yet, so there is nothing to run.",
                agent.slug
            ),
        )),
    }
}

/// Records a status the runtime reported (the registry's `status` with it). A failure to
/// record is logged, not answered: the runtime did act, and the watcher records it again.
pub async fn record(store: &Store, agent_id: uuid::Uuid, status: &InstanceStatus) {
    let json = match serde_json::to_string(status) {
        Ok(j) => j,
        Err(e) => {
            tracing::error!(error = %e, "an instance status does not serialise");
            return;
        }
    };
    if let Err(e) = store
        .save_agent_status(agent_id, &json, status.state.as_str())
        .await
    {
        tracing::warn!(%agent_id, error = %e, "could not record an agent's state");
    }
}

fn answer(agent: &Agent, kind: RuntimeKind, t: Transition) -> AgentState {
    AgentState {
        agent: agent.slug.clone(),
        kind,
        changed: t.changed,
        status: t.status,
    }
}

/// What the runtime says of the agent; `None` when it does not know it (never started here,
/// or a process agent after taosd restarted).
async fn known(fleet: &Fleet, kind: RuntimeKind, agent_id: uuid::Uuid) -> Result<Option<InstanceStatus>> {
    match fleet.backend(kind)?.state(agent_id).await {
        Ok(s) => Ok(Some(s)),
        Err(runtime::Error::NotFound) => Ok(None),
        Err(e) => Err(runtime_error(e)),
    }
}

/// Runs `verb` once the lock is held and the agent is known to be still there.
async fn act(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
    verb: Verb,
    grace: Duration,
) -> Result<AgentState> {
    let agent = get_agent(store, caller, name).await?.agent;
    fleet.ensure_free(agent.id, name)?;
    act_on(store, fleet, &agent, verb, grace).await
}

/// Runs `verb` on an agent read before: for a request ([`act`]) or for an operation that
/// holds the agent (a deploy).
pub(super) async fn act_on(
    store: &Store,
    fleet: &Fleet,
    agent: &Agent,
    verb: Verb,
    grace: Duration,
) -> Result<AgentState> {
    let _one_at_a_time = fleet.lock(agent.id).await;
    // A delete may have come first while this waited.
    store.find_live_agent(agent.id).await.map_err(|e| match e {
        crate::store::Error::NotFound => crate::domain::fleet::gone(&agent.slug),
        other => other.into(),
    })?;
    // Read under the lock: a move (`PUT …/runtime`) may have committed while this waited,
    // and the verb acts on the runtime and spec configured now.
    let c = &configured(store, agent).await?;
    let backend = fleet.backend(c.kind)?;
    let current = known(fleet, c.kind, agent.id).await?;
    let recorded = current.clone().or_else(|| c.status.clone()).unwrap_or_default();
    // Asking for the state it is already in changes nothing (and records nothing).
    match recorded.check(verb).map_err(runtime_error)? {
        false if current.is_some() || verb == Verb::Stop => {
            if verb == Verb::Stop {
                store
                    .set_agent_desired(agent.id, Desired::Stopped.as_str())
                    .await?;
            }
            return Ok(AgentState {
                agent: agent.slug.clone(),
                kind: c.kind,
                changed: false,
                status: recorded,
            });
        }
        _ => {}
    }
    let desired = match verb {
        Verb::Start | Verb::Resume | Verb::Restart => Desired::Running,
        Verb::Pause => Desired::Paused,
        Verb::Stop => Desired::Stopped,
    };
    store.set_agent_desired(agent.id, desired.as_str()).await?;
    let result = match (verb, current.is_some()) {
        (Verb::Start, _) | (Verb::Restart, false) => {
            let spec = fleet.instance_spec(store, agent, c, true).await?;
            backend.start(&spec).await
        }
        (Verb::Restart, true) => {
            let spec = fleet.instance_spec(store, agent, c, true).await?;
            backend.restart(&spec, grace).await
        }
        (Verb::Stop, true) => backend.stop(agent.id, grace).await,
        (Verb::Stop, false) => {
            // Down already (failed, or lost with a restart of taosd): it is stopped now.
            let mut status = recorded.clone();
            status.stopped_while_down();
            Ok(Transition {
                changed: true,
                from: recorded.state,
                status,
            })
        }
        (Verb::Pause, _) => backend.pause(agent.id).await,
        (Verb::Resume, _) => backend.resume(agent.id).await,
    };
    let t = match result {
        Ok(t) => t,
        // A start that could not run (no such program, the image would not start) leaves the
        // agent `failed` with why: that is its state, not an error of this request.
        Err(runtime::Error::Failed { reason }) if matches!(verb, Verb::Start | Verb::Restart) => {
            let mut status = known(fleet, c.kind, agent.id)
                .await?
                .unwrap_or_else(|| recorded.clone());
            if status.state != State::Failed {
                status.start_failed(reason, Utc::now());
            }
            Transition {
                changed: true,
                from: recorded.state,
                status,
            }
        }
        Err(e) => return Err(runtime_error(e)),
    };
    record(store, agent.id, &t.status).await;
    Ok(answer(agent, c.kind, t))
}

pub async fn start_agent(store: &Store, fleet: &Fleet, caller: &Principal, name: &str) -> Result<AgentState> {
    act(store, fleet, caller, name, Verb::Start, Duration::ZERO).await
}

pub async fn stop_agent(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
    grace: Duration,
) -> Result<AgentState> {
    act(store, fleet, caller, name, Verb::Stop, grace).await
}

pub async fn pause_agent(store: &Store, fleet: &Fleet, caller: &Principal, name: &str) -> Result<AgentState> {
    act(store, fleet, caller, name, Verb::Pause, Duration::ZERO).await
}

pub async fn resume_agent(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
) -> Result<AgentState> {
    act(store, fleet, caller, name, Verb::Resume, Duration::ZERO).await
}

pub async fn restart_agent(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
    grace: Duration,
) -> Result<AgentState> {
    act(store, fleet, caller, name, Verb::Restart, grace).await
}

/// The agent's state once it is `want`, or `wait_timeout` with the state it is in.
pub async fn wait_agent(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
    want: State,
    timeout: Duration,
) -> Result<AgentState> {
    let agent = get_agent(store, caller, name).await?.agent;
    let configured = match store.get_agent_runtime(agent.id).await? {
        Some(row) => Some(Configured::from_row(&row)?),
        None => None,
    };
    let kind = configured
        .as_ref()
        .map_or(fleet.runtimes.default_kind(), |c| c.kind);
    // Subscribed before the first look, so no change falls between the two.
    let mut events = fleet.runtimes.events().subscribe();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut status =
        crate::domain::runtimes::current_status(fleet, agent.id, kind, configured.as_ref()).await;
    loop {
        if status.state == want {
            return Ok(AgentState {
                agent: agent.slug,
                kind,
                changed: false,
                status,
            });
        }
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => break,
            Ok(Ok(e)) if e.agent_id == agent.id => status = e.status,
            Ok(Ok(_)) => {}
            Ok(Err(RecvError::Lagged(_))) => {
                status =
                    crate::domain::runtimes::current_status(fleet, agent.id, kind, configured.as_ref()).await;
            }
            Ok(Err(RecvError::Closed)) => break,
        }
    }
    Err(Error::new(
        &errors::WAIT_TIMEOUT,
        format!(
            "The agent '{}' did not become {want} within {} s; it is {}.",
            agent.slug,
            timeout.as_secs(),
            status.state
        ),
    )
    .with("state", status.state.as_str()))
}

/// Verbs run at once by a bulk request.
const BULK_CONCURRENCY: usize = 8;

/// Which agents a bulk request names.
pub enum Selection {
    Names(Vec<String>),
    /// Every live agent of the caller with a runtime spec.
    All,
}

/// One verb for many agents: each gets its own answer (in the order asked), and a failure of
/// one never stops the others.
pub async fn bulk_agent_action(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    verb: Verb,
    selection: Selection,
    grace: Duration,
) -> Result<Vec<(String, Result<AgentState>)>> {
    use futures::StreamExt;
    let names = match selection {
        Selection::Names(n) => n,
        Selection::All => {
            let mut names = Vec::new();
            for a in store.list_agent_runtimes(&fleet.node).await? {
                if a.row.user_id == caller.user_id {
                    names.push(a.slug);
                }
            }
            names
        }
    };
    Ok(futures::stream::iter(names)
        .map(|name| async move {
            let r = act(store, fleet, caller, &name, verb, grace).await;
            (name, r)
        })
        .buffered(BULK_CONCURRENCY)
        .collect()
        .await)
}
