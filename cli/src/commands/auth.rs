//! `taosctl auth …`: sign in and out, and see who you are.

use taos_api::token_format::{self, TokenKind};
use taos_client::types;

use crate::args::AuthCommand;
use crate::context::{Context, TokenSource};
use crate::credentials::{self, Credentials};
use crate::failure::{EXIT_AUTH, Failure, Result};
use crate::prompt;

pub async fn run(ctx: &Context, cmd: AuthCommand) -> Result<()> {
    match cmd {
        AuthCommand::Setup {
            username,
            password_stdin,
            full_name,
            email,
        } => setup(ctx, username, password_stdin, full_name, email).await,
        AuthCommand::Login {
            username,
            password_stdin,
            with_token,
            label,
        } => {
            if with_token {
                login_with_token(ctx).await
            } else {
                login_with_password(ctx, username, password_stdin, label).await
            }
        }
        AuthCommand::Logout => logout(ctx).await,
        AuthCommand::Status => status(ctx).await,
        AuthCommand::Whoami => whoami(ctx).await,
        AuthCommand::Tokens(cmd) => super::user_tokens::run(ctx, cmd).await,
        AuthCommand::Token => {
            let (token, _) = ctx.token.as_ref().ok_or_else(Failure::not_logged_in)?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "token": token }));
            } else {
                println!("{token}");
            }
            Ok(())
        }
    }
}

pub(super) fn password(password_stdin: bool, confirm: bool) -> Result<String> {
    if password_stdin {
        return prompt::read_stdin("password");
    }
    let pw = prompt::secret("Password", "--password-stdin")?;
    if confirm && prompt::secret("Password again", "--password-stdin")? != pw {
        return Err(Failure::usage("the passwords differ"));
    }
    Ok(pw)
}

fn save(ctx: &Context, token: &str) -> Result<()> {
    let path = credentials::save(&Credentials {
        token: Some(token.to_string()),
        url: Some(ctx.url.clone()),
    })?;
    ctx.out
        .note(format!("Token saved to {} (mode 600).", path.display()));
    if matches!(ctx.token, Some((_, TokenSource::Env))) {
        ctx.out
            .note("note: TAOS_TOKEN is set and takes precedence over the saved token.");
    }
    Ok(())
}

async fn setup(
    ctx: &Context,
    username: Option<String>,
    password_stdin: bool,
    full_name: Option<String>,
    email: Option<String>,
) -> Result<()> {
    let username = match username {
        Some(u) => u,
        None => prompt::ask("Username", "--username")?,
    };
    let password = password(password_stdin, true)?;
    let body = serde_json::json!({ "username": username, "password": password, "full_name": full_name, "email": email });
    let body: types::SetupRequest = serde_json::from_value(strip_nulls(body))
        .map_err(|e| Failure::usage(format!("invalid input: {e}")))?;
    let created = ctx
        .anonymous()?
        .setup_account()
        .body(body)
        .send()
        .await
        .map_err(|e| ctx.fail(e))?
        .into_inner();
    save(ctx, &created.token)?;
    if ctx.out.json {
        ctx.out.json(&created.user);
    } else {
        ctx.out.note(format!(
            "Created the first user '{}' (admin) on {}.",
            created.user.username, ctx.url
        ));
    }
    Ok(())
}

fn strip_nulls(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(map) = v.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    v
}

pub(super) fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

async fn login_with_password(
    ctx: &Context,
    username: Option<String>,
    password_stdin: bool,
    label: Option<String>,
) -> Result<()> {
    let username = match username {
        Some(u) => u,
        None => prompt::ask("Username", "--username")?,
    };
    let password = password(password_stdin, false)?;
    let label = label.unwrap_or_else(|| format!("taosctl@{}", hostname()));
    let body: types::UserTokenCreate = serde_json::from_value(serde_json::json!({
        "username": username, "password": password, "label": label,
    }))
    .map_err(|e| Failure::usage(format!("invalid input: {e}")))?;
    let created = ctx
        .anonymous()?
        .create_user_token()
        .body(body)
        .send()
        .await
        .map_err(|e| ctx.fail(e))?
        .into_inner();
    save(ctx, &created.token)?;
    ctx.out.note(format!("Logged in to {} as {username}.", ctx.url));
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "url": ctx.url, "username": username, "token_id": created.id }));
    }
    Ok(())
}

