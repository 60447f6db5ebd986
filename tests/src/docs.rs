//! The agent docs as the repo has them (`docs/agents/`): what the suites hold the served pages,
//! the knowledge store and the recipe replay to.
//!
//! The URL rule here is written out again rather than taken from taosd: a suite that checked
//! the server against its own code would pass whatever that code did.

use std::path::{Path, PathBuf};

/// `docs/agents/` of this workspace.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/agents")
}

/// One markdown file under `docs/agents/`.
#[derive(Debug, Clone)]
pub struct DocFile {
    /// Relative to `docs/agents/`, `/`-separated, e.g. `concepts/errors.md`.
    pub path: String,
    pub bytes: Vec<u8>,
}

impl DocFile {
    #[track_caller]
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.bytes).unwrap_or_else(|e| panic!("{} is not UTF-8: {e}", self.path))
    }

    /// Where taosd serves the page as HTML.
    pub fn html_url(&self) -> String {
        html_url(&self.path)
    }

    /// Where taosd serves the markdown as written.
    pub fn md_url(&self) -> String {
        format!("/docs/agents/{}", self.path)
    }
}

/// The HTML URL of the page at `path` (relative to `docs/agents/`, ending in `.md`): the
/// directory itself for the top `README.md`, else the path without `.md`.
pub fn html_url(path: &str) -> String {
    match path {
        "README.md" => "/docs/agents/".to_string(),
        p => format!("/docs/agents/{}", p.trim_end_matches(".md")),
    }
}

/// Every `*.md` under `docs/agents/`, in the reading order taosd promises (`/llms.txt`, the
/// system prompt): `README.md`, `getting-started.md`, then `concepts/`, then `recipes/`, then
/// the rest, each group by path.
#[track_caller]
pub fn files() -> Vec<DocFile> {
    let root = dir();
    let mut out = Vec::new();
    walk(&root, "", &mut out);
    let rank = |p: &str| match p {
        "README.md" => 0,
        "getting-started.md" => 1,
        p if p.starts_with("concepts/") => 2,
        p if p.starts_with("recipes/") => 3,
        _ => 4,
    };
    out.sort_by(|a, b| (rank(&a.path), &a.path).cmp(&(rank(&b.path), &b.path)));
    assert!(out.len() >= 5, "docs/agents/ has only {} pages", out.len());
    out
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<DocFile>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name");
        let child = if rel.is_empty() {
            name.to_string()
        } else {
            format!("{rel}/{name}")
        };
        if path.is_dir() {
            walk(&path, &child, out);
        } else if name.ends_with(".md") {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            out.push(DocFile { path: child, bytes });
        }
    }
}
