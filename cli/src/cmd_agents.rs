//! `taosctl agents …`: the agent registry (list, get, create, update, delete, permissions);
//! archived agents, export/import, agent tokens, runtime specs, deploys, the lifecycle verbs
//! (one agent or many), containers and logs have files of their own.

use clap::{ArgAction, Args, Subcommand};
use taos_client::types::{self, builder};

use crate::cmd_agent_tokens::TokenCommand;
use crate::cmd_agents_archived::ArchivedCommand;
use crate::cmd_agents_bulk::Bulk;
use crate::cmd_agents_containers::Containers;
use crate::cmd_agents_deploy::{DEPLOY_HELP, Deploy, DeployStatus};
use crate::cmd_agents_lifecycle::{Action, StopVerb, Verb, Wait};
use crate::cmd_agents_logs::Logs;
use crate::cmd_agents_runtime::RuntimeCommand;
use crate::cmd_agents_transfer::{Export, Import};
use crate::context::{Context, RunCmd};
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::output::{Table, opt, when};
use crate::paging::Paging;
use crate::persona::PersonaArgs;
use crate::prompt;
use crate::request;

#[derive(Subcommand, Debug)]
pub enum AgentsCommand {
    /// List agents
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  taosctl agents list\n  taosctl agents list --all --json"
    )]
    List(List),
    /// Show one agent
    #[command(after_help = "Example:\n  taosctl agents get research-bot")]
    Get(Get),
    /// Register an agent (safe to retry: it sends an Idempotency-Key)
    #[command(
        after_help = "Examples:\n  taosctl agents create 'Research Bot' --host 192.0.2.10 --emoji 🔬\n  taosctl agents create 'Исследователь'\n  taosctl agents create --name 'Research Bot' --model llama3.1:8b --soul-md soul.md --memory-plugin taosmd"
    )]
    Create(Create),
    /// Change an agent's settings (only the flags given change; "" clears a text field)
    #[command(
        after_help = "Examples:\n  taosctl agents update research-bot --color '#ff5a36'\n  taosctl agents update research-bot --agent-md - < AGENTS.md\n  taosctl agents update research-bot --model ''"
    )]
    Update(Update),
    /// Set what an agent may read (PUT /api/agents/NAME/permissions)
    #[command(
        after_help = "Examples:\n  taosctl agents permissions research-bot --can-read-user-memory true\n  taosctl agents permissions research-bot --can-read-user-memory false --json"
    )]
    Permissions(Permissions),
    /// Archive an agent (revokes its token; restore it with `agents archived restore`)
    #[command(after_help = "Example:\n  taosctl agents delete research-bot --yes")]
    Delete(Delete),
    /// Archived agents
    #[command(
        subcommand,
        after_help = "Examples:\n  taosctl agents archived ls\n  taosctl agents archived restore 0192f1c8-1111-7222-8333-444455556666"
    )]
    Archived(ArchivedCommand),
    /// Print an agent's export document
    #[command(
        after_help = "Examples:\n  taosctl agents export research-bot -o research-bot.json\n  taosctl agents export research-bot > research-bot.json"
    )]
    Export(Export),
    /// Create an agent from an export document (a file, or - for stdin)
    #[command(after_help = "Example:\n  taosctl agents import research-bot.json")]
    Import(Import),
    /// Issue and revoke an agent's API token
    #[command(
        subcommand,
        after_help = "Examples:\n  TOKEN=$(taosctl agents token issue research-bot)\n  taosctl agents token revoke research-bot"
    )]
    Token(TokenCommand),
    /// Show or set how an agent runs (its runtime spec)
    #[command(
        subcommand,
        after_help = "Examples:\n  taosctl agents runtime set research-bot -- python3 agent.py\n  taosctl agents runtime show research-bot"
    )]
    Runtime(RuntimeCommand),
    /// Register, issue a token for and start an agent in one operation (safe to retry)
    #[command(after_help = DEPLOY_HELP)]
    Deploy(Box<Deploy>),
    /// Show an agent's latest deploy; with --wait follow it until it is done
    #[command(
        after_help = "Examples:\n  taosctl agents deploy-status research-bot\n  taosctl agents deploy-status research-bot --wait --json"
    )]
    DeployStatus(DeployStatus),
    /// Start an agent on its runtime; prints its state once it runs (exit 1 if it failed)
    #[command(
        after_help = "Examples:\n  taosctl agents start research-bot\n  taosctl agents start research-bot --json"
    )]
    Start(Verb),
    /// Stop an agent (SIGTERM, then killed after --timeout seconds); it stays stopped
    #[command(
        after_help = "Examples:\n  taosctl agents stop research-bot\n  taosctl agents stop research-bot --timeout 30"
    )]
    Stop(StopVerb),
    /// Freeze a running agent (it uses no CPU until resumed)
    #[command(after_help = "Example:\n  taosctl agents pause research-bot")]
    Pause(Verb),
    /// Thaw a paused agent; it carries on where it was
    #[command(after_help = "Example:\n  taosctl agents resume research-bot")]
    Resume(Verb),
    /// Stop an agent if it runs, then start it with its current spec
    #[command(after_help = "Example:\n  taosctl agents restart research-bot --timeout 5")]
    Restart(StopVerb),
    /// Wait until an agent is in a state (exit 1 with the server's error when time runs out)
    #[command(
        after_help = "Examples:\n  taosctl agents wait research-bot --state running\n  taosctl agents wait research-bot --state stopped --timeout 300"
    )]
    Wait(Wait),
    /// Print an agent's output lines, or follow them as they are written (-f)
    #[command(
        after_help = "Examples:\n  taosctl agents logs research-bot --tail 20\n  taosctl agents logs research-bot --since 10m --stream stderr\n  taosctl agents logs research-bot -f\n  taosctl agents logs research-bot --json | jq -r .line\n\n\
        With --json each line is a LogLine object ({seq, ts, stream, line}) on a line of its own (NDJSON).\n\
        -f ends (exit 0) when the agent stops or on Ctrl-C; a dropped connection is resumed after the last line printed."
    )]
    Logs(Logs),
    /// Start, stop, pause, resume or restart many agents; one line each (exit 1 if any failed)
    #[command(
        after_help = "Examples:\n  taosctl agents bulk stop research-bot mail-sorter --timeout 5\n  taosctl agents bulk restart --all --json"
    )]
    Bulk(Bulk),
    /// List the processes and containers the runtimes run for your agents
    #[command(after_help = "Examples:\n  taosctl agents containers\n  taosctl agents containers --json")]
    Containers(Containers),
}

