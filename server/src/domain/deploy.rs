//! The `deploy` operations: deploy an agent in one call — register it with its runtime spec,
//! issue its token, start it with `TAOS_URL` and `TAOS_TOKEN`, wait until it runs — as an
//! operation kept in the store and followed with a long-poll. The request answers once the
//! agent and its operation are committed; the steps after `register` run in the background,
//! holding the agent so that nothing else changes it meanwhile (`operation_in_progress`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::domain::agents::{AgentSpec, base_slug, checked_runtime, get_agent, making_agent, new_agent};
use crate::domain::fleet::{Configured, Desired, Fleet, Hold, REMOVE_GRACE};
use crate::domain::lifecycle::{self, AgentState, act_on};
use crate::domain::principal::Principal;
use crate::domain::slug;
use crate::domain::store_errors::not_found;
use crate::errors::{self, Error, Result};
use crate::runtime::{InstanceStatus, RuntimeKind, State, Verb};
use crate::store::{Agent, NewOperation, OperationProgress, OperationRow, Store};

/// The kind of operation a deploy is.
pub const KIND: &str = "deploy";
/// How long a deployed agent must keep running after it started for the deploy to succeed:
/// an agent that dies at once (a missing file, a bad argument) fails its deploy.
pub const SETTLE: Duration = Duration::from_secs(1);
/// The steps of a deploy, in order.
pub const STEPS: [&str; 4] = ["register", "issue_token", "start", "wait_running"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub status: StepStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    Running,
    Succeeded,
    Failed,
}

impl OperationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            _ => Self::Running,
        }
    }
}

/// What a succeeded deploy produced: the agent's state (stored as JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Outcome {
    kind: RuntimeKind,
    status: InstanceStatus,
}

