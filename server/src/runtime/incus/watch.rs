//! The watcher: every `poll` it reads all our containers' states in one call, notices what
//! changed without a verb (an exit, a crash, a start or freeze by someone else), emits the
//! lifecycle events, applies the restart policy with the shared back-off, and follows the
//! console logs. It holds the runtime weakly and ends when the runtime is dropped.

use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::Utc;

use super::Inner;
use super::agent::{Agent, Shared};
use super::observe::Observed;
use crate::runtime::events::LifecycleKind;
use crate::runtime::restart::Next;
use crate::runtime::state::{Exit, State};

/// incus does not say how a container's init ended: an exit without a stop verb is
/// counted as a failure (so `on-failure` restarts it).
pub(super) const UNKNOWN_EXIT: Exit = Exit {
    code: None,
    signal: None,
};

pub(super) async fn run(inner: Weak<Inner>) {
    loop {
        let Some(strong) = inner.upgrade() else { return };
        strong.tick().await;
        let every = strong.config.poll;
        drop(strong);
        tokio::time::sleep(every).await;
    }
}

/// Records the end of a run. The exit status is unknown: it stays unset.
pub(super) fn record_exit(s: &mut Shared, requested: bool) -> State {
    let state = s.status.exited(UNKNOWN_EXIT, requested, Utc::now());
    s.status.exit_code = None;
    s.status.signal = None;
    if !requested {
        s.status.last_error =
            Some("the container stopped without a stop verb (incus does not report its exit status)".into());
    }
    state
}

impl Inner {
    async fn tick(self: &Arc<Self>) {
        let Ok(all) = self.all().await else {
            // The daemon is down or busy: nothing to learn this time.
            return;
        };
        for found in &all {
            let agent = self.adopt(found);
            if let Ok(_op) = agent.op.try_lock() {
                self.reconcile(&agent, Some(&found.observed));
            }
            self.read_console(&agent, found.observed.state()).await;
        }
    }

    /// Brings the record in line with what the daemon reports (None: no container), with
    /// the events of each change. Called with the agent's `op` held.
    pub(super) fn reconcile(self: &Arc<Self>, agent: &Arc<Agent>, seen: Option<&Observed>) {
        let mut s = agent.lock();
        if s.removed {
            return;
        }
        let recorded = s.status.state;
        let daemon = seen.map_or(State::Stopped, Observed::state);
        let pid = seen.and_then(|o| o.pid);
        match (recorded.is_live(), daemon) {
            (true, State::Stopped | State::Failed) => {
                record_exit(&mut s, false);
                self.emit(agent.id, LifecycleKind::Exited, &s.status);
                let ran_for = s.run_started.take().map_or(Duration::ZERO, |t| t.elapsed());
                self.apply_policy(agent, &mut s, ran_for);
            }
            (false, State::Running | State::Starting | State::Stopping | State::Paused) => {
                // Started by someone else (an operator, another taosd).
                s.epoch += 1;
                s.status.running(pid, Utc::now());
                s.run_started = Some(tokio::time::Instant::now());
                self.emit(agent.id, LifecycleKind::Started, &s.status);
                if daemon == State::Paused {
                    s.status.paused();
                    self.emit(agent.id, LifecycleKind::Paused, &s.status);
                }
            }
            (true, State::Paused) if recorded != State::Paused => {
                s.status.paused();
                self.emit(agent.id, LifecycleKind::Paused, &s.status);
            }
            (true, State::Running) if recorded == State::Paused => {
                s.status.resumed();
                self.emit(agent.id, LifecycleKind::Resumed, &s.status);
            }
            (true, _) if pid.is_some() && s.status.pid != pid => s.status.pid = pid,
            _ => {}
        }
    }

    fn apply_policy(self: &Arc<Self>, agent: &Arc<Agent>, s: &mut Shared, ran_for: Duration) {
        match self
            .config
            .backoff
            .after_exit(s.policy, UNKNOWN_EXIT, ran_for, &mut s.streak)
        {
            Next::Stay => {}
            Next::RestartAfter(delay) => {
                let at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
                s.status.restart_scheduled(at);
                let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
                self.emit(agent.id, LifecycleKind::RestartScheduled { delay_ms }, &s.status);
                tokio::spawn(restart_later(Arc::downgrade(self), agent.clone(), delay, s.epoch));
            }
            Next::GiveUp { failures } => {
                s.status.gave_up(failures);
                self.emit(agent.id, LifecycleKind::GaveUp, &s.status);
            }
        }
    }
}

/// The restart policy's start, unless a verb acted on the agent meanwhile.
async fn restart_later(inner: Weak<Inner>, agent: Arc<Agent>, delay: Duration, epoch: u64) {
    tokio::time::sleep(delay).await;
    let Some(inner) = inner.upgrade() else { return };
    let _op = agent.op.lock().await;
    {
        let mut s = agent.lock();
        let due =
            s.epoch == epoch && !s.removed && !s.status.state.is_live() && s.status.next_restart_at.is_some();
        if !due {
            return;
        }
        s.status.starting_by_policy();
    }
    if let Err(e) = inner.boot(&agent).await {
        let mut s = agent.lock();
        s.status.start_failed(e.to_string(), Utc::now());
        inner.emit(agent.id, LifecycleKind::Exited, &s.status);
        inner.apply_policy(&agent, &mut s, Duration::ZERO);
    }
}
