//! Canonical errors on every path: unknown routes, wrong methods, oversized and mistyped
//! bodies, malformed JSON, schema violations and bad parameters — never a 500 for bad input,
//! always `{error, detail, fix, doc_url}` and an `x-request-id`.

use reqwest::Method;
use taos_conformance::*;

mod bodies;
mod hostile;
mod routes;

e2e!(every_response_has_a_request_id);
/// Successes, empty 204s and errors all carry `x-request-id`, unique per response.
async fn every_response_has_a_request_id(s: &Server) {
    let admin = s.setup_admin().await;
    create_agent(&s.client(&admin.token), "Ided").await;
    let mut seen = std::collections::HashSet::new();
    for (method, path, authed) in [
        (Method::GET, "/api/health", false),
        (Method::GET, "/api", false),
        (Method::GET, "/openapi.json", false),
        (Method::GET, "/api/agents", true),
        (Method::GET, "/api/agents/ided", true),
        (Method::DELETE, "/api/agents/ided/token", true),
        (Method::POST, "/auth/logout", false),
        (Method::GET, "/api/agents", false),
        (Method::GET, "/nope", false),
        (Method::PATCH, "/api/agents", true),
    ] {
        let mut req = s.request(method.clone(), path);
        if authed {
            req = req.bearer(&admin.token);
        }
        let resp = req.send().await;
        let id = resp
            .headers()
            .get("x-request-id")
            .unwrap_or_else(|| panic!("{method} {path} ({}) has no x-request-id", resp.status()))
            .to_str()
            .unwrap()
            .to_string();
        assert!(!id.is_empty());
        assert!(seen.insert(id.clone()), "x-request-id {id} repeated");
    }
}
