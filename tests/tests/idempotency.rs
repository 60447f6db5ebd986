//! `Idempotency-Key` on `POST /api/agents` and `POST /api/agents/import`: replays, reuse with
//! another body, key format, persistence across restarts, scoping per caller and operation.

use serde_json::{Value, json};
use taos_conformance::*;

async fn create_raw(s: &Server, token: &str, key: &str, body: &Value) -> Response {
    s.post("/api/agents")
        .bearer(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
}

fn replayed(resp: &Response) -> Option<String> {
    resp.header("idempotent-replayed").map(str::to_string)
}

e2e!(replay_returns_the_first_answer);
/// The same key and body answer the first status and body again, marked
/// `Idempotent-Replayed: true`, and create nothing new.
async fn replay_returns_the_first_answer(s: &Server) {
    let admin = s.setup_admin().await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({"name": "Research Bot", "host": "192.0.2.10"});

    let first = create_raw(s, &admin.token, &key, &body).await;
    assert_eq!(replayed(&first), None, "a first answer is not a replay");
    let first_body = first.expect_json(201);

    let second = create_raw(s, &admin.token, &key, &body).await;
    assert_eq!(replayed(&second).as_deref(), Some("true"));
    assert!(second.headers().contains_key("x-request-id"));
    let second_body = second.expect_json(201);
    assert_eq!(second_body, first_body, "a replay answers the first body");

    // Through the SDK too.
    let client = s.client(&admin.token);
    let third = client
        .create_agent()
        .idempotency_key(key.as_str())
        .body(from_json::<types::AgentCreate>(body.clone()))
        .send()
        .await
        .must();
    assert_eq!(third.status().as_u16(), 201);
    assert_eq!(
        third
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(
        third.into_inner().id.to_string(),
        first_body["id"].as_str().unwrap()
    );

    let list = client.list_agents().send().await.value();
    assert_eq!(list.items.len(), 1, "a replay created another agent");

    // The stored answer is replayed, not the agent's current state; and a replay never
    // re-creates an agent that was deleted since.
    client
        .update_agent()
        .name("research-bot")
        .body(from_json::<types::AgentUpdate>(json!({"host": "192.0.2.99"})))
        .send()
        .await
        .value();
    let after_update = create_raw(s, &admin.token, &key, &body).await;
    assert_eq!(replayed(&after_update).as_deref(), Some("true"));
    assert_eq!(after_update.expect_json(201), first_body);
    client.delete_agent().name("research-bot").send().await.value();
    let after_delete = create_raw(s, &admin.token, &key, &body).await;
    assert_eq!(replayed(&after_delete).as_deref(), Some("true"));
    assert_eq!(after_delete.expect_json(201), first_body);
    assert!(client.list_agents().send().await.value().items.is_empty());

    // Without a key, or with other keys, every request creates an agent.
    for key in ["k1", "k2"] {
        let r = create_raw(s, &admin.token, key, &json!({"name": "Twin"})).await;
        assert_eq!(replayed(&r), None);
        r.expect_json(201);
    }
    for _ in 0..2 {
        create_agent(&client, "Twin").await;
    }
    let names: Vec<_> = client
        .list_agents()
        .send()
        .await
        .value()
        .items
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["twin", "twin-2", "twin-3", "twin-4"]);
}

e2e!(same_key_other_body_is_reused);
/// The same key with another body is 422 `idempotency_key_reused` and creates nothing.
async fn same_key_other_body_is_reused(s: &Server) {
    let admin = s.setup_admin().await;
    let first = create_raw(s, &admin.token, "retry-1", &json!({"name": "Alpha"})).await;
    first.expect_json(201);
    for other in [
        json!({"name": "Beta"}),
        json!({"name": "Alpha", "host": "192.0.2.1"}),
    ] {
        let resp = create_raw(s, &admin.token, "retry-1", &other).await;
        assert_eq!(replayed(&resp), None);
        resp.expect_error(422, "idempotency_key_reused");
    }
    let list = s.client(&admin.token).list_agents().send().await.value();
    assert_eq!(list.items.len(), 1);
    // The original request still replays.
    let again = create_raw(s, &admin.token, "retry-1", &json!({"name": "Alpha"})).await;
    assert_eq!(replayed(&again).as_deref(), Some("true"));
}

e2e!(key_format_is_checked);
/// Keys of 1 to 255 characters are accepted; longer or empty ones are 400
/// `invalid_idempotency_key`.
async fn key_format_is_checked(s: &Server) {
    let admin = s.setup_admin().await;
    let body = json!({"name": "Keyed"});
    for bad in ["k".repeat(256), "k".repeat(1000), String::new()] {
        let resp = create_raw(s, &admin.token, &bad, &body).await;
        resp.expect_error(400, "invalid_idempotency_key");
    }
    s.post("/api/agents/import")
        .bearer(&admin.token)
        .header("idempotency-key", "k".repeat(256))
        .json(&json!({"version": 1, "agent": {"name": "keyed", "display_name": "Keyed"}}))
        .send()
        .await
        .expect_error(400, "invalid_idempotency_key");
    assert_eq!(agents_listed(&s.client(&admin.token)).await, 0);

    let max = "k".repeat(255);
    create_raw(s, &admin.token, &max, &body).await.expect_json(201);
    let again = create_raw(s, &admin.token, &max, &body).await;
    assert_eq!(replayed(&again).as_deref(), Some("true"));
    create_raw(s, &admin.token, "x", &json!({"name": "Short Key"}))
        .await
        .expect_json(201);
}

e2e!(keys_survive_a_restart);
/// Keys live in the database: after taosd restarts, the same key still replays.
async fn keys_survive_a_restart(s: &Server) {
    let admin = s.setup_admin().await;
    let body = json!({"name": "Durable"});
    let first = create_raw(s, &admin.token, "durable-key", &body)
        .await
        .expect_json(201);

    s.restart().await;

    let again = create_raw(s, &admin.token, "durable-key", &body).await;
    assert_eq!(replayed(&again).as_deref(), Some("true"));
    assert_eq!(again.expect_json(201), first);
    let resp = create_raw(s, &admin.token, "durable-key", &json!({"name": "Other"})).await;
    resp.expect_error(422, "idempotency_key_reused");
    assert_eq!(agents_listed(&s.client(&admin.token)).await, 1);
}

e2e!(keys_are_scoped_per_caller_and_operation);
/// Another user's request with the same key is a new request; so is the same key on another
/// operation.
async fn keys_are_scoped_per_caller_and_operation(s: &Server) {
    let admin = s.setup_admin().await;
    let grace = s.add_user(&admin, "grace").await;
    let body = json!({"name": "Shared Name"});
    let a = create_raw(s, &admin.token, "same-key", &body)
        .await
        .expect_json(201);
    let resp = create_raw(s, &grace.token, "same-key", &body).await;
    assert_eq!(
        replayed(&resp),
        None,
        "another user's key must not replay someone else's answer"
    );
    let b = resp.expect_json(201);
    assert_ne!(a["id"], b["id"]);
    assert_eq!(b["owner"]["username"], "grace");
    assert_eq!(agents_listed(&s.client(&grace.token)).await, 1);
    assert_eq!(agents_listed(&s.client(&admin.token)).await, 1);

    // Another body under the same key is fine for grace too: keys are hers alone.
    let resp = create_raw(s, &grace.token, "admins-key", &json!({"name": "Whatever"})).await;
    resp.expect_json(201);
    let resp = create_raw(s, &admin.token, "admins-key", &json!({"name": "Different"})).await;
    assert_eq!(replayed(&resp), None);
    resp.expect_json(201);

    // The same key on import is another operation.
    let resp = s
        .post("/api/agents/import")
        .bearer(&admin.token)
        .header("idempotency-key", "same-key")
        .json(&json!({"version": 1, "agent": {"name": "imported", "display_name": "Imported"}}))
        .send()
        .await;
    assert_eq!(replayed(&resp), None);
    let imported = resp.expect_json(201);
    assert_eq!(imported["name"], "imported");
}

e2e!(import_is_idempotent);
/// Import honours `Idempotency-Key` like create: replay instead of 409 `agent_exists`.
async fn import_is_idempotent(s: &Server) {
    let admin = s.setup_admin().await;
    let doc = json!({"version": 1, "agent": {"name": "carried", "display_name": "Carried Over"}});
    let send = |key: &'static str, doc: Value| {
        s.post("/api/agents/import")
            .bearer(&admin.token)
            .header("idempotency-key", key)
            .json(&doc)
            .send()
    };
    let first = send("import-1", doc.clone()).await;
    assert_eq!(replayed(&first), None);
    let first = first.expect_json(201);
    let second = send("import-1", doc.clone()).await;
    assert_eq!(replayed(&second).as_deref(), Some("true"));
    assert_eq!(second.expect_json(201), first);

    let other = json!({"version": 1, "agent": {"name": "carried-2", "display_name": "Carried Over"}});
    send("import-1", other)
        .await
        .expect_error(422, "idempotency_key_reused");
    // A new key for the same document is a new import: the name is taken.
    send("import-2", doc.clone())
        .await
        .expect_error(409, "agent_exists");

    // Through the SDK.
    let client = s.client(&admin.token);
    let r = client
        .import_agent()
        .idempotency_key("import-1")
        .body(from_json::<types::AgentExport>(doc))
        .send()
        .await
        .must();
    assert_eq!(
        r.headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(client.list_agents().send().await.value().items.len(), 1);
}
