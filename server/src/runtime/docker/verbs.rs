//! The lifecycle verbs of the docker runtime, each under the agent's `op` lock: read the
//! daemon's state, let the shared state machine decide, act, read the state again.

use std::sync::Arc;
use std::time::Duration;

use bollard::query_parameters::{
    ListContainersOptionsBuilder, RestartContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use chrono::Utc;
use std::collections::HashMap;

use super::agent::Agent;
use super::connect::{Fault, QUICK, SLOW};
use super::observe::Seen;
use super::{Inner, logs, names, usage};
use crate::runtime::error::{Error, Result};
use crate::runtime::events::{LifecycleKind, StopCause};
use crate::runtime::spec::InstanceSpec;
use crate::runtime::state::{InstanceStatus, State, Transition, Verb};
use crate::runtime::{Injection, InstanceInfo};

const STOPPED: LifecycleKind = LifecycleKind::Stopped {
    cause: StopCause::Verb,
};

fn unchanged(from: State, status: InstanceStatus) -> Transition {
    Transition {
        changed: false,
        from,
        status,
    }
}

fn changed(from: State, status: InstanceStatus) -> Transition {
    Transition {
        changed: true,
        from,
        status,
    }
}

/// Docker's `t`: whole seconds, rounded up (a sub-second grace still gets its second).
fn grace_secs(grace: Duration) -> i32 {
    i32::try_from(grace.as_secs() + u64::from(grace.subsec_nanos() > 0)).unwrap_or(i32::MAX)
}

impl Inner {
    /// The agent's container as the daemon sees it now (its status brought in line), or
    /// None when it has none any more.
    pub(super) async fn current(&self, agent: &Agent) -> Result<Option<Seen>> {
        let key = {
            let l = agent.lock();
            l.container
                .clone()
                .unwrap_or_else(|| names::container_name(&l.name))
        };
        // Only the agent's own: a name may be another agent's container (never touched).
        let seen = self
            .inspect(&key)
            .await?
            .filter(|s| s.agent_id() == Some(agent.agent_id));
        if let Some(seen) = &seen {
            agent.observe(seen);
        }
        Ok(seen)
    }

    async fn after(&self, agent: &Agent, id: &str) -> Result<InstanceStatus> {
        match self.inspect(id).await? {
            Some(seen) => Ok(agent.observe(&seen)),
            None => Err(Error::failed("the agent's container vanished")),
        }
    }

    /// Starts the agent's container, making it first if there is none or if its spec
    /// changed. `by_policy`: the restart policy's start (the count goes on).
    pub(super) async fn start_locked(
        self: &Arc<Self>,
        agent: &Arc<Agent>,
        spec: &InstanceSpec,
        by_policy: bool,
    ) -> Result<Transition> {
        let seen = self.find_for_spec(spec).await?;
        if let Some(seen) = &seen {
            agent.observe(seen);
        }
        let (from, before) = {
            let l = agent.lock();
            let from = l.status.state;
            if !by_policy && !l.status.check(Verb::Start)? {
                return Ok(unchanged(from, l.status.clone()));
            }
            (from, l.status.clone())
        };
        let digest = names::spec_digest(spec);
        let seen = match seen {
            Some(s) if s.spec_digest() == Some(digest.as_str()) => s,
            Some(old) => {
                let _acting = agent.acting(true);
                self.delete(agent, &old.id).await?;
                self.create(agent, spec).await?
            }
            None => self.create(agent, spec).await?,
        };
        if let Ok(log) = self.logs.agent(spec.agent_id) {
            log.add_secrets(spec.env.secret_values());
        }
        {
            let mut l = agent.lock();
            l.epoch += 1;
            l.stopped_by_verb = false;
            l.spec = Some(spec.clone());
            l.restart = spec.restart;
            l.container = Some(seen.id.clone());
            if by_policy {
                l.status.starting_by_policy();
            } else {
                l.streak = 0;
                l.status.starting_by_request();
            }
        }
        let id = seen.id.clone();
        let started = {
            let _acting = agent.acting(false);
            let key = id.clone();
            self.conn
                .call(SLOW, |d| async move { d.start_container(&key, None).await })
                .await
        };
        if let Err(f) = started {
            let mut l = agent.lock();
            if let Fault::Down(_) = f {
                l.status = before;
                return Err(f.into());
            }
            let reason = format!("the Docker engine could not start the container: {}", f.message());
            l.status.start_failed(reason.clone(), Utc::now());
            self.emit(agent.agent_id, LifecycleKind::Exited, &l.status);
            return Err(Error::failed(reason));
        }
        logs::ensure_follower(self, agent, &id);
        let status = self.after(agent, &id).await?;
        self.emit(agent.agent_id, LifecycleKind::Started, &status);
        Ok(changed(from, status))
    }

    pub(super) async fn stop_locked(&self, agent: &Agent, grace: Duration) -> Result<Transition> {
        let Some(seen) = self.current(agent).await? else {
            return Err(Error::NotFound);
        };
        let from = {
            let mut l = agent.lock();
            let from = l.status.state;
            if !l.status.check(Verb::Stop)? {
                return Ok(unchanged(from, l.status.clone()));
            }
            l.epoch += 1;
            l.stopped_by_verb = true;
            if let Some(t) = l.restart_timer.take() {
                t.abort();
            }
            if !seen.is_live() {
                // Failed, perhaps awaiting a restart: nothing runs, but now it stays down.
                l.status.stopped_while_down();
                self.emit(agent.agent_id, STOPPED, &l.status);
                return Ok(Transition {
                    changed: from != l.status.state,
                    from,
                    status: l.status.clone(),
                });
            }
            l.status.stopping();
            from
        };
        let stopped = {
            let _acting = agent.acting(true);
            let key = seen.id.clone();
            let opts = StopContainerOptionsBuilder::new().t(grace_secs(grace)).build();
            self.conn
                .call(grace + SLOW, |d| async move {
                    d.stop_container(&key, Some(opts)).await
                })
                .await
        };
        match stopped {
            Ok(()) => {}
            Err(f) if f.is_not_found() => return Err(Error::NotFound),
            Err(f) => {
                // The daemon's word on what happened, before the error.
                let _ = self.current(agent).await;
                return Err(f.into());
            }
        }
        let status = self.after(agent, &seen.id).await?;
        self.emit(agent.agent_id, STOPPED, &status);
        Ok(changed(from, status))
    }

    /// `pause`, or `resume` when `freeze` is false.
    pub(super) async fn pause_locked(&self, agent: &Agent, freeze: bool) -> Result<Transition> {
        let verb = if freeze { Verb::Pause } else { Verb::Resume };
        let Some(seen) = self.current(agent).await? else {
            return Err(Error::NotFound);
        };
        let from = {
            let mut l = agent.lock();
            let from = l.status.state;
            if !l.status.check(verb)? {
                return Ok(unchanged(from, l.status.clone()));
            }
            l.epoch += 1;
            from
        };
        let done = {
            let _acting = agent.acting(false);
            let key = seen.id.clone();
            self.conn
                .call(QUICK, |d| async move {
                    if freeze {
                        d.pause_container(&key).await
                    } else {
                        d.unpause_container(&key).await
                    }
                })
                .await
        };
        match done {
            Ok(()) => {}
            Err(f) if f.is_already() || (!freeze && f.message().contains("not paused")) => {
                let status = self.after(agent, &seen.id).await?;
                return Ok(unchanged(from, status));
            }
            Err(f @ Fault::Down(_)) => return Err(f.into()),
            Err(f) => {
                // It changed meanwhile (exited?): the state machine names what applies.
                let status = self.after(agent, &seen.id).await?;
                status.check(verb)?;
                return Err(f.into());
            }
        }
        let status = self.after(agent, &seen.id).await?;
        let kind = if freeze {
            LifecycleKind::Paused
        } else {
            LifecycleKind::Resumed
        };
        self.emit(agent.agent_id, kind, &status);
        Ok(changed(from, status))
    }

    /// `docker restart` when the spec is unchanged and it runs; otherwise stop (if it
    /// runs) and start, which makes the container again for a changed spec.
    pub(super) async fn restart_locked(
        self: &Arc<Self>,
        agent: &Arc<Agent>,
        spec: &InstanceSpec,
        grace: Duration,
    ) -> Result<Transition> {
        let seen = self.find_for_spec(spec).await?;
        let Some(seen) = seen else {
            let mut t = self.start_locked(agent, spec, false).await?;
            t.changed = true;
            return Ok(t);
        };
        let status = agent.observe(&seen);
        let from = status.state;
        status.check(Verb::Restart)?;
        let same = seen.spec_digest() == Some(names::spec_digest(spec).as_str());
        if same && from == State::Running {
            {
                let mut l = agent.lock();
                l.epoch += 1;
                l.streak = 0;
                l.stopped_by_verb = true;
                l.spec = Some(spec.clone());
                l.restart = spec.restart;
                if let Some(t) = l.restart_timer.take() {
                    t.abort();
                }
                l.status.stopping();
            }
            let done = {
                let _acting = agent.acting(true);
                let key = seen.id.clone();
                let opts = RestartContainerOptionsBuilder::new().t(grace_secs(grace)).build();
                self.conn
                    .call(grace + SLOW, |d| async move {
                        d.restart_container(&key, Some(opts)).await
                    })
                    .await
            };
            {
                let mut l = agent.lock();
                l.stopped_by_verb = false;
                l.status.starting_by_request();
            }
            if let Err(f) = done {
                let _ = self.current(agent).await;
                return Err(f.into());
            }
            let status = self.after(agent, &seen.id).await?;
            self.emit(agent.agent_id, STOPPED, &status);
            self.emit(agent.agent_id, LifecycleKind::Started, &status);
            logs::ensure_follower(self, agent, &seen.id);
            return Ok(changed(from, status));
        }
        if seen.is_live() {
            self.stop_locked(agent, grace).await?;
        }
        let started = self.start_locked(agent, spec, false).await?;
        Ok(changed(from, started.status))
    }

    /// The container's env is fixed at creation: a running agent gets a new container
    /// (same name) with the new env; a stopped one gets it when it next starts.
    pub(super) async fn apply_env_locked(
        self: &Arc<Self>,
        agent: &Arc<Agent>,
        spec: &InstanceSpec,
        grace: Duration,
    ) -> Result<Injection> {
        {
            let mut l = agent.lock();
            l.spec = Some(spec.clone());
        }
        let Some(seen) = self.find_for_spec(spec).await? else {
            return Ok(Injection::OnNextStart);
        };
        agent.observe(&seen);
        if seen.spec_digest() == Some(names::spec_digest(spec).as_str()) {
            // The container already has exactly this env.
            return Ok(if seen.is_live() {
                Injection::Live
            } else {
                Injection::OnNextStart
            });
        }
        if !seen.is_live() {
            return Ok(Injection::OnNextStart);
        }
        self.stop_locked(agent, grace).await?;
        self.start_locked(agent, spec, false).await?;
        Ok(Injection::Recreated)
    }

    pub(super) async fn remove_locked(&self, agent: &Agent, grace: Duration) -> Result<bool> {
        let seen = self.current(agent).await?;
        if let Some(seen) = &seen {
            if seen.is_live() {
                self.stop_locked(agent, grace).await?;
            }
            let _acting = agent.acting(true);
            self.delete(agent, &seen.id).await?;
        }
        agent.cancel_restart();
        let status = {
            let mut l = agent.lock();
            l.epoch += 1;
            l.status.clone()
        };
        self.forget(agent);
        if seen.is_some() {
            self.logs.close(agent.agent_id);
            self.emit(agent.agent_id, LifecycleKind::Removed, &status);
        }
        Ok(seen.is_some())
    }

    pub(super) async fn list(self: &Arc<Self>) -> Result<Vec<InstanceInfo>> {
        let filters = HashMap::from([("label", vec![format!("{}=1", names::LABEL_MANAGED)])]);
        let opts = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&filters)
            .build();
        let found = self
            .conn
            .call(QUICK, |d| async move { d.list_containers(Some(opts)).await })
            .await?;
        let mut out = Vec::new();
        for id in found.into_iter().filter_map(|c| c.id) {
            let Some(seen) = self.inspect(&id).await? else {
                continue;
            };
            let Some(agent) = self.adopt(&seen) else {
                continue;
            };
            let agent_id = agent.agent_id;
            let status = agent.status();
            out.push(InstanceInfo {
                agent_id,
                name: seen.name.clone(),
                memory_bytes: seen
                    .pid
                    .filter(|_| status.state.is_live())
                    .and_then(usage::memory_bytes),
                cpu_time_ms: seen
                    .pid
                    .filter(|_| status.state.is_live())
                    .and_then(usage::cpu_time_ms),
                ip: seen.ip.clone(),
                status,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}
