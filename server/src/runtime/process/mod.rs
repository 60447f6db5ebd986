//! The `process` runtime, the default: each agent a supervised child of taosd, in its own
//! process group (and cgroup, where one is writable), with a clean environment and a
//! working directory inside its own directory. Zero setup, any Linux.
//!
//! Children die with taosd (their output pipes close, §3.3 of the runtime notes): after a
//! restart [`Runtime::list`] is empty, a persisted live status is marked with
//! [`InstanceStatus::lost_with_server`](crate::runtime::InstanceStatus::lost_with_server),
//! and the cgroups a dead taosd left are swept (their processes killed) when this runtime
//! is made.

mod cgroup;
mod group;
mod instance;
pub mod procfs;
mod spawn;
mod supervise;
mod verbs;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use uuid::Uuid;

pub use spawn::DEFAULT_PATH;

use self::cgroup::Cgroups;
use self::instance::Instance;
use super::error::{Error, Result};
use super::events::{Events, LifecycleKind, StopCause};
use super::logs::Logs;
use super::restart::Backoff;
use super::spec::InstanceSpec;
use super::state::{InstanceStatus, Transition};
use super::{Availability, Capabilities, InstanceInfo, LimitsApplied, PauseKind, Runtime, RuntimeKind};

#[derive(Debug, Clone)]
pub struct ProcessConfig {
    /// Agents' directories: `<base_dir>/<agent id>/work` is an agent's home and cwd.
    pub base_dir: PathBuf,
    pub backoff: Backoff,
    /// After an agent's main process exits on its own, how long the rest of its processes
    /// get after SIGTERM before SIGKILL.
    pub orphan_grace: Duration,
    /// Use cgroups where writable (false: signals only, as on a box without them).
    pub cgroups: bool,
    /// The pids limit of an agent whose spec sets none, where a pids cgroup is writable.
    pub default_pids: Option<i64>,
}

impl ProcessConfig {
    pub fn new(base_dir: impl Into<PathBuf>) -> Self {
        Self {
            base_dir: base_dir.into(),
            backoff: Backoff::default(),
            orphan_grace: Duration::from_secs(2),
            cgroups: true,
            default_pids: Some(1024),
        }
    }
}

pub struct ProcessRuntime {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: ProcessConfig,
    cgroups: Option<Cgroups>,
    logs: Arc<Logs>,
    events: Events,
    instances: Mutex<HashMap<Uuid, Arc<Instance>>>,
    stopping: AtomicBool,
}

impl Inner {
    fn emit(&self, agent_id: Uuid, kind: LifecycleKind, status: &InstanceStatus) {
        self.events.emit(agent_id, RuntimeKind::Process, kind, status);
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn instances(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Instance>>> {
        self.instances.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, agent_id: Uuid) -> Result<Arc<Instance>> {
        self.instances().get(&agent_id).cloned().ok_or(Error::NotFound)
    }

    /// The instance for `spec`, made (`created`) if it is new. Refused once taosd stops.
    fn for_spec(&self, spec: &InstanceSpec) -> Result<Arc<Instance>> {
        spec.validate_for(RuntimeKind::Process)?;
        if self.stopping() {
            return Err(Error::Unavailable {
                kind: RuntimeKind::Process,
                reason: "taosd is stopping".into(),
                fix: "Try again once taosd has restarted.".into(),
            });
        }
        let mut all = self.instances();
        Ok(all
            .entry(spec.agent_id)
            .or_insert_with(|| Arc::new(Instance::new(spec.clone())))
            .clone())
    }
}

impl ProcessRuntime {
    /// Probes cgroups once (and sweeps what a dead taosd left in them).
    pub fn new(config: ProcessConfig, logs: Arc<Logs>, events: Events) -> Self {
        let cgroups = if config.cgroups { Cgroups::probe() } else { None };
        let described = cgroups
            .as_ref()
            .map_or_else(|| "none writable".to_string(), |c| c.describe());
        tracing::info!(cgroups = %described, "process runtime ready");
        Self {
            inner: Arc::new(Inner {
                config,
                cgroups,
                logs,
                events,
                instances: Mutex::new(HashMap::new()),
                stopping: AtomicBool::new(false),
            }),
        }
    }

    pub fn capabilities(&self) -> Capabilities {
        let cg = self.inner.cgroups.as_ref();
        Capabilities {
            pause: if cg.is_some_and(|c| c.freezer()) {
                PauseKind::CgroupFreezer
            } else {
                PauseKind::Sigstop
            },
            limits: cg.map_or(LimitsApplied::default(), |c| c.limits()),
            live_env_update: false,
            survives_server_restart: false,
        }
    }
}

fn kernel_version() -> Option<String> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    Some(format!("linux {}", release.trim()))
}

#[async_trait::async_trait]
impl Runtime for ProcessRuntime {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Process
    }

