//! `taosctl auth …`: sign in and out, and see who you are. Personal tokens (`auth tokens`) are
//! in `cmd_auth_tokens.rs`.

use clap::{Args, Subcommand};
use taos_api::token_format::{self, TokenKind};
use taos_client::types::{self, builder};
use taos_client::{Credentials, TokenSource};

use crate::cmd_auth_tokens::UserTokensCommand;
use crate::context::{Context, RunCmd};
use crate::failure::{EXIT_AUTH, Failure, Result};
use crate::{prompt, request};

#[derive(Subcommand, Debug)]
pub enum AuthCommand {
    /// First run: create the first user and save their token
    #[command(
        after_help = "Examples:\n  taosctl auth setup --username ada\n  echo \"$PW\" | taosctl auth setup --username ada --password-stdin"
    )]
    Setup(Setup),
    /// Sign in: save a token for this machine
    #[command(
        after_help = "Examples:\n  taosctl auth login --username ada\n  taosctl auth login --with-token < token.txt"
    )]
    Login(Login),
    /// Revoke the saved personal token and forget it
    #[command(after_help = "Example:\n  taosctl auth logout")]
    Logout,
    /// Show which server and identity are in use (exit 4 when not signed in)
    #[command(after_help = "Example:\n  taosctl auth status")]
    Status,
    /// Show who the token belongs to
    #[command(after_help = "Example:\n  taosctl auth whoami --json")]
    Whoami,
    /// Print the token in use (for piping into other tools)
    #[command(
        after_help = "Example:\n  curl -H \"Authorization: Bearer $(taosctl auth token)\" http://localhost:6969/api/agents"
    )]
    Token,
    /// List, create and revoke your personal tokens (taos_user_…)
    #[command(
        subcommand,
        after_help = "Examples:\n  taosctl auth tokens ls\n  taosctl auth tokens create --label ci --expires-in-days 30"
    )]
    Tokens(UserTokensCommand),
}

impl RunCmd for AuthCommand {
    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            AuthCommand::Setup(cmd) => cmd.run(ctx).await,
            AuthCommand::Login(cmd) => cmd.run(ctx).await,
            AuthCommand::Logout => logout(ctx).await,
            AuthCommand::Status => status(ctx).await,
            AuthCommand::Whoami => whoami(ctx).await,
            AuthCommand::Token => {
                let (token, _) = ctx.token().ok_or_else(Failure::not_logged_in)?;
                ctx.out
                    .show(&serde_json::json!({ "token": token }), |out| out.line(token));
                Ok(())
            }
            AuthCommand::Tokens(cmd) => cmd.run(ctx).await,
        }
    }
}

/// The password, from stdin with `--password-stdin`, else typed at the terminal (twice when
/// `confirm`, for a new one).
pub fn password(password_stdin: bool, confirm: bool) -> Result<String> {
    if password_stdin {
        return prompt::read_stdin("password");
    }
    let pw = prompt::secret("Password", "--password-stdin")?;
    if confirm && prompt::secret("Password again", "--password-stdin")? != pw {
        return Err(Failure::usage("the passwords differ"));
    }
    Ok(pw)
}

/// The label of a token made on this machine: `taosctl@<hostname>`.
pub fn default_label() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into());
    format!("taosctl@{host}")
}

