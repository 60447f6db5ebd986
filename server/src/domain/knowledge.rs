//! The knowledge store's rules: which documents it holds (these docs as source `taos-core`,
//! installed apps' guides as `app:<slug>`), how they are found, and the helper agent's system
//! prompt built from them. Knowledge is shared: every caller allowed `knowledge.read` sees it
//! all.

mod guides;

use std::collections::HashMap;
use std::path::PathBuf;

use uuid::Uuid;

use crate::agent_docs;
use crate::domain::pagination::{self, Page};
use crate::errors::{self, Error, Result};
use crate::store::{KnowledgeDoc, KnowledgeFilter, KnowledgeHit, KnowledgeItem, KnowledgeSummary, Store};

/// The source of the docs embedded in taosd.
pub const CORE_SOURCE: &str = "taos-core";
/// The category of agent docs and app guides: what the system prompt is built from.
pub const AGENT_DOCS: &str = "agent-docs";
/// Source ids of apps' guides are this prefix and the app's slug.
const APP_PREFIX: &str = "app:";
const SUMMARY_CHARS: usize = 200;
const BUILTIN_MANUAL: &str = include_str!("builtin_manual.md");

/// The words of a search: runs of letters and digits, as SQLite's `unicode61` tokenizer cuts
/// text. Everything else (quotes, operators, punctuation, emoji) only separates words, so no
/// input can be query syntax.
pub fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What a list shows of a document: the first 200 characters of its text after the title
/// heading (a summary that repeats the title tells a reader nothing), whitespace runs collapsed.
pub fn summary_of(content: &str) -> String {
    let text = content.trim_start();
    let body = match text.split_once('\n') {
        Some((first, rest)) if first.starts_with("# ") => rest,
        None if text.starts_with("# ") => "",
        _ => text,
    };
    let words: Vec<&str> = body.split_whitespace().collect();
    let head: String = words.join(" ").chars().take(SUMMARY_CHARS).collect();
    head.trim_end().to_owned()
}

fn document(path: &str, text: &str, doc_url: Option<String>) -> KnowledgeDoc {
    KnowledgeDoc {
        source_url: path.to_owned(),
        title: agent_docs::title_or_file_name(path, text).to_owned(),
        summary: summary_of(text),
        content: text.to_owned(),
        doc_url,
    }
}

// ---------- ingest ----------

/// Brings the store in line with the embedded docs and the guide directories. Run once at
/// startup; safe to run from several replicas at once. Nothing here is fatal: a source that
/// fails is logged and the others go on.
pub async fn ingest(store: &Store, guides_dirs: &[PathBuf]) {
    let core: Vec<KnowledgeDoc> = agent_docs::pages()
        .iter()
        .map(|p| document(p.path, p.text, Some(p.url())))
        .collect();
    sync(store, CORE_SOURCE, &core, |_| false).await;

    let dirs = guides_dirs.to_vec();
    let scan = match tokio::task::spawn_blocking(move || guides::scan(&dirs)).await {
        Ok(scan) => scan,
        Err(e) => {
            tracing::error!(error = %e, "reading the guide directories failed");
            return;
        }
    };
    for (slug, app) in &scan.apps {
        let source_id = format!("{APP_PREFIX}{slug}");
        sync(store, &source_id, &app.docs, |url| app.keeps(url)).await;
    }
    let stored = match store.knowledge_sources(APP_PREFIX).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot list the apps whose guides are stored");
            return;
        }
    };
    for source_id in stored {
        let slug = &source_id[APP_PREFIX.len()..];
        if scan.apps.contains_key(slug) {
            continue;
        }
        if !scan.complete {
            tracing::warn!(
                source = %source_id,
                "guides kept although the app's directory was not found: a guides directory could not be read"
            );
            continue;
        }
        match store.delete_knowledge_source(&source_id).await {
            Ok(n) => {
                tracing::info!(source = %source_id, removed = n, "app guides removed: its directory is gone")
            }
            Err(e) => tracing::error!(source = %source_id, error = %e, "cannot remove the app's guides"),
        }
    }
}

