//! The lifecycle verbs, each under the agent's `op` lock, each beginning with the daemon's
//! view of the container (so a verb never acts on a stale record).

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Inner;
use super::agent::Agent;
use super::container::{self, NAME_PREFIX};
use super::rest::RestError;
use super::watch::record_exit;
use crate::runtime::error::{Error, Result};
use crate::runtime::events::{LifecycleKind, StopCause};
use crate::runtime::spec::InstanceSpec;
use crate::runtime::state::{InstanceStatus, State, Transition, Verb};
use crate::runtime::{InstanceInfo, RuntimeKind};

pub(super) const CREATE_WAIT: Duration = Duration::from_secs(120);
pub(super) const START_WAIT: Duration = Duration::from_secs(30);
const START_TRIES: u32 = 10;
const FORCE_WAIT: Duration = Duration::from_secs(30);
const FREEZE_WAIT: Duration = Duration::from_secs(15);
pub(super) const DELETE_WAIT: Duration = Duration::from_secs(60);
pub(super) const EXEC_WAIT: Duration = Duration::from_secs(30);

fn unchanged(from: State, status: &InstanceStatus) -> Transition {
    Transition {
        changed: false,
        from,
        status: status.clone(),
    }
}

fn changed(from: State, status: &InstanceStatus) -> Transition {
    Transition {
        changed: true,
        from,
        status: status.clone(),
    }
}

/// A stop verb on an agent that was not running (failed, awaiting a restart).
fn settled(from: State, status: &InstanceStatus) -> Transition {
    Transition {
        changed: from != status.state,
        from,
        status: status.clone(),
    }
}

impl Inner {
    pub(super) fn state_path(container: &str) -> String {
        format!("/1.0/instances/{container}/state")
    }

    pub(super) async fn put_state(
        &self,
        container: &str,
        body: Value,
        wait: Duration,
    ) -> Result<(), RestError> {
        self.rest
            .run(Method::PUT, &Self::state_path(container), Some(&body), wait)
            .await
            .map(|_| ())
    }

    /// The record for a spec (validated first), made if this taosd has none.
    pub(super) fn for_spec(&self, spec: &InstanceSpec) -> Result<Arc<Agent>> {
        spec.validate_for(RuntimeKind::Incus)?;
        let mut agents = self.agents();
        let agent = agents
            .entry(spec.agent_id)
            .or_insert_with(|| {
                Arc::new(Agent::new(
                    spec.agent_id,
                    container::container_name(spec),
                    spec.restart,
                    InstanceStatus::new(),
                ))
            })
            .clone();
        Ok(agent)
    }

    /// The daemon's view, recorded; NotFound when the container is gone.
    pub(super) async fn refresh(self: &Arc<Self>, agent: &Arc<Agent>) -> Result<super::observe::Observed> {
        let seen = self.observe(&agent.container).await?;
        self.reconcile(agent, seen.as_ref());
        seen.ok_or(Error::NotFound)
    }

