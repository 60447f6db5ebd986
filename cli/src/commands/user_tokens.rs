//! `taosctl auth tokens …`: a person's personal tokens (`taos_user_…`), listed, created with
//! the password and revoked. Creating one never saves it; that is `auth login`.

use taos_api::token_format::{self, TokenKind};
use taos_client::types;

use crate::args::{Paging, UserTokensCommand};
use crate::context::{Context, TokenSource};
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::output::when;
use crate::prompt;

use super::auth::{hostname, password};

pub async fn run(ctx: &Context, cmd: UserTokensCommand) -> Result<()> {
    match cmd {
        UserTokensCommand::List { paging } => list(ctx, &paging).await,
        UserTokensCommand::Create {
            username,
            password_stdin,
            label,
            scope,
            expires_in_days,
        } => create(ctx, username, password_stdin, label, scope, expires_in_days).await,
        UserTokensCommand::Revoke { id, yes } => revoke(ctx, id, yes).await,
    }
}

/// The id of the token taosctl is using, when the server says so. Only a hint for the output:
/// when whoami fails, the real request reports the problem.
async fn current_token_id(client: &taos_client::Client) -> Option<uuid::Uuid> {
    client.whoami().send().await.ok()?.into_inner().token_id
}

fn token_source(ctx: &Context) -> String {
    match &ctx.token {
        Some((_, TokenSource::Env)) => "TAOS_TOKEN".into(),
        Some((_, TokenSource::File(path))) => path.clone(),
        None => "nowhere".into(),
    }
}

async fn list(ctx: &Context, paging: &Paging) -> Result<()> {
    let client = ctx.client()?;
    let (all, cursor) = pages!(ctx, paging, client.list_user_tokens());
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "items": all, "next_cursor": cursor }));
        return Ok(());
    }
    if all.is_empty() {
        ctx.out.note(
            "No personal tokens. Create one with `taosctl auth tokens create` or `taosctl auth login`.",
        );
    } else {
        let current = current_token_id(&client).await;
        let rows: Vec<Vec<String>> = all
            .iter()
            .map(|t| {
                vec![
                    if current == Some(t.id) { "*" } else { "" }.into(),
                    t.id.to_string(),
                    t.label.clone(),
                    t.scope.join(" "),
                    when(&t.created_at),
                    t.expires_at.as_ref().map(when).unwrap_or_else(|| "never".into()),
                    t.last_used_at
                        .as_ref()
                        .map(when)
                        .unwrap_or_else(|| "never".into()),
                ]
            })
            .collect();
        ctx.out.table(
            &["", "ID", "LABEL", "SCOPE", "CREATED", "EXPIRES", "LAST USED"],
            &rows,
        );
        if all.iter().any(|t| current == Some(t.id)) {
            ctx.out.note(format!(
                "* the token taosctl is using (from {})",
                token_source(ctx)
            ));
        }
    }
    if let Some(c) = cursor {
        ctx.out.note(format!("More tokens: --cursor {c} (or --all)"));
    }
    Ok(())
}

/// The signed-in person's username, when taosctl holds a personal token the server accepts.
async fn signed_in_username(ctx: &Context) -> Option<String> {
    let (token, _) = ctx.token.as_ref()?;
    if token_format::parse(token) != Some(TokenKind::User) {
        return None;
    }
    let me = ctx.client_with(token).ok()?.whoami().send().await.ok()?;
    Some(me.into_inner().username)
}

async fn create(
    ctx: &Context,
    username: Option<String>,
    password_stdin: bool,
    label: Option<String>,
    scope: Vec<String>,
    expires_in_days: Option<u64>,
) -> Result<()> {
    let username = match username {
        Some(u) => u,
        None => match signed_in_username(ctx).await {
            Some(u) => u,
            None => prompt::ask("Username", "--username")?,
        },
    };
    let password = password(password_stdin, false)?;
    let label = label.unwrap_or_else(|| format!("taosctl@{}", hostname()));
    let mut body = serde_json::json!({
        "username": username, "password": password, "label": label,
        "scope": (!scope.is_empty()).then_some(scope),
        "expires_in_days": expires_in_days,
    });
    if let Some(map) = body.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    let body: types::UserTokenCreate =
        serde_json::from_value(body).map_err(|e| Failure::usage(format!("invalid value: {e}")))?;
    let created = ctx
        .anonymous()?
        .create_user_token()
        .body(body)
        .send()
        .await
        .map_err(|e| ctx.fail(e))?
        .into_inner();
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

async fn revoke(ctx: &Context, id: uuid::Uuid, yes: bool) -> Result<()> {
    let client = ctx.client()?;
    // Without --yes or a terminal the confirmation below refuses: no need to ask the server.
    let refused = !yes && !prompt::stdin_is_tty();
    let is_current = !refused && current_token_id(&client).await == Some(id);
    let question = if is_current {
        format!(
            "Revoke personal token {id}? It is the token taosctl is using (from {}): it stops working at once.",
            token_source(ctx)
        )
    } else {
        format!("Revoke personal token {id}? It stops working at once.")
    };
    if !prompt::confirm(&question, yes)? {
        return Err(Failure::new(EXIT_ERROR, "cancelled"));
    }
    client
        .revoke_user_token()
        .id(id)
        .send()
        .await
        .map_err(|e| ctx.fail(e))?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "revoked": id }));
    } else {
        ctx.out.line(format!("token revoked: {id}"));
    }
    if is_current {
        let fix = match &ctx.token {
            Some((_, TokenSource::Env)) => "set TAOS_TOKEN to another token".to_string(),
            _ => "sign in again with `taosctl auth login` (or forget it with `taosctl auth logout`)"
                .to_string(),
        };
        ctx.out.note(format!(
            "Warning: that was the token taosctl is using (from {}); it no longer works: {fix}.",
            token_source(ctx)
        ));
    }
    Ok(())
}