/// An operation, read.
#[derive(Debug, Clone)]
pub struct Operation {
    pub id: Uuid,
    pub kind: String,
    pub agent: String,
    pub status: OperationStatus,
    pub steps: Vec<Step>,
    /// The canonical error body of a failed operation.
    pub error: Option<serde_json::Value>,
    pub result: Option<AgentState>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Operation {
    pub fn done(&self) -> bool {
        self.status != OperationStatus::Running
    }

    fn from_row(row: &OperationRow) -> Result<Self> {
        // The contract knows only deploys; another kind (a newer taosd's) is not answered
        // as if it were one.
        if row.kind != KIND {
            return Err(Error::internal("an operation of an unknown kind", &row.kind));
        }
        let steps = serde_json::from_str(&row.steps)
            .map_err(|e| Error::internal("stored operation steps do not parse", e))?;
        // A result or error that does not parse (another version wrote it) is left out.
        let error = row.error.as_deref().and_then(|e| serde_json::from_str(e).ok());
        let result = row
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str::<Outcome>(r).ok())
            .map(|o| AgentState {
                agent: row.agent_slug.clone(),
                kind: o.kind,
                changed: true,
                status: o.status,
            });
        Ok(Self {
            id: row.id,
            kind: row.kind.clone(),
            agent: row.agent_slug.clone(),
            status: OperationStatus::parse(&row.status),
            steps,
            error,
            result,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn operation_not_found(id: Uuid) -> Error {
    Error::new(
        &errors::OPERATION_NOT_FOUND,
        format!("No operation with id {id} exists."),
    )
}

fn steps_json(steps: &[Step]) -> Result<String> {
    serde_json::to_string(steps).map_err(|e| Error::internal("operation steps do not serialise", e))
}

/// Deploys an agent (its `runtime` request is required). Everything that can be checked
/// before anything is made is checked first; the answer is the operation, just begun.
pub async fn deploy_agent(
    store: &Store,
    fleet: &Arc<Fleet>,
    caller: &Principal,
    mut spec: AgentSpec,
) -> Result<Operation> {
    let base = base_slug(&spec.display_name)?;
    let Some(request) = spec.runtime.take() else {
        return Err(Error::new(
            &errors::INVALID_RUNTIME_SPEC,
            "A deploy needs the agent's runtime `spec`.",
        )
        .with("field", "spec"));
    };
    let kind = request.kind.unwrap_or(fleet.runtimes.default_kind());
    let runtime = checked_runtime(fleet, request, &base)?;
    ensure_available(fleet, kind).await?;
    let new = new_agent(caller, spec, "deploying", Some(runtime))?;
    // At the precision both databases keep, so the register step is not later than the
    // operation's `created_at`.
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let steps: Vec<Step> = STEPS
        .iter()
        .map(|name| Step {
            name: (*name).to_owned(),
            status: StepStatus::Pending,
            started_at: None,
            finished_at: None,
            detail: None,
        })
        .enumerate()
        .map(|(i, mut s)| {
            if i == 0 {
                s.status = StepStatus::Succeeded;
                s.started_at = Some(now);
                s.finished_at = Some(now);
            }
            s
        })
        .collect();
    let op = NewOperation {
        kind: KIND.to_owned(),
        node: fleet.node.clone(),
        status: OperationStatus::Running.as_str().to_owned(),
        steps: steps_json(&steps)?,
        at: now,
    };
    let (view, row) = store
        .deploy_agent(new, slug::candidates(&base), op)
        .await
        .map_err(making_agent(caller, &base))?;
    let operation = Operation::from_row(&row)?;
    // Held from now: by the time anyone can see the agent, it is held.
    let hold = fleet.hold(view.agent.id, operation.id);
    let run = Run {
        store: store.clone(),
        fleet: fleet.clone(),
        op: Tracker {
            store: store.clone(),
            fleet: fleet.clone(),
            op: operation.clone(),
        },
        agent: view.agent,
    };
    // The steps must see the agent, so they start once it is committed (with the answer of
    // an Idempotency-Key, which may come after this returns); never, if it is rolled back.
    store.on_commit(move || {
        tokio::spawn(run.run(hold));
    });
    Ok(operation)
}

/// `runtime_unavailable` unless the runtime answers right now (a deploy that could only fail
/// is refused before it registers anything). Only that runtime is asked.
async fn ensure_available(fleet: &Fleet, kind: RuntimeKind) -> Result<()> {
    let a = fleet.backend(kind)?.probe().await;
    if a.available {
        return Ok(());
    }
    Err(crate::domain::fleet::runtime_error(
        crate::runtime::Error::Unavailable {
            kind,
            reason: a.reason.unwrap_or_else(|| "it does not answer".into()),
            fix: a.fix.unwrap_or_default(),
        },
    ))
}

/// The operation as it is now; with `wait`, once it is done or `wait` has passed.
pub async fn get_operation(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    id: Uuid,
    wait: Duration,
) -> Result<Operation> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        // Registered before the read, so no progress falls between the two.
        let progress = fleet.operation_progress.notified();
        tokio::pin!(progress);
        progress.as_mut().enable();
        let row = store
            .get_operation(caller.user_id, id)
            .await
            .map_err(not_found(|| operation_not_found(id)))?;
        let op = Operation::from_row(&row)?;
        let now = tokio::time::Instant::now();
        if op.done() || now >= deadline {
            return Ok(op);
        }
        // Another replica's progress wakes nobody here: look again at least every second.
        let _ = tokio::time::timeout_at(deadline.min(now + Duration::from_secs(1)), progress).await;
    }
}

/// The agent's latest deploy.
pub async fn get_agent_deploy_status(store: &Store, caller: &Principal, name: &str) -> Result<Operation> {
    let agent = get_agent(store, caller, name).await?.agent;
    match store.latest_operation(agent.id, KIND).await? {
        Some(row) => Operation::from_row(&row),
        None => Err(Error::new(
            &errors::DEPLOY_NOT_FOUND,
            format!("The agent '{name}' was never deployed."),
        )),
    }
}

/// The background part of one deploy.
struct Run {
    store: Store,
    fleet: Arc<Fleet>,
    op: Tracker,
    agent: Agent,
}

/// An operation's progress, stored as it is made.
struct Tracker {
    store: Store,
    fleet: Arc<Fleet>,
    op: Operation,
}

impl Run {
    async fn run(mut self, hold: Hold) {
        match self.steps().await {
            Ok(state) => {
                self.op.op.status = OperationStatus::Succeeded;
                self.op.op.result = Some(state);
                self.op.save().await;
            }
            Err(e) => {
                self.undo().await;
                self.op.fail(e).await;
            }
        }
        drop(hold);
    }

    async fn steps(&mut self) -> Result<AgentState> {
        self.op.begin("issue_token").await;
        self.fleet.issue_token(&self.store, &self.agent).await?;
        self.op.finish("issue_token", None).await;

        self.op.begin("start").await;
        let c = self.configured().await?;
        // Subscribed before the start, so an agent that ends at once is seen ending.
        let mut events = self.fleet.runtimes.events().subscribe();
        let started = act_on(&self.store, &self.fleet, &self.agent, Verb::Start, Duration::ZERO).await?;
        if started.status.state != State::Running {
            return Err(exited(&self.agent.slug, &started.status));
        }
        let pid = started.status.pid.map(|p| format!("pid {p}"));
        self.op.finish("start", pid).await;

        self.op.begin("wait_running").await;
        let deadline = tokio::time::Instant::now() + SETTLE;
        let mut last = started.clone();
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) | Ok(Err(RecvError::Closed)) => break,
                Ok(Ok(e)) if e.agent_id == self.agent.id => {
                    if !matches!(e.status.state, State::Running | State::Starting) {
                        return Err(exited(&self.agent.slug, &e.status));
                    }
                    last.status = e.status;
                }
                Ok(Ok(_)) | Ok(Err(RecvError::Lagged(_))) => {}
            }
        }
        let now = crate::domain::runtimes::current_status(&self.fleet, self.agent.id, c.kind, Some(&c)).await;
        if now.state != State::Running {
            return Err(exited(&self.agent.slug, &now));
        }
        last.status = now;
        self.op.finish("wait_running", None).await;
        Ok(last)
    }

    async fn configured(&self) -> Result<Configured> {
        match self.store.get_agent_runtime(self.agent.id).await? {
            Some(row) => Configured::from_row(&row),
            None => Err(crate::domain::fleet::gone(&self.agent.slug)),
        }
    }

    /// A failed deploy leaves the agent registered, not running, with no active token.
    async fn undo(&self) {
        let (store, fleet, agent) = (&self.store, &self.fleet, &self.agent);
        if let Ok(c) = self.configured().await {
            let status = crate::domain::runtimes::current_status(fleet, agent.id, c.kind, Some(&c)).await;
            let pending_restart = status.next_restart_at.is_some();
            if status.state.is_live() || pending_restart {
                if let Err(e) = act_on(store, fleet, agent, Verb::Stop, REMOVE_GRACE).await {
                    tracing::warn!(agent = %agent.slug, error = %e, "could not stop the agent of a failed deploy");
                }
            } else if let Err(e) = store.set_agent_desired(agent.id, Desired::Stopped.as_str()).await {
                tracing::warn!(agent = %agent.slug, error = %e, "could not record a failed deploy's agent as stopped");
            }
            if status.state == State::Created {
                let mut failed = status;
                failed.start_failed("the deploy failed before the agent started".into(), Utc::now());
                lifecycle::record(store, agent.id, &failed).await;
            }
        }
        fleet.remember_token(agent.id, None);
        if let Err(e) = store.revoke_agent_token(agent.id, agent.user_id).await {
            tracing::warn!(agent = %agent.slug, error = %e, "could not revoke the token of a failed deploy");
        }
    }
}

