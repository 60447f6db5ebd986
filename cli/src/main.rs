//! `taosctl`: the command line for the taOS agent API, built only on the generated SDK
//! (`taos-client`), so it cannot drift from the contract.
//!
//! One file per noun (`cmd_<noun>.rs`) holds that noun's clap types and what its verbs do; each
//! verb implements [`RunCmd`] on a [`Context`] (the configuration, resolved once by
//! `taos_client::Config`, and the output).

// First, so that every command module can use `pages!`.
#[macro_use]
mod paging;

mod cmd_agent_tokens;
mod cmd_agents;
mod cmd_agents_archived;
mod cmd_agents_bulk;
mod cmd_agents_containers;
mod cmd_agents_deploy;
mod cmd_agents_lifecycle;
mod cmd_agents_logs;
mod cmd_agents_runtime;
mod cmd_agents_transfer;
mod cmd_auth;
mod cmd_auth_tokens;
mod cmd_completion;
mod cmd_knowledge;
mod cmd_mcp;
mod cmd_notifications;
mod cmd_operations;
mod cmd_runtimes;
mod cmd_ui;
mod cmd_users;
mod context;
mod debug;
mod failure;
mod fixes;
mod output;
mod persona;
mod progress;
mod prompt;
mod request;
mod runtime_spec;
mod server_url;
mod sse;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use context::{Context, RunCmd};
use failure::{EXIT_USAGE, Failure};

#[derive(Parser, Debug)]
#[command(
    name = "taosctl",
    version,
    about = "Manage taOS agents, their tokens, runtimes, deploys and notifications",
    long_about = "taosctl talks to a taOS server (taosd). Agents use it inside their containers \
        with the token in TAOS_TOKEN; people sign in with `taosctl auth login`.",
    after_help = "Examples:\n  taosctl auth login\n  taosctl agents list\n  taosctl agents deploy 'Research Bot' --wait -- python3 agent.py\n  taosctl agents runtime set research-bot -- python3 agent.py\n  taosctl agents start research-bot\n  taosctl agents logs research-bot -f\n  TOKEN=$(taosctl agents token issue research-bot)\n  taosctl ui notify --title 'Build done' --body 'All green'\n\n\
        Environment:\n  TAOS_URL     server URL (default http://localhost:6969)\n  TAOS_TOKEN   bearer token (wins over the credentials file)\n  TAOS_DEBUG   1 prints each request on stderr, as --debug does\n  NO_COLOR     disable colour\n\n\
        Exit codes: 0 ok, 1 API or network error, 2 usage error, 4 authentication needed or rejected."
)]
pub struct Cli {
    /// Server URL: scheme and host, no path (http://127.0.0.1:6969) [default: $TAOS_URL, else
    /// the saved server, else http://localhost:6969]
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,

    /// Print machine-readable JSON on stdout [default: tables and text for people]
    #[arg(long, global = true)]
    pub json: bool,

    /// Print each request (method, URL, status, time) on stderr; never a token [default:
    /// off, on when TAOS_DEBUG=1]
    #[arg(long, global = true)]
    pub debug: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Sign in and out, and see who you are
    #[command(
        subcommand,
        after_help = "Examples:\n  taosctl auth setup --username ada   (first run: no user yet)\n  taosctl auth login --username ada\n  taosctl auth status\n  echo \"$TOKEN\" | taosctl auth login --with-token"
    )]
    Auth(cmd_auth::AuthCommand),
    /// Register, run and manage agents: their tokens, runtime specs, states and logs
    #[command(
        subcommand,
        after_help = "Examples:\n  taosctl agents ls\n  taosctl agents create 'Research Bot'\n  taosctl agents deploy 'Research Bot' --wait -- python3 agent.py\n  taosctl agents logs research-bot -f\n  TOKEN=$(taosctl agents token issue research-bot)"
    )]
    Agents(cmd_agents::AgentsCommand),
    /// Add, list and remove people (admins only)
    #[command(
        subcommand,
        after_help = "Examples:\n  taosctl users ls\n  taosctl users create --username grace\n  taosctl users delete grace --yes"
    )]
    Users(cmd_users::UsersCommand),
    /// Talk to the user's screen
    #[command(
        subcommand,
        after_help = "Example:\n  taosctl ui notify --title 'Build done' --body 'All green' --priority low"
    )]
    Ui(cmd_ui::UiCommand),
    /// Read the user's notifications
    #[command(
        subcommand,
        after_help = "Examples:\n  taosctl notifications ls --unread\n  taosctl notifications read-all"
    )]
    Notifications(cmd_notifications::NotificationsCommand),
    /// Follow work taosd does in the background (deploys)
    #[command(
        subcommand,
        after_help = "Example:\n  taosctl operations get 0192f1c8-1111-7222-8333-444455556666 --wait"
    )]
    Operations(cmd_operations::OperationsCommand),
    /// List the runtimes agents can run on (process, docker, incus) and what they can do
    #[command(after_help = "Examples:\n  taosctl runtimes\n  taosctl runtimes --json")]
    Runtimes(cmd_runtimes::Runtimes),
    /// Read and search the docs and installed apps' guides
    #[command(
        subcommand,
        after_help = "Examples:\n  taosctl knowledge search issue token\n  taosctl knowledge get concepts/runtimes.md\n  taosctl knowledge ls --json"
    )]
    Knowledge(cmd_knowledge::KnowledgeCommand),
    /// Connect an MCP client: the /mcp URL, the header and a snippet per client
    #[command(
        after_help = "Examples:\n  taosctl mcp\n  taosctl mcp --client claude-code\n  taosctl mcp --json"
    )]
    Mcp(cmd_mcp::Mcp),
    /// Print a shell completion script
    #[command(after_help = "Example:\n  taosctl completion bash > /etc/bash_completion.d/taosctl")]
    Completion(cmd_completion::Completion),
}

impl RunCmd for Command {
    async fn run(&self, ctx: &Context) -> failure::Result<()> {
        match self {
            Command::Auth(cmd) => cmd.run(ctx).await,
            Command::Agents(cmd) => cmd.run(ctx).await,
            Command::Users(cmd) => cmd.run(ctx).await,
            Command::Ui(cmd) => cmd.run(ctx).await,
            Command::Notifications(cmd) => cmd.run(ctx).await,
            Command::Operations(cmd) => cmd.run(ctx).await,
            Command::Runtimes(cmd) => cmd.run(ctx).await,
            Command::Knowledge(cmd) => cmd.run(ctx).await,
            Command::Mcp(cmd) => cmd.run(ctx).await,
            // Needs no configuration: answered in `run` before it is loaded.
            Command::Completion(cmd) => cmd.print(),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{f}");
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let Some(command) = &cli.command else {
        // Bare `taosctl`: the help, as `taosctl --help` prints it.
        let help = <Cli as clap::CommandFactory>::command().render_help().to_string();
        output::write_stdout(help.as_bytes());
        return Ok(());
    };
    // A completion script is printed even where the configuration cannot be read.
    if let Command::Completion(cmd) = command {
        return cmd.print();
    }
    let debug = cli.debug || debug::from_env();
    let ctx = Context::load(cli.url.clone(), cli.json, debug)?;
    command.run(&ctx).await
}