impl RunCmd for AgentsCommand {
    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            AgentsCommand::List(cmd) => cmd.run(ctx).await,
            AgentsCommand::Get(cmd) => cmd.run(ctx).await,
            AgentsCommand::Create(cmd) => cmd.run(ctx).await,
            AgentsCommand::Update(cmd) => cmd.run(ctx).await,
            AgentsCommand::Permissions(cmd) => cmd.run(ctx).await,
            AgentsCommand::Delete(cmd) => cmd.run(ctx).await,
            AgentsCommand::Archived(cmd) => cmd.run(ctx).await,
            AgentsCommand::Export(cmd) => cmd.run(ctx).await,
            AgentsCommand::Import(cmd) => cmd.run(ctx).await,
            AgentsCommand::Token(cmd) => cmd.run(ctx).await,
            AgentsCommand::Runtime(cmd) => cmd.run(ctx).await,
            AgentsCommand::Start(cmd) => cmd.run(ctx, Action::Start).await,
            AgentsCommand::Stop(cmd) => cmd.run(ctx, false).await,
            AgentsCommand::Pause(cmd) => cmd.run(ctx, Action::Pause).await,
            AgentsCommand::Resume(cmd) => cmd.run(ctx, Action::Resume).await,
            AgentsCommand::Restart(cmd) => cmd.run(ctx, true).await,
            AgentsCommand::Wait(cmd) => cmd.run(ctx).await,
            AgentsCommand::Logs(cmd) => cmd.run(ctx).await,
            AgentsCommand::Deploy(cmd) => cmd.run(ctx).await,
            AgentsCommand::DeployStatus(cmd) => cmd.run(ctx).await,
            AgentsCommand::Bulk(cmd) => cmd.run(ctx).await,
            AgentsCommand::Containers(cmd) => cmd.run(ctx).await,
        }
    }
}

#[derive(Args, Debug)]
pub struct List {
    #[command(flatten)]
    paging: Paging,
}

