//! `taosctl agents start|stop|pause|resume|restart|wait`: running an agent on its runtime.
//! Every verb prints the state the agent is in afterwards (the API's `AgentState` with
//! `--json`).

use std::time::Duration;

use clap::Args;
use taos_client::types;

use crate::context::{Context, RunCmd};
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::output::when;
use crate::progress;

/// What `start`, `pause` and `resume` take: the agent.
#[derive(Args, Debug)]
pub struct Verb {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
}

/// What `stop` and `restart` take: the agent, and how long it gets to stop.
#[derive(Args, Debug)]
pub struct StopVerb {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
    /// Seconds the agent gets to stop after SIGTERM before it is killed (0 to 300)
    #[arg(long, value_name = "S", default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(0..=300))]
    timeout: u64,
}

/// How long a verb's answer may take beyond the agent's own stop timeout (a start answers
/// once the agent runs, which for a container includes creating it).
const VERB_SLACK: Duration = Duration::from_secs(120);

/// Which verb, for the request and the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Pause,
    Resume,
}

impl Verb {
    pub async fn run(&self, ctx: &Context, action: Action) -> Result<()> {
        let client = ctx.streaming_client(VERB_SLACK)?;
        let name = self.name.as_str();
        let state = match action {
            Action::Start => ctx.send(client.start_agent().name(name).send()).await?,
            Action::Pause => ctx.send(client.pause_agent().name(name).send()).await?,
            Action::Resume => ctx.send(client.resume_agent().name(name).send()).await?,
        };
        report(ctx, &state, action == Action::Start)
    }
}

impl StopVerb {
    pub async fn run(&self, ctx: &Context, restart: bool) -> Result<()> {
        let client = ctx.streaming_client(VERB_SLACK + Duration::from_secs(self.timeout))?;
        let name = self.name.as_str();
        let timeout = i64::try_from(self.timeout).unwrap_or(300);
        let state = if restart {
            ctx.send(client.restart_agent().name(name).timeout_s(timeout).send())
                .await?
        } else {
            ctx.send(client.stop_agent().name(name).timeout_s(timeout).send())
                .await?
        };
        report(ctx, &state, restart)
    }
}

/// Prints the state after a verb. A start (or restart) that left the agent `failed` is a
/// failure (exit 1), so `taosctl agents start X && …` does not go on with an agent that
/// does not run.
fn report(ctx: &Context, state: &types::AgentState, started: bool) -> Result<()> {
    ctx.out.show(state, |out| {
        if state.changed {
            out.line(format!("{}: {}", state.agent, describe(state)));
        } else {
            out.line(format!(
                "{}: already {} (nothing changed)",
                state.agent, state.state
            ));
        }
    });
    if started && state.state == types::InstanceState::Failed {
        return Err(Failure::new(
            EXIT_ERROR,
            format!(
                "{} did not start: {}",
                state.agent,
                state.last_error.as_deref().unwrap_or("it failed")
            ),
        )
        .with_fix(format!(
            "read its logs (`taosctl agents logs {}`) and check its spec (`taosctl agents runtime show {}`)",
            state.agent, state.agent
        )));
    }
    Ok(())
}

/// `running (pid 4242, since 2026-11-22 10:00)`, `stopped (exit 0)`, `failed (exit 1): why`.
pub fn describe(s: &types::AgentState) -> String {
    let mut details = Vec::new();
    if let Some(pid) = s.pid {
        details.push(format!("pid {pid}"));
    }
    match s.state {
        types::InstanceState::Running | types::InstanceState::Paused => {
            if let Some(t) = &s.started_at {
                details.push(format!("since {}", when(t)));
            }
        }
        _ => {
            if let Some(code) = s.exit_code {
                details.push(format!("exit {code}"));
            }
        }
    }
    if let Some(t) = &s.next_restart_at {
        details.push(format!("restarts at {}", when(t)));
    }
    let mut text = s.state.to_string();
    if !details.is_empty() {
        text.push_str(&format!(" ({})", details.join(", ")));
    }
    if let (types::InstanceState::Failed, Some(why)) = (s.state, &s.last_error) {
        text.push_str(&format!(": {why}"));
    }
    text
}

#[derive(Args, Debug)]
pub struct Wait {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
    /// The state to wait for
    #[arg(long, value_name = "STATE", value_parser = [
        "created", "starting", "running", "paused", "stopping", "stopped", "failed"
    ])]
    state: String,
    /// Seconds to wait before giving up (exit 1)
    #[arg(long, value_name = "S", default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(0..=86_400))]
    timeout: u64,
}

/// The most one `waitAgent` request may wait (the contract's maximum); longer waits are
/// several requests in a row.
const WAIT_CHUNK: u64 = 60;

impl RunCmd for Wait {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let want: types::InstanceState = self
            .state
            .parse()
            .map_err(|e| Failure::usage(format!("invalid value for --state: {e}")))?;
        let client = ctx.streaming_client(Duration::from_secs(WAIT_CHUNK + 30))?;
        let label = format!("waiting for {} to be {want}", self.name);
        let state = progress::while_running(&label, async {
            // Seconds still to wait after the request in flight.
            let mut left = self.timeout;
            loop {
                let chunk = left.min(WAIT_CHUNK);
                left -= chunk;
                let sent = client
                    .wait_agent()
                    .name(self.name.as_str())
                    .state(want)
                    .timeout_s(i64::try_from(chunk).unwrap_or(60))
                    .send()
                    .await;
                match sent {
                    Ok(rv) => return Ok(rv.into_inner()),
                    // Not yet, and there is time left: ask again.
                    Err(taos_client::Error::ErrorResponse(rv)) if rv.status().as_u16() == 408 && left > 0 => {
                        continue;
                    }
                    Err(e) => return Err(ctx.fail(e)),
                }
            }
        })
        .await?;
        ctx.out.show(&state, |out| {
            out.line(format!("{}: {}", state.agent, describe(&state)))
        });
        Ok(())
    }
}
