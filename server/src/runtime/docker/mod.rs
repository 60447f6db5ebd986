//! The `docker` runtime: each agent a container `taos-agent-<name>` in a Docker-compatible
//! engine, reached over its unix socket with bollard. The daemon owns the containers, so
//! they outlive taosd, and a later taosd adopts them (finds them by label).
//!
//! Verbs act and emit their own lifecycle events; one watcher task follows the daemon's
//! event stream for what no verb did (a crash, someone using the docker CLI) and applies
//! the restart policy itself (not Docker's), so events and restart counts are the same as
//! with every other backend. A task per running container feeds its output into [`Logs`].

mod agent;
mod connect;
mod create;
mod logs;
mod names;
mod observe;
mod usage;
mod verbs;
mod watch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::query_parameters::ListContainersOptionsBuilder;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use connect::FIX;
pub use names::{LABEL_AGENT, LABEL_MANAGED, LABEL_SPEC, container_name};

use self::agent::Agent;
use self::connect::{CONNECT_TIMEOUT, Conn, QUICK, socket_path};
use self::observe::Seen;
use super::error::{Error, Result};
use super::events::{Events, LifecycleKind};
use super::logs::Logs;
use super::restart::Backoff;
use super::spec::InstanceSpec;
use super::state::{InstanceStatus, Transition};
use super::{
    Availability, Capabilities, Injection, InstanceInfo, LimitsApplied, PauseKind, Runtime, RuntimeKind,
};

#[derive(Debug, Clone)]
pub struct DockerConfig {
    /// The engine's socket. None: `DOCKER_HOST` (a `unix://` one), else /var/run/docker.sock.
    pub socket: Option<PathBuf>,
    /// The containers' network mode (`host`: agents reach taosd on 127.0.0.1).
    pub network: String,
    pub backoff: Backoff,
}

impl Default for DockerConfig {
    fn default() -> Self {
        Self {
            socket: None,
            network: "host".into(),
            backoff: Backoff::default(),
        }
    }
}

pub struct DockerRuntime {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: DockerConfig,
    conn: Conn,
    logs: Arc<Logs>,
    events: Events,
    agents: Mutex<HashMap<Uuid, Arc<Agent>>>,
    /// The watcher, once started.
    watcher: Mutex<Option<JoinHandle<()>>>,
    stopping: AtomicBool,
}

pub fn capabilities() -> Capabilities {
    Capabilities {
        pause: PauseKind::CgroupFreezer,
        limits: LimitsApplied {
            memory: true,
            cpus: true,
            pids: true,
        },
        live_env_update: false,
        survives_server_restart: true,
    }
}

impl DockerRuntime {
    /// Never fails and never blocks: the daemon is reached on first use (and again
    /// whenever it comes back). Made inside a tokio runtime, it starts watching at once,
    /// adopting the containers an earlier taosd made.
    pub fn new(config: DockerConfig, logs: Arc<Logs>, events: Events) -> Self {
        let conn = Conn::new(socket_path(config.socket.as_deref()));
        let inner = Arc::new(Inner {
            config,
            conn,
            logs,
            events,
            agents: Mutex::new(HashMap::new()),
            watcher: Mutex::new(None),
            stopping: AtomicBool::new(false),
        });
        if tokio::runtime::Handle::try_current().is_ok() {
            inner.ensure_watcher();
        }
        Self { inner }
    }
}

