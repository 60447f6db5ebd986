//! `taosctl agents token issue|revoke`: an agent's one API token (`taos_agent_…`).

use clap::{Args, Subcommand};
use taos_client::types::{self, builder};

use crate::context::{Context, RunCmd};
use crate::failure::Result;
use crate::request;

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Issue the agent's token (revokes the previous one); prints the token alone on stdout
    #[command(
        after_help = "Examples:\n  taosctl agents token issue research-bot\n  taosctl agents token issue research-bot --scope ui.notify --scope agents.read --expires-in 90"
    )]
    Issue(Issue),
    /// Revoke the agent's token
    #[command(after_help = "Example:\n  taosctl agents token revoke research-bot")]
    Revoke(Revoke),
}

impl RunCmd for TokenCommand {
    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            TokenCommand::Issue(cmd) => cmd.run(ctx).await,
            TokenCommand::Revoke(cmd) => cmd.run(ctx).await,
        }
    }
}

#[derive(Args, Debug)]
pub struct Issue {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
    /// Scope pattern (repeat for several) [default: the agent's scope]
    #[arg(long = "scope", value_name = "PATTERN")]
    scope: Vec<String>,
    /// Days until the token expires [default: never]
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u64).range(1..=3650))]
    expires_in: Option<u64>,
}

impl RunCmd for Issue {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let body: types::TokenIssueRequest = request::body(
            builder::TokenIssueRequest::default()
                .scope(request::scope(&self.scope)?)
                .expires_in_days(request::days(self.expires_in)),
        )?;
        let issued = ctx
            .send(
                client
                    .issue_agent_token()
                    .name(self.name.as_str())
                    .body(body)
                    .send(),
            )
            .await?;
        let reached = match issued.injection {
            Some(types::Injection::Live) => " The running agent has it already (no restart).",
            Some(types::Injection::Restarted) => " The agent was restarted with it.",
            Some(types::Injection::Recreated) => " The agent's container was made again with it.",
            Some(types::Injection::OnNextStart) => " The agent gets it in TAOS_TOKEN when it starts.",
            None => "",
        };
        ctx.out.secret(&issued, &issued.token, format!(
            "Warning: this token for agent {} is shown only once; save it now. Any previous token of this agent no longer works.{reached}",
            issued.agent
        ));
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Revoke {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
}

impl RunCmd for Revoke {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let name = &self.name;
        ctx.send(client.revoke_agent_token().name(name.as_str()).send())
            .await?;
        ctx.out.show(&serde_json::json!({ "revoked": name }), |out| {
            out.line(format!("token revoked: {name}"))
        });
        Ok(())
    }
}
