//! `taos-conformance`: conformance tools that run against a live taOS server. Today one
//! command, `smoke`, the A-tier smoke runner (the logic is in `taos_conformance::smoke`).

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use taos_conformance::smoke::{self, Options, tasks};

const SMOKE_HELP: &str = "\
Tasks, in order (each a plain-English prompt; names are unique per run, smoke-<6 chars>):
  create-agent         create agent smoke-<run> on host 192.0.2.250
  send-notification    notify the user: title \"A-tier smoke <run>\", body \"reachable\"
  issue-and-use-token  issue smoke-<run>'s token and notify the user with it
  search-docs          find in the docs which scope knowledge search needs; notify the answer
  revoke-token         revoke smoke-<run>'s token
  archive-agent        delete (archive) smoke-<run>
  deploy-agent         deploy deployed-<run>, whose program notifies the user with its injected
                       token (\"deployed-<run> is up\") and keeps running
  read-logs            notify the user the last line deployed-<run> wrote to its logs
  pause-resume         pause deployed-<run>, then resume it (watched while the task runs)
A task whose prerequisite did not succeed is reported gave_up (\"skipped: depends on …\").

The agent command runs as `sh -c CMD`, once per task, in a process group of its own. It gets
the prompt on stdin and in TAOS_SMOKE_PROMPT, and TAOS_URL, TAOS_TOKEN, TAOS_SMOKE_TASK in its
environment (plus the runner's own). Afterwards the runner checks the side effect through the
API with the same token.

Outcomes: succeeded (verified), wrong_path (not verified, agent exited 0), gave_up (not
verified and the agent exited non-zero, timed out or did not start; or skipped).

Report: JSON {url, started_at, totals, results: [{task, prompt, outcome, detail, exit_code,
duration_ms}]} to --report-json (- = stdout); one line per task on stderr. Tokens never appear
in it: the agent's output is redacted.

Exit status: 0 every task succeeded, 1 some did not, 2 usage error (bad arguments or URL, the
server unreachable, or the token rejected by GET /api/auth/whoami: nothing was run).

Example (the scripted stand-in agent, with taosctl on PATH):
  export TAOS_TOKEN=taos_user_…           # a `*` token; not on the command line
  PATH=$PWD/target/debug:$PATH taos-conformance smoke --url http://127.0.0.1:6969 \\
      --agent-cmd 'bash tests/smoke/standin-agent.sh' --report-json smoke.json";

#[derive(Parser)]
#[command(
    name = "taos-conformance",
    version,
    about = "Conformance tools for a running taOS server",
    long_about = "Conformance tools for a running taOS server.\n\n\
        `smoke` gives an agent (any command) the A-tier tasks in plain English and checks through \
        the API that it did them."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Give an agent command the canonical A-tier tasks and verify each through the API
    #[command(after_long_help = SMOKE_HELP)]
    Smoke(SmokeArgs),
}

#[derive(Args)]
struct SmokeArgs {
    /// Base URL of the taOS server, e.g. http://127.0.0.1:6969
    #[arg(long, env = "TAOS_URL", value_name = "URL")]
    url: String,

    /// Bearer token for the agent and for verification (a `*` user token). Prefer the TAOS_TOKEN
    /// environment variable or --token-stdin: command lines are visible to other users
    #[arg(long, env = "TAOS_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    token: Option<String>,

    /// Read the token from the first line of stdin (wins over --token and TAOS_TOKEN)
    #[arg(long)]
    token_stdin: bool,

    /// The agent: a shell command run once per task with the prompt on stdin
    #[arg(long, value_name = "CMD")]
    agent_cmd: String,

    /// Where to write the JSON report; - is stdout
    #[arg(long, value_name = "PATH", default_value = "-")]
    report_json: String,

    /// Run only this task (repeatable); the tasks it depends on run too [default: all]
    #[arg(long = "task", value_name = "NAME", value_parser = task_names())]
    tasks: Vec<String>,

    /// Time limit per task, in seconds; the agent's process group is killed when it is reached
    #[arg(long, value_name = "N", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout_secs: u64,
}

fn task_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(tasks::Task::ALL.map(tasks::Task::name))
}

const USAGE: u8 = 2;

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("taos-conformance: error: {msg}");
    ExitCode::from(USAGE)
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let token_on_argv = matches
        .subcommand_matches("smoke")
        .and_then(|m| m.value_source("token"))
        == Some(ValueSource::CommandLine);
    let Command::Smoke(args) = cli.command;

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("taos-conformance: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(smoke_command(args, token_on_argv))
}

async fn smoke_command(args: SmokeArgs, token_on_argv: bool) -> ExitCode {
    let url = match smoke::check_url(&args.url) {
        Ok(url) => url,
        Err(e) => return usage_error(&e),
    };
    let token = if args.token_stdin {
        let mut line = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut line) {
            return usage_error(&format!("--token-stdin: cannot read stdin: {e}"));
        }
        line.lines().next().unwrap_or_default().trim().to_string()
    } else {
        if token_on_argv {
            eprintln!(
                "taos-conformance: warning: --token on the command line is visible to other users; prefer TAOS_TOKEN or --token-stdin"
            );
        }
        args.token.unwrap_or_default().trim().to_string()
    };
    let selected = match tasks::select(&args.tasks) {
        Ok(t) => t,
        Err(e) => return usage_error(&e),
    };
    if args.agent_cmd.trim().is_empty() {
        return usage_error("--agent-cmd is empty");
    }

    let me = match smoke::preflight(&url, &token).await {
        Ok(me) => me,
        Err(e) => return usage_error(&e),
    };
    eprintln!(
        "smoke: token accepted: {} as {} ({}), scope {}",
        me.kind,
        me.username,
        me.agent_name.as_deref().unwrap_or("personal"),
        me.scope.join(" ")
    );
    if !me.scope.iter().any(|s| s == "*") {
        eprintln!(
            "smoke: warning: the token's scope is not `*`; tasks may fail for want of a scope, not of skill"
        );
    }

    // Opened before anything runs, so a bad path costs nothing.
    let mut sink: Box<dyn Write> = if args.report_json == "-" {
        Box::new(std::io::stdout())
    } else {
        match std::fs::File::create(&args.report_json) {
            Ok(f) => Box::new(f),
            Err(e) => return usage_error(&format!("--report-json {}: {e}", args.report_json)),
        }
    };

    let report = smoke::run(&Options {
        url,
        token,
        agent_cmd: args.agent_cmd,
        tasks: selected,
        timeout: Duration::from_secs(args.timeout_secs),
    })
    .await;

    if let Err(e) = writeln!(sink, "{}", report.to_json()).and_then(|()| sink.flush()) {
        eprintln!(
            "taos-conformance: cannot write the report to {}: {e}",
            args.report_json
        );
        return ExitCode::FAILURE;
    }
    if report.all_succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
