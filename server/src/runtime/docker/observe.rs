//! What the daemon says about a container (`inspect`), reduced to what a status needs, and
//! how it updates an agent's status record: the daemon owns the run (state, pid, exit,
//! times); taosd adds what only it knows (a stop it asked for, restart counts, errors).

use std::collections::HashMap;

use bollard::models::{ContainerInspectResponse, ContainerStateStatusEnum};
use chrono::{DateTime, Datelike, Utc};
use uuid::Uuid;

use super::names;
use crate::runtime::restart::RestartPolicy;
use crate::runtime::state::{Exit, InstanceStatus, State};

/// One container as inspected.
#[derive(Debug, Clone)]
pub struct Seen {
    pub id: String,
    pub name: String,
    pub labels: HashMap<String, String>,
    pub docker_state: ContainerStateStatusEnum,
    pub pid: Option<u32>,
    pub exit_code: Option<i32>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
}

/// Docker's RFC 3339 times; its zero time (year 1) means "never".
pub fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(s?).ok()?.with_timezone(&Utc);
    (t.year() > 1970).then_some(t)
}

impl Seen {
    pub fn from_inspect(c: ContainerInspectResponse) -> Self {
        let state = c.state.unwrap_or_default();
        let labels = c.config.and_then(|cfg| cfg.labels).unwrap_or_default();
        let ip = c.network_settings.and_then(|n| n.networks).and_then(|nets| {
            nets.into_values()
                .filter_map(|e| e.ip_address)
                .find(|ip| !ip.is_empty())
        });
        Self {
            id: c.id.unwrap_or_default(),
            name: names::agent_name(c.name.as_deref().unwrap_or("")),
            labels,
            docker_state: state.status.unwrap_or(ContainerStateStatusEnum::EMPTY),
            pid: state.pid.and_then(|p| u32::try_from(p).ok()).filter(|&p| p > 0),
            exit_code: state.exit_code.and_then(|c| i32::try_from(c).ok()),
            started_at: parse_time(state.started_at.as_deref()),
            finished_at: parse_time(state.finished_at.as_deref()),
            ip,
        }
    }

    pub fn agent_id(&self) -> Option<Uuid> {
        names::agent_of(&self.labels)
    }

    pub fn managed(&self) -> bool {
        self.labels.get(names::LABEL_MANAGED).is_some_and(|v| v == "1")
    }

    pub fn spec_digest(&self) -> Option<&str> {
        self.labels.get(names::LABEL_SPEC).map(String::as_str)
    }

    pub fn restart_policy(&self) -> RestartPolicy {
        names::restart_of(&self.labels)
    }

    pub fn is_live(&self) -> bool {
        use ContainerStateStatusEnum::*;
        matches!(self.docker_state, RUNNING | PAUSED | RESTARTING | STOPPING)
    }

    /// How the last run ended. Docker reports a run killed by a signal as 128 + signal.
    pub fn exit(&self) -> Exit {
        match self.exit_code {
            Some(code @ 129..=192) => Exit {
                code: Some(code),
                signal: Some(code - 128),
            },
            Some(code) => Exit::code(code),
            None => Exit::code(-1),
        }
    }

    /// How long the last run lasted, when both ends are known.
    pub fn ran_for(&self) -> std::time::Duration {
        match (self.started_at, self.finished_at) {
            (Some(s), Some(f)) => (f - s).to_std().unwrap_or_default(),
            _ => std::time::Duration::ZERO,
        }
    }
}

/// Brings `status` in line with the daemon. `stopped_by_verb`: taosd stopped the last run,
/// so its exit (137, 143…) is a stop, not a failure.
pub fn refresh(status: &mut InstanceStatus, seen: &Seen, stopped_by_verb: bool) {
    use ContainerStateStatusEnum::*;
    let state = match seen.docker_state {
        CREATED | EMPTY => State::Created,
        RUNNING => State::Running,
        PAUSED => State::Paused,
        RESTARTING => State::Starting,
        REMOVING | STOPPING => State::Stopping,
        EXITED | DEAD => {
            if stopped_by_verb || seen.exit_code == Some(0) {
                State::Stopped
            } else {
                State::Failed
            }
        }
    };
    status.started_at = seen.started_at.or(status.started_at);
    if state.is_live() {
        status.pid = seen.pid;
        status.finished_at = None;
        status.exit_code = None;
        status.signal = None;
        if status.state != state && matches!(state, State::Running) {
            status.last_error = None;
        }
    } else if matches!(state, State::Stopped | State::Failed) {
        let exit = seen.exit();
        status.pid = None;
        status.finished_at = seen.finished_at.or(status.finished_at);
        status.exit_code = Some(exit.exit_code());
        status.signal = exit.signal;
        if state == State::Failed && status.last_error.is_none() {
            status.last_error = Some(match exit.signal {
                Some(sig) => format!("killed by signal {sig}"),
                None => format!("exited with status {}", exit.exit_code()),
            });
        }
    }
    // A restart the policy scheduled, or its giving up, is taosd's knowledge: keep `failed`.
    let gave_up = status.state == State::Failed
        && state == State::Failed
        && status
            .last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("gave up"));
    if !gave_up {
        status.state = state;
    }
    if state.is_live() {
        status.next_restart_at = None;
    }
}
