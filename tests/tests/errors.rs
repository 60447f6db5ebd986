//! Canonical errors on every path: unknown routes, wrong methods, oversized and mistyped
//! bodies, malformed JSON, schema violations and bad parameters — never a 500 for bad input,
//! always `{error, detail, fix, doc_url}` and an `x-request-id`.

use reqwest::Method;
use serde_json::json;
use taos_conformance::*;

e2e!(unknown_routes_are_route_not_found);
/// Paths outside the contract are 404 `route_not_found`, with or without credentials.
async fn unknown_routes_are_route_not_found(s: &Server) {
    let admin = s.setup_admin().await;
    for path in [
        "/nope",
        "/api/nope",
        "/api/agents/research-bot/nope",
        "/api/agents/research-bot/token/issue/extra",
        "/api/v1/agents",
        "/auth",
        "/auth/me",
        "/api/ui",
        "/api/notifications/count",
    ] {
        let err = s.get(path).send().await.expect_error(404, "route_not_found");
        assert!(
            err.fix().contains("/api") || err.fix().contains("openapi"),
            "{path}: {}",
            err.fix()
        );
        s.get(path)
            .bearer(&admin.token)
            .send()
            .await
            .expect_error(404, "route_not_found");
        s.post(path)
            .bearer(&admin.token)
            .json(&json!({}))
            .send()
            .await
            .expect_error(404, "route_not_found");
    }
}

e2e!(wrong_methods_are_method_not_allowed_with_allow);
/// A known path with a method it does not have is 405 `method_not_allowed` with an `Allow`
/// header naming the methods it does have.
async fn wrong_methods_are_method_not_allowed_with_allow(s: &Server) {
    let admin = s.setup_admin().await;
    for (method, path, allowed) in [
        (Method::PATCH, "/api/agents", &["GET", "POST"][..]),
        (Method::DELETE, "/api/agents", &["GET", "POST"]),
        (
            Method::POST,
            "/api/agents/research-bot",
            &["GET", "PUT", "DELETE"],
        ),
        (
            Method::PATCH,
            "/api/agents/research-bot",
            &["GET", "PUT", "DELETE"],
        ),
        (Method::GET, "/api/agents/research-bot/token/issue", &["POST"]),
        (Method::POST, "/api/agents/research-bot/token", &["DELETE"]),
        (Method::DELETE, "/api/health", &["GET"]),
        (Method::GET, "/auth/setup", &["POST"]),
        (Method::GET, "/api/ui/notify", &["POST"]),
        (Method::PUT, "/api/notifications/read-all", &["POST"]),
    ] {
        for authed in [false, true] {
            let mut req = s.request(method.clone(), path);
            if authed {
                req = req.bearer(&admin.token);
            }
            let err = req.send().await.expect_error(405, "method_not_allowed");
            let allow = err
                .header("allow")
                .unwrap_or_else(|| panic!("{method} {path}: 405 without an Allow header"));
            let mut got: Vec<String> = allow.split(',').map(|m| m.trim().to_ascii_uppercase()).collect();
            got.retain(|m| m != "HEAD" && m != "OPTIONS");
            got.sort();
            let mut want: Vec<String> = allowed.iter().map(|m| m.to_string()).collect();
            want.sort();
            assert_eq!(got, want, "{method} {path}: Allow: {allow}");
        }
    }
}

