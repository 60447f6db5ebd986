//! `taosctl users list|create|delete`: the people of a taosd (admins only, and only as a
//! person: an agent's token gets 403 `person_required`).

use clap::{Args, Subcommand};
use taos_client::types::{self, builder};

use crate::cmd_auth::password;
use crate::context::{Context, RunCmd};
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::output::{Output, Table, opt, when};
use crate::paging::Paging;
use crate::{prompt, request};

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// List people
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  taosctl users list\n  taosctl users list --all --json"
    )]
    List(List),
    /// Add a person; the password is asked for (or read with --password-stdin), never an argument
    #[command(
        after_help = "Examples:\n  taosctl users create --username grace --full-name 'Grace Hopper'\n  echo \"$PW\" | taosctl users create --username grace --admin --password-stdin"
    )]
    Create(Create),
    /// Remove a person: revokes their tokens, ends their sessions and archives their agents
    #[command(
        after_help = "Examples:\n  taosctl users delete grace\n  taosctl users delete 0192f1c6-0000-7000-8000-000000000001 --yes"
    )]
    Delete(Delete),
}

impl RunCmd for UsersCommand {
    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            UsersCommand::List(cmd) => cmd.run(ctx).await,
            UsersCommand::Create(cmd) => cmd.run(ctx).await,
            UsersCommand::Delete(cmd) => cmd.run(ctx).await,
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
        let page = pages!(ctx, &self.paging, client.list_users());
        let row = |u: &types::User| {
            vec![
                u.id.to_string(),
                u.username.clone(),
                opt(&u.full_name),
                opt(&u.email),
                if u.admin { "yes".into() } else { "no".into() },
                when(&u.created_at),
            ]
        };
        ctx.out.page(
            &page,
            Table {
                headers: &["ID", "USERNAME", "FULL NAME", "EMAIL", "ADMIN", "CREATED"],
                row: &row,
                empty: Some("No users."),
                footnote: None,
                more: "More users",
            },
        );
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Create {
    /// Their username: letters, digits, `.`, `_` and `-`
    #[arg(long)]
    username: String,
    /// Read the password from stdin instead of prompting
    #[arg(long)]
    password_stdin: bool,
    /// Make them an admin too
    #[arg(long)]
    admin: bool,
    /// Their full name, shown with the username [default: none]
    #[arg(long)]
    full_name: Option<String>,
    /// Their email address [default: none]
    #[arg(long)]
    email: Option<String>,
}

impl RunCmd for Create {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let password = password(self.password_stdin, true)?;
        let body: types::UserCreate = request::body(
            builder::UserCreate::default()
                .username(self.username.as_str())
                .password(password.as_str())
                .admin(self.admin)
                .full_name(request::opt::<types::UserCreateFullName>(
                    "--full-name",
                    &self.full_name,
                )?)
                .email(request::opt::<types::UserCreateEmail>("--email", &self.email)?),
        )?;
        let user = ctx.send(client.create_user().body(body).send()).await?;
        if !ctx.out.json {
            ctx.out.note(format!(
                "Added {} '{}'. They sign in with `taosctl auth login --username {}`.",
                if user.admin { "admin" } else { "user" },
                user.username,
                user.username
            ));
        }
        ctx.out.show(&user, |out| show(out, &user));
        Ok(())
    }
}

fn show(out: &Output, u: &types::User) {
    out.fields(
        9,
        &[
            ("username", u.username.clone()),
            ("full name", opt(&u.full_name)),
            ("email", opt(&u.email)),
            ("admin", u.admin.to_string()),
            ("created", when(&u.created_at)),
            ("id", u.id.to_string()),
        ],
    );
}

#[derive(Args, Debug)]
pub struct Delete {
    /// The user's id, or their username
    #[arg(value_name = "USER")]
    user: String,
    /// Do not ask for confirmation
    #[arg(long, short)]
    yes: bool,
}

impl RunCmd for Delete {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let consequences = "Their tokens are revoked, their sessions end and their agents are archived.";
        // Refused anyway without a terminal or --yes: before asking the server anything.
        prompt::can_confirm(&format!("Remove user '{}'? {consequences}", self.user), self.yes)?;
        let (id, shown) = match self.user.parse::<uuid::Uuid>() {
            Ok(id) => (id, id.to_string()),
            Err(_) => {
                let id = find(ctx, &client, &self.user).await?;
                (id, format!("'{}' ({id})", self.user))
            }
        };
        if !prompt::confirm(&format!("Remove user {shown}? {consequences}"), self.yes)? {
            return Err(Failure::new(EXIT_ERROR, "cancelled"));
        }
        ctx.send(client.delete_user().id(id).send()).await?;
        ctx.out.show(&serde_json::json!({ "deleted": id }), |out| {
            out.line(format!("user removed: {shown}"))
        });
        Ok(())
    }
}

/// The id of the user named `username`, from `GET /api/users`, page by page.
async fn find(ctx: &Context, client: &taos_client::Client, username: &str) -> Result<uuid::Uuid> {
    let all = Paging {
        limit: Some(200),
        cursor: None,
        all: true,
    };
    let page = pages!(ctx, &all, client.list_users());
    page.items
        .iter()
        .find(|u| u.username == username)
        .map(|u| u.id)
        .ok_or_else(|| {
            Failure::new(
                EXIT_ERROR,
                format!("user_not_found: nobody is named '{username}'"),
            )
            .with_fix("list people with `taosctl users list`; their id works too")
        })
}
