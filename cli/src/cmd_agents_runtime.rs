//! `taosctl agents runtime show|set`: how and where an agent runs (its runtime spec) and the
//! state it is in.

use clap::{Args, Subcommand};
use taos_client::types;

use crate::cmd_agents_lifecycle::describe;
use crate::context::{Context, RunCmd};
use crate::failure::Result;
use crate::output::when;
use crate::runtime_spec::SpecArgs;

#[derive(Subcommand, Debug)]
pub enum RuntimeCommand {
    /// Show an agent's runtime spec (env names only, never values) and its state
    #[command(
        after_help = "Examples:\n  taosctl agents runtime show research-bot\n  taosctl agents runtime show research-bot --json"
    )]
    Show(Show),
    /// Set how an agent runs (replaces the whole spec; a running agent gets it on restart)
    #[command(after_help = SET_HELP)]
    Set(Set),
}

const SET_HELP: &str = concat!(
    crate::runtime_spec::env_help!(),
    "\n\nExamples:
  taosctl agents runtime set research-bot -- python3 agent.py
  taosctl agents runtime set research-bot --restart on-failure --memory-mb 256 -- sh -c 'echo hello; sleep 30'
  OPENAI_API_KEY=sk-… taosctl agents runtime set research-bot --env OPENAI_API_KEY -- python3 agent.py
  taosctl agents runtime set research-bot --env-file research-bot.env -- python3 agent.py
  taosctl agents runtime set research-bot --runtime docker --image ghcr.io/acme/research-bot:1"
);

impl RunCmd for RuntimeCommand {
    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            RuntimeCommand::Show(cmd) => cmd.run(ctx).await,
            RuntimeCommand::Set(cmd) => cmd.run(ctx).await,
        }
    }
}

#[derive(Args, Debug)]
pub struct Show {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
}

impl RunCmd for Show {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let rt = ctx
            .send(client.get_agent_runtime().name(self.name.as_str()).send())
            .await?;
        show(ctx, &rt);
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Set {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
    #[command(flatten)]
    spec: SpecArgs,
}

impl RunCmd for Set {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let body = self.spec.spec()?;
        let client = ctx.client()?;
        let rt = ctx
            .send(
                client
                    .set_agent_runtime()
                    .name(self.name.as_str())
                    .body(body)
                    .send(),
            )
            .await?;
        if !ctx.out.json {
            let live = matches!(
                rt.state.state,
                types::InstanceState::Running | types::InstanceState::Paused
            );
            ctx.out.note(if live {
                format!(
                    "Saved. {} still runs its old spec: `taosctl agents restart {}` gives it the new one.",
                    rt.agent, rt.agent
                )
            } else {
                format!("Saved. Start it with `taosctl agents start {}`.", rt.agent)
            });
        }
        show(ctx, &rt);
        Ok(())
    }
}

/// An argv as a shell would need it typed: arguments with spaces or quotes in single quotes.
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The runtime spec and state: the API's JSON with `--json`, else fields for people.
fn show(ctx: &Context, rt: &types::AgentRuntime) {
    ctx.out.show(rt, |out| {
        if !rt.configured {
            out.note(format!(
                "{} has no runtime spec yet: set one with `taosctl agents runtime set {} -- COMMAND…`.",
                rt.agent, rt.agent
            ));
        }
        let dash = |s: String| if s.is_empty() { "-".to_string() } else { s };
        let r = &rt.resources;
        let mut limits = Vec::new();
        if let Some(m) = r.memory_mb {
            limits.push(format!("memory {m} MiB"));
        }
        if let Some(c) = r.cpus {
            limits.push(format!("cpus {c}"));
        }
        if let Some(p) = r.pids {
            limits.push(format!("pids {p}"));
        }
        let s = &rt.state;
        let mut fields = vec![
            ("agent", rt.agent.clone()),
            ("configured", rt.configured.to_string()),
            ("runtime", rt.runtime.to_string()),
            ("command", dash(shell_words(&rt.command))),
            ("image", rt.image.clone().unwrap_or_else(|| "-".into())),
            ("env", dash(rt.env_names.join(" "))),
            ("limits", dash(limits.join(", "))),
            ("restart", rt.restart.to_string()),
            ("desired state", rt.desired_state.to_string()),
            ("state", describe(s)),
        ];
        if let Some(t) = &s.finished_at {
            fields.push(("finished", when(t)));
        }
        if s.restart_count > 0 {
            fields.push(("restarts", s.restart_count.to_string()));
        }
        out.fields(14, &fields);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_shown_as_typed() {
        let argv = ["sh", "-c", "echo hello; sleep 30"].map(String::from);
        assert_eq!(shell_words(&argv), "sh -c 'echo hello; sleep 30'");
        assert_eq!(shell_words(&["it's".to_string()]), r"'it'\''s'");
    }
}
