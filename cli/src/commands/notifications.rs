//! `taosctl ui notify` and `taosctl notifications …`.

use taos_client::types;

use crate::args::{NotificationsCommand, Paging, Priority, UiCommand};
use crate::context::Context;
use crate::failure::{Failure, Result};
use crate::output::when;

pub async fn notify(ctx: &Context, cmd: UiCommand) -> Result<()> {
    let UiCommand::Notify {
        title,
        body,
        priority,
        app_origin,
        action_url,
    } = cmd;
    let priority = priority.map(|p| match p {
        Priority::Low => "low",
        Priority::Normal => "normal",
        Priority::High => "high",
    });
    let mut req = serde_json::json!({
        "title": title, "body": body, "priority": priority, "app_origin": app_origin, "action_url": action_url,
    });
    if let Some(map) = req.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    let req: types::NotifyRequest =
        serde_json::from_value(req).map_err(|e| Failure::usage(format!("invalid value: {e}")))?;
    let sent = ctx
        .client()?
        .notify_user()
        .body(req)
        .send()
        .await
        .map_err(|e| ctx.fail(e))?
        .into_inner();
    if ctx.out.json {
        ctx.out.json(&sent);
    } else {
        ctx.out.line(format!("delivered: {}", sent.notification_id));
    }
    Ok(())
}

pub async fn run(ctx: &Context, cmd: NotificationsCommand) -> Result<()> {
    let client = ctx.client()?;
    match cmd {
        NotificationsCommand::List { unread, paging } => list(ctx, &client, unread, &paging).await,
        NotificationsCommand::Read { id } => {
            let n = client
                .mark_notification_read()
                .id(id)
                .send()
                .await
                .map_err(|e| ctx.fail(e))?
                .into_inner();
            if ctx.out.json {
                ctx.out.json(&n)
            } else {
                ctx.out.line(format!("marked read: {} changed", n.updated))
            }
            Ok(())
        }
        NotificationsCommand::ReadAll => {
            let n = client
                .mark_all_notifications_read()
                .send()
                .await
                .map_err(|e| ctx.fail(e))?
                .into_inner();
            if ctx.out.json {
                ctx.out.json(&n)
            } else {
                ctx.out.line(format!("marked read: {} changed", n.updated))
            }
            Ok(())
        }
    }
}

async fn list(ctx: &Context, client: &taos_client::Client, unread: bool, paging: &Paging) -> Result<()> {
    let (all, cursor) = pages!(ctx, paging, client.list_notifications().unread_only(unread));
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "items": all, "next_cursor": cursor }));
        return Ok(());
    }
    if all.is_empty() {
        ctx.out.note(if unread {
            "No unread notifications."
        } else {
            "No notifications."
        });
        return Ok(());
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|n| {
            vec![
                n.id.to_string(),
                if n.read { " ".into() } else { "•".into() },
                n.level.to_string(),
                n.source.clone(),
                when(&n.created_at),
                n.title.clone(),
            ]
        })
        .collect();
    ctx.out
        .table(&["ID", "NEW", "PRIORITY", "SOURCE", "WHEN", "TITLE"], &rows);
    if let Some(c) = cursor {
        ctx.out.note(format!("More: --cursor {c} (or --all)"));
    }
    Ok(())
}
