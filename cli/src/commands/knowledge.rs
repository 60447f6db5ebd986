//! `taosctl knowledge …`: the docs and apps' guides held by taosd — list, read, search, and
//! the helper agent's system prompt.

use taos_client::types;

use crate::args::{KnowledgeCommand, Paging};
use crate::context::Context;
use crate::failure::Result;
use crate::output::{opt, when};

pub async fn run(ctx: &Context, cmd: KnowledgeCommand) -> Result<()> {
    match cmd {
        KnowledgeCommand::List {
            category,
            source,
            paging,
        } => list(ctx, category, source, &paging).await,
        KnowledgeCommand::Get { id } => {
            let item = ctx
                .client()?
                .get_knowledge_item()
                .id(id)
                .send()
                .await
                .map_err(|e| ctx.fail(e))?
                .into_inner();
            show(ctx, &item);
            Ok(())
        }
        KnowledgeCommand::Search {
            words,
            category,
            source,
            limit,
        } => search(ctx, words.join(" "), category, source, limit).await,
        KnowledgeCommand::Prompt => {
            let prompt = ctx
                .client()?
                .get_system_prompt()
                .send()
                .await
                .map_err(|e| ctx.fail(e))?
                .into_inner();
            if ctx.out.json {
                ctx.out.json(&prompt);
            } else {
                ctx.out.line(&prompt.prompt);
                if prompt.fallback {
                    ctx.out
                        .note("(taosd holds no agent docs: this is its built-in manual)");
                }
            }
            Ok(())
        }
    }
}

async fn list(
    ctx: &Context,
    category: Option<String>,
    source: Option<String>,
    paging: &Paging,
) -> Result<()> {
    let client = ctx.client()?;
    let (all, cursor) = pages!(ctx, paging, {
        let mut req = client.list_knowledge_items();
        if let Some(c) = &category {
            req = req.category(c.as_str());
        }
        if let Some(s) = &source {
            req = req.source_id(s.as_str());
        }
        req
    });
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "items": all, "next_cursor": cursor }));
        return Ok(());
    }
    if all.is_empty() {
        ctx.out.note("No knowledge items match.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|k| {
            vec![
                k.id.to_string(),
                k.source_id.clone(),
                k.category.clone(),
                k.source_url.clone(),
                k.title.clone(),
            ]
        })
        .collect();
    ctx.out
        .table(&["ID", "SOURCE", "CATEGORY", "PATH", "TITLE"], &rows);
    if let Some(c) = cursor {
        ctx.out.note(format!("More: --cursor {c} (or --all)"));
    }
    Ok(())
}

fn show(ctx: &Context, k: &types::KnowledgeItem) {
    if ctx.out.json {
        ctx.out.json(k);
        return;
    }
    for (key, v) in [
        ("title", k.title.clone()),
        ("source", format!("{} {}", k.source_id, k.source_url)),
        ("category", k.category.clone()),
        ("served at", opt(&k.doc_url)),
        ("updated", when(&k.updated_at)),
        ("id", k.id.to_string()),
    ] {
        ctx.out.line(format!("{key:<10} {v}"));
    }
    ctx.out.line("");
    ctx.out.line(k.content.trim_end());
}

async fn search(
    ctx: &Context,
    q: String,
    category: Option<String>,
    source: Option<String>,
    limit: Option<u64>,
) -> Result<()> {
    let client = ctx.client()?;
    let mut req = client.search_knowledge().q(q.as_str());
    if let Some(c) = &category {
        req = req.category(c.as_str());
    }
    if let Some(s) = &source {
        req = req.source_id(s.as_str());
    }
    if let Some(l) = limit.and_then(std::num::NonZeroU64::new) {
        req = req.limit(l);
    }
    let found = req.send().await.map_err(|e| ctx.fail(e))?.into_inner();
    if ctx.out.json {
        ctx.out.json(&found);
        return Ok(());
    }
    if found.items.is_empty() {
        ctx.out.note(format!(
            "Nothing matches every word of '{q}'. Try fewer or other words."
        ));
        return Ok(());
    }
    for (i, h) in found.items.iter().enumerate() {
        if i > 0 {
            ctx.out.line("");
        }
        let title = match &h.section {
            Some(section) => format!("{} › {section}", h.title),
            None => h.title.clone(),
        };
        ctx.out
            .line(format!("{}. {title}  ({} {})", i + 1, h.source_id, h.source_url));
        ctx.out.line(format!("   id {}  {}", h.id, opt(&h.doc_url)));
        let snippet = h.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        ctx.out.line(format!("   {snippet}"));
    }
    ctx.out.note("Read one with `taosctl knowledge get ID`.");
    Ok(())
}
