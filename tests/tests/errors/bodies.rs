//! Bodies: oversized, not JSON by type or by content, against the schema.

use reqwest::Method;
use serde_json::json;
use taos_conformance::*;

e2e!(oversized_bodies_are_payload_too_large);
/// A body over 1 MiB is 413 `payload_too_large`, with or without a Content-Length, and the
/// client that sends it gets that answer rather than a reset.
async fn oversized_bodies_are_payload_too_large(s: &Server) {
    let admin = s.setup_admin().await;
    let big = json!({"name": "Big", "host": "h".repeat(1024 * 1024 + 16)}).to_string();
    for (path, chunked) in [
        ("/api/agents", false),
        ("/api/ui/notify", true),
        ("/api/agents/import", true),
    ] {
        // The server answers before reading the whole body and then reads (and drops) what the
        // client still sends, so the client gets the 413, not a reset, every time.
        for attempt in 0..3 {
            let body = if chunked {
                // Chunked, so the size is only known while reading.
                let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                    big.as_bytes().chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
                reqwest::Body::wrap_stream(futures::stream::iter(chunks))
            } else {
                reqwest::Body::from(big.clone())
            };
            s.post(path)
                .bearer(&admin.token)
                .header("content-type", "application/json")
                .body(body)
                .try_send()
                .await
                .unwrap_or_else(|e| panic!("POST {path} (chunked: {chunked}, try {attempt}): {e}"))
                .expect_error(413, "payload_too_large");
        }
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