    async fn probe(&self) -> Availability {
        Availability {
            kind: RuntimeKind::Process,
            available: true,
            version: kernel_version(),
            reason: None,
            fix: None,
            capabilities: self.capabilities(),
        }
    }

    async fn start(&self, spec: &InstanceSpec) -> Result<Transition> {
        let inst = self.inner.for_spec(spec)?;
        let _op = inst.op.lock().await;
        self.inner.start_locked(&inst, spec).await
    }

    async fn stop(&self, agent_id: Uuid, grace: Duration) -> Result<Transition> {
        let inst = self.inner.get(agent_id)?;
        let _op = inst.op.lock().await;
        self.inner.stop_locked(&inst, grace, StopCause::Verb).await
    }

    async fn pause(&self, agent_id: Uuid) -> Result<Transition> {
        let inst = self.inner.get(agent_id)?;
        let _op = inst.op.lock().await;
        self.inner.pause_locked(&inst).await
    }

    async fn resume(&self, agent_id: Uuid) -> Result<Transition> {
        let inst = self.inner.get(agent_id)?;
        let _op = inst.op.lock().await;
        self.inner.resume_locked(&inst).await
    }

    async fn restart(&self, spec: &InstanceSpec, grace: Duration) -> Result<Transition> {
        let inst = self.inner.for_spec(spec)?;
        let _op = inst.op.lock().await;
        self.inner.restart_locked(&inst, spec, grace).await
    }

    async fn state(&self, agent_id: Uuid) -> Result<InstanceStatus> {
        Ok(self.inner.get(agent_id)?.status())
    }

    async fn remove(&self, agent_id: Uuid, grace: Duration) -> Result<bool> {
        let Ok(inst) = self.inner.get(agent_id) else {
            return Ok(false);
        };
        let _op = inst.op.lock().await;
        if inst.lock().run.is_some() {
            self.inner.stop_locked(&inst, grace, StopCause::Verb).await?;
        }
        let status = {
            let mut s = inst.lock();
            s.removed = true;
            s.epoch += 1;
            s.status.clone()
        };
        self.inner.instances().remove(&agent_id);
        self.inner.logs.close(agent_id);
        self.inner.emit(agent_id, LifecycleKind::Removed, &status);
        Ok(true)
    }

    async fn list(&self) -> Result<Vec<InstanceInfo>> {
        let all: Vec<Arc<Instance>> = self.inner.instances().values().cloned().collect();
        let mut out: Vec<InstanceInfo> = all
            .iter()
            .map(|inst| {
                let s = inst.lock();
                let pid = s.run.as_ref().map(|r| r.group.pgid);
                let cgroup_memory = s
                    .run
                    .as_ref()
                    .and_then(|r| r.group.cgroup.as_ref()?.memory_bytes());
                InstanceInfo {
                    agent_id: inst.agent_id,
                    name: s.spec.name.clone(),
                    status: s.status.clone(),
                    memory_bytes: cgroup_memory.or_else(|| procfs::rss_bytes(pid?)),
                    cpu_time_ms: pid
                        .and_then(procfs::stat)
                        .map(|st| u64::try_from(st.cpu_time().as_millis()).unwrap_or(u64::MAX)),
                    ip: None,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn shutdown(&self, grace: Duration) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        let all: Vec<Arc<Instance>> = self.inner.instances().values().cloned().collect();
        let stops = all.iter().map(|inst| async move {
            let _op = inst.op.lock().await;
            if inst.lock().run.is_some()
                && let Err(e) = self.inner.stop_locked(inst, grace, StopCause::Shutdown).await
            {
                tracing::warn!(agent_id = %inst.agent_id, "stopping an agent at shutdown: {e}");
            }
        });
        futures::future::join_all(stops).await;
    }
}

#[cfg(test)]
mod tests;