async fn login_with_token(ctx: &Context) -> Result<()> {
    let token = prompt::read_stdin("token")?;
    if token_format::parse(&token).is_none() {
        return Err(Failure::usage(
            "that is not a taOS token (expected taos_user_… or taos_agent_…, and the checksum must match)",
        )
        .with_fix("copy the whole token; it is shown once when issued"));
    }
    let me = ctx
        .client_with(&token)?
        .whoami()
        .send()
        .await
        .map_err(|e| ctx.fail(e))?
        .into_inner();
    save(ctx, &token)?;
    ctx.out
        .note(format!("Logged in to {} as {}.", ctx.url, describe(&me)));
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "url": ctx.url, "whoami": me }));
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
    let saved = ctx.saved.as_ref().and_then(|c| c.token.clone());
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
                    client
                        .revoke_user_token()
                        .id(id)
                        .send()
                        .await
                        .map_err(|e| ctx.fail(e))?;
                    ctx.out.note("Revoked the saved token on the server.");
                    revoked = true;
                }
            }
            // Already rejected by the server: nothing left to revoke.
            Err(taos_client::Error::ErrorResponse(rv)) if rv.status().as_u16() == 401 => {}
            Err(e) => return Err(ctx.fail(e)),
        }
    }
    let removed = credentials::remove()?;
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
    let me = ctx
        .client()?
        .whoami()
        .send()
        .await
        .map_err(|e| ctx.fail(e))?
        .into_inner();
    if ctx.out.json {
        ctx.out.json(&me);
    } else {
        ctx.out.line(format!("user: {} ({})", me.username, me.user_id));
        if let (Some(name), Some(id)) = (&me.agent_name, &me.agent_id) {
            ctx.out.line(format!("agent: {name} ({id})"));
        }
        ctx.out.line(format!("kind: {}", me.kind));
        ctx.out.line(format!("scope: {}", me.scope.join(" ")));
        ctx.out.line(format!(
            "expires: {}",
            me.expires_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "never".into())
        ));
    }
    Ok(())
}

async fn status(ctx: &Context) -> Result<()> {
    let Some((token, source)) = &ctx.token else {
        if ctx.out.json {
            ctx.out
                .json(&serde_json::json!({ "url": ctx.url, "authenticated": false }));
        }
        return Err(Failure::not_logged_in());
    };
    let from = match source {
        TokenSource::Env => "TAOS_TOKEN".to_string(),
        TokenSource::File(path) => path.clone(),
    };
    match ctx.client_with(token)?.whoami().send().await {
        Ok(me) => {
            let me = me.into_inner();
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({
                    "url": ctx.url, "authenticated": true, "token_source": from, "whoami": me,
                }));
            } else {
                ctx.out.line(&ctx.url);
                ctx.out
                    .line(format!("  Logged in as {} ({})", describe(&me), me.kind));
                ctx.out.line(format!("  Token from {from}"));
                ctx.out.line(format!("  Scope: {}", me.scope.join(" ")));
            }
            Ok(())
        }
        Err(e) => {
            let f = ctx.fail(e);
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "url": ctx.url, "authenticated": false, "token_source": from, "error": f.message }));
            }
            if f.code == EXIT_AUTH {
                Err(Failure::new(
                    EXIT_AUTH,
                    format!("the token from {from} is rejected by {}: {}", ctx.url, f.message),
                )
                .with_fix("run `taosctl auth login` again, or ask your operator for a new agent token"))
            } else {
                Err(f)
            }
        }
    }
}
