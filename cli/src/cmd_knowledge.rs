//! `taosctl knowledge …`: the docs and apps' guides held by taosd — list, read, search, and
//! the helper agent's system prompt.

use clap::{Args, Subcommand};
use taos_client::types;

use crate::context::{Context, RunCmd};
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::output::{Output, Table, opt, when};
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
    #[command(
        after_help = "Examples:\n  taosctl knowledge get concepts/runtimes.md\n  taosctl knowledge get /docs/agents/recipes/managing-agents\n  taosctl knowledge get 0192f1c8-1111-7222-8333-444455556666"
    )]
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
    /// The item's id (from `list` or `search`), or its docs path: `concepts/runtimes.md`,
    /// `/docs/agents/concepts/runtimes` or the full URL taosd serves it at
    #[arg(value_name = "ID_OR_PATH")]
    item: String,
}

impl RunCmd for Get {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let id = match self.item.trim().parse::<uuid::Uuid>() {
            Ok(id) => id,
            Err(_) => find_by_path(ctx, &client, &self.item).await?,
        };
        let k = ctx.send(client.get_knowledge_item().id(id).send()).await?;
        ctx.out.show(&k, |out| {
            out.fields(
                10,
                &[
                    ("title", k.title.clone()),
                    ("source", format!("{} {}", k.source_id, k.source_url)),
                    ("category", k.category.clone()),
                    ("served at", full_url(ctx, &k.doc_url)),
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
        // The SDK checks `q` as it sends; said as the server would say it.
        if let Err(e) = q.parse::<taos_client::params::SearchKnowledgeQ>() {
            return Err(crate::request::refused("WORDS", &e.to_string()));
        }
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
        ctx.out.show(&found, |out| hits(ctx, out, &q, &found));
        Ok(())
    }
}

/// Search hits for people: numbered, each with its place, full link and snippet, the matched
/// words in bold colour on a terminal and plain elsewhere.
fn hits(ctx: &Context, out: &Output, q: &str, found: &types::KnowledgeSearchResults) {
    if found.items.is_empty() {
        out.note(format!(
            "Nothing matches every word of '{q}'. Try fewer or other words."
        ));
        return;
    }
    let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    for (i, h) in found.items.iter().enumerate() {
        if i > 0 {
            out.line("");
        }
        let title = match &h.section {
            Some(section) => format!("{} › {section}", h.title),
            None => h.title.clone(),
        };
        out.line(format!("{}. {title}  ({} {})", i + 1, h.source_id, h.source_url));
        out.line(format!("   {}", full_url(ctx, &h.doc_url)));
        let snippet = h.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        out.line(format!("   {}", highlight(&snippet, &words, out.color())));
        out.line(format!("   id {}", h.id));
    }
    out.note("Read one with `taosctl knowledge get PATH` (or its id).");
}

/// A doc path as a link to open: the server's URL before `/docs/…`; `-` when not served.
fn full_url(ctx: &Context, doc_url: &Option<String>) -> String {
    match doc_url.as_deref() {
        Some(path) if path.starts_with('/') => format!("{}{path}", ctx.url()),
        Some(url) => url.to_string(),
        None => opt(doc_url),
    }
}

/// The snippet without the server's `[` `]` around matched words: those words in bold
/// yellow when `color`, else as they are. A bracketed text that is not one of the `words`
/// (a markdown link's text) is left alone.
fn highlight(snippet: &str, words: &[String], color: bool) -> String {
    let mut out = String::with_capacity(snippet.len());
    let mut rest = snippet;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let matched = after.find(']').map(|close| &after[..close]).filter(|inner| {
            let lower = inner.to_lowercase();
            !inner.is_empty()
                && !inner.contains(['[', ']'])
                && words
                    .iter()
                    .any(|w| lower.contains(w.as_str()) || w.contains(lower.as_str()))
        });
        match matched {
            Some(inner) => {
                if color {
                    out.push_str(&format!("\x1b[1;33m{inner}\x1b[0m"));
                } else {
                    out.push_str(inner);
                }
                rest = &after[inner.len() + 1..];
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The id of the item at a docs path (`concepts/runtimes.md`, `/docs/agents/concepts/runtimes`,
/// `http://…/docs/agents/…#section`): the item whose `source_url` or `doc_url` it names.
async fn find_by_path(ctx: &Context, client: &taos_client::Client, given: &str) -> Result<uuid::Uuid> {
    let mut path = given.trim();
    if let Some(i) = path.find("://") {
        let after = &path[i + 3..];
        path = after.find('/').map_or("", |slash| &after[slash..]);
    }
    let path = path.split(['#', '?']).next().unwrap_or_default();
    let served = path.trim_end_matches(".md").trim_end_matches('/');
    let source = path
        .trim_start_matches('/')
        .trim_start_matches("docs/agents/")
        .to_string();
    let source = if source.ends_with(".md") {
        source
    } else {
        format!("{}.md", source.trim_end_matches('/'))
    };
    let mut cursor = None;
    loop {
        let mut req = client
            .list_knowledge_items()
            .limit(std::num::NonZeroU64::new(200).expect("200 is not zero"));
        if let Some(c) = cursor {
            req = req.cursor(c);
        }
        let page = ctx.send(req.send()).await?;
        let found = page.items.iter().find(|k| {
            k.source_url == source
                || k.source_url == path.trim_start_matches('/')
                || k.doc_url.as_deref() == Some(served)
        });
        if let Some(k) = found {
            return Ok(k.id);
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Err(Failure::new(
        EXIT_ERROR,
        format!("knowledge_item_not_found: no knowledge item has the path {given:?}"),
    )
    .with_fix("`taosctl knowledge ls` shows every item's PATH; `knowledge get` takes a PATH or an ID")
    .with_doc(format!(
        "{}/docs/agents/recipes/searching-the-docs#read-one-item",
        ctx.url()
    )))
}
