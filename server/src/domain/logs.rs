//! The `logs` operations: an agent's output, read (bounded) or followed until it stops.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError};

use crate::domain::agents::get_agent;
use crate::domain::fleet::{Configured, Fleet};
use crate::domain::lifecycle::AgentState;
use crate::domain::principal::Principal;
use crate::errors::{Error, Result};
use crate::runtime::logs::{AgentLog, Follower, LogLine, LogQuery, SharedLine, Stream};
use crate::runtime::{InstanceStatus, LifecycleEvent, LifecycleKind, RestartPolicy};
use crate::store::Store;

/// How long a follower that saw its agent end still reads the lines written before the end.
const DRAIN: Duration = Duration::from_millis(250);

/// How long a follower that had to wait for a line holds it before handing it on, so the
/// lines written meanwhile go out with it: one wake-up and one socket write for a burst
/// instead of one per line (100 followers of an agent writing 10 000 lines a second were a
/// million of each a second). A quiet agent's line arrives this much later.
const LINGER: Duration = Duration::from_millis(5);

async fn agent_log(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
) -> Result<(crate::store::Agent, Arc<AgentLog>)> {
    let agent = get_agent(store, caller, name).await?.agent;
    let log = fleet
        .runtimes
        .logs()
        .agent(agent.id)
        .map_err(|e| Error::internal("cannot open an agent's log", e))?;
    Ok((agent, log))
}

pub async fn get_agent_logs(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
    q: LogQuery,
) -> Result<Vec<LogLine>> {
    let (_, log) = agent_log(store, fleet, caller, name).await?;
    // Reading rotated files is blocking work.
    tokio::task::spawn_blocking(move || log.query(&q))
        .await
        .map_err(|e| Error::internal("reading an agent's log failed", e))
}

/// What a follower gets: lines, then once the agent has ended, its final state.
pub enum Followed {
    Line(Arc<SharedLine>),
    End(AgentState),
}

pub struct Following {
    /// Lines taken and not yet handed on: the tail asked for, and a line held while it lingers.
    backlog: std::collections::VecDeque<Arc<SharedLine>>,
    follower: Follower,
    log: Arc<AgentLog>,
    events: broadcast::Receiver<LifecycleEvent>,
    agent_id: uuid::Uuid,
    agent: String,
    kind: crate::runtime::RuntimeKind,
    restart: RestartPolicy,
    ended: Option<InstanceStatus>,
    done: bool,
}

/// Follows the agent's log: the last `tail` lines (or those after `after_seq`, a resumed
/// follower's last line), then new ones until the agent stops.
pub async fn follow_agent_logs(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
    tail: usize,
    after_seq: Option<u64>,
    stream: Option<Stream>,
) -> Result<Following> {
    let (agent, log) = agent_log(store, fleet, caller, name).await?;
    let agent_id = agent.id;
    let configured = match store.get_agent_runtime(agent_id).await? {
        Some(row) => Some(Configured::from_row(&row)?),
        None => None,
    };
    let kind = configured
        .as_ref()
        .map_or(fleet.runtimes.default_kind(), |c| c.kind);
    let restart = configured.as_ref().map(|c| c.spec.restart).unwrap_or_default();
    // Subscribed before the state is read, so an end between the two is seen.
    let events = fleet.runtimes.events().subscribe();
    let status = crate::domain::runtimes::current_status(fleet, agent_id, kind, configured.as_ref()).await;
    let (backlog, from) = match after_seq {
        Some(seq) => (Vec::new(), Some(seq)),
        None if tail == 0 => (Vec::new(), log.next_seq().checked_sub(1)),
        None => {
            let q = LogQuery {
                tail: Some(tail),
                stream,
                ..LogQuery::default()
            };
            let reader = log.clone();
            let lines = tokio::task::spawn_blocking(move || reader.query(&q))
                .await
                .map_err(|e| Error::internal("reading an agent's log failed", e))?;
            let from = match lines.last() {
                Some(l) => Some(l.seq),
                None => log.next_seq().checked_sub(1),
            };
            (lines.into_iter().map(SharedLine::alone).collect(), from)
        }
    };
    let follower = log.follow(from, stream);
    let live = status.state.is_live() || status.next_restart_at.is_some();
    Ok(Following {
        backlog: backlog.into(),
        follower,
        log,
        events,
        agent_id,
        agent: agent.slug,
        kind,
        restart,
        ended: (!live).then_some(status),
        done: false,
    })
}

impl Following {
    /// The next line, or the end; waits for the agent. Cancel-safe: nothing taken is lost
    /// when the future is dropped (a line held while it lingers is kept for the next call).
    pub async fn next(&mut self) -> Option<Followed> {
        loop {
            if let Some(line) = self.backlog.pop_front() {
                return Some(Followed::Line(line));
            }
            if self.done {
                return None;
            }
            if let Some(status) = &self.ended {
                // Whatever the agent wrote before it ended, then the end.
                if self.follower.position() < self.log.next_seq()
                    && let Ok(Some(line)) = tokio::time::timeout(DRAIN, self.follower.next()).await
                {
                    return Some(Followed::Line(line));
                }
                self.done = true;
                return Some(Followed::End(AgentState {
                    agent: self.agent.clone(),
                    kind: self.kind,
                    changed: false,
                    status: status.clone(),
                }));
            }
            let mut waited_for_line = false;
            let event = {
                let mut line = std::pin::pin!(self.follower.next());
                if let std::task::Poll::Ready(line) = futures::poll!(line.as_mut()) {
                    match line {
                        Some(line) => return Some(Followed::Line(line)),
                        None => {
                            self.done = true;
                            continue;
                        }
                    }
                }
                tokio::select! {
                    line = &mut line => {
                        match line {
                            Some(line) => {
                                self.backlog.push_back(line);
                                waited_for_line = true;
                            }
                            None => self.done = true,
                        }
                        None
                    }
                    event = self.events.recv() => match event {
                        Ok(e) if e.agent_id == self.agent_id => Some(e),
                        Ok(_) | Err(RecvError::Lagged(_)) => None,
                        Err(RecvError::Closed) => {
                            self.done = true;
                            None
                        }
                    },
                }
            };
            if waited_for_line {
                tokio::time::sleep(LINGER).await;
                continue;
            }
            if let Some(e) = event
                && self.ends(&e)
            {
                self.ended = Some(e.status);
            }
        }
    }

    /// What [`Self::next`] has ready without waiting, if anything: the rest of a burst, to
    /// go out in the same write as its first line.
    pub fn ready(&mut self) -> Option<Followed> {
        use futures::FutureExt;
        self.next().now_or_never().flatten()
    }

    /// Whether the agent is down for good after `e` (no restart coming).
    fn ends(&self, e: &LifecycleEvent) -> bool {
        match e.kind {
            LifecycleKind::Stopped { .. } | LifecycleKind::GaveUp | LifecycleKind::Removed => true,
            LifecycleKind::Exited => match self.restart {
                RestartPolicy::No => true,
                RestartPolicy::OnFailure => e.status.exit_code == Some(0),
                RestartPolicy::Always => false,
            },
            _ => false,
        }
    }
}
