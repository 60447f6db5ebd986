//! Serving `docs/agents/`: `/docs/agents/<path>.md` (markdown), `/docs/agents/<path>` (HTML
//! with GitHub-style heading ids) and `/llms.txt`.

use axum::Router;

pub fn routes() -> Router {
    Router::new()
}
