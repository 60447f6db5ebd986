//! What this taosd knows of one agent's container, besides what the daemon says.

use std::sync::{Mutex, MutexGuard};

use tokio::time::Instant;
use uuid::Uuid;

use super::logs::Console;
use crate::runtime::restart::RestartPolicy;
use crate::runtime::spec::InstanceSpec;
use crate::runtime::state::InstanceStatus;

pub(super) struct Agent {
    pub id: Uuid,
    pub container: String,
    /// Held by a verb for its whole length (verbs on one agent are serialised); the watcher
    /// only looks at an agent whose `op` is free.
    pub op: tokio::sync::Mutex<()>,
    shared: Mutex<Shared>,
    /// Only the watcher reads the console.
    pub console: Mutex<Console>,
}

pub(super) struct Shared {
    /// The last spec a verb was given (None for an adopted container until then).
    pub spec: Option<InstanceSpec>,
    pub policy: RestartPolicy,
    pub status: InstanceStatus,
    /// Bumped by every verb: a restart scheduled before it is cancelled.
    pub epoch: u64,
    /// Fast failures in a row, for the back-off.
    pub streak: u32,
    /// When the current run began (as seen by this taosd).
    pub run_started: Option<Instant>,
    pub removed: bool,
}

impl Agent {
    pub fn new(id: Uuid, container: String, policy: RestartPolicy, status: InstanceStatus) -> Self {
        Self {
            id,
            container,
            op: tokio::sync::Mutex::new(()),
            shared: Mutex::new(Shared {
                spec: None,
                policy,
                status,
                epoch: 0,
                streak: 0,
                run_started: None,
                removed: false,
            }),
            console: Mutex::new(Console::default()),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn status(&self) -> InstanceStatus {
        self.lock().status.clone()
    }

    pub fn console(&self) -> MutexGuard<'_, Console> {
        self.console.lock().unwrap_or_else(|p| p.into_inner())
    }
}
