//! The command line, as clap types. Nouns and verbs like `gh` and `kubectl`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "taosctl",
    version,
    about = "Manage taOS agents, their tokens and notifications",
    long_about = "taosctl talks to a taOS server (taosd). Agents use it inside their containers \
        with the token in TAOS_TOKEN; people sign in with `taosctl auth login`.",
    after_help = "Examples:\n  taosctl auth login\n  taosctl agents list\n  TOKEN=$(taosctl agents token issue research-bot)\n  taosctl ui notify --title 'Build done' --body 'All green'\n\n\
        Environment:\n  TAOS_URL     server URL (default http://localhost:6969)\n  TAOS_TOKEN   bearer token (wins over the credentials file)\n  NO_COLOR     disable colour\n\n\
        Exit codes: 0 ok, 1 API or network error, 2 usage error, 4 authentication needed or rejected."
)]
pub struct Cli {
    /// Server URL [default: $TAOS_URL, else the saved server, else http://localhost:6969]
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,

    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Sign in and out, and see who you are
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Register and manage agents and their tokens
    #[command(subcommand)]
    Agents(AgentsCommand),
    /// Talk to the user's screen
    #[command(subcommand)]
    Ui(UiCommand),
    /// Read the user's notifications
    #[command(subcommand)]
    Notifications(NotificationsCommand),
    /// Read and search the docs and installed apps' guides
    #[command(subcommand)]
    Knowledge(KnowledgeCommand),
    /// Print a shell completion script
    #[command(after_help = "Example:\n  taosctl completion bash > /etc/bash_completion.d/taosctl")]
    Completion {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Subcommand, Debug)]
pub enum AuthCommand {
    /// First run: create the first user and save their token
    #[command(
        after_help = "Examples:\n  taosctl auth setup --username ada\n  echo \"$PW\" | taosctl auth setup --username ada --password-stdin"
    )]
    Setup {
        #[arg(long)]
        username: Option<String>,
        /// Read the password from stdin instead of prompting
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        full_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// Sign in: save a token for this machine
    #[command(
        after_help = "Examples:\n  taosctl auth login --username ada\n  taosctl auth login --with-token < token.txt"
    )]
    Login {
        #[arg(long, conflicts_with = "with_token")]
        username: Option<String>,
        /// Read the password from stdin instead of prompting
        #[arg(long, conflicts_with = "with_token")]
        password_stdin: bool,
        /// Read a token (taos_user_… or taos_agent_…) from stdin and save it
        #[arg(long)]
        with_token: bool,
        /// Label of the new personal token [default: taosctl@<hostname>]
        #[arg(long, conflicts_with = "with_token")]
        label: Option<String>,
    },
    /// Revoke the saved personal token and forget it
    #[command(after_help = "Example:\n  taosctl auth logout")]
    Logout,
    /// Show which server and identity are in use (exit 4 when not signed in)
    #[command(after_help = "Example:\n  taosctl auth status")]
    Status,
    /// Show who the token belongs to
    #[command(after_help = "Example:\n  taosctl auth whoami --json")]
    Whoami,
    /// Print the token in use (for piping into other tools)
    #[command(
        after_help = "Example:\n  curl -H \"Authorization: Bearer $(taosctl auth token)\" http://localhost:6969/api/agents"
    )]
    Token,
    /// List, create and revoke your personal tokens (taos_user_…)
    #[command(subcommand)]
    Tokens(UserTokensCommand),
}

