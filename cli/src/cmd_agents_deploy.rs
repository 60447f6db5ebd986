//! `taosctl agents deploy|deploy-status`: an agent registered, given its token and started in
//! one operation taosd runs in the background (`POST /api/agents/deploy`), and its latest one.

use clap::Args;
use taos_client::types::{self, builder};

use crate::cmd_operations::Follow;
use crate::context::{Context, RunCmd};
use crate::failure::{Failure, Result};
use crate::persona::PersonaArgs;
use crate::request;
use crate::runtime_spec::{SpecArgs, env_help};

pub const DEPLOY_HELP: &str = concat!(
    "The deploy registers the agent, issues its token (--scope, within yours; the agent preset \
ui.notify and knowledge.read when left out), starts it with TAOS_URL and TAOS_TOKEN in its \
environment and checks that it keeps running. Without --wait taosctl prints the operation and \
returns; follow it with `taosctl operations get ID --wait` or `taosctl agents deploy-status NAME`. \
A failed deploy leaves the agent registered but not running: read its logs, fix its spec with \
`taosctl agents runtime set` and start it, or delete it.\n\n",
    env_help!(),
    "\n\nExamples:
  taosctl agents deploy 'Research Bot' --wait -- python3 agent.py
  OPENAI_API_KEY=sk-… taosctl agents deploy 'Research Bot' --env OPENAI_API_KEY --model llama3.1:8b --soul-md soul.md --wait -- python3 agent.py
  taosctl agents deploy mail-sorter --runtime docker --image ghcr.io/acme/mail-sorter:1 --restart on-failure --json"
);

#[derive(Args, Debug)]
pub struct Deploy {
    /// Display name; the agent's name (slug) is derived from it
    name: String,
    /// Scope of the agent's token (repeat for several) [default: ui.notify knowledge.read]
    #[arg(long = "scope", value_name = "PATTERN")]
    scope: Vec<String>,
    #[command(flatten)]
    persona: PersonaArgs,
    #[command(flatten)]
    follow: Follow,
    /// Idempotency key [default: a fresh UUID, kept across taosctl's own retries]
    #[arg(long)]
    idempotency_key: Option<String>,
    #[command(flatten)]
    spec: SpecArgs,
}

impl RunCmd for Deploy {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let p = self.persona.read()?;
        let body: types::AgentDeploy = request::body(
            builder::AgentDeploy::default()
                .name(
                    self.name
                        .parse::<types::AgentDeployName>()
                        .map_err(|e| Failure::usage(format!("invalid value for NAME: {e}")))?,
                )
                .spec(self.spec.spec()?)
                .scope(request::scope(&self.scope)?)
                .model(request::opt::<types::AgentDeployModel>("--model", &p.model)?)
                .soul_md(request::opt::<types::AgentDeploySoulMd>("--soul-md", &p.soul_md)?)
                .agent_md(request::opt::<types::AgentDeployAgentMd>(
                    "--agent-md",
                    &p.agent_md,
                )?)
                .memory_plugin(request::opt::<types::AgentDeployMemoryPlugin>(
                    "--memory-plugin",
                    &p.memory_plugin,
                )?),
        )?;
        // One key for every attempt: a retry after a lost answer gets the same operation
        // back, never a second agent.
        let key = self
            .idempotency_key
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let client = ctx.client()?;
        let op = ctx
            .send_retrying(|| {
                client
                    .deploy_agent()
                    .idempotency_key(key.as_str())
                    .body(body.clone())
                    .send()
            })
            .await?;
        if !ctx.out.json && !self.follow.wait {
            ctx.out.note(format!(
                "Deploying {agent}. Follow it with `taosctl operations get {id} --wait` (or `taosctl agents deploy-status {agent}`).",
                agent = op.agent,
                id = op.id
            ));
        }
        self.follow.show(ctx, op).await
    }
}

#[derive(Args, Debug)]
pub struct DeployStatus {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
    #[command(flatten)]
    follow: Follow,
}

impl RunCmd for DeployStatus {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let op = ctx
            .send(client.get_agent_deploy_status().name(self.name.as_str()).send())
            .await?;
        self.follow.show(ctx, op).await
    }
}
