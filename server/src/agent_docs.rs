//! The agent docs (`docs/agents/`), compiled into the binary: served by [`crate::web::docs`]
//! and ingested into the knowledge store as source `taos-core`, so a taosd binary always
//! carries the docs that match its API.

use include_dir::{Dir, include_dir};

static DOCS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../docs/agents");

/// One markdown page of the docs.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Path relative to `docs/agents/`, with `/` separators, e.g. `recipes/managing-agents.md`.
    pub path: &'static str,
    pub text: &'static str,
}

impl Page {
    /// The page's title: the text of its first `# ` heading, else its file name.
    pub fn title(&self) -> &'static str {
        title_or_file_name(self.path, self.text)
    }

    /// Where taosd serves the page as HTML (see [`html_url`]).
    pub fn url(&self) -> String {
        html_url(self.path)
    }

    /// Where taosd serves the page's markdown as written.
    pub fn markdown_url(&self) -> String {
        format!("{ROOT}{}", self.path)
    }
}

/// Where every page is served.
const ROOT: &str = "/docs/agents/";

/// The HTML URL of the page at `path` (relative to `docs/agents/`, ending in `.md`):
/// `/docs/agents/<path without .md>`, and the directory itself for the top `README.md`.
pub fn html_url(path: &str) -> String {
    match path {
        "README.md" => ROOT.to_string(),
        p => format!("{ROOT}{}", p.trim_end_matches(".md")),
    }
}

/// A document's title: its first `# ` heading outside code fences, else its file name.
pub fn title_or_file_name<'a>(path: &'a str, text: &'a str) -> &'a str {
    title_of(text).unwrap_or_else(|| path.rsplit('/').next().unwrap_or(path))
}

/// The first `# ` heading outside code fences, trimmed.
fn title_of(text: &str) -> Option<&str> {
    let mut in_fence = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence && let Some(rest) = t.strip_prefix("# ") {
            let title = rest.trim();
            if !title.is_empty() {
                return Some(title);
            }
        }
    }
    None
}

/// Every markdown page, in reading order: `README.md`, `getting-started.md`, then the rest
/// sorted by path (so `concepts/` before `recipes/`).
pub fn pages() -> Vec<Page> {
    let mut out = Vec::new();
    collect(&DOCS, &mut out);
    out.sort_by_key(|p| (reading_rank(p.path), p.path));
    out
}

fn reading_rank(path: &str) -> u8 {
    match path {
        "README.md" => 0,
        "getting-started.md" => 1,
        p if p.starts_with("concepts/") => 2,
        p if p.starts_with("recipes/") => 3,
        _ => 4,
    }
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<Page>) {
    for file in dir.files() {
        let (Some(path), Some(text)) = (file.path().to_str(), file.contents_utf8()) else {
            continue;
        };
        if path.ends_with(".md") {
            out.push(Page { path, text });
        }
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_is_embedded_with_a_title() {
        let pages = pages();
        assert_eq!(pages[0].path, "README.md");
        assert_eq!(pages[1].path, "getting-started.md");
        assert!(pages.iter().any(|p| p.path == "recipes/managing-agents.md"));
        for p in &pages {
            assert!(title_of(p.text).is_some(), "{} has no `# ` heading", p.path);
        }
    }

    #[test]
    fn titles_skip_fenced_code_and_fall_back_to_the_file_name() {
        assert_eq!(title_of("```bash\n# not a title\n```\n# Real\n"), Some("Real"));
        assert_eq!(title_of("no heading here\n"), None);
        let p = Page {
            path: "concepts/x.md",
            text: "plain",
        };
        assert_eq!(p.title(), "x.md");
        assert_eq!(p.url(), "/docs/agents/concepts/x");
        assert_eq!(p.markdown_url(), "/docs/agents/concepts/x.md");
        assert_eq!(html_url("README.md"), "/docs/agents/");
    }
}
