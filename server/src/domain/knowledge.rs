//! The knowledge store's rules: which documents it holds (these docs as source `taos-core`,
//! installed apps' guides as `app:<slug>`), how they are found, and the helper agent's system
//! prompt built from them. Knowledge is shared: every caller allowed `knowledge.read` sees it
//! all.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

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
/// Guides larger than this are skipped: they would swamp the system prompt.
const MAX_GUIDE_BYTES: u64 = 1 << 20;
/// How deep guide directories are walked (a guard against symlink loops and odd trees).
const MAX_GUIDE_DEPTH: usize = 16;

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
    let scan = match tokio::task::spawn_blocking(move || scan_guides(&dirs)).await {
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

/// One app's guides as read from disk.
#[derive(Debug, Default)]
struct AppGuides {
    docs: Vec<KnowledgeDoc>,
    /// Guides that exist but could not be read this time: their stored copy is kept.
    unreadable: Vec<String>,
    /// Directories (relative, ending in `/`) that could not be listed: everything stored
    /// under them is kept.
    unlisted: Vec<String>,
}

impl AppGuides {
    fn keeps(&self, url: &str) -> bool {
        self.unreadable.iter().any(|u| u == url) || self.unlisted.iter().any(|d| url.starts_with(d.as_str()))
    }
}

#[derive(Debug, Default)]
struct Scan {
    apps: BTreeMap<String, AppGuides>,
    /// False when some guides directory could not be listed, so an app missing from `apps`
    /// may still be installed.
    complete: bool,
}

/// An app slug: what may follow `app:` in a source id.
fn is_slug(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Reads every app's guides from the guide directories; the first directory holding a slug
/// wins, as in PATH.
fn scan_guides(dirs: &[PathBuf]) -> Scan {
    let mut scan = Scan {
        complete: true,
        ..Default::default()
    };
    for dir in dirs {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(dir = %dir.display(), "guides directory does not exist");
                continue;
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot read the guides directory");
                scan.complete = false;
                continue;
            }
        };
        let mut apps: Vec<(String, PathBuf)> = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "cannot read the guides directory");
                    scan.complete = false;
                    continue;
                }
            };
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            match entry.file_name().to_str() {
                Some(name) if is_slug(name) => apps.push((name.to_owned(), path)),
                _ => tracing::warn!(
                    dir = %path.display(),
                    "skipped: an app's guides directory must be named like `notes` or `my-app-2` (a-z, 0-9, -)"
                ),
            }
        }
        apps.sort();
        for (slug, path) in apps {
            if scan.apps.contains_key(&slug) {
                tracing::warn!(dir = %path.display(), "skipped: an earlier guides directory has this app");
                continue;
            }
            let mut app = AppGuides::default();
            match std::fs::canonicalize(&path) {
                Ok(root) => read_guides(&root, &root, "", 0, &mut app),
                Err(e) => {
                    tracing::warn!(dir = %path.display(), error = %e, "cannot resolve the app's guides directory; the stored guides are kept");
                    app.unlisted.push(String::new());
                }
            }
            app.docs.sort_by(|a, b| a.source_url.cmp(&b.source_url));
            scan.apps.insert(slug, app);
        }
    }
    scan
}

/// Collects the `*.md` files under `dir` (recursively) into `app`, with paths relative to the
/// app's directory `root` (canonical). Hidden files and directories are skipped.
fn read_guides(root: &Path, dir: &Path, prefix: &str, depth: usize, app: &mut AppGuides) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries.collect::<std::io::Result<Vec<_>>>(),
        Err(e) => Err(e),
    };
    let entries = match entries {
        Ok(entries) => entries,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot list guides; the stored ones are kept");
            app.unlisted.push(prefix.to_owned());
            return;
        }
    };
    for entry in entries {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            tracing::warn!(path = %entry.path().display(), "skipped: the file name is not UTF-8");
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        // Symlinked directories are not followed (loops); symlinked files are, within the app.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            if depth + 1 >= MAX_GUIDE_DEPTH {
                tracing::warn!(dir = %path.display(), "skipped: guides nested too deep");
            } else {
                read_guides(root, &path, &format!("{rel}/"), depth + 1, app);
            }
            continue;
        }
        if !name.ends_with(".md") {
            continue;
        }
        match read_guide(root, &path) {
            Ok(Some(text)) => app.docs.push(document(&rel, &text, None)),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot read the guide; the stored copy is kept");
                app.unreadable.push(rel);
            }
        }
    }
}

