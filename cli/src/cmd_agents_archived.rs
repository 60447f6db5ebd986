//! `taosctl agents archived …`: archived agents, listed, restored and purged.

use clap::{Args, Subcommand};
use taos_client::types;

use crate::cmd_agents::show;
use crate::context::{Context, RunCmd};
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::output::{Table, when};
use crate::paging::Paging;
use crate::prompt;

#[derive(Subcommand, Debug)]
pub enum ArchivedCommand {
    /// List archived agents
    #[command(visible_alias = "ls", after_help = "Example:\n  taosctl agents archived list")]
    List(List),
    /// Bring an archived agent back
    #[command(
        after_help = "Example:\n  taosctl agents archived restore 0192f1c8-1234-7567-89ab-cdef01234567"
    )]
    Restore(Restore),
    /// Delete an archived agent for good
    #[command(
        after_help = "Example:\n  taosctl agents archived purge 0192f1c8-1234-7567-89ab-cdef01234567 --yes"
    )]
    Purge(Purge),
}

impl RunCmd for ArchivedCommand {
    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            ArchivedCommand::List(cmd) => cmd.run(ctx).await,
            ArchivedCommand::Restore(cmd) => cmd.run(ctx).await,
            ArchivedCommand::Purge(cmd) => cmd.run(ctx).await,
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
        let page = pages!(ctx, &self.paging, client.list_archived_agents());
        let row = |a: &types::ArchivedAgent| {
            vec![
                a.id.to_string(),
                a.name.clone(),
                a.display_name.clone(),
                when(&a.archived_at),
            ]
        };
        ctx.out.page(
            &page,
            Table {
                headers: &["ID", "NAME", "DISPLAY NAME", "ARCHIVED"],
                row: &row,
                empty: None,
                footnote: None,
                more: "More",
            },
        );
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Restore {
    /// The archived agent's id (`taosctl agents archived list` shows them)
    id: uuid::Uuid,
}

impl RunCmd for Restore {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let agent = ctx
            .send(client.restore_archived_agent().id(self.id).send())
            .await?;
        if !ctx.out.json {
            ctx.out.note(format!(
                "Restored agent {}. It has no token: issue one with `taosctl agents token issue {}`.",
                agent.name, agent.name
            ));
        }
        show(ctx, &agent);
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Purge {
    /// The archived agent's id (`taosctl agents archived list` shows them)
    id: uuid::Uuid,
    /// Do not ask for confirmation [default: ask at a terminal]
    #[arg(long, short)]
    yes: bool,
}

impl RunCmd for Purge {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let id = self.id;
        let client = ctx.client()?;
        if !prompt::confirm(
            &format!("Delete archived agent {id} for good? This cannot be undone."),
            self.yes,
        )? {
            return Err(Failure::new(EXIT_ERROR, "cancelled"));
        }
        ctx.send(client.purge_archived_agent().id(id).send()).await?;
        ctx.out.show(&serde_json::json!({ "purged": id }), |out| {
            out.line(format!("purged: {id}"))
        });
        Ok(())
    }
}
