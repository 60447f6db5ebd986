//! `taosd`: see `taosd --help`.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use taos_server::config::Config;
use taos_server::startup;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let config = Config::parse();
    let json = config.log_format == "json";
    let filter = match EnvFilter::try_new(&config.log) {
        // rmcp logs two info lines for every MCP request (one per tool call, as taosd serves it
        // statelessly): quiet unless the filter asks for rmcp by name.
        Ok(filter) if !config.log.contains("rmcp") => match "rmcp=warn".parse() {
            Ok(directive) => filter.add_directive(directive),
            Err(_) => filter,
        },
        Ok(filter) => filter,
        Err(e) => return refuse(&startup::bad_log_filter(&config.log, &e).into(), json),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours_wanted())
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return refuse(
                &anyhow::Error::new(e).context("cannot start the async runtime"),
                json,
            );
        }
    };
    match runtime.block_on(taos_server::app::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => refuse(&e, json),
    }
}

/// Says once why taosd stops: a plain `taosd: …` line for people, or a JSON log event for
/// collectors. A wrong setting exits 2, anything else 1.
fn refuse(e: &anyhow::Error, json: bool) -> ExitCode {
    if json {
        // The subscriber may not be set up yet (a bad log filter): then say it plainly.
        if tracing::dispatcher::has_been_set() {
            tracing::error!("{e:#}");
        } else {
            eprintln!(
                "{{\"level\":\"ERROR\",\"fields\":{{\"message\":{}}}}}",
                serde_json::Value::from(format!("{e:#}"))
            );
        }
    } else {
        eprintln!("taosd: {e:#}");
    }
    match e.downcast_ref::<startup::Refusal>() {
        Some(r) if r.usage => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}

/// Colours only for a person at a terminal: a log file, a pipe or journald would keep the
/// escape codes as text. `NO_COLOR` (any non-empty value, see no-color.org) turns them off.
fn colours_wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
