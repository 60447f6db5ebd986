//! `taosctl knowledge …`: the docs and apps' guides held by taosd — list, read, search, and
//! the helper agent's system prompt.

use clap::{Args, Subcommand};
use taos_client::types;

use crate::context::{Context, RunCmd};
use crate::failure::Result;
use crate::output::{Table, opt, when};
use crate::paging::Paging;

#[derive(Subcommand, Debug)]
pub enum KnowledgeCommand {
    /// List knowledge items (these docs and apps' guides), oldest first
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  taosctl knowledge list\n  taosctl knowledge list --source app:notes --json"
    )]
    List(List),
    /// Print one item: its title, source and whole content
    #[command(after_help = "Example:\n  taosctl knowledge get 0192f1c8-1111-7222-8333-444455556666")]
    Get(Get),
    /// Search titles and content, best match first (every word must appear)
    #[command(
        after_help = "Examples:\n  taosctl knowledge search issue token\n  taosctl knowledge search pagination --source taos-core --limit 3 --json"
    )]
    Search(Search),
    /// Print the taOS helper agent's system prompt (built from the docs)
    #[command(after_help = "Examples:\n  taosctl knowledge prompt\n  taosctl knowledge prompt --json")]
    Prompt,
}

impl RunCmd for KnowledgeCommand {
    async fn run(&self, ctx: &Context) -> Result<()> {
        match self {
            KnowledgeCommand::List(cmd) => cmd.run(ctx).await,
            KnowledgeCommand::Get(cmd) => cmd.run(ctx).await,
            KnowledgeCommand::Search(cmd) => cmd.run(ctx).await,
            KnowledgeCommand::Prompt => {
                let client = ctx.client()?;
                let prompt = ctx.send(client.get_system_prompt().send()).await?;
                ctx.out.show(&prompt, |out| {
                    out.line(&prompt.prompt);
                    if prompt.fallback {
                        out.note("(taosd holds no agent docs: this is its built-in manual)");
                    }
                });
                Ok(())
            }
        }
    }
}

#[derive(Args, Debug)]
pub struct List {
    /// Only items of this category, e.g. agent-docs
    #[arg(long)]
    category: Option<String>,
    /// Only items from this source, e.g. taos-core or app:notes
    #[arg(long, value_name = "SOURCE_ID")]
    source: Option<String>,
    #[command(flatten)]
    paging: Paging,
}

impl RunCmd for List {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let page = pages!(ctx, &self.paging, {
            let mut req = client.list_knowledge_items();
            if let Some(c) = &self.category {
                req = req.category(c.as_str());
            }
            if let Some(s) = &self.source {
                req = req.source_id(s.as_str());
            }
            req
        });
        let row = |k: &types::KnowledgeItemSummary| {
            vec![
                k.id.to_string(),
                k.source_id.clone(),
                k.category.clone(),
                k.source_url.clone(),
                k.title.clone(),
            ]
        };
        ctx.out.page(
            &page,
            Table {
                headers: &["ID", "SOURCE", "CATEGORY", "PATH", "TITLE"],
                row: &row,
                empty: Some("No knowledge items match."),
                footnote: None,
                more: "More",
            },
        );
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Get {
    id: uuid::Uuid,
}

impl RunCmd for Get {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let k = ctx.send(client.get_knowledge_item().id(self.id).send()).await?;
        ctx.out.show(&k, |out| {
            out.fields(
                10,
                &[
                    ("title", k.title.clone()),
                    ("source", format!("{} {}", k.source_id, k.source_url)),
                    ("category", k.category.clone()),
                    ("served at", opt(&k.doc_url)),
                    ("updated", when(&k.updated_at)),
                    ("id", k.id.to_string()),
                ],
            );
            out.line("");
            out.line(k.content.trim_end());
        });
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Search {
    /// The words to look for (plain words; no query syntax)
    #[arg(required = true, value_name = "WORDS")]
    words: Vec<String>,
    /// Only items of this category, e.g. agent-docs
    #[arg(long)]
    category: Option<String>,
    /// Only items from this source, e.g. taos-core or app:notes
    #[arg(long, value_name = "SOURCE_ID")]
    source: Option<String>,
    /// How many hits at most, 1 to 50 [default: 10]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=50))]
    limit: Option<u64>,
}

impl RunCmd for Search {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let q = self.words.join(" ");
        let client = ctx.client()?;
        let mut req = client.search_knowledge().q(q.as_str());
        if let Some(c) = &self.category {
            req = req.category(c.as_str());
        }
        if let Some(s) = &self.source {
            req = req.source_id(s.as_str());
        }
        if let Some(l) = self.limit.and_then(std::num::NonZeroU64::new) {
            req = req.limit(l);
        }
        let found = ctx.send(req.send()).await?;
        ctx.out.show(&found, |out| hits(out, &q, &found));
        Ok(())
    }
}

/// Search hits for people: numbered, each with its place, link and snippet.
fn hits(out: &crate::output::Output, q: &str, found: &types::KnowledgeSearchResults) {
    if found.items.is_empty() {
        out.note(format!(
            "Nothing matches every word of '{q}'. Try fewer or other words."
        ));
        return;
    }
    for (i, h) in found.items.iter().enumerate() {
        if i > 0 {
            out.line("");
        }
        let title = match &h.section {
            Some(section) => format!("{} › {section}", h.title),
            None => h.title.clone(),
        };
        out.line(format!("{}. {title}  ({} {})", i + 1, h.source_id, h.source_url));
        out.line(format!("   id {}  {}", h.id, opt(&h.doc_url)));
        let snippet = h.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        out.line(format!("   {snippet}"));
    }
    out.note("Read one with `taosctl knowledge get ID`.");
}
