//! `taosctl agents export|import`: an agent's settings as a version-1 document, and an agent
//! made from one (here or on another taosd).

use std::path::PathBuf;

use clap::Args;
use taos_client::types;

use crate::cmd_agents::show;
use crate::context::{Context, RunCmd};
use crate::failure::{EXIT_ERROR, Failure, Result};

#[derive(Args, Debug)]
pub struct Export {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
    /// Write to this file instead of stdout
    #[arg(short, long)]
    output: Option<PathBuf>,
}

impl RunCmd for Export {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let doc = ctx
            .send(client.export_agent().name(self.name.as_str()).send())
            .await?;
        let text = serde_json::to_string_pretty(&doc).map_err(|e| Failure::new(EXIT_ERROR, e.to_string()))?;
        match &self.output {
            Some(path) => {
                std::fs::write(path, text + "\n")
                    .map_err(|e| Failure::new(EXIT_ERROR, format!("cannot write {}: {e}", path.display())))?;
                ctx.out.note(format!("Wrote {}.", path.display()));
            }
            None => ctx.out.line(text),
        }
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Import {
    /// The export document: a file, or - for stdin
    file: String,
    /// Idempotency key [default: a fresh UUID]
    #[arg(long)]
    idempotency_key: Option<String>,
}

impl RunCmd for Import {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let file = &self.file;
        let text = if file == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
            s
        } else {
            std::fs::read_to_string(file).map_err(|e| Failure::usage(format!("cannot read {file}: {e}")))?
        };
        // The document is the body as it stands: it is read as the contract's type, not rebuilt.
        let doc: types::AgentExport = serde_json::from_str(&text).map_err(|e| {
            Failure::usage(format!("{file} is not an agent export document: {e}"))
                .with_fix("use the output of `taosctl agents export NAME`")
        })?;
        let key = self
            .idempotency_key
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let client = ctx.client()?;
        let agent = ctx
            .send_retrying(|| {
                client
                    .import_agent()
                    .idempotency_key(key.as_str())
                    .body(doc.clone())
                    .send()
            })
            .await?;
        if !ctx.out.json {
            ctx.out.note(format!("Imported agent {}.", agent.name));
        }
        show(ctx, &agent);
        Ok(())
    }
}
