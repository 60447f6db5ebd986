//! The watcher: one task following the daemon's events for managed containers. It emits
//! what no verb did (a crash, a container started, paused or removed with the docker CLI)
//! and applies the restart policy; it adopts the containers it finds when it (re)connects,
//! and connects again whenever dockerd goes away and comes back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::EventMessage;
use bollard::query_parameters::{EventsOptionsBuilder, ListContainersOptionsBuilder};
use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::agent::{Agent, Owner};
use super::connect::QUICK;
use super::observe::Seen;
use super::{Inner, logs, names};
use crate::runtime::events::LifecycleKind;
use crate::runtime::restart::Next;
use crate::runtime::state::Exit;

/// Between attempts to reach a daemon that is down.
const RETRY: Duration = Duration::from_secs(1);
/// How long a crashed run's log follower gets to feed its last lines.
const DRAIN: Duration = Duration::from_secs(1);

pub(super) async fn run(inner: Arc<Inner>) {
    loop {
        if inner.stopping() {
            return;
        }
        let Ok(docker) = inner.conn.client().await else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        // Events from before the adoption pass are replayed, so none falls in between.
        let since = Utc::now();
        adopt_all(&inner).await;
        let filters = HashMap::from([
            ("type", vec!["container".to_string()]),
            ("label", vec![format!("{}=1", names::LABEL_MANAGED)]),
        ]);
        let since = format!("{}.{:09}", since.timestamp(), since.timestamp_subsec_nanos());
        let opts = EventsOptionsBuilder::new()
            .since(&since)
            .filters(&filters)
            .build();
        let mut events = docker.events(Some(opts));
        while let Some(Ok(event)) = events.next().await {
            handle(&inner, event).await;
        }
        // The stream ended: dockerd stopped (or restarts). Connect again, renegotiated.
        inner.conn.forget();
        tokio::time::sleep(RETRY).await;
    }
}

/// Registers every managed container; a run that ended while nobody watched (taosd or
/// the watcher was away) is handled as the crash it was.
async fn adopt_all(inner: &Arc<Inner>) {
    let filters = HashMap::from([("label", vec![format!("{}=1", names::LABEL_MANAGED)])]);
    let opts = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let Ok(found) = inner
        .conn
        .call(QUICK, |d| async move { d.list_containers(Some(opts)).await })
        .await
    else {
        return;
    };
    for id in found.into_iter().filter_map(|c| c.id) {
        let Ok(Some(seen)) = inner.inspect(&id).await else {
            continue;
        };
        let Some(agent_id) = seen.agent_id() else {
            continue;
        };
        let known = inner.agents().get(&agent_id).cloned();
        match known {
            Some(agent) if agent.status().state.is_live() && !seen.is_live() => {
                let _op = agent.op.lock().await;
                ended(inner, &agent, &seen).await;
            }
            _ => {
                inner.adopt(&seen);
            }
        }
    }
}

fn event_time(e: &EventMessage) -> DateTime<Utc> {
    e.time_nano
        .map(DateTime::from_timestamp_nanos)
        .or_else(|| e.time.and_then(|t| DateTime::from_timestamp(t, 0)))
        .unwrap_or_else(Utc::now)
}

async fn handle(inner: &Arc<Inner>, event: EventMessage) {
    let at = event_time(&event);
    let action = event.action.clone().unwrap_or_default();
    let Some(actor) = event.actor else { return };
    let (Some(id), Some(attrs)) = (actor.id, actor.attributes) else {
        return;
    };
    let Some(agent_id) = names::agent_of(&attrs) else {
        return;
    };
    // `exec_start: …`, `health_status: …` and the like carry a suffix.
    let action = action.split(':').next().unwrap_or("").trim();
    if !matches!(action, "start" | "die" | "pause" | "unpause" | "destroy") {
        return;
    }
    let known = inner.agents().get(&agent_id).cloned();
    let agent = match known {
        Some(a) => a,
        None => {
            if action == "destroy" {
                return;
            }
            match inner.inspect(&id).await {
                Ok(Some(seen)) => match inner.adopt(&seen) {
                    Some(a) => a,
                    None => return,
                },
                _ => return,
            }
        }
    };
    let _op = agent.op.lock().await;
    if agent.lock().retired.contains(&id) {
        return;
    }
    let owner = agent.owner(at);
    match action {
        "destroy" => {
            if owner == Owner::StoppingVerb || agent.lock().container.as_deref() != Some(id.as_str()) {
                return;
            }
            // Removed behind taosd's back (docker rm): forget it, as a remove would.
            agent.cancel_restart();
            let status = agent.status();
            inner.forget(&agent);
            inner.emit(agent_id, LifecycleKind::Removed, &status);
        }
        "die" => {
            if owner == Owner::StoppingVerb {
                return;
            }
            if let Ok(Some(seen)) = inner.inspect(&id).await
                && !seen.is_live()
            {
                ended(inner, &agent, &seen).await;
            }
        }
        _ if owner != Owner::Nobody => {}
        "start" | "pause" | "unpause" => {
            let Ok(Some(seen)) = inner.inspect(&id).await else {
                return;
            };
            let status = agent.observe(&seen);
            let kind = match action {
                "start" => {
                    logs::ensure_follower(inner, &agent, &id);
                    LifecycleKind::Started
                }
                "pause" => LifecycleKind::Paused,
                _ => LifecycleKind::Resumed,
            };
            inner.emit(agent_id, kind, &status);
        }
        _ => {}
    }
}

