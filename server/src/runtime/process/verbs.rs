//! The lifecycle verbs of the process runtime, each under the instance's `op` lock.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use nix::sys::signal::Signal;
use tokio::time::{Instant, timeout};

use super::group::{Group, KILL_WAIT};
use super::instance::Instance;
use super::supervise::launch;
use super::{Inner, procfs};
use crate::runtime::PauseKind;
use crate::runtime::error::{Error, Result};
use crate::runtime::events::{LifecycleKind, StopCause};
use crate::runtime::spec::InstanceSpec;
use crate::runtime::state::{InstanceStatus, State, Transition, Verb};

fn unchanged(from: State, status: &InstanceStatus) -> Transition {
    Transition {
        changed: false,
        from,
        status: status.clone(),
    }
}

fn changed(from: State, inst: &Instance) -> Transition {
    Transition {
        changed: true,
        from,
        status: inst.status(),
    }
}

/// The run went away while a verb worked on it (it exited): the verb no longer applies.
fn gone(verb: Verb, inst: &Instance) -> Error {
    let status = inst.status();
    match status.check(verb) {
        Err(e) => e,
        Ok(_) => Error::failed("the agent exited meanwhile"),
    }
}

impl Inner {
    pub(super) async fn start_locked(
        self: &Arc<Self>,
        inst: &Arc<Instance>,
        spec: &InstanceSpec,
    ) -> Result<Transition> {
        let (from, before) = {
            let mut s = inst.lock();
            let from = s.status.state;
            if !s.status.check(Verb::Start)? {
                return Ok(unchanged(from, &s.status));
            }
            let before = s.status.clone();
            s.epoch += 1;
            s.streak = 0;
            s.spec = spec.clone();
            s.status.starting_by_request();
            (from, before)
        };
        match launch(self, inst).await {
            Ok(()) => Ok(changed(from, inst)),
            Err(e) => {
                let mut s = inst.lock();
                if matches!(e, Error::InvalidSpec { .. }) {
                    // Nothing started: as if the verb had not been asked.
                    s.status = before;
                } else {
                    s.status.start_failed(e.to_string(), Utc::now());
                    self.emit(inst.agent_id, LifecycleKind::Exited, &s.status);
                }
                Err(e)
            }
        }
    }

    pub(super) async fn stop_locked(
        &self,
        inst: &Instance,
        grace: Duration,
        cause: StopCause,
    ) -> Result<Transition> {
        let (from, group, paused, mut over) = {
            let mut s = inst.lock();
            let from = s.status.state;
            if !s.status.check(Verb::Stop)? {
                return Ok(unchanged(from, &s.status));
            }
            s.epoch += 1;
            let Some(run) = s.run.as_mut() else {
                s.status.stopped_while_down();
                self.emit(inst.agent_id, LifecycleKind::Stopped { cause }, &s.status);
                return Ok(settled(from, &s.status));
            };
            run.stop = Some((cause, Instant::now() + grace));
            let taken = (from, run.group.clone(), run.paused, run.over.clone());
            s.status.stopping();
            taken
        };
        group.signal(Signal::SIGTERM);
        // A frozen or stopped agent handles its SIGTERM once it runs again.
        thaw(&group, paused).await;
        if timeout(grace, over.wait_for(|done| *done)).await.is_err() {
            group.kill();
            if timeout(KILL_WAIT, over.wait_for(|done| *done)).await.is_err() {
                return Err(Error::failed("the agent's processes did not exit after SIGKILL"));
            }
        }
        Ok(changed(from, inst))
    }

    pub(super) async fn pause_locked(&self, inst: &Instance) -> Result<Transition> {
        let (from, group) = {
            let s = inst.lock();
            let from = s.status.state;
            if !s.status.check(Verb::Pause)? {
                return Ok(unchanged(from, &s.status));
            }
            let Some(run) = s.run.as_ref() else {
                return Err(gone(Verb::Pause, inst));
            };
            (from, run.group.clone())
        };
        let kind = match &group.cgroup {
            Some(cg) if cg.can_freeze() => {
                cg.set_frozen(true)
                    .await
                    .map_err(|e| Error::failed(format!("cannot freeze the agent: {e}")))?;
                PauseKind::CgroupFreezer
            }
            _ => {
                group.signal(Signal::SIGSTOP);
                wait_stopped(&group).await;
                PauseKind::Sigstop
            }
        };
        let paused = {
            let mut s = inst.lock();
            match s.run.as_mut().filter(|r| r.group.pgid == group.pgid) {
                Some(run) => {
                    run.paused = Some(kind);
                    s.epoch += 1;
                    s.status.paused();
                    self.emit(inst.agent_id, LifecycleKind::Paused, &s.status);
                    Some(s.status.clone())
                }
                None => None,
            }
        };
        match paused {
            Some(status) => Ok(Transition {
                changed: true,
                from,
                status,
            }),
            None => {
                // It exited while being frozen: leave nothing frozen behind.
                thaw(&group, Some(kind)).await;
                Err(gone(Verb::Pause, inst))
            }
        }
    }

    pub(super) async fn resume_locked(&self, inst: &Instance) -> Result<Transition> {
        let (from, group, paused) = {
            let s = inst.lock();
            let from = s.status.state;
            if !s.status.check(Verb::Resume)? {
                return Ok(unchanged(from, &s.status));
            }
            let Some(run) = s.run.as_ref() else {
                return Err(gone(Verb::Resume, inst));
            };
            (from, run.group.clone(), run.paused)
        };
        thaw(&group, paused).await;
        let mut s = inst.lock();
        if let Some(run) = s.run.as_mut() {
            run.paused = None;
        }
        s.epoch += 1;
        s.status.resumed();
        self.emit(inst.agent_id, LifecycleKind::Resumed, &s.status);
        Ok(Transition {
            changed: true,
            from,
            status: s.status.clone(),
        })
    }

    pub(super) async fn restart_locked(
        self: &Arc<Self>,
        inst: &Arc<Instance>,
        spec: &InstanceSpec,
        grace: Duration,
    ) -> Result<Transition> {
        let (from, live) = {
            let s = inst.lock();
            s.status.check(Verb::Restart)?;
            (s.status.state, s.run.is_some())
        };
        if live {
            self.stop_locked(inst, grace, StopCause::Verb).await?;
        }
        let started = self.start_locked(inst, spec).await?;
        Ok(Transition {
            changed: true,
            from,
            status: started.status,
        })
    }
}

/// A stop verb on an instance that was not running (failed, perhaps awaiting a restart):
/// its state changes to `stopped` though no process had to be stopped.
fn settled(from: State, status: &InstanceStatus) -> Transition {
    Transition {
        changed: from != status.state,
        from,
        status: status.clone(),
    }
}

async fn thaw(group: &Group, paused: Option<PauseKind>) {
    match (paused, &group.cgroup) {
        (Some(PauseKind::CgroupFreezer), Some(cg)) => {
            if let Err(e) = cg.set_frozen(false).await {
                tracing::warn!(pgid = group.pgid, "cannot thaw an agent: {e}");
            }
        }
        (Some(_), _) => group.thaw_signals(),
        (None, _) => {}
    }
}

/// Until every process of the group shows as stopped (`T`), briefly: SIGSTOP is delivered
/// asynchronously, and "paused" should mean no more output.
async fn wait_stopped(group: &Group) {
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        let running = group
            .members()
            .into_iter()
            .any(|pid| procfs::stat(pid).is_some_and(|s| !matches!(s.state, 'T' | 't' | 'Z')));
        if !running {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