impl RunCmd for List {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let page = pages!(ctx, &self.paging, client.list_agents());
        let row = |a: &types::Agent| {
            vec![
                a.name.clone(),
                a.display_name.clone(),
                a.status.to_string(),
                if a.has_token { "yes".into() } else { "no".into() },
                opt(&a.host),
                when(&a.created_at),
            ]
        };
        ctx.out.page(
            &page,
            Table {
                headers: &["NAME", "DISPLAY NAME", "STATUS", "TOKEN", "HOST", "CREATED"],
                row: &row,
                empty: Some("No agents yet. Create one with `taosctl agents create --name NAME`."),
                footnote: None,
                more: "More agents",
            },
        );
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Get {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
}

impl RunCmd for Get {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let agent = ctx
            .send(client.get_agent().name(self.name.as_str()).send())
            .await?;
        show(ctx, &agent);
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Create {
    /// Display name (any letters, e.g. 'Café Bot'); the agent's name (slug) is derived from it
    #[arg(value_name = "DISPLAY_NAME", required_unless_present = "name_flag")]
    name: Option<String>,
    /// The display name, as a flag (the same as the argument)
    #[arg(long = "name", value_name = "DISPLAY_NAME", conflicts_with = "name")]
    name_flag: Option<String>,
    /// Where the agent runs: an IP address or host name [default: none]
    #[arg(long)]
    host: Option<String>,
    /// The agent's QMD memory index name [default: none]
    #[arg(long)]
    qmd_index: Option<String>,
    /// Colour as #rrggbb [default: none]
    #[arg(long)]
    color: Option<String>,
    /// An emoji shown with the agent [default: none]
    #[arg(long)]
    emoji: Option<String>,
    /// Let the agent read the user's memory [default: it may not]
    #[arg(long)]
    can_read_user_memory: bool,
    /// Default scope of the agent's tokens (repeat for several) [default: ui.notify and
    /// knowledge.read]
    #[arg(long = "scope", value_name = "PATTERN")]
    scope: Vec<String>,
    #[command(flatten)]
    persona: PersonaArgs,
    /// Idempotency key [default: a fresh UUID]
    #[arg(long)]
    idempotency_key: Option<String>,
}

impl Create {
    fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.name_flag.as_deref())
            .unwrap_or_default()
    }
}