e2e!(oversized_bodies_are_payload_too_large);
/// A body over 1 MiB is 413 `payload_too_large`, with or without a Content-Length.
async fn oversized_bodies_are_payload_too_large(s: &Server) {
    let admin = s.setup_admin().await;
    let big = json!({"name": "Big", "host": "h".repeat(1024 * 1024 + 16)}).to_string();
    for (path, chunked) in [
        ("/api/agents", false),
        ("/api/ui/notify", true),
        ("/api/agents/import", true),
    ] {
        // A server that answers before reading the whole body may close the connection while the
        // client is still sending, which the client can see as a reset: retry such attempts,
        // and require one clean 413.
        let mut answered = None;
        for _ in 0..5 {
            let body = if chunked {
                // Chunked, so the size is only known while reading.
                let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                    big.as_bytes().chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
                reqwest::Body::wrap_stream(futures::stream::iter(chunks))
            } else {
                reqwest::Body::from(big.clone())
            };
            let sent = s
                .post(path)
                .bearer(&admin.token)
                .header("content-type", "application/json")
                .body(body)
                .try_send()
                .await;
            match sent {
                Ok(resp) => {
                    answered = Some(resp);
                    break;
                }
                Err(e) if e.is_request() || e.is_connect() || e.is_body() => continue,
                Err(e) => panic!("POST {path}: {e}"),
            }
        }
        let resp =
            answered.unwrap_or_else(|| panic!("POST {path} (chunked: {chunked}): no answer in 5 tries"));
        resp.expect_error(413, "payload_too_large");
    }

    assert_eq!(agents_listed(&s.client(&admin.token)).await, 0);
    // Just under the limit is not rejected for its size.
    let fits = json!({"title": "fits", "body": "b".repeat(3000), "pad": "p".repeat(1000 * 1000)});
    s.post("/api/ui/notify")
        .bearer(&admin.token)
        .json(&fits)
        .send()
        .await
        .expect_error(422, "validation_error");
}

e2e!(non_json_bodies_are_unsupported_media_type);
/// A body that is not `application/json` is 415 `unsupported_media_type`.
async fn non_json_bodies_are_unsupported_media_type(s: &Server) {
    let admin = s.setup_admin().await;
    let body = json!({"name": "Typed"}).to_string();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/xml"),
        None,
    ] {
        let mut req = s.post("/api/agents").bearer(&admin.token).body(body.clone());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        req.send().await.expect_error(415, "unsupported_media_type");
    }
    s.post("/auth/setup")
        .header("content-type", "text/plain")
        .body(r#"{"username":"x","password":"long-enough-pw"}"#)
        .send()
        .await
        .expect_error(415, "unsupported_media_type");
    assert_eq!(agents_listed(&s.client(&admin.token)).await, 0);

    // JSON with parameters is JSON.
    s.post("/api/agents")
        .bearer(&admin.token)
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .expect_json(201);
}

