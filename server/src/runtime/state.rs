//! The one state machine of every backend: which verb may apply in which state, and how an
//! instance's status record changes as it runs. Pure (the clock is an argument), so it is
//! tested exhaustively and every backend keeps its records the same way.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Known to the backend, never started.
    Created,
    Starting,
    Running,
    Paused,
    Stopping,
    /// Stopped on request, or exited with status 0.
    Stopped,
    /// Exited unexpectedly (non-zero, killed by a signal), could not start, or the restart
    /// policy gave up.
    Failed,
}

impl State {
    pub const ALL: [State; 7] = [
        Self::Created,
        Self::Starting,
        Self::Running,
        Self::Paused,
        Self::Stopping,
        Self::Stopped,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
            Self::Failed => "failed",
        }
    }

    /// Whether the instance has something running (a process, a container's init).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Self::Starting | Self::Running | Self::Paused | Self::Stopping
        )
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    Start,
    Stop,
    Pause,
    Resume,
    Restart,
}

impl Verb {
    pub const ALL: [Verb; 5] = [Self::Start, Self::Stop, Self::Pause, Self::Resume, Self::Restart];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Restart => "restart",
        }
    }
}

impl std::fmt::Display for Verb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a verb does from a state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The backend acts, and the state changes.
    Proceed,
    /// Already in (or heading to) the asked state: answer `changed: false`.
    Unchanged,
    /// Impossible from here; the verbs that would act.
    Invalid(Vec<Verb>),
}

/// The transition table. Stopping a failed instance is allowed (it cancels a pending
/// restart and records that the owner wants it stopped); a paused one must be resumed
/// (or stopped, or restarted) before `start` means anything, as with Docker.
pub fn decide(from: State, verb: Verb) -> Decision {
    match table(from, verb) {
        Some(true) => Decision::Proceed,
        Some(false) => Decision::Unchanged,
        None => Decision::Invalid(proceeding(from)),
    }
}

/// The verbs that act from `from`.
pub fn proceeding(from: State) -> Vec<Verb> {
    Verb::ALL
        .into_iter()
        .filter(|&v| table(from, v) == Some(true))
        .collect()
}

/// `Some(true)`: acts; `Some(false)`: already there; `None`: impossible.
fn table(from: State, verb: Verb) -> Option<bool> {
    use State::*;
    use Verb::*;
    match (from, verb) {
        (_, Restart) => Some(true),
        (Created | Stopped | Failed, Start) => Some(true),
        (Starting | Running, Start) => Some(false),
        (Starting | Running | Paused | Failed, Stop) => Some(true),
        (Created | Stopping | Stopped, Stop) => Some(false),
        (Running, Pause) | (Paused, Resume) => Some(true),
        (Paused, Pause) | (Running, Resume) => Some(false),
        _ => None,
    }
}

/// How a run ended: an exit status, or the signal that killed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

impl Exit {
    pub fn code(code: i32) -> Self {
        Self {
            code: Some(code),
            signal: None,
        }
    }

    pub fn signal(signal: i32) -> Self {
        Self {
            code: None,
            signal: Some(signal),
        }
    }

    /// The shell's convention (and Docker's): the status, or 128 + the signal.
    pub fn exit_code(self) -> i32 {
        self.code.unwrap_or_else(|| 128 + self.signal.unwrap_or(0))
    }

    pub fn success(self) -> bool {
        self.code == Some(0)
    }
}

/// An instance's status: the record each backend keeps and every event carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceStatus {
    pub state: State,
    /// The last run's exit status (128 + signal when killed by one).
    pub exit_code: Option<i32>,
    /// The signal that ended the last run, if one did.
    pub signal: Option<i32>,
    /// The running instance's leader process, where the backend has one on this host.
    pub pid: Option<u32>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Restarts made by the restart policy since the last explicit start.
    pub restart_count: u32,
    pub last_error: Option<String>,
    /// When the restart policy will start the instance again.
    pub next_restart_at: Option<DateTime<Utc>>,
}

impl Default for InstanceStatus {
    fn default() -> Self {
        Self::new()
    }
}

