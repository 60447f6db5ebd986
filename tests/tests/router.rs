//! The router against the contract, over HTTP: every operation is routed and nothing but the
//! documented extra routes exists (every path's 405 `Allow`: contract_rules.rs).

use reqwest::Method;
use serde_json::{Value, json};
use taos_conformance::*;

e2e!(every_operation_is_routed);
/// Each operation of the contract, with its path parameters filled in, reaches an operation:
/// never 404 `route_not_found`, never 405 — without credentials and with them.
async fn every_operation_is_routed(s: &Server) {
    let anonymous_first: Vec<_> = taos_client::operations::OPERATIONS.iter().collect();
    // Without credentials first (setup still open), then as the admin.
    let mut admin = None;
    for round in 0..2 {
        if round == 1 {
            admin = Some(s.setup_admin().await);
        }
        for op in &anonymous_first {
            let path = spec::fill_path(op.path);
            let method: Method = op.method.parse().unwrap();
            let mut req = s.request(method.clone(), &path);
            if let Some(admin) = &admin {
                req = req.bearer(&admin.token);
            }
            if op.id == "setupAccount" {
                // Do not configure the server by accident in the anonymous round.
                req = req.json(&json!({"username": "x"}));
            } else if method == Method::POST || method == Method::PUT {
                req = req.json(&json!({}));
            }
            let resp = req.send().await;
            let status = resp.status().as_u16();
            let text = resp.text();
            assert_ne!(
                status, 405,
                "{} {path} ({}) answered 405: {text}",
                op.method, op.id
            );
            assert!(
                status < 500,
                "{} {path} ({}) answered {status}: {text}",
                op.method,
                op.id
            );
            if status == 404 {
                let body: Value = serde_json::from_str(&text).unwrap_or_default();
                assert_ne!(
                    body["error"], "route_not_found",
                    "{} {path} ({}) is not routed: {text}",
                    op.method, op.id
                );
            }
        }
    }
}

e2e!(only_documented_routes_exist);
/// Besides the operations, only the front door `/`, the contract (`/openapi.json`,
/// `/openapi.yaml`), `/docs/api`, the agent docs (`/docs/agents/…`, `/llms.txt`,
/// `/llms-full.txt`) and the pages (`/setup` among them) answer;
/// anything else is 404 `route_not_found` (`/docs` and `/docs/` too: they are not pages).
async fn only_documented_routes_exist(s: &Server) {
    for path in [
        "/",
        "/setup",
        "/openapi.json",
        "/openapi.yaml",
        "/docs/api",
        "/docs/agents",
        "/docs/agents/",
        "/docs/agents/README.md",
        "/docs/agents/getting-started",
        "/llms.txt",
        "/llms-full.txt",
    ] {
        let resp = s.get(path).send().await;
        assert_eq!(resp.status().as_u16(), 200, "{path}");
    }
    for path in [
        "/index.html",
        "/docs",
        "/docs/",
        "/openapi",
        "/openapi.yml",
        "/swagger-ui",
        "/swagger-ui/",
        "/swagger-ui/index.html",
        "/api-docs",
        "/api-docs/openapi.json",
        "/api/openapi.json",
        "/api/docs",
        "/metrics",
        "/health",
        "/healthz",
        "/favicon.ico",
        "/static/app.js",
        "/assets/",
        "/assets/app.js",
        "/desktop",
        "/redeem",
        "/auth/me",
        "/auth/lock",
        "/api/version",
        "/api/health/",
        "/api/",
        "/llms",
        "/llms.md",
        "/docs/agent",
        "/docs/agents.md",
    ] {
        s.get(path).send().await.expect_error(404, "route_not_found");
    }
    // Below /docs/agents/ the docs answer for themselves.
    s.get("/docs/agents/no-such-page")
        .send()
        .await
        .expect_error(404, "doc_page_not_found");
}

#[test]
fn every_operation_is_documented_for_agents() {
    let doc = spec::json();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{} {path}", method.to_ascii_uppercase());
            for key in ["operationId", "summary", "description"] {
                assert!(
                    op[key].as_str().is_some_and(|s| !s.trim().is_empty()),
                    "{at}: no {key}"
                );
            }
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{at}: no tags"
            );
            assert!(
                op.get("x-taos-scope").is_some(),
                "{at}: no x-taos-scope (use null for any caller)"
            );
            let responses = op["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("{at}: no responses"));
            assert!(responses.get("default").is_none(), "{at}: a default response");
            for class in ["4XX", "5XX"] {
                assert_eq!(
                    responses
                        .get(class)
                        .and_then(|r| r.get("$ref"))
                        .and_then(Value::as_str),
                    Some("#/components/responses/Error"),
                    "{at}: {class} is not the canonical Error"
                );
            }
            let successes: Vec<_> = responses
                .iter()
                .filter(|(code, _)| code.starts_with('2'))
                .collect();
            assert_eq!(successes.len(), 1, "{at}: exactly one success response");
            if let Some(content) = successes[0].1.get("content").and_then(Value::as_object) {
                // JSON, or one stream type (NDJSON lines, server-sent events).
                assert_eq!(content.len(), 1, "{at}: one media type per success");
                let (media_type, media) = content.iter().next().expect("one media type");
                assert!(
                    ["application/json", "application/x-ndjson", "text/event-stream"]
                        .contains(&media_type.as_str()),
                    "{at}: success media type {media_type}"
                );
                assert!(media.get("schema").is_some(), "{at}: success without a schema");
                assert!(media.get("example").is_some(), "{at}: success without an example");
            }
            if let Some(body) = op.get("requestBody") {
                let json = &body["content"]["application/json"];
                assert!(
                    json.get("example").is_some(),
                    "{at}: request body without an example"
                );
            }
        }
    }
}