impl Tracker {
    async fn fail(&mut self, e: Error) {
        let failed = self
            .op
            .steps
            .iter()
            .find(|s| s.status == StepStatus::Running)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let at = Utc::now();
        for s in &mut self.op.steps {
            match s.status {
                StepStatus::Running => {
                    s.status = StepStatus::Failed;
                    s.finished_at = Some(at);
                    s.detail = Some(e.detail.clone());
                }
                StepStatus::Pending => s.status = StepStatus::Skipped,
                _ => {}
            }
        }
        tracing::info!(agent = %self.op.agent, step = %failed, error = %e, "an operation failed");
        self.op.status = OperationStatus::Failed;
        self.op.error = Some(errors::error_body(&e.with("step", failed)));
        self.save().await;
    }

    async fn begin(&mut self, name: &str) {
        if let Some(s) = self.op.steps.iter_mut().find(|s| s.name == name) {
            s.status = StepStatus::Running;
            s.started_at = Some(Utc::now());
        }
        self.save().await;
    }

    async fn finish(&mut self, name: &str, detail: Option<String>) {
        if let Some(s) = self.op.steps.iter_mut().find(|s| s.name == name) {
            s.status = StepStatus::Succeeded;
            s.finished_at = Some(Utc::now());
            s.detail = detail;
        }
        self.save().await;
    }

