//! `taosctl notifications …`: the user's notifications, listed and marked read.

use clap::{Args, Subcommand};
use taos_client::types;

use crate::context::{Context, RunCmd};
use crate::failure::Result;
use crate::output::{Table, when};
use crate::paging::Paging;

#[derive(Subcommand, Debug)]
pub enum NotificationsCommand {
    /// List notifications, newest first
    #[command(
        visible_alias = "ls",
        after_help = "Example:\n  taosctl notifications list --unread"
    )]
    List(List),
    /// Mark one notification read
    #[command(after_help = "Example:\n  taosctl notifications read 0192f1c7-aaaa-7bbb-8ccc-dddddddddddd")]
    Read(Read),
    /// Mark every notification read
    #[command(name = "read-all", after_help = "Example:\n  taosctl notifications read-all")]
    ReadAll,
}

impl RunCmd for NotificationsCommand {
    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            NotificationsCommand::List(cmd) => cmd.run(ctx).await,
            NotificationsCommand::Read(cmd) => cmd.run(ctx).await,
            NotificationsCommand::ReadAll => {
                let client = ctx.client()?;
                let n = ctx.send(client.mark_all_notifications_read().send()).await?;
                ctx.out
                    .show(&n, |out| out.line(format!("marked read: {} changed", n.updated)));
                Ok(())
            }
        }
    }
}

#[derive(Args, Debug)]
pub struct List {
    /// Only unread notifications
    #[arg(long)]
    unread: bool,
    #[command(flatten)]
    paging: Paging,
}

impl RunCmd for List {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let page = pages!(
            ctx,
            &self.paging,
            client.list_notifications().unread_only(self.unread)
        );
        let row = |n: &types::Notification| {
            vec![
                n.id.to_string(),
                if n.read { " ".into() } else { "•".into() },
                n.priority.to_string(),
                n.source.clone(),
                when(&n.created_at),
                n.title.clone(),
            ]
        };
        ctx.out.page(
            &page,
            Table {
                headers: &["ID", "NEW", "PRIORITY", "SOURCE", "WHEN", "TITLE"],
                row: &row,
                empty: Some(if self.unread {
                    "No unread notifications."
                } else {
                    "No notifications."
                }),
                footnote: None,
                more: "More",
            },
        );
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Read {
    /// The notification's id (`taosctl notifications list` shows them)
    id: uuid::Uuid,
}

impl RunCmd for Read {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let n = ctx
            .send(client.mark_notification_read().id(self.id).send())
            .await?;
        ctx.out
            .show(&n, |out| out.line(format!("marked read: {} changed", n.updated)));
        Ok(())
    }
}