async fn sync(store: &Store, source_id: &str, docs: &[KnowledgeDoc], keep: impl Fn(&str) -> bool) {
    match store
        .sync_knowledge_source(source_id, AGENT_DOCS, docs, keep)
        .await
    {
        Ok(r) => tracing::info!(
            source = %source_id,
            items = r.added + r.updated + r.unchanged,
            added = r.added,
            updated = r.updated,
            removed = r.removed,
            "knowledge source ingested"
        ),
        Err(e) => tracing::error!(source = %source_id, error = %e, "cannot ingest the knowledge source"),
    }
}

// ---------- reading ----------

pub async fn list(
    store: &Store,
    filter: &KnowledgeFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<KnowledgeSummary>> {
    let rows = store
        .list_knowledge(filter, after, pagination::fetch_size(limit))
        .await?;
    Ok(pagination::page(rows, limit, |k| k.id))
}

pub async fn get(store: &Store, id: Uuid) -> Result<KnowledgeItem> {
    store.get_knowledge(id).await?.ok_or_else(|| {
        Error::new(
            &errors::KNOWLEDGE_ITEM_NOT_FOUND,
            format!("No knowledge item with id {id} exists."),
        )
    })
}

pub async fn search(
    store: &Store,
    q: &str,
    filter: &KnowledgeFilter,
    limit: u64,
) -> Result<Vec<KnowledgeHit>> {
    let words = search_words(q);
    if words.is_empty() {
        return Err(Error::new(
            &errors::INVALID_SEARCH_QUERY,
            "`q` has no word to search for: it holds only spaces, punctuation or symbols.",
        ));
    }
    Ok(store.search_knowledge(&words, filter, limit).await?)
}

/// The helper agent's system prompt and the items it was built from.
pub struct SystemPrompt {
    pub prompt: String,
    /// True when the store had no agent docs and the built-in manual was used.
    pub fallback: bool,
    pub sources: Vec<KnowledgeItem>,
}

/// Every `agent-docs` item, taos-core first in the docs' reading order, then the others by
/// (source_id, source_url), each as `## <title>` and its content, separated by `---`.
pub async fn system_prompt(store: &Store) -> Result<SystemPrompt> {
    let mut items = store.knowledge_in_category(AGENT_DOCS).await?;
    if items.is_empty() {
        return Ok(SystemPrompt {
            prompt: BUILTIN_MANUAL.to_owned(),
            fallback: true,
            sources: Vec::new(),
        });
    }
    let reading_order: HashMap<&str, usize> = agent_docs::pages()
        .iter()
        .enumerate()
        .map(|(i, p)| (p.path, i))
        .collect();
    items.sort_by_cached_key(|item| {
        let core = item.source_id == CORE_SOURCE;
        let rank = if core {
            reading_order
                .get(item.source_url.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        } else {
            0
        };
        (!core, rank, item.source_id.clone(), item.source_url.clone())
    });
    let prompt = items
        .iter()
        .map(|item| {
            let title = if item.title.trim().is_empty() {
                &item.source_url
            } else {
                &item.title
            };
            format!("## {title}\n\n{}", item.content)
        })
        .collect::<Vec<_>>()
        .join("\n\n---\n\n");
    Ok(SystemPrompt {
        prompt,
        fallback: false,
        sources: items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_letters_and_digits_only() {
        assert_eq!(search_words("issue  token"), vec!["issue", "token"]);
        assert_eq!(search_words("NEAR(a b)"), vec!["NEAR", "a", "b"]);
        assert_eq!(
            search_words("title:x -y \"z\" w*"),
            vec!["title", "x", "y", "z", "w"]
        );
        assert_eq!(search_words("taos_agent_…"), vec!["taos", "agent"]);
        assert_eq!(search_words("café 🚀 v2"), vec!["café", "v2"]);
        assert!(search_words("\"*()-: 🚀 … ").is_empty());
        assert!(search_words("   ").is_empty());
    }

    #[test]
    fn summaries_are_200_characters_trimmed() {
        assert_eq!(summary_of("  \n# T\n\nbody  \n  text"), "body text");
        assert_eq!(summary_of("# Only a title"), "");
        assert_eq!(summary_of("no heading\n\n## sub"), "no heading ## sub");
        let long = "é".repeat(300);
        assert_eq!(summary_of(&long).chars().count(), 200);
        assert_eq!(summary_of(&format!("{} x", "a".repeat(199))), "a".repeat(199));
    }
}