    /// Stores the operation as it is now and wakes its long-polls. A failure is logged: the
    /// work goes on, and the next save stores it all.
    async fn save(&mut self) {
        let progress = match self.progress() {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "an operation does not serialise");
                return;
            }
        };
        if let Err(e) = self.store.save_operation(self.op.id, progress).await {
            tracing::warn!(operation = %self.op.id, error = %e, "could not record an operation's progress");
        }
        self.fleet.operation_progress.notify_waiters();
    }

    fn progress(&self) -> Result<OperationProgress> {
        let result = match &self.op.result {
            Some(s) => Some(
                serde_json::to_string(&Outcome {
                    kind: s.kind,
                    status: s.status.clone(),
                })
                .map_err(|e| Error::internal("an operation result does not serialise", e))?,
            ),
            None => None,
        };
        Ok(OperationProgress {
            status: self.op.status.as_str().to_owned(),
            steps: steps_json(&self.op.steps)?,
            error: self.op.error.as_ref().map(|e| e.to_string()),
            result,
        })
    }
}

/// The agent did not stay running.
fn exited(slug: &str, status: &InstanceStatus) -> Error {
    let how = match (status.exit_code, &status.last_error) {
        (_, Some(why)) => why.clone(),
        (Some(code), None) => format!("it exited with code {code}"),
        (None, None) => format!("it is {}", status.state),
    };
    Error::new(
        &errors::AGENT_EXITED,
        format!("The agent '{slug}' did not keep running: {how}."),
    )
    .with("state", status.state.as_str())
}

/// At start-up, before the agents are reconciled: the deploys this taosd was running when it
/// stopped did not finish. Each is failed with `server_restarted`, and its agent is left as a
/// failed deploy leaves it (not running, no active token).
pub async fn fail_interrupted(store: &Store, fleet: &Arc<Fleet>) {
    let rows = match store
        .operations_in(&fleet.node, OperationStatus::Running.as_str())
        .await
    {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the operations a restart interrupted");
            return;
        }
    };
    for row in rows {
        let Ok(op) = Operation::from_row(&row) else {
            continue;
        };
        let mut tracker = Tracker {
            store: store.clone(),
            fleet: fleet.clone(),
            op,
        };
        // Its agent may be gone: then there is nothing to undo, but the operation still ends.
        if let Ok(agent) = store.find_live_agent(row.agent_id).await {
            let run = Run {
                store: store.clone(),
                fleet: fleet.clone(),
                op: tracker,
                agent,
            };
            run.undo().await;
            tracker = run.op;
        }
        tracker.fail(interrupted(&row.agent_slug)).await;
        tracing::warn!(agent = %row.agent_slug, operation = %row.id, "a deploy was interrupted by a restart");
    }
}

fn interrupted(slug: &str) -> Error {
    Error::new(
        &errors::SERVER_RESTARTED,
        format!("taosd stopped while it deployed '{slug}'; the deploy did not finish."),
    )
}