impl Inner {
    fn emit(&self, agent_id: Uuid, kind: LifecycleKind, status: &InstanceStatus) {
        self.events.emit(agent_id, RuntimeKind::Docker, kind, status);
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn agents(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Agent>>> {
        self.agents.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn ensure_watcher(self: &Arc<Self>) {
        let mut w = self.watcher.lock().unwrap_or_else(|p| p.into_inner());
        if w.is_none() && !self.stopping() {
            *w = Some(tokio::spawn(watch::run(self.clone())));
        }
    }

    /// The agent for `spec`, registered if new (its spec updated if known).
    fn for_spec(self: &Arc<Self>, spec: &InstanceSpec) -> Result<Arc<Agent>> {
        spec.validate_for(RuntimeKind::Docker)?;
        if self.stopping() {
            return Err(connect::unavailable("taosd is stopping"));
        }
        self.ensure_watcher();
        let mut all = self.agents();
        let agent = all
            .entry(spec.agent_id)
            .or_insert_with(|| Arc::new(Agent::new(spec.agent_id, &spec.name)))
            .clone();
        Ok(agent)
    }

    /// The agent, known here or found in the daemon by its label (made by an earlier taosd).
    async fn lookup(self: &Arc<Self>, agent_id: Uuid) -> Result<Arc<Agent>> {
        self.ensure_watcher();
        if let Some(a) = self.agents().get(&agent_id).cloned() {
            return Ok(a);
        }
        let filters = HashMap::from([("label", vec![format!("{}={agent_id}", names::LABEL_AGENT)])]);
        let opts = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&filters)
            .build();
        let found = self
            .conn
            .call(QUICK, |d| async move { d.list_containers(Some(opts)).await })
            .await?;
        let Some(id) = found.into_iter().find_map(|c| c.id) else {
            return Err(Error::NotFound);
        };
        let Some(seen) = self.inspect(&id).await? else {
            return Err(Error::NotFound);
        };
        self.adopt(&seen).ok_or(Error::NotFound)
    }

    /// Registers a managed container's agent (if unknown) from what the daemon says.
    /// None for a container without an agent label (not one of ours).
    fn adopt(self: &Arc<Self>, seen: &Seen) -> Option<Arc<Agent>> {
        let agent_id = seen.agent_id()?;
        let agent = self
            .agents()
            .entry(agent_id)
            .or_insert_with(|| Arc::new(Agent::adopted(agent_id, seen)))
            .clone();
        agent.observe(seen);
        if seen.is_live() {
            logs::ensure_follower(self, &agent, &seen.id);
        }
        Some(agent)
    }

    async fn inspect(&self, name_or_id: &str) -> Result<Option<Seen>, connect::Fault> {
        let key = name_or_id.to_string();
        match self
            .conn
            .call(QUICK, |d| async move { d.inspect_container(&key, None).await })
            .await
        {
            Ok(c) => Ok(Some(Seen::from_inspect(c))),
            Err(f) if f.is_not_found() => Ok(None),
            Err(f) => Err(f),
        }
    }

    fn forget(&self, agent: &Agent) {
        agent.stop_follower();
        self.agents().remove(&agent.agent_id);
    }
}

#[async_trait::async_trait]
impl Runtime for DockerRuntime {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Docker
    }

    async fn probe(&self) -> Availability {
        let conn = &self.inner.conn;
        let version = tokio::time::timeout(CONNECT_TIMEOUT, async {
            let c = conn.client().await.map_err(|f| f.message().to_string())?;
            c.version().await.map_err(|e| e.to_string())
        })
        .await;
        let (available, version, reason) = match version {
            Ok(Ok(v)) => (true, v.version, None),
            Ok(Err(reason)) => {
                conn.forget();
                (false, None, Some(reason))
            }
            Err(_) => {
                conn.forget();
                let why = format!(
                    "the Docker engine on {} did not answer within {} s",
                    conn.path().display(),
                    CONNECT_TIMEOUT.as_secs()
                );
                (false, None, Some(why))
            }
        };
        Availability {
            kind: RuntimeKind::Docker,
            available,
            version,
            fix: (!available).then(|| FIX.to_string()),
            reason,
            capabilities: capabilities(),
        }
    }

    async fn start(&self, spec: &InstanceSpec) -> Result<Transition> {
        let agent = self.inner.for_spec(spec)?;
        let _op = agent.op.lock().await;
        self.inner.start_locked(&agent, spec, false).await
    }

    async fn stop(&self, agent_id: Uuid, grace: Duration) -> Result<Transition> {
        let agent = self.inner.lookup(agent_id).await?;
        let _op = agent.op.lock().await;
        self.inner.stop_locked(&agent, grace).await
    }

    async fn pause(&self, agent_id: Uuid) -> Result<Transition> {
        let agent = self.inner.lookup(agent_id).await?;
        let _op = agent.op.lock().await;
        self.inner.pause_locked(&agent, true).await
    }

    async fn resume(&self, agent_id: Uuid) -> Result<Transition> {
        let agent = self.inner.lookup(agent_id).await?;
        let _op = agent.op.lock().await;
        self.inner.pause_locked(&agent, false).await
    }

    async fn restart(&self, spec: &InstanceSpec, grace: Duration) -> Result<Transition> {
        let agent = self.inner.for_spec(spec)?;
        let _op = agent.op.lock().await;
        self.inner.restart_locked(&agent, spec, grace).await
    }

    async fn state(&self, agent_id: Uuid) -> Result<InstanceStatus> {
        let agent = self.inner.lookup(agent_id).await?;
        match self.inner.current(&agent).await? {
            Some(_) => Ok(agent.status()),
            None => {
                self.inner.forget(&agent);
                Err(Error::NotFound)
            }
        }
    }

    async fn remove(&self, agent_id: Uuid, grace: Duration) -> Result<bool> {
        let agent = match self.inner.lookup(agent_id).await {
            Ok(a) => a,
            Err(Error::NotFound) => return Ok(false),
            Err(e) => return Err(e),
        };
        let _op = agent.op.lock().await;
        self.inner.remove_locked(&agent, grace).await
    }

    async fn list(&self) -> Result<Vec<InstanceInfo>> {
        self.inner.list().await
    }

    async fn apply_env(&self, spec: &InstanceSpec, grace: Duration) -> Result<Injection> {
        let agent = self.inner.for_spec(spec)?;
        let _op = agent.op.lock().await;
        self.inner.apply_env_locked(&agent, spec, grace).await
    }

    /// Containers keep running (they outlive taosd); only taosd's own tasks stop.
    async fn shutdown(&self, _grace: Duration) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        if let Some(w) = self
            .inner
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            w.abort();
        }
        let all: Vec<Arc<Agent>> = self.inner.agents().values().cloned().collect();
        for agent in all {
            agent.stop_follower();
            agent.cancel_restart();
        }
    }
}

impl Drop for DockerRuntime {
    /// A dropped runtime leaves no task behind (tests make several in one process).
    fn drop(&mut self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        if let Some(w) = self
            .inner
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            w.abort();
        }
        for agent in self.inner.agents().values() {
            agent.stop_follower();
            agent.cancel_restart();
        }
    }
}

#[cfg(test)]
mod tests;
