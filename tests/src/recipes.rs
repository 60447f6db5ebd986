//! The C-tier recipe replay: every runnable example of the agent docs is run against a real
//! `taosd`, so a doc cannot rot.
//!
//! A page's fenced blocks are read by the reference runner's rules ([`extract_blocks`]); its
//! `http` and `bash` blocks become [`Step`]s with the answer the page states for them (the
//! conventions are in [`steps`] and in `docs/agents/README.md`). Then, each on a fresh server
//! whose first user is the docs' `ada`, with a fresh `*` personal token as `$TAOS_TOKEN`:
//!
//! - [`replay_http`] sends the `http` blocks in order and checks each answer's status exactly,
//!   the keys of the stated JSON body, and the canonical error body of an error;
//! - [`replay_bash`] runs the `bash` blocks in order with the real `taosctl` and checks exit
//!   codes, JSON keys on stdout and error slugs on stderr.
//!
//! A failure ([`Failure`]) names `file:line` of the block and shows what was sent, the stated
//! answer and the real one.

mod answer;
mod bash;
mod fences;
mod http;
pub mod steps;

use std::fmt;
use std::path::Path;

use serde_json::{Value, json};

pub use answer::{Vars, compare, lookup, substitute};
pub use bash::exit_code_for;
pub use fences::{Block, REPLAYED, extract_blocks};
pub use http::{Request, parse_request};
pub use steps::{Binding, Expectation, ParseError, Step};

use crate::check::ApiResultExt;
use crate::{Server, docs, from_json, types};

/// The docs' first user: the examples are written as `ada`, so the replay signs up as her.
pub const DOC_USER: &str = "ada";
/// Her password in the examples.
pub const DOC_PASSWORD: &str = "correct-horse-battery";

/// Every page the replay covers: `getting-started.md`, `mcp.md` and `recipes/*.md`, relative
/// to `docs/agents/`, sorted.
pub fn replayed_pages() -> Vec<String> {
    let mut pages = vec!["getting-started.md".to_string(), "mcp.md".to_string()];
    if let Ok(entries) = std::fs::read_dir(docs::dir().join("recipes")) {
        let mut recipes: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md"))
            .map(|n| format!("recipes/{n}"))
            .collect();
        recipes.sort();
        pages.extend(recipes);
    }
    pages
}

/// A page and its steps.
#[derive(Debug, Clone)]
pub struct Page {
    /// How failures name the file, e.g. `docs/agents/recipes/managing-agents.md`.
    pub shown: String,
    pub steps: Vec<Step>,
}

impl Page {
    /// Reads and parses the page at `path`; `shown` is how failures name it.
    pub fn load(path: &Path, shown: &str) -> Result<Page, Box<Failure>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Box::new(Failure {
                location: shown.to_string(),
                summary: format!("cannot read {}: {e}", path.display()),
                ..Failure::default()
            })
        })?;
        Page::parse(&text, shown)
    }

    pub fn parse(text: &str, shown: &str) -> Result<Page, Box<Failure>> {
        let steps = steps::steps(text).map_err(|e| {
            Box::new(Failure {
                location: format!("{shown}:{}", e.line),
                summary: e.message,
                ..Failure::default()
            })
        })?;
        Ok(Page {
            shown: shown.to_string(),
            steps,
        })
    }

    /// A page of the docs by its path under `docs/agents/`.
    pub fn docs(rel: &str) -> Result<Page, Box<Failure>> {
        Page::load(&docs::dir().join(rel), &format!("docs/agents/{rel}"))
    }
}

/// Why a replay stopped (boxed in results: it is large, and only ever read once).
#[derive(Debug, Default, Clone)]
pub struct Failure {
    /// `file:line` of the block (or of the line that breaks the conventions).
    pub location: String,
    pub summary: String,
    pub problems: Vec<String>,
    /// The request or the command, as run.
    pub sent: Option<String>,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

impl Failure {
    fn at(page: &Page, line: usize, summary: impl Into<String>) -> Failure {
        Failure {
            location: format!("{}:{line}", page.shown),
            summary: summary.into(),
            ..Failure::default()
        }
    }

    fn problems(mut self, problems: Vec<String>) -> Failure {
        self.problems = problems;
        self
    }

    fn sent(mut self, what: &str) -> Failure {
        self.sent = Some(what.to_string());
        self
    }

    fn expected(mut self, e: &Expectation) -> Failure {
        let mut text = format!("{} (stated at line {})", e.status, e.line);
        if let Some((body, line)) = &e.body {
            let pretty = serde_json::to_string_pretty(body).unwrap_or_default();
            text.push_str(&format!(
                ", with the keys of the json block at line {line}:\n{pretty}"
            ));
        }
        self.expected = Some(text);
        self
    }

    fn actual(mut self, what: String) -> Failure {
        self.actual = Some(what);
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.location, self.summary)?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        for (title, part) in [
            ("sent", &self.sent),
            ("expected", &self.expected),
            ("actual", &self.actual),
        ] {
            if let Some(text) = part {
                writeln!(f, "--- {title} ---\n{}", text.trim_end())?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// A body for a failure message: pretty JSON when it is JSON, cut to a readable length.
fn show_body(text: &str) -> String {
    const MAX: usize = 4000;
    let shown = match serde_json::from_str::<Value>(text) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.to_string()),
        Err(_) => text.to_string(),
    };
    if shown.len() <= MAX {
        return shown;
    }
    let mut cut = MAX;
    while !shown.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} bytes in all)", &shown[..cut], shown.len())
}

/// Makes `ada` (password [`DOC_PASSWORD`]) the first user of `server`, unless she is already,
/// and returns a fresh personal token of hers with scope `*`.
pub async fn sign_up_doc_user(server: &Server) -> String {
    let setup = server
        .anon()
        .setup_account()
        .body(from_json::<types::SetupRequest>(json!({
            "username": DOC_USER,
            "password": DOC_PASSWORD,
            "full_name": "Ada Lovelace",
        })))
        .send()
        .await;
    if let Err(taos_client::Error::ErrorResponse(rv)) = &setup
        && rv.status().as_u16() == 409
    {
        // Set up by an earlier replay on this server: the token below still needs ada.
    } else {
        assert_eq!(setup.must().status().as_u16(), 201, "setup answers 201");
    }
    server.user_token(DOC_USER, DOC_PASSWORD, Some(&["*"][..])).await
}

/// Replays the `http` blocks of `page` on `server` (a fresh one: the page's steps assume it).
pub async fn replay_http(server: &Server, page: &Page) -> Result<usize, Box<Failure>> {
    let token = sign_up_doc_user(server).await;
    http::replay(&server.url(), &token, page).await
}

/// Replays the `bash` blocks of `page` on `server` (a fresh one: the page's steps assume it)
/// with the `taosctl` at `taosctl`.
pub async fn replay_bash(server: &Server, page: &Page, taosctl: &Path) -> Result<usize, Box<Failure>> {
    let token = sign_up_doc_user(server).await;
    bash::replay(&server.url(), &token, page, taosctl).await
}
