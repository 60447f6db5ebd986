//! `taosctl operations get ID [--wait]`: work taosd does in the background (a deploy), and how
//! every command that starts or reads one follows it and shows it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use taos_client::types;

use crate::cmd_agents_lifecycle::describe;
use crate::context::{Context, RunCmd};
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::output::when;
use crate::progress;

#[derive(Subcommand, Debug)]
pub enum OperationsCommand {
    /// Show an operation (a deploy); with --wait follow it until it is done (exit 1 if it failed)
    #[command(
        after_help = "Examples:\n  taosctl operations get 0192f1d0-2222-7333-8444-555566667777\n  taosctl operations get 0192f1d0-2222-7333-8444-555566667777 --wait --timeout 600 --json"
    )]
    Get(Get),
}

impl RunCmd for OperationsCommand {
    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            OperationsCommand::Get(cmd) => cmd.run(ctx).await,
        }
    }
}

/// `--wait` and `--timeout`, as every command that can follow an operation takes them.
#[derive(Args, Debug)]
pub struct Follow {
    /// Follow the operation until it is done; exit 1 with its error if it failed
    #[arg(long)]
    pub wait: bool,
    /// Seconds --wait waits before giving up (exit 1; the operation goes on)
    #[arg(long, value_name = "S", default_value_t = 300, requires = "wait",
        value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub timeout: u64,
}

impl Follow {
    /// Shows `op` as it is, or with `--wait` as it ends: a failed end is exit 1, and so is
    /// running out of time (after showing where it got to, so a script still has its id).
    pub async fn show(&self, ctx: &Context, op: types::Operation) -> Result<()> {
        if !self.wait {
            show(ctx, &op);
            return Ok(());
        }
        let op = follow(ctx, op, self.timeout).await?;
        show(ctx, &op);
        if !op.done {
            return Err(still_running(&op, self.timeout));
        }
        outcome(ctx, &op)
    }
}

#[derive(Args, Debug)]
pub struct Get {
    /// The operation's id (a deploy prints it; `taosctl agents deploy-status NAME` shows it too)
    id: String,
    #[command(flatten)]
    follow: Follow,
}

impl RunCmd for Get {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let id: uuid::Uuid = self
            .id
            .parse()
            .map_err(|e| Failure::usage(format!("invalid operation id {:?}: {e}", self.id)))?;
        let client = ctx.client()?;
        let op = ctx.send(client.get_operation().id(id).send()).await?;
        self.follow.show(ctx, op).await
    }
}

/// How long one long-poll may wait: the contract's most (60) is more than a person watching
/// needs; 30 s as the docs say. On a terminal the progress line names the step the operation
/// is at, so it asks every 2 s to keep that current.
const POLL_S: u64 = 30;
const POLL_ON_TERMINAL_S: u64 = 2;
/// Connection failures in a row a follow rides out (taosd restarting, a blip) before it fails.
const LOST_TRIES: u32 = 5;

