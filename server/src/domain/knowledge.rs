//! The knowledge store's rules: which documents it holds (these docs as source `taos-core`,
//! installed apps' guides as `app:<slug>`) and the `knowledge` operations that find them (the
//! helper agent's system prompt built from them is `taos_agent`). Knowledge is shared: every
//! caller allowed `knowledge.read` sees it all.

mod guides;
mod limits;

use std::path::PathBuf;

use uuid::Uuid;

use crate::domain::pagination::{self, Page};
use crate::domain::store_errors::not_found;
use crate::errors::{self, Error, Result};
use crate::store::{KnowledgeDoc, KnowledgeSection, Store};
use crate::{agent_docs, headings};

pub use crate::store::{KnowledgeFilter, KnowledgeHit, KnowledgeItem, KnowledgeSummary};

/// The source of the docs embedded in taosd.
pub const CORE_SOURCE: &str = "taos-core";
/// The category of agent docs and app guides: what the system prompt is built from.
pub const AGENT_DOCS: &str = "agent-docs";
/// Source ids of apps' guides are this prefix and the app's slug.
const APP_PREFIX: &str = "app:";
const SUMMARY_CHARS: usize = 200;

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
        sections: sections_of(text),
    }
}

/// The document cut at its section headings, each piece with its heading and the id the
/// served page gives it: what a search hit's snippet, section and anchor come from, so no
/// search has to parse a page.
fn sections_of(text: &str) -> Vec<KnowledgeSection> {
    headings::sections(text)
        .into_iter()
        .map(|(heading, range)| KnowledgeSection {
            anchor: heading.as_ref().map(|h| h.id.clone()),
            heading: heading.map(|h| h.text),
            content: text[range].to_owned(),
        })
        .collect()
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

pub async fn list_knowledge_items(
    store: &Store,
    filter: &KnowledgeFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<KnowledgeSummary>> {
    let rows = store
        .list_knowledge_items(filter, after, pagination::fetch_size(limit))
        .await?;
    Ok(pagination::page(rows, limit, |k| k.id))
}

fn knowledge_item_not_found(id: Uuid) -> Error {
    Error::new(
        &errors::KNOWLEDGE_ITEM_NOT_FOUND,
        format!("No knowledge item with id {id} exists."),
    )
}

pub async fn get_knowledge_item(store: &Store, id: Uuid) -> Result<KnowledgeItem> {
    store
        .get_knowledge_item(id)
        .await
        .map_err(not_found(|| knowledge_item_not_found(id)))
}

pub async fn search_knowledge(
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
    let words = limits::distinct_words(words)?;
    let permit = limits::admit().await?;
    // The search runs to its end (its deadline at most) even when the caller hangs up, and
    // holds its place until then: the place stands for the database work, not the request.
    let (store, filter) = (store.clone(), filter.clone());
    let searched = tokio::spawn(async move {
        let _place = permit;
        store
            .search_knowledge(&words, &filter, limit, limits::DEADLINE)
            .await
    })
    .await
    .map_err(|e| Error::internal("search task", e))??;
    match searched {
        Some(hits) => Ok(hits.into_iter().map(anchored).collect()),
        None => {
            tracing::warn!(query = ?q, "a search stopped at its deadline");
            Err(limits::out_of_time())
        }
    }
}

/// A hit whose `doc_url` sends a reader (or an agent) to its section's heading rather than
/// the page's top.
fn anchored(mut hit: KnowledgeHit) -> KnowledgeHit {
    if let (Some(anchor), Some(url)) = (&hit.anchor, hit.doc_url.as_mut()) {
        url.push('#');
        url.push_str(anchor);
    }
    hit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_cut_at_their_section_headings() {
        let text =
            "# T\n\nIntro word.\n\n## Issue a token\n\nIssue it.\n\n## Issue a token\n\nAgain: issue.\n";
        let doc = document("p.md", text, Some("/docs/agents/p".into()));
        let got: Vec<(Option<&str>, Option<&str>, &str)> = doc
            .sections
            .iter()
            .map(|s| (s.heading.as_deref(), s.anchor.as_deref(), s.content.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (None, None, "# T\n\nIntro word.\n\n"),
                (
                    Some("Issue a token"),
                    Some("issue-a-token"),
                    "## Issue a token\n\nIssue it.\n\n"
                ),
                (
                    Some("Issue a token"),
                    Some("issue-a-token-1"),
                    "## Issue a token\n\nAgain: issue.\n"
                ),
            ]
        );
        let whole: String = doc.sections.iter().map(|s| s.content.as_str()).collect();
        assert_eq!(whole, text, "the sections hold the whole text");
    }

    #[test]
    fn a_hit_links_to_its_section() {
        let hit = |doc_url: Option<&str>, anchor: Option<&str>| KnowledgeHit {
            id: Uuid::nil(),
            source_id: CORE_SOURCE.into(),
            source_url: "p.md".into(),
            category: AGENT_DOCS.into(),
            title: "T".into(),
            doc_url: doc_url.map(String::from),
            section: anchor.map(|_| "Issue a token".into()),
            anchor: anchor.map(String::from),
            snippet: "[issue]".into(),
            score: 1.0,
        };
        let placed = anchored(hit(Some("/docs/agents/p"), Some("issue-a-token-1")));
        assert_eq!(placed.doc_url.as_deref(), Some("/docs/agents/p#issue-a-token-1"));
        let intro = anchored(hit(Some("/docs/agents/p"), None));
        assert_eq!(intro.doc_url.as_deref(), Some("/docs/agents/p"));
        let guide = anchored(hit(None, Some("issue-a-token")));
        assert_eq!(guide.doc_url, None, "a guide is not served");
    }

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
