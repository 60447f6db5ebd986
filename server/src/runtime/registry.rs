//! The runtimes taosd knows, a default among them (`TAOS_RUNTIME`), the log store and the
//! event channel they share.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::error::{Error, Result};
use super::events::Events;
use super::logs::Logs;
use super::{Availability, Runtime, RuntimeKind};

/// How long one probe of every backend answers `GET /api/runtimes`: a probe asks each daemon
/// over its socket, far too slow (and too easy to flood) for every request.
const PROBE_TTL: Duration = Duration::from_secs(1);

pub struct Runtimes {
    /// The last probe of every backend, and when it was made; one caller probes at a time and
    /// the others take its answer.
    probed: tokio::sync::Mutex<Option<(tokio::time::Instant, Vec<Availability>)>>,
    default: RuntimeKind,
    backends: BTreeMap<RuntimeKind, Arc<dyn Runtime>>,
    logs: Arc<Logs>,
    events: Events,
}

impl Runtimes {
    pub fn new(default: RuntimeKind, logs: Arc<Logs>, events: Events) -> Self {
        Self {
            probed: tokio::sync::Mutex::new(None),
            default,
            backends: BTreeMap::new(),
            logs,
            events,
        }
    }

    pub fn with(mut self, backend: Arc<dyn Runtime>) -> Self {
        self.backends.insert(backend.kind(), backend);
        self
    }

    pub fn default_kind(&self) -> RuntimeKind {
        self.default
    }

    /// The backend `kind` (the default when None), or [`Error::Unavailable`] with how to get it.
    pub fn get(&self, kind: Option<RuntimeKind>) -> Result<Arc<dyn Runtime>> {
        let kind = kind.unwrap_or(self.default);
        self.backends
            .get(&kind)
            .cloned()
            .ok_or_else(|| Error::Unavailable {
                kind,
                reason: format!("taosd was started without the {kind} runtime"),
                fix: match kind {
                    RuntimeKind::Process => "Use a taosd built with the process runtime.".into(),
                    other => format!("Install and start {other}, then restart taosd."),
                },
            })
    }

    /// Every known kind, probed (configured or not), for `GET /api/runtimes`: the probe of at
    /// most [`PROBE_TTL`] ago.
    pub async fn probe_all(&self) -> Vec<Availability> {
        let mut last = self.probed.lock().await;
        if let Some((at, all)) = last.as_ref()
            && at.elapsed() < PROBE_TTL
        {
            return all.clone();
        }
        let all = self.probe_now().await;
        *last = Some((tokio::time::Instant::now(), all.clone()));
        all
    }

    async fn probe_now(&self) -> Vec<Availability> {
        let mut out = Vec::new();
        for kind in RuntimeKind::ALL {
            out.push(match self.get(Some(kind)) {
                Ok(backend) => backend.probe().await,
                Err(Error::Unavailable { reason, fix, .. }) => Availability {
                    kind,
                    available: false,
                    version: None,
                    reason: Some(reason),
                    fix: Some(fix),
                    capabilities: super::Capabilities {
                        pause: super::PauseKind::None,
                        limits: super::LimitsApplied::default(),
                        live_env_update: false,
                        survives_server_restart: false,
                    },
                },
                Err(_) => continue,
            });
        }
        out
    }

    pub fn logs(&self) -> &Arc<Logs> {
        &self.logs
    }

    pub fn events(&self) -> &Events {
        &self.events
    }

    /// taosd is stopping: every backend stops what would not survive it, at once.
    pub async fn shutdown(&self, grace: Duration) {
        let stops = self.backends.values().map(|b| b.shutdown(grace));
        futures::future::join_all(stops).await;
    }
}
