//! The persona flags (`--model`, `--soul-md FILE`, `--agent-md FILE`, `--memory-plugin`), shared
//! by `agents create`, `agents update` and `agents deploy`. The markdown comes from files (or
//! stdin, `-`), never from argv: it is long, and a shell would mangle it.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::failure::{Failure, Result};

#[derive(Args, Debug)]
pub struct PersonaArgs {
    /// The model the agent uses (e.g. llama3.1:8b; stored for it, taosd does not call it).
    /// "" clears it on update
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
    /// The agent's persona: a markdown file, or - for stdin (an empty file clears it on update)
    #[arg(long, value_name = "FILE")]
    soul_md: Option<PathBuf>,
    /// The agent's operating instructions: a markdown file, or - for stdin
    #[arg(long, value_name = "FILE")]
    agent_md: Option<PathBuf>,
    /// The memory plugin the agent uses (e.g. taosmd). "" clears it on update
    #[arg(long, value_name = "PLUGIN")]
    memory_plugin: Option<String>,
}

/// The persona fields as text, read from their files; each request parses them into its own
/// contract types (`AgentCreateModel`, `AgentUpdateModel`, …).
pub struct Persona {
    pub model: Option<String>,
    pub soul_md: Option<String>,
    pub agent_md: Option<String>,
    pub memory_plugin: Option<String>,
}

impl PersonaArgs {
    pub fn read(&self) -> Result<Persona> {
        let stdin = |p: &Option<PathBuf>| p.as_deref().is_some_and(|p| p == Path::new("-"));
        if stdin(&self.soul_md) && stdin(&self.agent_md) {
            return Err(Failure::usage(
                "--soul-md and --agent-md cannot both read stdin (-): give one of them a file",
            ));
        }
        Ok(Persona {
            model: self.model.clone(),
            soul_md: read_md("--soul-md", &self.soul_md)?,
            agent_md: read_md("--agent-md", &self.agent_md)?,
            memory_plugin: self.memory_plugin.clone(),
        })
    }
}

/// A markdown flag's file (or stdin for `-`) as text.
fn read_md(flag: &str, path: &Option<PathBuf>) -> Result<Option<String>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("cannot read {flag} from stdin: {e}")))?;
        text
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {flag} {}: {e}", path.display())))?
    };
    Ok(Some(text))
}
