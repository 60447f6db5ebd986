//! Lifecycle events, one channel for every backend: what the caller persists (the observed
//! state) and what posts a crash notification (the exit and, from the log store, the last
//! lines).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::RuntimeKind;
use super::state::InstanceStatus;

/// Events kept for a slow subscriber; one that falls further behind gets `Lagged` and
/// should re-read the states it cares about (`Runtime::list`).
const CAPACITY: usize = 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecycleEvent {
    pub agent_id: Uuid,
    pub runtime: RuntimeKind,
    pub at: DateTime<Utc>,
    pub kind: LifecycleKind,
    /// The status after the event.
    pub status: InstanceStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum LifecycleKind {
    Started,
    Paused,
    Resumed,
    /// Stopped on request (a verb, or taosd stopping).
    Stopped {
        cause: StopCause,
    },
    /// Ended without a stop verb: a crash unless it exited 0.
    Exited,
    /// The restart policy starts it again after `delay_ms`.
    RestartScheduled {
        delay_ms: u64,
    },
    /// The restart policy stopped trying: the instance stays failed.
    GaveUp,
    /// Forgotten by the backend (the agent was removed).
    Removed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopCause {
    Verb,
    /// taosd is shutting down: the desired state is unchanged, start it again at start-up.
    Shutdown,
}

/// The sending side, shared by every backend (cloning shares the channel).
#[derive(Debug, Clone)]
pub struct Events(broadcast::Sender<LifecycleEvent>);

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub fn new() -> Self {
        Self(broadcast::channel(CAPACITY).0)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LifecycleEvent> {
        self.0.subscribe()
    }

    pub(crate) fn emit(
        &self,
        agent_id: Uuid,
        runtime: RuntimeKind,
        kind: LifecycleKind,
        status: &InstanceStatus,
    ) {
        // No subscriber is fine: nobody is listening yet.
        let _ = self.0.send(LifecycleEvent {
            agent_id,
            runtime,
            at: Utc::now(),
            kind,
            status: status.clone(),
        });
    }
}