impl InstanceStatus {
    pub fn new() -> Self {
        Self {
            state: State::Created,
            exit_code: None,
            signal: None,
            pid: None,
            started_at: None,
            finished_at: None,
            restart_count: 0,
            last_error: None,
            next_restart_at: None,
        }
    }

    /// Whether `verb` acts now (`Ok(true)`), has nothing to do (`Ok(false)`), or cannot apply.
    pub fn check(&self, verb: Verb) -> Result<bool> {
        match decide(self.state, verb) {
            Decision::Proceed => Ok(true),
            Decision::Unchanged => Ok(false),
            Decision::Invalid(allowed) => Err(Error::InvalidTransition {
                verb,
                from: self.state,
                allowed,
            }),
        }
    }

    /// An explicit start (or restart) by the owner: the restart policy's count begins again.
    pub fn starting_by_request(&mut self) {
        self.restart_count = 0;
        self.starting();
    }

    /// A start by the restart policy.
    pub fn starting_by_policy(&mut self) {
        self.restart_count += 1;
        self.starting();
    }

    fn starting(&mut self) {
        self.state = State::Starting;
        self.next_restart_at = None;
    }

    pub fn running(&mut self, pid: Option<u32>, now: DateTime<Utc>) {
        self.state = State::Running;
        self.pid = pid;
        self.started_at = Some(now);
        self.finished_at = None;
        self.exit_code = None;
        self.signal = None;
        self.last_error = None;
    }

    /// The instance could not be started at all.
    pub fn start_failed(&mut self, reason: String, now: DateTime<Utc>) {
        self.state = State::Failed;
        self.pid = None;
        self.finished_at = Some(now);
        self.last_error = Some(reason);
    }

    pub fn stopping(&mut self) {
        self.state = State::Stopping;
    }

    pub fn paused(&mut self) {
        self.state = State::Paused;
    }

    pub fn resumed(&mut self) {
        self.state = State::Running;
    }

    /// The run ended. After a stop verb it is `stopped` whatever the status; otherwise a
    /// clean exit (0) is `stopped` and anything else `failed`. Returns the new state.
    pub fn exited(&mut self, exit: Exit, requested: bool, now: DateTime<Utc>) -> State {
        self.pid = None;
        self.exit_code = Some(exit.exit_code());
        self.signal = exit.signal;
        self.finished_at = Some(now);
        self.state = if requested || exit.success() {
            State::Stopped
        } else {
            self.last_error = Some(match exit.signal {
                Some(sig) => format!("killed by signal {sig}"),
                None => format!("exited with status {}", exit.exit_code()),
            });
            State::Failed
        };
        self.state
    }

    /// The restart policy will start the instance again at `at`; until then it shows the
    /// state its exit left (`failed`, or `stopped` after a clean exit under `always`).
    pub fn restart_scheduled(&mut self, at: DateTime<Utc>) {
        self.next_restart_at = Some(at);
    }

    /// The restart policy gave up: too many fast failures in a row.
    pub fn gave_up(&mut self, failures: u32) {
        self.state = State::Failed;
        self.next_restart_at = None;
        self.last_error = Some(format!(
            "gave up after {failures} failed starts in a row{}",
            self.last_error
                .as_deref()
                .map(|e| format!(" (last: {e})"))
                .unwrap_or_default()
        ));
    }

    /// A stop verb on an instance that was not running (failed, awaiting a restart):
    /// it is `stopped` now, and nothing restarts it.
    pub fn stopped_while_down(&mut self) {
        self.state = State::Stopped;
        self.next_restart_at = None;
    }

    /// Reconcile at start-up for a backend whose instances die with taosd: a recorded live
    /// state is not true any more. Returns whether the record changed (it was live).
    pub fn lost_with_server(&mut self, now: DateTime<Utc>) -> bool {
        if !self.state.is_live() && self.next_restart_at.is_none() {
            return false;
        }
        self.state = State::Failed;
        self.pid = None;
        self.finished_at.get_or_insert(now);
        self.next_restart_at = None;
        self.last_error = Some("taosd stopped while the agent ran".into());
        true
    }
}

/// A verb's answer: the state before, and the status after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub changed: bool,
    pub from: State,
    pub status: InstanceStatus,
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