e2e!(malformed_json_is_malformed_json);
/// A body that is not valid JSON is 400 `malformed_json`.
async fn malformed_json_is_malformed_json(s: &Server) {
    let admin = s.setup_admin().await;
    for (path, body) in [
        ("/api/agents", r#"{"name": "x""#),
        ("/api/agents", r#"{"name": 'x'}"#),
        ("/api/agents", "{name: x}"),
        ("/api/agents", r#"{"name": "x"} trailing"#),
        // A syntax error is a syntax error even after a field the schema does not know.
        ("/api/agents", r#"{"bogus": 1, "name": 'x'}"#),
        ("/api/ui/notify", r#"{"title": 5, "body": }"#),
        ("/api/ui/notify", r#"{"title": "x",}"#),
        ("/auth/login", "not json"),
        ("/api/agents/import", "{"),
    ] {
        s.post(path)
            .bearer(&admin.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect_error(400, "malformed_json");
    }
    // An empty body where one is required: the contract does not pin the slug, but it is a
    // canonical 400/422.
    let resp = s
        .post("/api/agents")
        .bearer(&admin.token)
        .header("content-type", "application/json")
        .send()
        .await;
    let status = resp.status().as_u16();
    let slug = if status == 400 {
        "malformed_json"
    } else {
        "validation_error"
    };
    resp.expect_error(status, slug);
    // Invalid UTF-8 is malformed, not a crash.
    s.post("/api/agents")
        .bearer(&admin.token)
        .header("content-type", "application/json")
        .body(b"{\"name\": \"\xff\xfe\"}".to_vec())
        .send()
        .await
        .expect_error(400, "malformed_json");
}

e2e!(schema_violations_are_validation_errors);
/// Wrong types, unknown fields and missing required fields are 422 `validation_error`,
/// with a `detail` that names the field.
async fn schema_violations_are_validation_errors(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Target").await;
    for (method, path, body, field) in [
        (
            Method::POST,
            "/api/agents",
            json!({"name": "ok", "host": 5}),
            "host",
        ),
        (
            Method::POST,
            "/api/agents",
            json!({"name": "ok", "can_read_user_memory": "yes"}),
            "can_read_user_memory",
        ),
        (
            Method::POST,
            "/api/agents",
            json!({"name": "ok", "bogus": 1}),
            "bogus",
        ),
        (Method::POST, "/api/agents", json!({}), "name"),
        (
            Method::POST,
            "/api/agents",
            json!({"name": "ok", "color": "blue"}),
            "color",
        ),
        (
            Method::POST,
            "/api/agents",
            json!({"name": "ok", "scope": "*"}),
            "scope",
        ),
        (
            Method::POST,
            "/api/agents",
            json!({"name": "ok", "host": "h".repeat(256)}),
            "host",
        ),
        (Method::PUT, "/api/agents/target", json!({"host": 5}), "host"),
        (
            Method::PUT,
            "/api/agents/target",
            json!({"unknown": true}),
            "unknown",
        ),
        (
            Method::POST,
            "/api/agents/target/token/issue",
            json!({"scope": ["*"], "extra": 1}),
            "extra",
        ),
        (Method::POST, "/api/ui/notify", json!({"title": ["x"]}), "title"),
        (
            Method::POST,
            "/api/users",
            json!({"username": "ok", "password": 12345678}),
            "password",
        ),
        (
            Method::POST,
            "/auth/login",
            json!({"username": "admin"}),
            "password",
        ),
    ] {
        let err = s
            .request(method.clone(), path)
            .bearer(&admin.token)
            .json(&body)
            .send()
            .await
            .expect_error(422, "validation_error");
        assert!(
            err.detail().contains(field),
            "{method} {path} {body}: detail does not name `{field}`: {}",
            err.detail()
        );
    }
    // Bodies that are JSON but not objects.
    for body in [json!(null), json!([]), json!("name"), json!(42)] {
        s.post("/api/agents")
            .bearer(&admin.token)
            .json(&body)
            .send()
            .await
            .expect_error(422, "validation_error");
    }
    assert_eq!(
        client.list_agents().send().await.value().items.len(),
        1,
        "a rejected create created"
    );
}

e2e!(bad_parameters_are_invalid_parameter);
/// Query and path parameters outside the contract are 422 `invalid_parameter` naming them.
async fn bad_parameters_are_invalid_parameter(s: &Server) {
    let admin = s.setup_admin().await;
    for (path, param) in [
        ("/api/agents?limit=0", "limit"),
        ("/api/agents?limit=201", "limit"),
        ("/api/agents?limit=ten", "limit"),
        ("/api/agents?limit=1.5", "limit"),
        ("/api/agents?cursor=123", "cursor"),
        ("/api/agents/archived?cursor=zzz", "cursor"),
        ("/api/users?limit=99999999999999999999999", "limit"),
        ("/api/auth/tokens?limit=-5", "limit"),
        ("/api/notifications?unread_only=2", "unread_only"),
        ("/api/agents/Research_Bot", "name"),
        ("/api/agents/-bad-", "name"),
        ("/api/agents/research--bot/export", "name"),
        (&format!("/api/agents/{}", "a".repeat(64)), "name"),
        ("/api/agents/archived/not-a-uuid/restore", "id"),
        ("/api/users/42", "id"),
        ("/api/auth/tokens/xyz", "id"),
    ] {
        let method = if path.ends_with("/restore") {
            Method::POST
        } else if path.starts_with("/api/users/") || path.starts_with("/api/auth/tokens/") {
            Method::DELETE
        } else {
            Method::GET
        };
        let err = s
            .request(method.clone(), path)
            .bearer(&admin.token)
            .send()
            .await
            .expect_error(422, "invalid_parameter");
        assert_eq!(err.body["parameter"], param, "{method} {path}: {}", err.body);
    }
}

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
