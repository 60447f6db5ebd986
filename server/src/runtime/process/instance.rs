//! One agent known to the process runtime: its spec, its status record, and its current
//! run (a child process and what belongs to it). Verbs on it hold `op`, one at a time; the
//! supervisor of a run only takes the short `shared` lock, so a verb can wait for an exit.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use uuid::Uuid;

use super::group::Group;
use crate::runtime::PauseKind;
use crate::runtime::events::StopCause;
use crate::runtime::spec::InstanceSpec;
use crate::runtime::state::InstanceStatus;

pub struct Instance {
    pub agent_id: Uuid,
    pub op: tokio::sync::Mutex<()>,
    shared: Mutex<Shared>,
}

pub struct Shared {
    pub spec: InstanceSpec,
    pub status: InstanceStatus,
    pub run: Option<Run>,
    /// Fast failures in a row, for the restart policy.
    pub streak: u32,
    /// Bumped by every verb that acts: a restart scheduled before it does not happen.
    pub epoch: u64,
    /// Forgotten (removed): a late supervisor or timer must not bring it back.
    pub removed: bool,
}

pub struct Run {
    pub group: Group,
    pub started: Instant,
    pub paused: Option<PauseKind>,
    /// Set by a stop verb: why, and when the grace ends.
    pub stop: Option<(StopCause, Instant)>,
    /// Turns true once the run is over and the status says how it ended.
    pub over: watch::Receiver<bool>,
}

impl Run {
    pub fn ran_for(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Instance {
    pub fn new(spec: InstanceSpec) -> Self {
        Self {
            agent_id: spec.agent_id,
            op: tokio::sync::Mutex::new(()),
            shared: Mutex::new(Shared {
                spec,
                status: InstanceStatus::new(),
                run: None,
                streak: 0,
                epoch: 0,
                removed: false,
            }),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Shared> {
        // Every change under this lock is a plain field update: a panic leaves it usable.
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn status(&self) -> InstanceStatus {
        self.lock().status.clone()
    }
}
