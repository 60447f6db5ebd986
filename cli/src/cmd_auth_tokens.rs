//! `taosctl auth tokens …`: a person's personal tokens (`taos_user_…`), listed, created with
//! the password and revoked. Creating one never saves it; that is `auth login`.

use clap::{Args, Subcommand};
use taos_api::token_format::{self, TokenKind};
use taos_client::TokenSource;
use taos_client::types::{self, builder};

use crate::cmd_auth::{default_label, password};
use crate::context::{Context, RunCmd};
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::output::{Table, when};
use crate::paging::Paging;
use crate::{prompt, request};

#[derive(Subcommand, Debug)]
pub enum UserTokensCommand {
    /// List your active personal tokens, oldest first; `*` marks the one taosctl is using
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  taosctl auth tokens list\n  taosctl auth tokens list --all --json"
    )]
    List(List),
    /// Create a personal token with your password; prints the token alone on stdout, once
    #[command(
        long_about = "Create a personal token with your username and password (POST /auth/token) \
            and print it once: alone on stdout, so `TOKEN=$(taosctl auth tokens create …)` works. \
            It is not saved: to make taosctl use a token, run `taosctl auth login`.",
        after_help = "Examples:\n  taosctl auth tokens create --label ci-runner --scope agents.read --expires-in-days 30\n  echo \"$PW\" | taosctl auth tokens create --username ada --label backup-script --password-stdin"
    )]
    Create(Create),
    /// Revoke one of your personal tokens; it stops working at once
    #[command(
        after_help = "Examples:\n  taosctl auth tokens revoke 0192f1c4-9b00-7a11-8c22-1d2e3f4a5b6c\n  taosctl auth tokens revoke 0192f1c4-9b00-7a11-8c22-1d2e3f4a5b6c --yes"
    )]
    Revoke(Revoke),
}

impl RunCmd for UserTokensCommand {
    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            UserTokensCommand::List(cmd) => cmd.run(ctx).await,
            UserTokensCommand::Create(cmd) => cmd.run(ctx).await,
            UserTokensCommand::Revoke(cmd) => cmd.run(ctx).await,
        }
    }
}

/// The id of the token taosctl is using, when the server says so. Only a hint for the output:
/// when whoami fails, the real request reports the problem.
async fn current_token_id(client: &taos_client::Client) -> Option<uuid::Uuid> {
    client.whoami().send().await.ok()?.into_inner().token_id
}

fn never(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.as_ref().map(when).unwrap_or_else(|| "never".into())
}

#[derive(Args, Debug)]
pub struct List {
    #[command(flatten)]
    paging: Paging,
}

impl RunCmd for List {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let page = pages!(ctx, &self.paging, client.list_user_tokens());
        // Marking the token in use takes one more request: only for a table with rows.
        let current = if ctx.out.json || page.items.is_empty() {
            None
        } else {
            current_token_id(&client).await
        };
        let row = |t: &types::UserToken| {
            vec![
                if current == Some(t.id) { "*" } else { "" }.into(),
                t.id.to_string(),
                t.label.clone(),
                t.scope.join(" "),
                when(&t.created_at),
                never(&t.expires_at),
                never(&t.last_used_at),
            ]
        };
        let marked = page.items.iter().any(|t| current == Some(t.id));
        ctx.out.page(
            &page,
            Table {
                headers: &["", "ID", "LABEL", "SCOPE", "CREATED", "EXPIRES", "LAST USED"],
                row: &row,
                empty: Some(
                    "No personal tokens. Create one with `taosctl auth tokens create` or `taosctl auth login`.",
                ),
                footnote: marked.then(|| {
                    format!("* the token taosctl is using (from {})", ctx.token_source())
                }),
                more: "More tokens",
            },
        );
        Ok(())
    }
}

/// The signed-in person's username, when taosctl holds a personal token the server accepts.
async fn signed_in_username(ctx: &Context) -> Option<String> {
    let (token, _) = ctx.token()?;
    if token_format::parse(token) != Some(TokenKind::User) {
        return None;
    }
    let me = ctx.client_with(token).ok()?.whoami().send().await.ok()?;
    Some(me.into_inner().username)
}

#[derive(Args, Debug)]
pub struct Create {
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
}

impl RunCmd for Create {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let username = match &self.username {
            Some(u) => u.clone(),
            None => match signed_in_username(ctx).await {
                Some(u) => u,
                None => prompt::ask("Username", "--username")?,
            },
        };
        let password = password(self.password_stdin, false)?;
        let label = self.label.clone().unwrap_or_else(default_label);
        let body: types::UserTokenCreate = request::body(
            builder::UserTokenCreate::default()
                .username(username.as_str())
                .password(password.as_str())
                .label(label.as_str())
                .scope(request::scope(&self.scope)?)
                .expires_in_days(request::days(self.expires_in_days)),
        )?;
        let created = ctx
            .send(ctx.anonymous()?.create_user_token().body(body).send())
            .await?;
        ctx.out.secret(
            &created,
            &created.token,
            format!(
                "Warning: this token ({}, of {username}) is shown only once; save it now. taosctl did not \
         save it (`taosctl auth login --with-token` does). Revoke it with `taosctl auth tokens revoke {}`.",
                created.label, created.id
            ),
        );
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Revoke {
    /// The token's id (from `taosctl auth tokens list`)
    id: uuid::Uuid,
    /// Do not ask for confirmation
    #[arg(long, short)]
    yes: bool,
}

impl RunCmd for Revoke {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let (id, yes) = (self.id, self.yes);
        let client = ctx.client()?;
        // Without --yes or a terminal the confirmation below refuses: no need to ask the server.
        let refused = !yes && !prompt::stdin_is_tty();
        let is_current = !refused && current_token_id(&client).await == Some(id);
        let question = if is_current {
            format!(
                "Revoke personal token {id}? It is the token taosctl is using (from {}): it stops working at once.",
                ctx.token_source()
            )
        } else {
            format!("Revoke personal token {id}? It stops working at once.")
        };
        if !prompt::confirm(&question, yes)? {
            return Err(Failure::new(EXIT_ERROR, "cancelled"));
        }
        ctx.send(client.revoke_user_token().id(id).send()).await?;
        ctx.out.show(&serde_json::json!({ "revoked": id }), |out| {
            out.line(format!("token revoked: {id}"))
        });
        if is_current {
            let fix = match ctx.token() {
                Some((_, TokenSource::Env)) => "set TAOS_TOKEN to another token",
                _ => "sign in again with `taosctl auth login` (or forget it with `taosctl auth logout`)",
            };
            ctx.out.note(format!(
                "Warning: that was the token taosctl is using (from {}); it no longer works: {fix}.",
                ctx.token_source()
            ));
        }
        Ok(())
    }
}