#[derive(Subcommand, Debug)]
pub enum UserTokensCommand {
    /// List your active personal tokens, oldest first; `*` marks the one taosctl is using
    #[command(after_help = "Examples:\n  taosctl auth tokens list\n  taosctl auth tokens list --all --json")]
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Create a personal token with your password; prints the token alone on stdout, once
    #[command(
        long_about = "Create a personal token with your username and password (POST /auth/token) \
            and print it once: alone on stdout, so `TOKEN=$(taosctl auth tokens create …)` works. \
            It is not saved: to make taosctl use a token, run `taosctl auth login`.",
        after_help = "Examples:\n  taosctl auth tokens create --label ci-runner --scope agents.read --expires-in-days 30\n  echo \"$PW\" | taosctl auth tokens create --username ada --label backup-script --password-stdin"
    )]
    Create {
        /// Whose token [default: the signed-in person, else asked]
        #[arg(long)]
        username: Option<String>,
        /// Read the password from stdin instead of prompting
        #[arg(long)]
        password_stdin: bool,
        /// What the token is for [default: taosctl@<hostname>]
        #[arg(long)]
        label: Option<String>,
        /// Scope pattern (repeat for several) [default: *]
        #[arg(long = "scope", value_name = "PATTERN")]
        scope: Vec<String>,
        /// Days until the token expires [default: never]
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u64).range(1..=3650))]
        expires_in_days: Option<u64>,
    },
    /// Revoke one of your personal tokens; it stops working at once
    #[command(
        after_help = "Examples:\n  taosctl auth tokens revoke 0192f1c4-9b00-7a11-8c22-1d2e3f4a5b6c\n  taosctl auth tokens revoke 0192f1c4-9b00-7a11-8c22-1d2e3f4a5b6c --yes"
    )]
    Revoke {
        /// The token's id (from `taosctl auth tokens list`)
        id: uuid::Uuid,
        /// Do not ask for confirmation
        #[arg(long, short)]
        yes: bool,
    },
}

#[derive(Args, Debug, Clone)]
pub struct Paging {
    /// Page size, 1 to 200
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=200))]
    pub limit: Option<u64>,
    /// Continue after this cursor (the `next_cursor` of the previous page)
    #[arg(long)]
    pub cursor: Option<uuid::Uuid>,
    /// Follow cursors and print every page
    #[arg(long, conflicts_with = "cursor")]
    pub all: bool,
}

#[derive(Subcommand, Debug)]
pub enum AgentsCommand {
    /// List agents
    #[command(after_help = "Examples:\n  taosctl agents list\n  taosctl agents list --all --json")]
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one agent
    #[command(after_help = "Example:\n  taosctl agents get research-bot")]
    Get { name: String },
    /// Register an agent (safe to retry: it sends an Idempotency-Key)
    #[command(
        after_help = "Example:\n  taosctl agents create --name 'Research Bot' --host 192.0.2.10 --emoji 🔬"
    )]
    Create {
        /// Display name; the agent's name (slug) is derived from it
        #[arg(long)]
        name: String,
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        qmd_index: Option<String>,
        /// Colour as #rrggbb
        #[arg(long)]
        color: Option<String>,
        #[arg(long)]
        emoji: Option<String>,
        /// Let the agent read the user's memory
        #[arg(long)]
        can_read_user_memory: bool,
        /// Default scope of the agent's tokens (repeat for several)
        #[arg(long = "scope", value_name = "PATTERN")]
        scope: Vec<String>,
        /// Idempotency key [default: a fresh UUID]
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Change an agent's settings (only the flags given change; "" clears a text field)
    #[command(after_help = "Example:\n  taosctl agents update research-bot --color '#ff5a36'")]
    Update {
        name: String,
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        qmd_index: Option<String>,
        #[arg(long)]
        color: Option<String>,
        #[arg(long)]
        emoji: Option<String>,
        #[arg(long)]
        can_read_user_memory: Option<bool>,
        #[arg(long = "scope", value_name = "PATTERN")]
        scope: Vec<String>,
    },
    /// Archive an agent (revokes its token; restore it with `agents archived restore`)
    #[command(after_help = "Example:\n  taosctl agents delete research-bot --yes")]
    Delete {
        name: String,
        /// Do not ask for confirmation
        #[arg(long, short)]
        yes: bool,
    },
    /// Archived agents
    #[command(subcommand)]
    Archived(ArchivedCommand),
    /// Print an agent's export document
    #[command(
        after_help = "Examples:\n  taosctl agents export research-bot -o research-bot.json\n  taosctl agents export research-bot > research-bot.json"
    )]
    Export {
        name: String,
        /// Write to this file instead of stdout
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Create an agent from an export document (a file, or - for stdin)
    #[command(after_help = "Example:\n  taosctl agents import research-bot.json")]
    Import {
        file: String,
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Issue and revoke an agent's API token
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand, Debug)]
pub enum ArchivedCommand {
    /// List archived agents
    #[command(after_help = "Example:\n  taosctl agents archived list")]
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Bring an archived agent back
    #[command(
        after_help = "Example:\n  taosctl agents archived restore 0192f1c8-1234-7567-89ab-cdef01234567"
    )]
    Restore { id: uuid::Uuid },
    /// Delete an archived agent for good
    #[command(
        after_help = "Example:\n  taosctl agents archived purge 0192f1c8-1234-7567-89ab-cdef01234567 --yes"
    )]
    Purge {
        id: uuid::Uuid,
        #[arg(long, short)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Issue the agent's token (revokes the previous one); prints the token alone on stdout
    #[command(
        after_help = "Examples:\n  taosctl agents token issue research-bot\n  taosctl agents token issue research-bot --scope ui.notify --scope agents.read --expires-in 90"
    )]
    Issue {
        name: String,
        /// Scope pattern (repeat for several) [default: the agent's scope]
        #[arg(long = "scope", value_name = "PATTERN")]
        scope: Vec<String>,
        /// Days until the token expires [default: never]
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u64).range(1..=3650))]
        expires_in: Option<u64>,
    },
    /// Revoke the agent's token
    #[command(after_help = "Example:\n  taosctl agents token revoke research-bot")]
    Revoke { name: String },
}

