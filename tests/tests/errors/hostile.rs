//! Hostile input anywhere (NUL characters included): a canonical 4xx, never a 5xx.

use reqwest::Method;
use serde_json::json;
use taos_conformance::*;

e2e!(bad_input_never_causes_a_server_error);
/// A spread of hostile inputs: every answer is a canonical 4xx, never a 5xx.
async fn bad_input_never_causes_a_server_error(s: &Server) {
    let admin = s.setup_admin().await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<String> = vec![
        deep,
        json!({"name": "\u{0000}"}).to_string(),
        json!({"name": "a\u{0000}b", "host": "h\u{0000}", "title": "t\u{0000}", "body": "b\u{0000}"})
            .to_string(),
        json!({"title": "t\u{0000}", "body": "b\u{0000}", "app_origin": "\u{0000}"}).to_string(),
        json!({"host": "\u{0000}", "emoji": "\u{0000}"}).to_string(),
        json!({"username": "nul", "password": "pass\u{0000}word", "label": "l\u{0000}"}).to_string(),
        json!({"name": "x".repeat(100_000)}).to_string(),
        json!({"name": "ok", "scope": vec!["a"; 1000]}).to_string(),
        json!({"name": "ok", "scope": ["x".repeat(101)]}).to_string(),
        json!({"name": 1e308}).to_string(),
        r#"{"name": "a", "name": "b"}"#.to_string(),
        "\u{feff}{\"name\":\"bom\"}".to_string(),
    ];
    let mut failures = Vec::new();
    for (path, method) in [
        ("/api/agents", Method::POST),
        ("/api/agents/import", Method::POST),
        ("/api/agents/x/token/issue", Method::POST),
        ("/api/ui/notify", Method::POST),
        ("/auth/setup", Method::POST),
        ("/auth/token", Method::POST),
        ("/api/agents/x", Method::PUT),
    ] {
        for body in &bodies {
            let resp = s
                .request(method.clone(), path)
                .bearer(&admin.token)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            if let Some(failure) = server_error(resp, &format!("{method} {path} with {body:.60}…")) {
                failures.push(failure);
            }
        }
    }
    // Odd headers and query strings.
    for (method, path, header, value) in [
        (Method::GET, "/api/agents?limit=%ff", "x-test", &b"1"[..]),
        (Method::GET, "/api/agents?limit=1&limit=2", "x-test", b"1"),
        (Method::GET, "/api/agents?unknown=1&limit=2", "x-test", b"1"),
        (
            Method::POST,
            "/api/agents",
            "idempotency-key",
            b"\xc3\xa9t\xc3\xa9",
        ),
        (Method::POST, "/api/agents", "idempotency-key", b"a b\tc"),
        (
            Method::GET,
            "/api/agents",
            "cookie",
            b"taos_session=%%%; taos_session=x",
        ),
        (
            Method::GET,
            "/api/agents",
            "authorization",
            b"Bearer taos_agent_\xc3\xa9",
        ),
    ] {
        let resp = s
            .request(method.clone(), path)
            .bearer(&admin.token)
            .header(header, reqwest::header::HeaderValue::from_bytes(value).unwrap())
            .json(&json!({"name": "Header Case"}))
            .send()
            .await;
        if let Some(failure) = server_error(resp, &format!("{method} {path} with {header}: {value:?}")) {
            failures.push(failure);
        }
    }
    s.client(&admin.token).whoami().send().await.value();
    assert!(
        failures.is_empty(),
        "bad input caused server errors:\n{}",
        failures.join("\n")
    );
}

/// `Some(description)` when `resp` is a 5xx or a non-canonical error.
fn server_error(resp: Response, what: &str) -> Option<String> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text();
    if status >= 500 {
        return Some(format!("{what} answered {status}: {text}"));
    }
    if status >= 400 {
        let Ok(body) = serde_json::from_str::<serde_json::Value>(&text) else {
            return Some(format!("{what}: {status} with a non-JSON body {text:?}"));
        };
        if let Err(e) = std::panic::catch_unwind(|| check::assert_canonical(status, &headers, &body)) {
            return Some(format!("{what}: {status} not canonical: {e:?}"));
        }
    }
    None
}

e2e!(nul_characters_are_not_a_server_error);
/// U+0000 is valid JSON in any string; wherever it is sent, the answer is a 2xx or a
/// canonical 4xx — never a 500 (PostgreSQL `text` cannot store it).
async fn nul_characters_are_not_a_server_error(s: &Server) {
    let admin = s.setup_admin().await;
    create_agent(&s.client(&admin.token), "Target").await;
    let nul = "a\u{0000}b";
    let cases: Vec<(Method, &str, serde_json::Value)> = vec![
        (Method::POST, "/api/agents", json!({"name": nul})),
        (
            Method::POST,
            "/api/agents",
            json!({"name": "Host Nul", "host": nul}),
        ),
        (
            Method::POST,
            "/api/agents",
            json!({"name": "Emoji Nul", "emoji": nul}),
        ),
        (
            Method::POST,
            "/api/agents",
            json!({"name": "Index Nul", "qmd_index": nul}),
        ),
        (Method::PUT, "/api/agents/target", json!({"host": nul})),
        (
            Method::POST,
            "/api/agents/import",
            json!({"version": 1, "agent": {"name": "imp", "display_name": nul}}),
        ),
        (Method::POST, "/api/ui/notify", json!({"title": nul})),
        (Method::POST, "/api/ui/notify", json!({"title": "t", "body": nul})),
        (
            Method::POST,
            "/api/ui/notify",
            json!({"title": "t", "app_origin": nul}),
        ),
        (
            Method::POST,
            "/api/ui/notify",
            json!({"title": "t", "action_url": "/a\u{0000}b"}),
        ),
        (
            Method::POST,
            "/api/users",
            json!({"username": "nul1", "password": "long-enough-pw", "full_name": nul}),
        ),
        (
            Method::POST,
            "/api/users",
            json!({"username": "nul2", "password": "long-enough-pw", "email": nul}),
        ),
        (
            Method::POST,
            "/auth/login",
            json!({"username": nul, "password": "long-enough-pw"}),
        ),
        (
            Method::POST,
            "/auth/token",
            json!({"username": nul, "password": "long-enough-pw", "label": "x"}),
        ),
        (
            Method::POST,
            "/auth/token",
            json!({"username": "admin", "password": people::PASSWORD, "label": nul}),
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body) in cases {
        let resp = s
            .request(method.clone(), path)
            .bearer(&admin.token)
            .json(&body)
            .send()
            .await;
        if let Some(failure) = server_error(resp, &format!("{method} {path} {body}")) {
            failures.push(failure);
        }
    }
    assert!(
        failures.is_empty(),
        "NUL characters caused server errors:\n{}",
        failures.join("\n")
    );
}
