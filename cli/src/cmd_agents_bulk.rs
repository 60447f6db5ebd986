//! `taosctl agents bulk ACTION (--all | NAME…)`: one lifecycle verb applied to many agents in
//! one request; every agent gets its own result, and one failure never stops the rest.

use std::time::Duration;

use clap::Args;
use taos_client::types::{self, builder};

use crate::cmd_agents_lifecycle::describe;
use crate::context::{Context, RunCmd};
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::request;

#[derive(Args, Debug)]
#[command(
    group = clap::ArgGroup::new("which").required(true).args(["names", "all"]),
    override_usage = "taosctl agents bulk <ACTION> (--all | <NAME>...) [--timeout <S>]"
)]
pub struct Bulk {
    /// The verb
    #[arg(value_name = "ACTION", value_parser = ["start", "stop", "pause", "resume", "restart"])]
    action: String,
    /// The agents (1 to 200 names)
    #[arg(value_name = "NAME", num_args = 1..=200)]
    names: Vec<String>,
    /// Every agent of yours that has a runtime spec
    #[arg(long, conflicts_with = "names")]
    all: bool,
    /// Seconds each agent gets to stop after SIGTERM before it is killed (stop, restart; 0 to 300)
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(0..=300))]
    timeout: Option<u64>,
}

/// How many agents the server acts on at once, to size how long the answer may take; and the
/// most one verb may take beyond its stop grace (as for a single verb).
const SERVER_CONCURRENCY: u64 = 8;
const VERB_SLACK: u64 = 120;
const MAX_AGENTS: u64 = 200;

impl RunCmd for Bulk {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let action: taos_client::params::BulkAgentActionAction = self
            .action
            .parse()
            .map_err(|e| Failure::usage(format!("invalid ACTION: {e}")))?;
        let names = self
            .names
            .iter()
            .map(|n| {
                n.parse::<types::BulkRequestNamesItem>()
                    .map_err(|e| Failure::usage(format!("invalid agent name {n:?}: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let body: types::BulkRequest = request::body(
            builder::BulkRequest::default()
                .names(names)
                .all(self.all.then_some(true)),
        )?;
        // The answer comes when the last agent is done: batches of SERVER_CONCURRENCY agents,
        // each taking up to the grace and the slack.
        let count = if self.all {
            MAX_AGENTS
        } else {
            self.names.len() as u64
        };
        let batches = count.div_ceil(SERVER_CONCURRENCY).max(1);
        let per_batch = VERB_SLACK + self.timeout.unwrap_or(10);
        let client = ctx.streaming_client(Duration::from_secs(per_batch * batches))?;
        let mut req = client.bulk_agent_action().action(action).body(body);
        if let Some(t) = self.timeout {
            req = req.timeout_s(i64::try_from(t).unwrap_or(300));
        }
        let result = ctx.send(req.send()).await?;
        ctx.out.show(&result, |out| {
            for r in &result.results {
                out.line(line(r));
            }
        });
        let failed = result.results.iter().filter(|r| !r.ok).count();
        if failed > 0 {
            return Err(Failure::new(
                EXIT_ERROR,
                format!(
                    "{failed} of {} agents failed to {}",
                    result.results.len(),
                    self.action
                ),
            )
            .with_fix("each failed agent's line says why and what to do"));
        }
        Ok(())
    }
}

/// `research-bot: stopped (exit 0)` or `mail-sorter: failed: agent_not_found: … (fix: …)`.
fn line(r: &types::BulkItem) -> String {
    match (&r.state, &r.error) {
        (Some(state), _) if r.ok => {
            if state.changed {
                format!("{}: {}", r.agent, describe(state))
            } else {
                format!("{}: already {} (nothing changed)", r.agent, state.state)
            }
        }
        (_, Some(e)) => format!("{}: failed: {}: {} (fix: {})", r.agent, e.error, e.detail, e.fix),
        _ => format!("{}: {}", r.agent, if r.ok { "ok" } else { "failed" }),
    }
}
