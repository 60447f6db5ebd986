//! C-tier: every runnable example of the agent docs replayed against a real `taosd` — the
//! `http` blocks through an HTTP client, the `bash` blocks with the real `taosctl` — each page
//! on fresh servers, both backends. Also the block parser's rules, the page conventions, and
//! proof that the runner fails (naming `file:line`) when a page is wrong.

use taos_conformance::recipes::{self, Page};
use taos_conformance::{Server, e2e, taosctl};

mod blocks;
mod conventions;
mod requests;
mod runner_fails;

/// Every page the replay covers, as the cases below name them.
const PAGES: [&str; 9] = [
    "getting-started.md",
    "mcp.md",
    "recipes/deploying-an-agent.md",
    "recipes/issuing-tokens.md",
    "recipes/managing-agents.md",
    "recipes/notifying-the-user.md",
    "recipes/reading-logs.md",
    "recipes/running-agents.md",
    "recipes/searching-the-docs.md",
];

#[test]
fn every_recipe_is_replayed() {
    assert_eq!(
        recipes::replayed_pages(),
        PAGES,
        "a page was added or removed under docs/agents/recipes/: give it cases below and in PAGES"
    );
}

async fn http(s: &Server, rel: &str) {
    let page = Page::docs(rel).unwrap_or_else(|f| panic!("{f}"));
    match recipes::replay_http(s, &page).await {
        Ok(n) => eprintln!("{rel}: {n} http blocks replayed"),
        Err(f) => panic!("{f}"),
    }
}

async fn bash(s: &Server, rel: &str) {
    let page = Page::docs(rel).unwrap_or_else(|f| panic!("{f}"));
    match recipes::replay_bash(s, &page, &taosctl::path()).await {
        Ok(n) => eprintln!("{rel}: {n} bash blocks replayed"),
        Err(f) => panic!("{f}"),
    }
}

e2e!(getting_started_http);
async fn getting_started_http(s: &Server) {
    http(s, "getting-started.md").await;
}

e2e!(getting_started_bash);
async fn getting_started_bash(s: &Server) {
    bash(s, "getting-started.md").await;
}

e2e!(mcp_http);
async fn mcp_http(s: &Server) {
    http(s, "mcp.md").await;
}

e2e!(mcp_bash);
async fn mcp_bash(s: &Server) {
    bash(s, "mcp.md").await;
}

e2e!(deploying_an_agent_http);
async fn deploying_an_agent_http(s: &Server) {
    http(s, "recipes/deploying-an-agent.md").await;
}

e2e!(deploying_an_agent_bash);
async fn deploying_an_agent_bash(s: &Server) {
    bash(s, "recipes/deploying-an-agent.md").await;
}

e2e!(issuing_tokens_http);
async fn issuing_tokens_http(s: &Server) {
    http(s, "recipes/issuing-tokens.md").await;
}

e2e!(issuing_tokens_bash);
async fn issuing_tokens_bash(s: &Server) {
    bash(s, "recipes/issuing-tokens.md").await;
}

e2e!(managing_agents_http);
async fn managing_agents_http(s: &Server) {
    http(s, "recipes/managing-agents.md").await;
}

e2e!(managing_agents_bash);
async fn managing_agents_bash(s: &Server) {
    bash(s, "recipes/managing-agents.md").await;
}

e2e!(notifying_the_user_http);
async fn notifying_the_user_http(s: &Server) {
    http(s, "recipes/notifying-the-user.md").await;
}

e2e!(notifying_the_user_bash);
async fn notifying_the_user_bash(s: &Server) {
    bash(s, "recipes/notifying-the-user.md").await;
}

e2e!(running_agents_http);
async fn running_agents_http(s: &Server) {
    http(s, "recipes/running-agents.md").await;
}

e2e!(running_agents_bash);
async fn running_agents_bash(s: &Server) {
    bash(s, "recipes/running-agents.md").await;
}

e2e!(reading_logs_http);
async fn reading_logs_http(s: &Server) {
    http(s, "recipes/reading-logs.md").await;
}

e2e!(reading_logs_bash);
async fn reading_logs_bash(s: &Server) {
    bash(s, "recipes/reading-logs.md").await;
}

/// The notes app's guide. The page's last step says taosd was started with a
/// `TAOS_GUIDES_DIR` holding `notes/README.md`, so the replay starts it that way.
const NOTES_GUIDE: &str = "# Notes\n\nThe notes app keeps the user's notes. Agents add a note with `POST /apps/notes/api/notes` and find one by its words.\n";

/// Restarts `s` with a guides directory holding the notes app; keep the dir while `s` runs.
async fn with_notes_app(s: &Server) -> tempfile::TempDir {
    let guides = tempfile::tempdir().expect("tempdir");
    let app = guides.path().join("notes");
    std::fs::create_dir(&app).expect("mkdir notes");
    std::fs::write(app.join("README.md"), NOTES_GUIDE).expect("write the guide");
    s.set_env("TAOS_GUIDES_DIR", &guides.path().display().to_string());
    s.restart().await;
    guides
}

e2e!(searching_the_docs_http);
async fn searching_the_docs_http(s: &Server) {
    let _guides = with_notes_app(s).await;
    http(s, "recipes/searching-the-docs.md").await;
}

e2e!(searching_the_docs_bash);
async fn searching_the_docs_bash(s: &Server) {
    let _guides = with_notes_app(s).await;
    bash(s, "recipes/searching-the-docs.md").await;
}

/// Every page parses under the conventions and has something to replay of both kinds, so no
/// page passes by having nothing to check.
#[test]
fn every_page_has_http_and_bash_steps() {
    for rel in PAGES {
        let page = Page::docs(rel).unwrap_or_else(|f| panic!("{f}"));
        for lang in ["http", "bash"] {
            assert!(
                page.steps.iter().any(|s| s.block.lang == lang),
                "{rel}: no {lang} block to replay"
            );
        }
    }
}
