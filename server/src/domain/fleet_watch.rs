//! Keeping the store in step with the runtimes: every lifecycle event is recorded, a crash
//! tells the agent's owner (a notification from `system.lifecycle`), and at start-up each
//! agent of this taosd is brought back to what its owner last asked for.

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;

use crate::domain::fleet::{Configured, Desired, Fleet};
use crate::domain::lifecycle::record;
use crate::runtime::logs::LogQuery;
use crate::runtime::{self, InstanceStatus, LifecycleEvent, LifecycleKind, RestartPolicy, State};
use crate::store::{NewNotification, Store};

/// The source of the notifications taosd itself sends about agents.
pub const LIFECYCLE_SOURCE: &str = "system.lifecycle";
/// Log lines quoted in a crash notification.
const CRASH_LINES: usize = 10;

/// Records every lifecycle event and reports crashes, until the channel closes.
pub fn watch(store: Store, fleet: Arc<Fleet>) -> tokio::task::JoinHandle<()> {
    let mut events = fleet.runtimes.events().subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) => on_event(&store, &fleet, e).await,
                Err(RecvError::Lagged(n)) => {
                    // The runtimes' own answers are fresher than any recorded status; the next
                    // verb or read takes them from there.
                    tracing::warn!(missed = n, "the lifecycle watcher fell behind");
                }
                Err(RecvError::Closed) => break,
            }
        }
    })
}

async fn on_event(store: &Store, fleet: &Fleet, e: LifecycleEvent) {
    if e.kind == LifecycleKind::Removed {
        return;
    }
    record(store, e.agent_id, &e.status).await;
    let crashed = matches!(e.kind, LifecycleKind::Exited) && e.status.state == State::Failed;
    if crashed || e.kind == LifecycleKind::GaveUp {
        notify_owner(store, fleet, &e).await;
    }
}

async fn notify_owner(store: &Store, fleet: &Fleet, e: &LifecycleEvent) {
    let Ok(agent) = store.find_live_agent(e.agent_id).await else {
        return;
    };
    let what = e.status.last_error.clone().unwrap_or_else(|| "it ended".into());
    let (title, level) = if e.kind == LifecycleKind::GaveUp {
        (format!("Agent {} keeps failing", agent.slug), "high")
    } else {
        (format!("Agent {} crashed", agent.slug), "high")
    };
    let restart = match (e.kind, e.status.next_restart_at) {
        (LifecycleKind::GaveUp, _) => " taosd stopped restarting it.".to_string(),
        _ => String::new(),
    };
    let tail = fleet
        .runtimes
        .logs()
        .agent(e.agent_id)
        .map(|log| {
            log.query(&LogQuery {
                tail: Some(CRASH_LINES),
                ..LogQuery::default()
            })
        })
        .unwrap_or_default();
    let mut message = format!(
        "{} ({}; exit code {}).{restart}",
        capitalise(&what),
        e.runtime,
        e.status.exit_code.map_or("none".into(), |c| c.to_string())
    );
    if !tail.is_empty() {
        message.push_str("\n\nLast lines:\n");
        for l in &tail {
            message.push_str(&l.line);
            message.push('\n');
        }
    }
    let sent = store
        .notify_user(NewNotification {
            user_id: agent.user_id,
            title,
            message,
            level: level.into(),
            source: LIFECYCLE_SOURCE.into(),
            app_origin: None,
            action_url: Some(format!("/api/agents/{}/logs", agent.slug)),
        })
        .await;
    if let Err(err) = sent {
        tracing::warn!(agent = %agent.slug, error = %err, "could not tell the owner of a crash");
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// At start-up: records what each runtime says of this taosd's agents, marks process agents
/// that died with the previous taosd, and starts again those their owner wants running —
/// after a clean stop of taosd always, after a crash by their restart policy.
pub async fn reconcile(store: &Store, fleet: &Fleet) {
    let agents = match store.list_agent_runtimes(&fleet.node).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the agents to reconcile");
            return;
        }
    };
    let (mut restarted, mut lost, mut adopted) = (0u32, 0u32, 0u32);
    for a in agents {
        let Ok(c) = Configured::from_row(&a.row) else {
            continue;
        };
        let Ok(backend) = fleet.backend(c.kind) else {
            tracing::warn!(agent = %a.slug, runtime = %c.kind, "the agent's runtime is not here; left as recorded");
            continue;
        };
        let recorded = c.status.clone().unwrap_or_default();
        let mut status = match backend.state(a.row.agent_id).await {
            Ok(s) => {
                adopted += 1;
                let s = c.weigh(s);
                record(store, a.row.agent_id, &s).await;
                s
            }
            Err(runtime::Error::NotFound) => {
                let mut s = recorded.clone();
                if s.lost_with_server(chrono::Utc::now()) {
                    lost += 1;
                    record(store, a.row.agent_id, &s).await;
                }
                s
            }
            Err(e) => {
                tracing::warn!(agent = %a.slug, error = %e, "cannot reconcile an agent now");
                continue;
            }
        };
        let crashed = recorded.state.is_live() && !status.state.is_live();
        let wanted = c.desired != Desired::Stopped && !status.state.is_live();
        let policy_restarts = match c.spec.restart {
            RestartPolicy::No => false,
            RestartPolicy::OnFailure | RestartPolicy::Always => true,
        };
        if !wanted || (crashed && !policy_restarts) {
            continue;
        }
        let Ok(agent) = store.find_live_agent(a.row.agent_id).await else {
            continue;
        };
        let _one_at_a_time = fleet.lock(agent.id).await;
        let started = match fleet.instance_spec(store, &agent, &c, true).await {
            Ok(spec) => backend.start(&spec).await,
            Err(e) => {
                tracing::warn!(agent = %a.slug, error = %e, "cannot start an agent again");
                continue;
            }
        };
        match started {
            Ok(t) => {
                status = t.status;
                if c.desired == Desired::Paused
                    && let Ok(t) = backend.pause(agent.id).await
                {
                    status = t.status;
                }
                restarted += 1;
            }
            Err(e) => tracing::warn!(agent = %a.slug, error = %e, "an agent did not start again"),
        }
        record(store, agent.id, &status).await;
    }
    tracing::info!(restarted, lost, adopted, "agents reconciled");
}

/// taosd stopped its process agents: record them as stopped by the shutdown (their owner's
/// wish is unchanged, so the next start brings them back).
pub async fn after_shutdown(store: &Store, fleet: &Fleet) {
    let Ok(agents) = store.list_agent_runtimes(&fleet.node).await else {
        return;
    };
    for a in agents {
        let Ok(c) = Configured::from_row(&a.row) else {
            continue;
        };
        let Ok(backend) = fleet.backend(c.kind) else {
            continue;
        };
        // Containers outlive taosd; only process agents were stopped with it.
        if c.kind != crate::runtime::RuntimeKind::Process {
            continue;
        }
        let mut status: InstanceStatus = match backend.state(a.row.agent_id).await {
            Ok(s) => s,
            Err(_) => c.status.clone().unwrap_or_default(),
        };
        if status.state.is_live() {
            status.state = State::Stopped;
            status.pid = None;
        }
        record(store, a.row.agent_id, &status).await;
    }
}