/// Saves `token` with this server in the credentials file.
fn save(ctx: &Context, token: &str) -> Result<()> {
    let path = ctx
        .config
        .save(&Credentials {
            token: Some(token.to_string()),
            url: Some(ctx.url().to_string()),
        })
        .map_err(Failure::config)?;
    ctx.out
        .note(format!("Token saved to {} (mode 600).", path.display()));
    if matches!(ctx.token(), Some((_, TokenSource::Env))) {
        ctx.out
            .note("note: TAOS_TOKEN is set and takes precedence over the saved token.");
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct Setup {
    /// The first user's username [default: asked at the terminal]
    #[arg(long)]
    username: Option<String>,
    /// Read the password from stdin instead of prompting
    #[arg(long)]
    password_stdin: bool,
    /// Your full name [default: none]
    #[arg(long)]
    full_name: Option<String>,
    /// Your email address [default: none]
    #[arg(long)]
    email: Option<String>,
}

impl RunCmd for Setup {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let username = match &self.username {
            Some(u) => u.clone(),
            None => prompt::ask("Username", "--username")?,
        };
        let password = password(self.password_stdin, true)?;
        let body: types::SetupRequest = request::body(
            builder::SetupRequest::default()
                .username(username.as_str())
                .password(password.as_str())
                .full_name(request::opt::<types::SetupRequestFullName>(
                    "--full-name",
                    &self.full_name,
                )?)
                .email(request::opt::<types::SetupRequestEmail>("--email", &self.email)?),
        )?;
        let created = ctx
            .send(ctx.anonymous()?.setup_account().body(body).send())
            .await?;
        save(ctx, &created.token)?;
        ctx.out.show(&created.user, |out| {
            out.note(format!(
                "Created the first user '{}' (admin) on {}.",
                created.user.username,
                ctx.url()
            ))
        });
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Login {
    /// Your username [default: asked at the terminal]
    #[arg(long, conflicts_with = "with_token")]
    username: Option<String>,
    /// Read the password from stdin instead of prompting
    #[arg(long, conflicts_with = "with_token")]
    password_stdin: bool,
    /// Read a token (taos_user_… or taos_agent_…) from stdin and save it
    #[arg(long)]
    with_token: bool,
    /// Label of the new personal token [default: taosctl@<hostname>]
    #[arg(long, conflicts_with = "with_token")]
    label: Option<String>,
}

impl RunCmd for Login {
    async fn run(&self, ctx: &Context) -> Result<()> {
        if self.with_token {
            return login_with_token(ctx).await;
        }
        let username = match &self.username {
            Some(u) => u.clone(),
            None => prompt::ask("Username", "--username")?,
        };
        let password = password(self.password_stdin, false)?;
        let label = self.label.clone().unwrap_or_else(default_label);
        let body: types::UserTokenCreate = request::body(
            builder::UserTokenCreate::default()
                .username(username.as_str())
                .password(password.as_str())
                .label(label.as_str()),
        )?;
        let created = match ctx
            .send(ctx.anonymous()?.create_user_token().body(body).send())
            .await
        {
            Ok(created) => created,
            Err(f) if f.slug.as_deref() == Some("invalid_credentials") => {
                // No password can be right on a server with no user: say what can help.
                return Err(match configured(ctx).await {
                    Some(false) => Failure {
                        message: format!("{}: {} has no user yet", f.message, ctx.url()),
                        ..f
                    }
                    .with_fix("create the first user (an admin) with `taosctl auth setup --username NAME`"),
                    _ => f,
                });
            }
            Err(f) => return Err(f),
        };
        save(ctx, &created.token)?;
        ctx.out.note(format!("Logged in to {} as {username}.", ctx.url()));
        if ctx.out.json {
            ctx.out.json(&serde_json::json!({
                "url": ctx.url(), "username": username, "token_id": created.id,
            }));
        }
        Ok(())
    }
}

async fn login_with_token(ctx: &Context) -> Result<()> {
    let token = prompt::read_stdin("token")?;
    if token_format::parse(&token).is_none() {
        return Err(Failure::usage(
            "that is not a taOS token (expected taos_user_… or taos_agent_…, and the checksum must match)",
        )
        .with_fix("copy the whole token; it is shown once when issued"));
    }
    let me = ctx.send(ctx.client_with(&token)?.whoami().send()).await?;
    save(ctx, &token)?;
    ctx.out
        .note(format!("Logged in to {} as {}.", ctx.url(), describe(&me)));
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "url": ctx.url(), "whoami": me }));
    }
    Ok(())
}

fn describe(me: &types::Whoami) -> String {
    match &me.agent_name {
        Some(agent) => format!("agent {agent} (of {})", me.username),
        None => me.username.clone(),
    }
}