impl RunCmd for Create {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let p = self.persona.read()?;
        let body: types::AgentCreate = request::body(
            builder::AgentCreate::default()
                .name(self.display_name())
                .host(request::opt::<types::AgentCreateHost>("--host", &self.host)?)
                .qmd_index(request::opt::<types::AgentCreateQmdIndex>(
                    "--qmd-index",
                    &self.qmd_index,
                )?)
                .color(request::opt::<types::Color>("--color", &self.color)?)
                .emoji(request::opt::<types::AgentCreateEmoji>("--emoji", &self.emoji)?)
                .can_read_user_memory(self.can_read_user_memory)
                .scope(request::scope(&self.scope)?)
                .model(request::opt::<types::AgentCreateModel>("--model", &p.model)?)
                .soul_md(request::opt::<types::AgentCreateSoulMd>("--soul-md", &p.soul_md)?)
                .agent_md(request::opt::<types::AgentCreateAgentMd>(
                    "--agent-md",
                    &p.agent_md,
                )?)
                .memory_plugin(request::opt::<types::AgentCreateMemoryPlugin>(
                    "--memory-plugin",
                    &p.memory_plugin,
                )?),
        )?;
        let key = self
            .idempotency_key
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let client = ctx.client()?;
        let agent = ctx
            .send_retrying(|| {
                client
                    .create_agent()
                    .idempotency_key(key.as_str())
                    .body(body.clone())
                    .send()
            })
            .await?;
        if !ctx.out.json {
            ctx.out.note(format!(
                "Created agent {} ({}). Issue its token with `taosctl agents token issue {}`.",
                agent.name, agent.display_name, agent.name
            ));
        }
        show(ctx, &agent);
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Update {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
    /// Where the agent runs: an IP address or host name ("" clears it) [default: unchanged]
    #[arg(long)]
    host: Option<String>,
    /// The agent's QMD memory index name ("" clears it) [default: unchanged]
    #[arg(long)]
    qmd_index: Option<String>,
    /// Colour as #rrggbb [default: unchanged]
    #[arg(long)]
    color: Option<String>,
    /// An emoji shown with the agent ("" clears it) [default: unchanged]
    #[arg(long)]
    emoji: Option<String>,
    /// Whether the agent may read the user's memory [default: unchanged]
    #[arg(long)]
    can_read_user_memory: Option<bool>,
    /// Default scope of the agent's tokens (repeat for several) [default: unchanged]
    #[arg(long = "scope", value_name = "PATTERN")]
    scope: Vec<String>,
    #[command(flatten)]
    persona: PersonaArgs,
}

impl RunCmd for Update {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let p = self.persona.read()?;
        let body: types::AgentUpdate = request::body(
            builder::AgentUpdate::default()
                .host(request::opt::<types::AgentUpdateHost>("--host", &self.host)?)
                .qmd_index(request::opt::<types::AgentUpdateQmdIndex>(
                    "--qmd-index",
                    &self.qmd_index,
                )?)
                .color(request::opt::<types::Color>("--color", &self.color)?)
                .emoji(request::opt::<types::AgentUpdateEmoji>("--emoji", &self.emoji)?)
                .can_read_user_memory(self.can_read_user_memory)
                .scope(request::scope(&self.scope)?)
                .model(request::opt::<types::AgentUpdateModel>("--model", &p.model)?)
                .soul_md(request::opt::<types::AgentUpdateSoulMd>("--soul-md", &p.soul_md)?)
                .agent_md(request::opt::<types::AgentUpdateAgentMd>(
                    "--agent-md",
                    &p.agent_md,
                )?)
                .memory_plugin(request::opt::<types::AgentUpdateMemoryPlugin>(
                    "--memory-plugin",
                    &p.memory_plugin,
                )?),
        )?;
        let client = ctx.client()?;
        let agent = ctx
            .send(client.update_agent().name(self.name.as_str()).body(body).send())
            .await?;
        show(ctx, &agent);
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Permissions {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
    /// Whether the agent may read the user's memory
    #[arg(long, value_name = "BOOL", action = ArgAction::Set, required = true)]
    can_read_user_memory: bool,
}

impl RunCmd for Permissions {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let body: types::AgentPermissions = request::body(
            builder::AgentPermissions::default().can_read_user_memory(self.can_read_user_memory),
        )?;
        let client = ctx.client()?;
        let agent = ctx
            .send(
                client
                    .set_agent_permissions()
                    .name(self.name.as_str())
                    .body(body)
                    .send(),
            )
            .await?;
        show(ctx, &agent);
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Delete {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
    /// Do not ask for confirmation
    #[arg(long, short)]
    yes: bool,
}

impl RunCmd for Delete {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let name = &self.name;
        if !prompt::confirm(
            &format!("Archive agent '{name}'? Its token is revoked."),
            self.yes,
        )? {
            return Err(Failure::new(EXIT_ERROR, "cancelled"));
        }
        let client = ctx.client()?;
        let archived = ctx.send(client.delete_agent().name(name.as_str()).send()).await?;
        ctx.out.show(&archived, |out| {
            out.line(format!(
                "archived: {} (restore with `taosctl agents archived restore {}`)",
                archived.name, archived.id
            ))
        });
        Ok(())
    }
}

/// One agent: the API's JSON with `--json`, else its settings and its token's state.
pub fn show(ctx: &Context, a: &types::Agent) {
    ctx.out.show(a, |out| {
        let token = if a.has_token {
            format!(
                "active since {} (scope {}; expires {}; last used {})",
                when(a.issued_at.as_ref().unwrap_or(&a.created_at)),
                a.token_scope.clone().unwrap_or_default().join(" "),
                a.token_expires_at
                    .as_ref()
                    .map(when)
                    .unwrap_or_else(|| "never".into()),
                a.last_used_at
                    .as_ref()
                    .map(when)
                    .unwrap_or_else(|| "never".into()),
            )
        } else {
            "none (issue one with `taosctl agents token issue`)".into()
        };
        out.fields(
            18,
            &[
                ("name", a.name.clone()),
                ("display name", a.display_name.clone()),
                ("status", a.status.to_string()),
                ("host", opt(&a.host)),
                ("qmd index", opt(&a.qmd_index)),
                ("color", a.color.clone()),
                ("emoji", opt(&a.emoji)),
                ("reads user memory", a.can_read_user_memory.to_string()),
                ("scope", a.scope.join(" ")),
                ("model", opt(&a.model)),
                ("soul md", markdown(&a.soul_md)),
                ("agent md", markdown(&a.agent_md)),
                ("memory plugin", opt(&a.memory_plugin)),
                ("token", token),
                ("owner", a.owner.username.clone()),
                ("created", when(&a.created_at)),
                ("id", a.id.to_string()),
            ],
        );
    });
}

/// A persona document for people: its size and first line (the whole text is in `--json`).
fn markdown(text: &Option<String>) -> String {
    let Some(text) = text.as_deref().filter(|t| !t.is_empty()) else {
        return "-".into();
    };
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let cut: String = first.chars().take(60).collect();
    let more = if cut.len() < first.len() { "…" } else { "" };
    let lines = text.lines().count();
    format!(
        "{lines} line{} ({} bytes): {cut}{more}",
        if lines == 1 { "" } else { "s" },
        text.len()
    )
}

#[cfg(test)]
mod tests {
    use super::markdown;

    #[test]
    fn persona_documents_are_summed_up_by_size_and_first_line() {
        assert_eq!(markdown(&None), "-");
        assert_eq!(markdown(&Some(String::new())), "-");
        assert_eq!(
            markdown(&Some("\n# Soul\nKind.\n".into())),
            "3 lines (14 bytes): # Soul"
        );
        let long = format!("{}\n", "é".repeat(70));
        let shown = markdown(&Some(long));
        assert!(
            shown.starts_with("1 line (141 bytes): ") && shown.ends_with('…'),
            "{shown}"
        );
    }
}
