//! The `incus` runtime: each agent an unprivileged system container `taos-agent-<name>`,
//! driven through incusd's REST API on its unix socket (no CLI parsing). The daemon owns
//! the containers, so they outlive taosd: a new [`IncusRuntime`] finds the containers an
//! earlier taosd made by their `user.taos.agent` label and manages them again (adoption).
//!
//! The state comes from the daemon (102 stopped, 103 running, 110 frozen); a watcher polls
//! it every second to notice exits, apply the restart policy and follow the console log.
//! The traps of the runtime notes (§1.2) are handled in [`verbs`]: a frozen container is
//! thawed before a graceful stop, and a graceful stop that times out (busybox init ignores
//! LXC's halt signal) is followed by a forced one.
//!
//! Limits of what incus reports, found on incus 6.0.4: it does not give the exit status of
//! a container's init, so an exit without a stop verb is `failed` with `exit_code: None`
//! (and `on-failure` restarts it); an init that exits at once makes liblxc's start itself
//! fail ("forkstart … exit status 1"), which is a failed start here. Tests: `tests/`, run
//! `tests/runtimes/incus.sh` first, then
//! `TAOS_TEST_INCUS=1 cargo test -p taos-server --lib runtime::incus`.

mod agent;
mod container;
mod env;
mod logs;
mod make;
mod observe;
pub mod rest;
mod verbs;
mod watch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use uuid::Uuid;

use self::agent::Agent;
use self::rest::{Rest, RestError};
use super::error::{Error, Result};
use super::events::{Events, LifecycleKind};
use super::logs::Logs;
use super::restart::Backoff;
use super::spec::InstanceSpec;
use super::state::{InstanceStatus, Transition};
use super::{
    Availability, Capabilities, Injection, InstanceInfo, LimitsApplied, PauseKind, Runtime, RuntimeKind,
};

pub const DEFAULT_SOCKET: &str = "/var/lib/incus/unix.socket";
const FIX: &str =
    "Install incus (apt-get install -t bookworm-backports incus-base incus-client) and start incusd";
/// `probe` answers within this, whatever the socket does.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Any call that is not an operation's wait: a dead or hung daemon is reported within it.
const CALL_TIMEOUT: Duration = Duration::from_secs(4);

#[derive(Debug, Clone)]
pub struct IncusConfig {
    pub socket: PathBuf,
    pub project: String,
    /// How often the watcher reads the containers' states and console logs.
    pub poll: Duration,
    pub backoff: Backoff,
}

impl Default for IncusConfig {
    fn default() -> Self {
        Self {
            socket: PathBuf::from(DEFAULT_SOCKET),
            project: "default".into(),
            poll: Duration::from_secs(1),
            backoff: Backoff::default(),
        }
    }
}

pub struct IncusRuntime {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: IncusConfig,
    rest: Rest,
    logs: Arc<Logs>,
    events: Events,
    agents: Mutex<HashMap<Uuid, Arc<Agent>>>,
    /// The watcher starts with the first call made inside a tokio runtime.
    watching: AtomicBool,
}

fn capabilities() -> Capabilities {
    Capabilities {
        pause: PauseKind::CgroupFreezer,
        limits: LimitsApplied {
            memory: true,
            cpus: true,
            pids: true,
        },
        // Only for images with a `taos-agent` systemd unit (env file + unit restart); others
        // are restarted, so the backend as a whole does not promise it.
        live_env_update: false,
        survives_server_restart: true,
    }
}

impl From<RestError> for Error {
    fn from(e: RestError) -> Self {
        match e {
            RestError::Unreachable(reason) => Error::Unavailable {
                kind: RuntimeKind::Incus,
                reason,
                fix: FIX.into(),
            },
            other => Error::failed(other.to_string()),
        }
    }
}

impl Inner {
    fn emit(&self, agent_id: Uuid, kind: LifecycleKind, status: &InstanceStatus) {
        self.events.emit(agent_id, RuntimeKind::Incus, kind, status);
    }

    fn agents(&self) -> MutexGuard<'_, HashMap<Uuid, Arc<Agent>>> {
        self.agents.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the watcher once, when there is a tokio runtime to run it on.
    fn watch(self: &Arc<Self>) {
        if self.watching.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current()
            && !self.watching.swap(true, Ordering::SeqCst)
        {
            handle.spawn(watch::run(Arc::downgrade(self)));
        }
    }
}

impl IncusRuntime {
    /// Never fails and never blocks: the daemon is first asked when a verb (or `probe`) is.
    pub fn new(config: IncusConfig, logs: Arc<Logs>, events: Events) -> Self {
        let rest = Rest::new(config.socket.clone(), config.project.clone(), CALL_TIMEOUT);
        Self {
            inner: Arc::new(Inner {
                config,
                rest,
                logs,
                events,
                agents: Mutex::new(HashMap::new()),
                watching: AtomicBool::new(false),
            }),
        }
    }

    pub fn capabilities(&self) -> Capabilities {
        capabilities()
    }
}

#[async_trait::async_trait]
impl Runtime for IncusRuntime {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Incus
    }

    async fn probe(&self) -> Availability {
        let mut rest = self.inner.rest.clone();
        rest.timeout = PROBE_TIMEOUT;
        let (version, reason) = match rest.get("/1.0").await {
            Ok(meta) => match meta
                .pointer("/environment/server_version")
                .and_then(|v| v.as_str())
            {
                Some(v) => (Some(v.to_string()), None),
                None => (None, Some("incusd answered without a server version".to_string())),
            },
            Err(e) => (None, Some(e.to_string())),
        };
        if reason.is_none() {
            self.inner.watch();
        }
        Availability {
            kind: RuntimeKind::Incus,
            available: reason.is_none(),
            version,
            fix: reason.as_ref().map(|_| FIX.to_string()),
            reason,
            capabilities: capabilities(),
        }
    }

    async fn start(&self, spec: &InstanceSpec) -> Result<Transition> {
        self.inner.watch();
        self.inner.start(spec).await
    }

    async fn stop(&self, agent_id: Uuid, grace: Duration) -> Result<Transition> {
        self.inner.watch();
        self.inner.stop(agent_id, grace).await
    }

    async fn pause(&self, agent_id: Uuid) -> Result<Transition> {
        self.inner.watch();
        self.inner.pause(agent_id).await
    }

    async fn resume(&self, agent_id: Uuid) -> Result<Transition> {
        self.inner.watch();
        self.inner.resume(agent_id).await
    }

    async fn restart(&self, spec: &InstanceSpec, grace: Duration) -> Result<Transition> {
        self.inner.watch();
        self.inner.restart(spec, grace).await
    }

    async fn state(&self, agent_id: Uuid) -> Result<InstanceStatus> {
        self.inner.watch();
        self.inner.state(agent_id).await
    }

    async fn remove(&self, agent_id: Uuid, grace: Duration) -> Result<bool> {
        self.inner.watch();
        self.inner.remove(agent_id, grace).await
    }

    async fn list(&self) -> Result<Vec<InstanceInfo>> {
        self.inner.watch();
        self.inner.list().await
    }

    async fn apply_env(&self, spec: &InstanceSpec, grace: Duration) -> Result<Injection> {
        self.inner.watch();
        self.inner.apply_env(spec, grace).await
    }

    /// Containers outlive taosd: nothing is stopped; the watcher ends with the runtime.
    async fn shutdown(&self, _grace: Duration) {}
}

#[cfg(test)]
mod tests;