    /// Starts the container (the status is `starting`) and records the run.
    pub(super) async fn boot(self: &Arc<Self>, agent: &Arc<Agent>) -> Result<()> {
        let mut tries = 0;
        while let Err(e) = self
            .put_state(&agent.container, json!({"action": "start"}), START_WAIT)
            .await
        {
            // "already running" when it runs is a start. Right after its init exited, incusd
            // reports the container stopped while liblxc still says "already running": try
            // again a moment later.
            let seen = self.observe(&agent.container).await?;
            if seen.as_ref().map(|o| o.state()) == Some(State::Running) {
                break;
            }
            tries += 1;
            let transient = matches!(&e, RestError::Api { error, .. } if error.contains("already running"));
            if tries >= START_TRIES || !transient {
                return Err(match e {
                    RestError::Unreachable(_) => e.into(),
                    other => Error::failed(format!("cannot start {}: {other}", agent.container)),
                });
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        agent.console().run_started();
        let seen = self.observe(&agent.container).await?.ok_or(Error::NotFound)?;
        let lo_needed = {
            let mut s = agent.lock();
            s.status.running(seen.pid, chrono::Utc::now());
            s.run_started = Some(tokio::time::Instant::now());
            self.emit(agent.id, LifecycleKind::Started, &s.status);
            s.spec
                .as_ref()
                .is_some_and(|spec| spec.command.is_empty() && container::loopback_target(spec).is_some())
        };
        if lo_needed {
            // The image's own init runs: bring lo up for the proxy device, if the image can.
            let _ = self
                .rest
                .exec(&agent.container, &["ip", "link", "set", "lo", "up"], EXEC_WAIT)
                .await;
        }
        Ok(())
    }

    pub(super) async fn start(self: &Arc<Self>, spec: &InstanceSpec) -> Result<Transition> {
        let agent = self.for_spec(spec)?;
        let _op = agent.op.lock().await;
        self.start_locked(&agent, spec).await
    }

    pub(super) async fn start_locked(
        self: &Arc<Self>,
        agent: &Arc<Agent>,
        spec: &InstanceSpec,
    ) -> Result<Transition> {
        {
            let mut s = agent.lock();
            s.spec = Some(spec.clone());
            s.policy = spec.restart;
        }
        if let Ok(log) = self.logs.agent(agent.id) {
            log.add_secrets(spec.env.secret_values());
        }
        if let Err(e) = self.prepare(agent, spec).await {
            if matches!(e, Error::InvalidSpec { .. }) && agent.status().state == State::Created {
                // Nothing was made: forget the agent again.
                self.agents().remove(&agent.id);
            }
            return Err(e);
        }
        self.refresh(agent).await?;
        let from = {
            let mut s = agent.lock();
            let from = s.status.state;
            if !s.status.check(Verb::Start)? {
                return Ok(unchanged(from, &s.status));
            }
            s.epoch += 1;
            s.streak = 0;
            s.status.starting_by_request();
            from
        };
        match self.boot(agent).await {
            Ok(()) => Ok(changed(from, &agent.status())),
            Err(e) => {
                let mut s = agent.lock();
                s.status.start_failed(e.to_string(), chrono::Utc::now());
                self.emit(agent.id, LifecycleKind::Exited, &s.status);
                Err(e)
            }
        }
    }

    pub(super) async fn stop(self: &Arc<Self>, agent_id: Uuid, grace: Duration) -> Result<Transition> {
        let agent = self.find(agent_id).await?;
        let _op = agent.op.lock().await;
        self.stop_locked(&agent, grace).await
    }

    pub(super) async fn stop_locked(
        self: &Arc<Self>,
        agent: &Arc<Agent>,
        grace: Duration,
    ) -> Result<Transition> {
        let seen = self.refresh(agent).await?;
        let (from, before) = {
            let mut s = agent.lock();
            let from = s.status.state;
            if !s.status.check(Verb::Stop)? {
                return Ok(unchanged(from, &s.status));
            }
            s.epoch += 1;
            if !from.is_live() {
                s.status.stopped_while_down();
                self.emit(
                    agent.id,
                    LifecycleKind::Stopped {
                        cause: StopCause::Verb,
                    },
                    &s.status,
                );
                return Ok(settled(from, &s.status));
            }
            let before = s.status.clone();
            s.status.stopping();
            (from, before)
        };
        if let Err(e) = self
            .halt(&agent.container, seen.state() == State::Paused, grace)
            .await
        {
            agent.lock().status = before;
            return Err(e);
        }
        let mut s = agent.lock();
        record_exit(&mut s, true);
        s.run_started = None;
        self.emit(
            agent.id,
            LifecycleKind::Stopped {
                cause: StopCause::Verb,
            },
            &s.status,
        );
        Ok(changed(from, &s.status))
    }

    /// Stops the container: thawed first (a graceful stop of a frozen container leaves it
    /// frozen and wedged, §1.2), then a graceful stop of `grace`, then a forced one when the
    /// image's init ignored the halt signal (busybox does).
    async fn halt(&self, container: &str, frozen: bool, grace: Duration) -> Result<()> {
        if frozen {
            self.put_state(container, json!({"action": "unfreeze"}), FREEZE_WAIT)
                .await?;
        }
        let secs = grace.as_secs();
        if secs >= 1 {
            let graceful = json!({"action": "stop", "timeout": secs, "force": false});
            match self
                .put_state(container, graceful, grace + Duration::from_secs(5))
                .await
            {
                Err(e @ RestError::Unreachable(_)) => return Err(e.into()),
                // Timed out (or any other refusal): forced below unless it stopped anyway.
                _ => {
                    if self.is_stopped(container).await? {
                        return Ok(());
                    }
                }
            }
        }
        let forced = json!({"action": "stop", "force": true});
        match self.put_state(container, forced, FORCE_WAIT).await {
            Ok(()) => Ok(()),
            Err(e @ RestError::Unreachable(_)) => Err(e.into()),
            Err(e) => {
                if self.is_stopped(container).await? {
                    Ok(())
                } else {
                    Err(Error::failed(format!("cannot stop {container}: {e}")))
                }
            }
        }
    }

    async fn is_stopped(&self, container: &str) -> Result<bool> {
        Ok(self
            .observe(container)
            .await?
            .is_none_or(|o| matches!(o.state(), State::Stopped | State::Failed)))
    }

    pub(super) async fn pause(self: &Arc<Self>, agent_id: Uuid) -> Result<Transition> {
        self.freeze(agent_id, Verb::Pause).await
    }

    pub(super) async fn resume(self: &Arc<Self>, agent_id: Uuid) -> Result<Transition> {
        self.freeze(agent_id, Verb::Resume).await
    }

    /// Pause (`freeze`) or resume (`unfreeze`): the cgroup freezer, invisible to the agent.
    async fn freeze(self: &Arc<Self>, agent_id: Uuid, verb: Verb) -> Result<Transition> {
        let agent = self.find(agent_id).await?;
        let _op = agent.op.lock().await;
        self.refresh(&agent).await?;
        let from = {
            let s = agent.lock();
            if !s.status.check(verb)? {
                return Ok(unchanged(s.status.state, &s.status));
            }
            s.status.state
        };
        let (action, want) = match verb {
            Verb::Pause => ("freeze", State::Paused),
            _ => ("unfreeze", State::Running),
        };
        if let Err(e) = self
            .put_state(&agent.container, json!({"action": action}), FREEZE_WAIT)
            .await
        {
            let now = self.observe(&agent.container).await?.map(|o| o.state());
            if now != Some(want) {
                return Err(match e {
                    RestError::Unreachable(_) => e.into(),
                    other => Error::failed(format!("cannot {verb} {}: {other}", agent.container)),
                });
            }
        }
        let mut s = agent.lock();
        s.epoch += 1;
        if verb == Verb::Pause {
            s.status.paused();
            self.emit(agent.id, LifecycleKind::Paused, &s.status);
        } else {
            s.status.resumed();
            self.emit(agent.id, LifecycleKind::Resumed, &s.status);
        }
        Ok(changed(from, &s.status))
    }

    pub(super) async fn restart(
        self: &Arc<Self>,
        spec: &InstanceSpec,
        grace: Duration,
    ) -> Result<Transition> {
        let agent = self.for_spec(spec)?;
        let _op = agent.op.lock().await;
        let from = match self.refresh(&agent).await {
            Ok(_) => agent.status().state,
            Err(Error::NotFound) => State::Created,
            Err(e) => return Err(e),
        };
        agent.lock().status.check(Verb::Restart)?;
        if from.is_live() {
            self.stop_locked(&agent, grace).await?;
        }
        // A changed spec makes the (now stopped) container again.
        let started = self.start_locked(&agent, spec).await?;
        Ok(Transition {
            changed: true,
            from,
            status: started.status,
        })
    }

    pub(super) async fn state(self: &Arc<Self>, agent_id: Uuid) -> Result<InstanceStatus> {
        let agent = self.find(agent_id).await?;
        let Ok(_op) = agent.op.try_lock() else {
            // A verb is at work: its record is the truth for now.
            return Ok(agent.status());
        };
        match self.refresh(&agent).await {
            Ok(_) => Ok(agent.status()),
            Err(Error::NotFound) => {
                self.agents().remove(&agent_id);
                Err(Error::NotFound)
            }
            Err(e) => Err(e),
        }
    }

    /// Force-stops and deletes the container; the logs stay.
    pub(super) async fn remove(self: &Arc<Self>, agent_id: Uuid, _grace: Duration) -> Result<bool> {
        let agent = match self.find(agent_id).await {
            Ok(agent) => agent,
            Err(Error::NotFound) => return Ok(false),
            Err(e) => return Err(e),
        };
        let _op = agent.op.lock().await;
        if let Some(seen) = self.observe(&agent.container).await? {
            if seen.state() != State::Stopped {
                self.halt(&agent.container, false, Duration::ZERO).await?;
                let mut s = agent.lock();
                if s.status.state.is_live() {
                    record_exit(&mut s, true);
                    self.emit(
                        agent.id,
                        LifecycleKind::Stopped {
                            cause: StopCause::Verb,
                        },
                        &s.status,
                    );
                }
            }
            self.delete(&agent.container).await?;
        }
        let status = {
            let mut s = agent.lock();
            s.removed = true;
            s.epoch += 1;
            s.status.clone()
        };
        self.agents().remove(&agent_id);
        self.logs.close(agent_id);
        self.emit(agent_id, LifecycleKind::Removed, &status);
        Ok(true)
    }

    pub(super) async fn list(self: &Arc<Self>) -> Result<Vec<InstanceInfo>> {
        let all = self.all().await?;
        let mut out: Vec<InstanceInfo> = all
            .iter()
            .map(|found| {
                let agent = self.adopt(found);
                if let Ok(_op) = agent.op.try_lock() {
                    self.reconcile(&agent, Some(&found.observed));
                }
                InstanceInfo {
                    agent_id: found.agent_id,
                    name: found
                        .container
                        .strip_prefix(NAME_PREFIX)
                        .unwrap_or(&found.container)
                        .to_string(),
                    status: agent.status(),
                    memory_bytes: found.observed.memory,
                    cpu_time_ms: found.observed.cpu_ns.map(|ns| ns / 1_000_000),
                    ip: found.observed.ip.clone(),
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}
