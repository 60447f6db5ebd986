//! One agent known to the docker runtime: what taosd knows beyond the daemon (its spec,
//! its status record, whether taosd stopped it, the restart policy's count) and the
//! windows of time its verbs acted in, so the watcher can tell their daemon events from
//! everything else.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::observe::{self, Seen};
use crate::runtime::restart::RestartPolicy;
use crate::runtime::spec::InstanceSpec;
use crate::runtime::state::InstanceStatus;

/// Verb windows kept: the watcher may lag a little behind, never by dozens of verbs.
const WINDOWS: usize = 16;
/// Slack around a window (docker's clock and ours are the same host's, but not one call).
const SLACK: TimeDelta = TimeDelta::milliseconds(100);

pub struct Agent {
    pub agent_id: Uuid,
    /// Verbs (and the watcher's handling of one of this agent's events) one at a time.
    pub op: tokio::sync::Mutex<()>,
    local: Mutex<Local>,
}

pub struct Local {
    /// The last spec a verb gave (None for a container adopted from an earlier taosd).
    pub spec: Option<InstanceSpec>,
    pub name: String,
    pub restart: RestartPolicy,
    /// The agent's current container.
    pub container: Option<String>,
    pub status: InstanceStatus,
    /// taosd stopped the current run: its exit is a stop, whatever the status.
    pub stopped_by_verb: bool,
    /// Fast failures in a row (the restart policy's).
    pub streak: u32,
    /// Bumped by every verb that acts: a restart scheduled before it does not happen.
    pub epoch: u64,
    windows: VecDeque<Window>,
    /// Containers taosd deleted itself (a recreate): their `destroy` is not a removal.
    pub retired: Vec<String>,
    pub follower: Option<(String, JoinHandle<()>)>,
    /// The daemon's timestamp of the last line fed into the log (to resume without repeats).
    pub fed_until: Option<DateTime<Utc>>,
    pub restart_timer: Option<JoinHandle<()>>,
    /// When the last run whose end the watcher handled finished (a replayed event, or a
    /// reconnect that finds the same exit, is not a second crash).
    pub handled_exit: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
    /// A verb that stops the run: a `die` in it is the verb's, not a crash.
    stopping: bool,
}

/// Which of an agent's verbs a daemon event belongs to, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Nobody,
    Verb,
    StoppingVerb,
}

impl Agent {
    pub fn new(agent_id: Uuid, name: &str) -> Self {
        Self {
            agent_id,
            op: tokio::sync::Mutex::new(()),
            local: Mutex::new(Local {
                spec: None,
                name: name.to_string(),
                restart: RestartPolicy::No,
                container: None,
                status: InstanceStatus::new(),
                stopped_by_verb: false,
                streak: 0,
                epoch: 0,
                windows: VecDeque::new(),
                retired: Vec::new(),
                follower: None,
                fed_until: None,
                restart_timer: None,
                handled_exit: None,
            }),
        }
    }

    /// An agent known only from its container (made by an earlier taosd).
    pub fn adopted(agent_id: Uuid, seen: &Seen) -> Self {
        let a = Self::new(agent_id, &seen.name);
        {
            let mut l = a.lock();
            l.restart = seen.restart_policy();
            l.container = Some(seen.id.clone());
        }
        a
    }

    pub fn lock(&self) -> MutexGuard<'_, Local> {
        // Every change under this lock is a plain field update: a panic leaves it usable.
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn status(&self) -> InstanceStatus {
        self.lock().status.clone()
    }

    /// Brings the status in line with the daemon's view of the agent's container.
    pub fn observe(&self, seen: &Seen) -> InstanceStatus {
        let mut l = self.lock();
        if l.container.as_deref() != Some(seen.id.as_str()) {
            l.container = Some(seen.id.clone());
        }
        let by_verb = l.stopped_by_verb;
        observe::refresh(&mut l.status, seen, by_verb);
        l.status.clone()
    }

    /// A verb acts on the daemon until the guard drops (even if the verb is cancelled).
    pub fn acting(&self, stopping: bool) -> Acting<'_> {
        let mut l = self.lock();
        if l.windows.len() >= WINDOWS {
            l.windows.pop_front();
        }
        l.windows.push_back(Window {
            from: Utc::now() - SLACK,
            to: None,
            stopping,
        });
        drop(l);
        Acting(self)
    }

    fn end(&self) {
        if let Some(w) = self.lock().windows.back_mut() {
            w.to.get_or_insert(Utc::now() + SLACK);
        }
    }

    /// Whether a daemon event at `at` happened while one of taosd's verbs acted.
    pub fn owner(&self, at: DateTime<Utc>) -> Owner {
        let l = self.lock();
        let mut owner = Owner::Nobody;
        for w in &l.windows {
            if at >= w.from && w.to.is_none_or(|to| at <= to) {
                if w.stopping {
                    return Owner::StoppingVerb;
                }
                owner = Owner::Verb;
            }
        }
        owner
    }

    pub fn stop_follower(&self) {
        if let Some((_, task)) = self.lock().follower.take() {
            task.abort();
        }
    }

    pub fn cancel_restart(&self) {
        let mut l = self.lock();
        l.status.next_restart_at = None;
        if let Some(t) = l.restart_timer.take() {
            t.abort();
        }
    }
}

pub struct Acting<'a>(&'a Agent);

impl Drop for Acting<'_> {
    fn drop(&mut self) {
        self.0.end();
    }
}