/// The guide's text; None when it is not a file, too large to ingest, or a link to a file
/// outside the app's directory `root`: whatever an app links to would be served to every token
/// with `knowledge.read`, and an app has no business publishing the host's files.
fn read_guide(root: &Path, path: &Path) -> std::io::Result<Option<String>> {
    if !std::fs::canonicalize(path)?.starts_with(root) {
        tracing::warn!(file = %path.display(), "skipped: the guide links outside its app's directory");
        return Ok(None);
    }
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > MAX_GUIDE_BYTES {
        tracing::warn!(file = %path.display(), bytes = meta.len(), "skipped: guides over 1 MiB are not ingested");
        return Ok(None);
    }
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"))
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

    #[test]
    fn slugs() {
        for ok in ["notes", "weather", "my-app-2", "0x"] {
            assert!(is_slug(ok), "{ok}");
        }
        for bad in ["", "-x", "Notes", "my_app", "a.b", "app:x", "é"] {
            assert!(!is_slug(bad), "{bad}");
        }
    }

    #[test]
    fn scanning_reads_apps_and_skips_what_is_not_one() {
        let root = tempfile::tempdir().unwrap();
        let first = root.path().join("first");
        let second = root.path().join("second");
        std::fs::create_dir_all(first.join("notes/deep")).unwrap();
        std::fs::create_dir_all(first.join("Bad_Name")).unwrap();
        std::fs::create_dir_all(second.join("notes")).unwrap();
        std::fs::create_dir_all(second.join("weather")).unwrap();
        std::fs::write(first.join("notes/a.md"), "# Notes A\n\ntext").unwrap();
        std::fs::write(first.join("notes/deep/b.md"), "no heading").unwrap();
        std::fs::write(first.join("notes/skip.txt"), "not markdown").unwrap();
        std::fs::write(first.join("notes/.hidden.md"), "# hidden").unwrap();
        std::fs::write(first.join("notes/latin1.md"), b"caf\xe9").unwrap();
        std::fs::write(first.join("Bad_Name/x.md"), "# x").unwrap();
        std::fs::write(second.join("notes/shadowed.md"), "# shadowed").unwrap();
        std::fs::write(second.join("weather/w.md"), "# Weather").unwrap();
        std::fs::write(root.path().join("secret.md"), "# The host's secret").unwrap();
        std::os::unix::fs::symlink(root.path().join("secret.md"), first.join("notes/leak.md")).unwrap();
        std::os::unix::fs::symlink("a.md", first.join("notes/alias.md")).unwrap();
        std::os::unix::fs::symlink("missing.md", first.join("notes/dangling.md")).unwrap();

        let scan = scan_guides(&[first, root.path().join("missing"), second]);
        assert!(scan.complete);
        assert_eq!(scan.apps.keys().collect::<Vec<_>>(), ["notes", "weather"]);
        let notes = &scan.apps["notes"];
        let paths: Vec<&str> = notes.docs.iter().map(|d| d.source_url.as_str()).collect();
        assert_eq!(
            paths,
            ["a.md", "alias.md", "deep/b.md"],
            "a link inside the app is read, one out is not"
        );
        assert_eq!(notes.docs[0].title, "Notes A");
        assert_eq!(notes.docs[1].content, notes.docs[0].content);
        assert_eq!(notes.docs[2].title, "b.md");
        assert_eq!(notes.docs[2].doc_url, None);
        let mut unreadable = notes.unreadable.clone();
        unreadable.sort();
        assert_eq!(unreadable, ["dangling.md", "latin1.md"]);
        assert!(notes.keeps("latin1.md") && !notes.keeps("a.md"));
    }
}