/// Follows `op` with `GET /api/operations/{id}?wait_s=…` until it is done or `timeout_s` is up
/// (then it is given back as it was last seen, not done).
pub async fn follow(ctx: &Context, op: types::Operation, timeout_s: u64) -> Result<types::Operation> {
    let chunk = if progress::shown() {
        POLL_ON_TERMINAL_S
    } else {
        POLL_S
    };
    let client = ctx.streaming_client(Duration::from_secs(POLL_S + 30))?;
    let label = Mutex::new(step_label(&op));
    let deadline = Instant::now() + Duration::from_secs(timeout_s);
    let id = op.id;
    progress::while_showing(|| label.lock().map(|l| l.clone()).unwrap_or_default(), async {
        let mut op = op;
        let mut lost = 0;
        loop {
            if op.done {
                return Ok(op);
            }
            if let Ok(mut l) = label.lock() {
                *l = step_label(&op);
            }
            let left = deadline.saturating_duration_since(Instant::now()).as_secs();
            if left == 0 {
                return Ok(op);
            }
            let wait = i64::try_from(left.min(chunk)).unwrap_or(0);
            match client.get_operation().id(id).wait_s(wait).send().await {
                Ok(rv) => {
                    op = rv.into_inner();
                    lost = 0;
                }
                // A GET is safe to send again: ride out a taosd restart or a blip.
                Err(taos_client::Error::CommunicationError(_)) if lost < LOST_TRIES => {
                    lost += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => return Err(ctx.fail(e)),
            }
        }
    })
    .await
}

/// Time ran out before the operation was done: exit 1, saying how to go on following it.
fn still_running(op: &types::Operation, timeout_s: u64) -> Failure {
    Failure::new(
        EXIT_ERROR,
        format!(
            "the {} of {} is still running after {timeout_s} s (at step {})",
            op.kind,
            op.agent,
            current_step(op).unwrap_or("-")
        ),
    )
    .with_fix(format!(
        "it goes on without you: follow it with `taosctl operations get {} --wait`, or read the agent's logs (`taosctl agents logs {}`)",
        op.id, op.agent
    ))
}

/// A done operation that failed is a failure (exit 1) with its own error (slug, detail, fix,
/// doc link), so `taosctl agents deploy … --wait && …` stops there.
pub fn outcome(ctx: &Context, op: &types::Operation) -> Result<()> {
    if op.status != types::OperationStatus::Failed {
        return Ok(());
    }
    Err(match &op.error {
        // As any API error is shown (`error: SLUG: detail`, fix, docs); the detail names the
        // agent.
        Some(e) => ctx.api_failure(0, e.clone()),
        None => Failure::new(
            EXIT_ERROR,
            format!(
                "the {} of {} failed at step {}",
                op.kind,
                op.agent,
                failed_step(op)
            ),
        )
        .with_fix(format!("read its logs: `taosctl agents logs {}`", op.agent)),
    })
}

/// The step running now (else the next one to run).
fn current_step(op: &types::Operation) -> Option<&str> {
    use types::OperationStepStatus as S;
    op.steps
        .iter()
        .find(|s| s.status == S::Running)
        .or_else(|| op.steps.iter().find(|s| s.status == S::Pending))
        .map(|s| s.name.as_str())
}

fn failed_step(op: &types::Operation) -> &str {
    op.steps
        .iter()
        .find(|s| s.status == types::OperationStepStatus::Failed)
        .map_or("-", |s| s.name.as_str())
}

/// `deploying research-bot: start (3/4)`, for the progress line.
fn step_label(op: &types::Operation) -> String {
    let verb = match op.kind {
        types::OperationKind::Deploy => "deploying",
    };
    match current_step(op) {
        Some(step) => {
            let n = op.steps.iter().position(|s| s.name == step).map_or(0, |i| i + 1);
            format!("{verb} {}: {step} ({n}/{})", op.agent, op.steps.len())
        }
        None => format!("{verb} {}", op.agent),
    }
}

/// One operation: the API's JSON with `--json`, else its fields and steps for people.
pub fn show(ctx: &Context, op: &types::Operation) {
    ctx.out.show(op, |out| {
        let steps = op
            .steps
            .iter()
            .map(|s| match &s.detail {
                Some(d) => format!("{} {} ({d})", s.name, s.status),
                None => format!("{} {}", s.name, s.status),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut fields = vec![
            ("operation", op.id.to_string()),
            ("kind", op.kind.to_string()),
            ("agent", op.agent.clone()),
            ("status", op.status.to_string()),
            ("steps", steps),
        ];
        if let Some(state) = &op.result {
            fields.push(("state", describe(state)));
        }
        if let Some(e) = &op.error {
            fields.push(("error", format!("{}: {}", e.error, e.detail)));
            fields.push(("fix", e.fix.clone()));
        }
        fields.push(("started", when(&op.created_at)));
        fields.push(("updated", when(&op.updated_at)));
        out.fields(10, &fields);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(steps: &[(&str, types::OperationStepStatus)]) -> types::Operation {
        let now = chrono::Utc::now();
        types::Operation {
            agent: "research-bot".into(),
            created_at: now,
            done: false,
            error: None,
            id: uuid::Uuid::nil(),
            kind: types::OperationKind::Deploy,
            result: None,
            status: types::OperationStatus::Running,
            steps: steps
                .iter()
                .map(|(name, status)| types::OperationStep {
                    detail: None,
                    finished_at: None,
                    name: (*name).into(),
                    started_at: None,
                    status: *status,
                })
                .collect(),
            updated_at: now,
        }
    }

    #[test]
    fn the_progress_line_names_the_step_running_else_the_next() {
        use types::OperationStepStatus::{Pending, Running, Succeeded};
        let running = op(&[
            ("register", Succeeded),
            ("start", Running),
            ("wait_running", Pending),
        ]);
        assert_eq!(step_label(&running), "deploying research-bot: start (2/3)");
        let between = op(&[("register", Succeeded), ("start", Pending)]);
        assert_eq!(step_label(&between), "deploying research-bot: start (2/2)");
        let none = op(&[("register", Succeeded)]);
        assert_eq!(step_label(&none), "deploying research-bot");
    }
}