/// A run ended without a stop verb: record it, emit `Exited`, apply the restart policy.
/// Called with the agent's `op` held.
async fn ended(inner: &Arc<Inner>, agent: &Arc<Agent>, seen: &Seen) {
    let follower = {
        let mut l = agent.lock();
        if l.stopped_by_verb || (l.handled_exit.is_some() && l.handled_exit == seen.finished_at) {
            return;
        }
        l.handled_exit = seen.finished_at;
        l.follower.take()
    };
    // What a crash notification quotes (the last lines) should be in the log when the
    // event arrives: the follower ends with the run; give it a moment to drain.
    if let Some((_, mut task)) = follower
        && tokio::time::timeout(DRAIN, &mut task).await.is_err()
    {
        task.abort();
    }
    let status = agent.observe(seen);
    inner.emit(agent.agent_id, LifecycleKind::Exited, &status);
    apply_policy(inner, agent, seen.exit(), seen.ran_for());
}

fn apply_policy(inner: &Arc<Inner>, agent: &Arc<Agent>, exit: Exit, ran_for: Duration) {
    if inner.stopping() {
        return;
    }
    let mut l = agent.lock();
    let policy = l.restart;
    match inner
        .config
        .backoff
        .after_exit(policy, exit, ran_for, &mut l.streak)
    {
        Next::Stay => {}
        Next::RestartAfter(delay) => {
            let at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            l.status.restart_scheduled(at);
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            inner.emit(
                agent.agent_id,
                LifecycleKind::RestartScheduled { delay_ms },
                &l.status,
            );
            let timer = tokio::spawn(restart_later(inner.clone(), agent.clone(), delay, l.epoch));
            if let Some(old) = l.restart_timer.replace(timer) {
                old.abort();
            }
        }
        Next::GiveUp { failures } => {
            l.status.gave_up(failures);
            inner.emit(agent.agent_id, LifecycleKind::GaveUp, &l.status);
        }
    }
}

/// The restart policy's start, unless a verb acted on the agent meanwhile.
async fn restart_later(inner: Arc<Inner>, agent: Arc<Agent>, delay: Duration, epoch: u64) {
    tokio::time::sleep(delay).await;
    let _op = agent.op.lock().await;
    let spec = {
        let l = agent.lock();
        let due = l.epoch == epoch && l.status.next_restart_at.is_some();
        if !due || inner.stopping() {
            return;
        }
        l.spec.clone()
    };
    let started = match spec {
        Some(spec) => inner.start_locked(&agent, &spec, true).await.map(|_| ()),
        None => inner.start_adopted(&agent).await,
    };
    if let Err(e) = started {
        // It cannot start (its image is gone, …): a failed run, as for the process backend.
        tracing::warn!(agent_id = %agent.agent_id, "the restart policy could not start the agent: {e}");
        let mut l = agent.lock();
        l.status.start_failed(e.to_string(), Utc::now());
        inner.emit(agent.agent_id, LifecycleKind::Exited, &l.status);
        drop(l);
        apply_policy(&inner, &agent, Exit::code(127), Duration::ZERO);
    }
}

impl Inner {
    /// Starts the existing container of an agent known only from its container (its spec
    /// never given to this taosd): the restart policy's start.
    async fn start_adopted(self: &Arc<Self>, agent: &Arc<Agent>) -> crate::runtime::Result<()> {
        let Some(id) = agent.lock().container.clone() else {
            return Err(crate::runtime::Error::NotFound);
        };
        {
            let mut l = agent.lock();
            l.epoch += 1;
            l.status.starting_by_policy();
        }
        {
            let _acting = agent.acting(false);
            let key = id.clone();
            self.conn
                .call(super::connect::SLOW, |d| async move {
                    d.start_container(&key, None).await
                })
                .await?;
        }
        logs::ensure_follower(self, agent, &id);
        if let Some(seen) = self.inspect(&id).await? {
            let status = agent.observe(&seen);
            self.emit(agent.agent_id, LifecycleKind::Started, &status);
        }
        Ok(())
    }
}
