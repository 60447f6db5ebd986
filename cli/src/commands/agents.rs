//! `taosctl agents …`: the agent registry and agent tokens.

use std::time::Duration;

use taos_client::types;

use crate::args::{AgentsCommand, ArchivedCommand, Paging, TokenCommand};
use crate::context::Context;
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::output::{opt, when};
use crate::prompt;

pub async fn run(ctx: &Context, cmd: AgentsCommand) -> Result<()> {
    match cmd {
        AgentsCommand::List { paging } => list(ctx, &paging).await,
        AgentsCommand::Get { name } => {
            let agent = ctx
                .client()?
                .get_agent()
                .name(name.as_str())
                .send()
                .await
                .map_err(|e| ctx.fail(e))?
                .into_inner();
            show(ctx, &agent);
            Ok(())
        }
        AgentsCommand::Create {
            name,
            host,
            qmd_index,
            color,
            emoji,
            can_read_user_memory,
            scope,
            idempotency_key,
        } => {
            let body = serde_json::json!({
                "name": name, "host": host, "qmd_index": qmd_index, "color": color, "emoji": emoji,
                "can_read_user_memory": can_read_user_memory,
                "scope": (!scope.is_empty()).then_some(scope),
            });
            let body: types::AgentCreate = input(body)?;
            let key = idempotency_key.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let client = ctx.client()?;
            let agent = with_retries(ctx, || {
                client
                    .create_agent()
                    .idempotency_key(key.as_str())
                    .body(body.clone())
                    .send()
            })
            .await?;
            if !ctx.out.json {
                ctx.out.note(format!(
                    "Created agent {} ({}). Issue its token with `taosctl agents token issue {}`.",
                    agent.name, agent.display_name, agent.name
                ));
            }
            show(ctx, &agent);
            Ok(())
        }
        AgentsCommand::Update {
            name,
            host,
            qmd_index,
            color,
            emoji,
            can_read_user_memory,
            scope,
        } => {
            let body = serde_json::json!({
                "host": host, "qmd_index": qmd_index, "color": color, "emoji": emoji,
                "can_read_user_memory": can_read_user_memory,
                "scope": (!scope.is_empty()).then_some(scope),
            });
            let body: types::AgentUpdate = input(body)?;
            let agent = ctx
                .client()?
                .update_agent()
                .name(name.as_str())
                .body(body)
                .send()
                .await
                .map_err(|e| ctx.fail(e))?
                .into_inner();
            show(ctx, &agent);
            Ok(())
        }
        AgentsCommand::Delete { name, yes } => {
            if !prompt::confirm(&format!("Archive agent '{name}'? Its token is revoked."), yes)? {
                return Err(Failure::new(EXIT_ERROR, "cancelled"));
            }
            let archived = ctx
                .client()?
                .delete_agent()
                .name(name.as_str())
                .send()
                .await
                .map_err(|e| ctx.fail(e))?
                .into_inner();
            if ctx.out.json {
                ctx.out.json(&archived);
            } else {
                ctx.out.line(format!(
                    "archived: {} (restore with `taosctl agents archived restore {}`)",
                    archived.name, archived.id
                ));
            }
            Ok(())
        }
        AgentsCommand::Archived(cmd) => archived(ctx, cmd).await,
        AgentsCommand::Export { name, output } => {
            let doc = ctx
                .client()?
                .export_agent()
                .name(name.as_str())
                .send()
                .await
                .map_err(|e| ctx.fail(e))?
                .into_inner();
            let text =
                serde_json::to_string_pretty(&doc).map_err(|e| Failure::new(EXIT_ERROR, e.to_string()))?;
            match output {
                Some(path) => {
                    std::fs::write(&path, text + "\n").map_err(|e| {
                        Failure::new(EXIT_ERROR, format!("cannot write {}: {e}", path.display()))
                    })?;
                    ctx.out.note(format!("Wrote {}.", path.display()));
                }
                None => ctx.out.line(text),
            }
            Ok(())
        }
        AgentsCommand::Import {
            file,
            idempotency_key,
        } => {
            let text = if file == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                    .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
                s
            } else {
                std::fs::read_to_string(&file)
                    .map_err(|e| Failure::usage(format!("cannot read {file}: {e}")))?
            };
            let doc: types::AgentExport = serde_json::from_str(&text).map_err(|e| {
                Failure::usage(format!("{file} is not an agent export document: {e}"))
                    .with_fix("use the output of `taosctl agents export NAME`")
            })?;
            let key = idempotency_key.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let client = ctx.client()?;
            let agent = with_retries(ctx, || {
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
        AgentsCommand::Token(cmd) => token(ctx, cmd).await,
    }
}

/// Command-line values as a request body, checked against the contract's types first.
fn input<T: serde::de::DeserializeOwned>(mut body: serde_json::Value) -> Result<T> {
    if let Some(map) = body.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    serde_json::from_value(body).map_err(|e| Failure::usage(format!("invalid value: {e}")))
}

/// Sends a creating request, retrying lost connections and in-flight conflicts with the same
/// Idempotency-Key, so a retry can never create a second agent.
async fn with_retries<F, Fut>(ctx: &Context, send: F) -> Result<types::Agent>
where
    F: Fn() -> Fut,
    Fut: Future<
        Output = std::result::Result<
            taos_client::ResponseValue<types::Agent>,
            taos_client::Error<types::Error>,
        >,
    >,
{
    let mut delay = Duration::from_millis(200);
    for attempt in 1..=4 {
        match send().await {
            Ok(rv) => return Ok(rv.into_inner()),
            Err(e) => {
                let retry = match &e {
                    taos_client::Error::CommunicationError(_) => true,
                    taos_client::Error::ErrorResponse(rv) => {
                        rv.status().as_u16() == 409 && rv.error == "idempotency_key_in_use"
                    }
                    _ => false,
                };
                if !retry || attempt == 4 {
                    return Err(ctx.fail(e));
                }
                ctx.out.note(format!(
                    "retrying in {} ms (same Idempotency-Key)…",
                    delay.as_millis()
                ));
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    Err(Failure::new(EXIT_ERROR, "gave up retrying"))
}

fn show(ctx: &Context, a: &types::Agent) {
    if ctx.out.json {
        ctx.out.json(a);
        return;
    }
    let token = if a.has_token {
        format!(
            "active since {} (scope {}; expires {}; last used {})",
            when(a.issued_at.as_ref().unwrap_or(&a.created_at)),
            a.token_scope.clone().unwrap_or_default().join(" "),
            a.token_expires_at
                .as_ref()
                .map(when)
                .unwrap_or_else(|| "never".into()),
            a.last_used_at
                .as_ref()
                .map(when)
                .unwrap_or_else(|| "never".into()),
        )
    } else {
        "none (issue one with `taosctl agents token issue`)".into()
    };
    for (k, v) in [
        ("name", a.name.clone()),
        ("display name", a.display_name.clone()),
        ("status", a.status.to_string()),
        ("host", opt(&a.host)),
        ("qmd index", opt(&a.qmd_index)),
        ("color", a.color.clone()),
        ("emoji", opt(&a.emoji)),
        ("reads user memory", a.can_read_user_memory.to_string()),
        ("scope", a.scope.join(" ")),
        ("token", token),
        ("owner", a.owner.username.clone()),
        ("created", when(&a.created_at)),
        ("id", a.id.to_string()),
    ] {
        ctx.out.line(format!("{k:<18} {v}"));
    }
}

async fn list(ctx: &Context, paging: &Paging) -> Result<()> {
    let client = ctx.client()?;
    let (all, cursor) = pages!(ctx, paging, client.list_agents());
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "items": all, "next_cursor": cursor }));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|a| {
            vec![
                a.name.clone(),
                a.display_name.clone(),
                a.status.to_string(),
                if a.has_token { "yes".into() } else { "no".into() },
                opt(&a.host),
                when(&a.created_at),
            ]
        })
        .collect();
    if rows.is_empty() {
        ctx.out
            .note("No agents yet. Create one with `taosctl agents create --name NAME`.");
    } else {
        ctx.out.table(
            &["NAME", "DISPLAY NAME", "STATUS", "TOKEN", "HOST", "CREATED"],
            &rows,
        );
    }
    if let Some(c) = cursor {
        ctx.out.note(format!("More agents: --cursor {c} (or --all)"));
    }
    Ok(())
}

async fn archived(ctx: &Context, cmd: ArchivedCommand) -> Result<()> {
    let client = ctx.client()?;
    match cmd {
        ArchivedCommand::List { paging } => {
            let (all, cursor) = pages!(ctx, &paging, client.list_archived_agents());
            if ctx.out.json {
                ctx.out
                    .json(&serde_json::json!({ "items": all, "next_cursor": cursor }));
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|a| {
                        vec![
                            a.id.to_string(),
                            a.name.clone(),
                            a.display_name.clone(),
                            when(&a.archived_at),
                        ]
                    })
                    .collect();
                ctx.out.table(&["ID", "NAME", "DISPLAY NAME", "ARCHIVED"], &rows);
                if let Some(c) = cursor {
                    ctx.out.note(format!("More: --cursor {c} (or --all)"));
                }
            }
            Ok(())
        }
        ArchivedCommand::Restore { id } => {
            let agent = client
                .restore_archived_agent()
                .id(id)
                .send()
                .await
                .map_err(|e| ctx.fail(e))?
                .into_inner();
            if !ctx.out.json {
                ctx.out.note(format!(
                    "Restored agent {}. It has no token: issue one with `taosctl agents token issue {}`.",
                    agent.name, agent.name
                ));
            }
            show(ctx, &agent);
            Ok(())
        }
        ArchivedCommand::Purge { id, yes } => {
            if !prompt::confirm(
                &format!("Delete archived agent {id} for good? This cannot be undone."),
                yes,
            )? {
                return Err(Failure::new(EXIT_ERROR, "cancelled"));
            }
            client
                .purge_archived_agent()
                .id(id)
                .send()
                .await
                .map_err(|e| ctx.fail(e))?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "purged": id }));
            } else {
                ctx.out.line(format!("purged: {id}"));
            }
            Ok(())
        }
    }
}

async fn token(ctx: &Context, cmd: TokenCommand) -> Result<()> {
    let client = ctx.client()?;
    match cmd {
        TokenCommand::Issue {
            name,
            scope,
            expires_in,
        } => {
            let body: types::TokenIssueRequest = input(serde_json::json!({
                "scope": (!scope.is_empty()).then_some(scope),
                "expires_in_days": expires_in,
            }))?;
            let issued = client
                .issue_agent_token()
                .name(name.as_str())
                .body(body)
                .send()
                .await
                .map_err(|e| ctx.fail(e))?
                .into_inner();
            ctx.out.secret(&issued, &issued.token, format!(
                "Warning: this token for agent {} is shown only once; save it now. Any previous token of this agent no longer works.",
                issued.agent
            ));
            Ok(())
        }
        TokenCommand::Revoke { name } => {
            client
                .revoke_agent_token()
                .name(name.as_str())
                .send()
                .await
                .map_err(|e| ctx.fail(e))?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "revoked": name }));
            } else {
                ctx.out.line(format!("token revoked: {name}"));
            }
            Ok(())
        }
    }
}