async fn logout(ctx: &Context) -> Result<()> {
    let saved = ctx.config.saved.as_ref().and_then(|c| c.token.clone());
    let mut revoked = false;
    let Some(token) = saved else {
        ctx.out.note("Not logged in: there is no saved token.");
        if ctx.out.json {
            ctx.out
                .json(&serde_json::json!({ "revoked": false, "removed": null }));
        }
        return Ok(());
    };
    if token_format::parse(&token) == Some(TokenKind::User) {
        let client = ctx.client_with(&token)?;
        match client.whoami().send().await {
            Ok(me) => {
                if let Some(id) = me.into_inner().token_id {
                    ctx.send(client.revoke_user_token().id(id).send()).await?;
                    ctx.out.note("Revoked the saved token on the server.");
                    revoked = true;
                }
            }
            // Already rejected by the server: nothing left to revoke.
            Err(taos_client::Error::ErrorResponse(rv)) if rv.status().as_u16() == 401 => {}
            Err(e) => return Err(ctx.fail(e)),
        }
    }
    let removed = ctx.config.forget().map_err(Failure::config)?;
    if let Some(path) = &removed {
        ctx.out.note(format!("Removed {}.", path.display()));
    }
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "revoked": revoked, "removed": removed }));
    }
    Ok(())
}

async fn whoami(ctx: &Context) -> Result<()> {
    let me = ctx.send(ctx.client()?.whoami().send()).await?;
    ctx.out.show(&me, |out| {
        out.line(format!("user: {} ({})", me.username, me.user_id));
        if let (Some(name), Some(id)) = (&me.agent_name, &me.agent_id) {
            out.line(format!("agent: {name} ({id})"));
        }
        out.line(format!("kind: {}", me.kind));
        out.line(format!("scope: {}", me.scope.join(" ")));
        out.line(format!(
            "expires: {}",
            me.expires_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "never".into())
        ));
    });
    Ok(())
}

async fn status(ctx: &Context) -> Result<()> {
    let url = ctx.url();
    let Some((token, _)) = ctx.token() else {
        let configured = configured(ctx).await;
        if ctx.out.json {
            ctx.out.json(&serde_json::json!({
                "url": url, "authenticated": false, "configured": configured,
            }));
        }
        if configured == Some(false) {
            return Err(no_user_yet(url));
        }
        return Err(Failure::not_logged_in());
    };
    let from = ctx.token_source();
    match ctx.send(ctx.client_with(token)?.whoami().send()).await {
        Ok(me) => {
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({
                    "url": url, "authenticated": true, "token_source": from, "whoami": me,
                }));
            } else {
                ctx.out.line(url);
                ctx.out
                    .line(format!("  Logged in as {} ({})", describe(&me), me.kind));
                ctx.out.line(format!("  Token from {from}"));
                ctx.out.line(format!("  Scope: {}", me.scope.join(" ")));
            }
            Ok(())
        }
        Err(f) => {
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({
                    "url": url, "authenticated": false, "token_source": from, "error": f.message,
                }));
            }
            if f.code == EXIT_AUTH {
                let fix = f.fix.clone().unwrap_or_default();
                Err(Failure {
                    message: format!("the token from {from} is rejected by {url}: {}", f.message),
                    ..f
                }
                .with_fix(fix))
            } else {
                Err(f)
            }
        }
    }
}

/// Whether the server has its first user (`None` when it cannot be asked).
async fn configured(ctx: &Context) -> Option<bool> {
    let client = ctx.anonymous().ok()?;
    let status = client.get_auth_status().send().await.ok()?;
    Some(status.into_inner().configured)
}

/// The server has no user at all yet: nobody can log in before `auth setup`.
fn no_user_yet(url: &str) -> Failure {
    Failure::new(EXIT_AUTH, format!("not logged in, and {url} has no user yet"))
        .with_fix("create the first user (an admin) with `taosctl auth setup --username NAME`")
}