#[derive(Subcommand, Debug)]
pub enum UiCommand {
    /// Send the user a notification
    #[command(
        after_help = "Example:\n  taosctl ui notify --title 'Build complete' --body 'PR #449 merged.' --priority high"
    )]
    Notify {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        body: String,
        #[arg(long, value_enum)]
        priority: Option<Priority>,
        #[arg(long)]
        app_origin: Option<String>,
        /// An http(s) URL or a /path the user can open
        #[arg(long)]
        action_url: Option<String>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Priority {
    Low,
    Normal,
    High,
}

#[derive(Subcommand, Debug)]
pub enum NotificationsCommand {
    /// List notifications, newest first
    #[command(after_help = "Example:\n  taosctl notifications list --unread")]
    List {
        /// Only unread notifications
        #[arg(long)]
        unread: bool,
        #[command(flatten)]
        paging: Paging,
    },
    /// Mark one notification read
    #[command(after_help = "Example:\n  taosctl notifications read 0192f1c7-aaaa-7bbb-8ccc-dddddddddddd")]
    Read { id: uuid::Uuid },
    /// Mark every notification read
    #[command(name = "read-all", after_help = "Example:\n  taosctl notifications read-all")]
    ReadAll,
}

#[derive(Subcommand, Debug)]
pub enum KnowledgeCommand {
    /// List knowledge items (these docs and apps' guides), oldest first
    #[command(
        after_help = "Examples:\n  taosctl knowledge list\n  taosctl knowledge list --source app:notes --json"
    )]
    List {
        /// Only items of this category, e.g. agent-docs
        #[arg(long)]
        category: Option<String>,
        /// Only items from this source, e.g. taos-core or app:notes
        #[arg(long, value_name = "SOURCE_ID")]
        source: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Print one item: its title, source and whole content
    #[command(after_help = "Example:\n  taosctl knowledge get 0192f1c8-1111-7222-8333-444455556666")]
    Get { id: uuid::Uuid },
    /// Search titles and content, best match first (every word must appear)
    #[command(
        after_help = "Examples:\n  taosctl knowledge search issue token\n  taosctl knowledge search pagination --source taos-core --limit 3 --json"
    )]
    Search {
        /// The words to look for (plain words; no query syntax)
        #[arg(required = true, value_name = "WORDS")]
        words: Vec<String>,
        /// Only items of this category, e.g. agent-docs
        #[arg(long)]
        category: Option<String>,
        /// Only items from this source, e.g. taos-core or app:notes
        #[arg(long, value_name = "SOURCE_ID")]
        source: Option<String>,
        /// How many hits at most, 1 to 50 [default: 10]
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=50))]
        limit: Option<u64>,
    },
    /// Print the taOS helper agent's system prompt (built from the docs)
    #[command(after_help = "Examples:\n  taosctl knowledge prompt\n  taosctl knowledge prompt --json")]
    Prompt,
}
