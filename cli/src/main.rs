//! `taosctl`: the command line for the taOS agent API, built only on the generated SDK
//! (`taos-client`), so it cannot drift from the contract.

mod args;
mod commands;
mod context;
mod credentials;
mod failure;
mod output;
mod prompt;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command, Shell};
use context::Context;
use failure::{EXIT_USAGE, Failure};

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
    if let Command::Completion { shell } = cli.command {
        let shell = match shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        };
        clap_complete::generate(shell, &mut Cli::command(), "taosctl", &mut std::io::stdout());
        return Ok(());
    }
    let ctx = Context::load(cli.url, cli.json)?;
    match cli.command {
        Command::Auth(cmd) => commands::auth::run(&ctx, cmd).await,
        Command::Agents(cmd) => commands::agents::run(&ctx, cmd).await,
        Command::Ui(cmd) => commands::notifications::notify(&ctx, cmd).await,
        Command::Notifications(cmd) => commands::notifications::run(&ctx, cmd).await,
        Command::Knowledge(cmd) => commands::knowledge::run(&ctx, cmd).await,
        Command::Completion { .. } => Ok(()),
    }
}
