//! `taosctl ui notify`: talk to the user's screen.

use clap::{Args, Subcommand, ValueEnum};
use taos_client::types::{self, builder};

use crate::context::{Context, RunCmd};
use crate::failure::Result;
use crate::request;

#[derive(Subcommand, Debug)]
pub enum UiCommand {
    /// Send the user a notification
    #[command(
        after_help = "Example:\n  taosctl ui notify --title 'Build complete' --body 'PR #449 merged.' --priority high"
    )]
    Notify(Notify),
}

impl RunCmd for UiCommand {
    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            UiCommand::Notify(cmd) => cmd.run(ctx).await,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Priority {
    Low,
    Normal,
    High,
}

impl From<Priority> for types::Priority {
    fn from(p: Priority) -> types::Priority {
        match p {
            Priority::Low => types::Priority::Low,
            Priority::Normal => types::Priority::Normal,
            Priority::High => types::Priority::High,
        }
    }
}

#[derive(Args, Debug)]
pub struct Notify {
    /// The headline the user sees (required)
    #[arg(long)]
    title: String,
    /// More text under the title [default: none]
    #[arg(long)]
    body: Option<String>,
    /// How urgent it is [default: normal]
    #[arg(long, value_enum)]
    priority: Option<Priority>,
    /// The app it comes from, shown with it (e.g. app:notes) [default: none]
    #[arg(long)]
    app_origin: Option<String>,
    /// An http(s) URL or a /path the user can open [default: none]
    #[arg(long)]
    action_url: Option<String>,
}

impl RunCmd for Notify {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let body: types::NotifyRequest = request::body(
            builder::NotifyRequest::default()
                .title(self.title.as_str())
                .body(request::opt::<types::NotifyRequestBody>("--body", &self.body)?)
                .priority(self.priority.map(types::Priority::from))
                .app_origin(request::opt::<types::NotifyRequestAppOrigin>(
                    "--app-origin",
                    &self.app_origin,
                )?)
                .action_url(request::opt::<types::NotifyRequestActionUrl>(
                    "--action-url",
                    &self.action_url,
                )?),
        )?;
        let client = ctx.client()?;
        let sent = ctx.send(client.notify_user().body(body).send()).await?;
        ctx.out.show(&sent, |out| {
            out.line(format!("delivered: {}", sent.notification_id))
        });
        Ok(())
    }
}
