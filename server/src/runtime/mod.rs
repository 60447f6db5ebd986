//! Agent runtimes: where an agent actually runs (a supervised local process today; Docker and
//! incus next), behind one object-safe [`Runtime`] trait, with one [state machine](state) and
//! one [log store](logs) shared by every backend.
//!
//! A domain-level service: no HTTP types and no SQL. Everything a caller may want to persist
//! (specs, statuses, events) is a plain serde record; the registry of agents stays free of
//! runtime details (DESIGN §8).

pub mod docker;
pub mod error;
pub mod events;
pub mod incus;
pub mod logs;
pub mod process;
pub mod registry;
pub mod restart;
pub mod spec;
pub mod state;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use error::{Error, Result};
pub use events::{Events, LifecycleEvent, LifecycleKind, StopCause};
pub use registry::Runtimes;
pub use restart::{Backoff, RestartPolicy};
pub use spec::{Env, InstanceSpec, Resources};
pub use state::{Exit, InstanceStatus, State, Transition, Verb};

/// The backends, as an agent's `runtime` field and `TAOS_RUNTIME` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeKind {
    Process,
    Docker,
    Incus,
}

impl RuntimeKind {
    pub const ALL: [RuntimeKind; 3] = [Self::Process, Self::Docker, Self::Incus];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Process => "process",
            Self::Docker => "docker",
            Self::Incus => "incus",
        }
    }
}

impl std::fmt::Display for RuntimeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RuntimeKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::InvalidSpec {
                field: "runtime".into(),
                why: format!("'{s}' is not a runtime; use one of process, docker, incus"),
            })
    }
}

/// How a backend freezes an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseKind {
    /// The cgroup freezer: invisible to the agent, cannot be escaped.
    CgroupFreezer,
    /// SIGSTOP/SIGCONT to the agent's process group: the agent can observe it, and a child
    /// that left the group is not paused.
    Sigstop,
    None,
}

/// Which resource limits a backend enforces (the others are accepted and not applied).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitsApplied {
    pub memory: bool,
    pub cpus: bool,
    pub pids: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    pub pause: PauseKind,
    pub limits: LimitsApplied,
    /// Whether a changed env (a re-issued token) reaches the running agent without a restart.
    pub live_env_update: bool,
    /// Whether instances keep running when taosd stops (containers do; processes do not).
    pub survives_server_restart: bool,
}

/// What [`Runtime::probe`] found: can this backend run agents here, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub kind: RuntimeKind,
    pub available: bool,
    pub version: Option<String>,
    /// Why it is not available (None when it is).
    pub reason: Option<String>,
    /// How to make it available (None when it is).
    pub fix: Option<String>,
    pub capabilities: Capabilities,
}

/// How a changed env reached an agent (the answer of a token issue or revoke says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Injection {
    /// The running agent sees it without a restart.
    Live,
    /// The agent was restarted with it.
    Restarted,
    /// The container was made again with it (its env is fixed at creation).
    Recreated,
    /// The agent is not running; it gets it when it next starts.
    OnNextStart,
}

/// One instance a backend manages, for reconciling and `GET /api/agents/containers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceInfo {
    pub agent_id: Uuid,
    pub name: String,
    pub status: InstanceStatus,
    /// Resident memory of the instance (its cgroup, or its leader process), when known.
    pub memory_bytes: Option<u64>,
    /// CPU time used by the current run (user + system), when known.
    pub cpu_time_ms: Option<u64>,
    /// Network address, for backends that give instances one.
    pub ip: Option<String>,
}

/// A place agents run. Every verb is idempotent: asking for the state an instance is already
/// in answers `changed: false`; an impossible transition is [`Error::InvalidTransition`]
/// naming the verbs that would work. Verbs on one instance are serialised.
#[async_trait::async_trait]
pub trait Runtime: Send + Sync {
    fn kind(&self) -> RuntimeKind;

    /// Whether this backend can run agents here, and with which capabilities. Never hangs
    /// for long and never fails: an unreachable daemon is `available: false` with a reason.
    async fn probe(&self) -> Availability;

    /// Starts the agent described by `spec` (creating what the backend needs first). The
    /// spec is validated before anything happens.
    async fn start(&self, spec: &InstanceSpec) -> Result<Transition>;

    /// Asks the agent to stop, and forces it after `grace`.
    async fn stop(&self, agent_id: Uuid, grace: Duration) -> Result<Transition>;

    async fn pause(&self, agent_id: Uuid) -> Result<Transition>;

    async fn resume(&self, agent_id: Uuid) -> Result<Transition>;

    /// Stops the agent if it runs (with `grace`), then starts it with `spec`: this is how a
    /// new env (a re-issued token) reaches a backend without live env updates.
    async fn restart(&self, spec: &InstanceSpec, grace: Duration) -> Result<Transition>;

    /// [`Error::NotFound`] when this backend does not know the agent.
    async fn state(&self, agent_id: Uuid) -> Result<InstanceStatus>;

    /// Stops the agent (forcefully after `grace`) and forgets it; its logs are kept.
    /// Removing an unknown agent is not an error (`Ok(false)`).
    async fn remove(&self, agent_id: Uuid, grace: Duration) -> Result<bool>;

    /// Every instance this backend manages.
    async fn list(&self) -> Result<Vec<InstanceInfo>>;

    /// The agent's env changed (its token issued, re-issued or revoked): make what the agent
    /// sees match `spec`. The default restarts a live instance with the new spec (what the
    /// process backend must do); a stopped or unknown one gets it at its next start. Backends
    /// that can do better (incus: an env file and a unit restart; docker: recreate) override it.
    async fn apply_env(&self, spec: &InstanceSpec, grace: Duration) -> Result<Injection> {
        match self.state(spec.agent_id).await {
            Ok(status) if status.state.is_live() => {
                self.restart(spec, grace).await?;
                Ok(Injection::Restarted)
            }
            Ok(_) | Err(Error::NotFound) => Ok(Injection::OnNextStart),
            Err(e) => Err(e),
        }
    }

    /// taosd is stopping: stop what would not survive it (TERM → `grace` → KILL). Backends
    /// whose instances outlive taosd leave them running.
    async fn shutdown(&self, _grace: Duration) {}
}
