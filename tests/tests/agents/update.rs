//! Get, update and permissions: token state without the token, partial updates, the scope ceiling.

use serde_json::{Value, json};
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::*;

e2e!(get_shows_token_state_but_never_the_token);
/// `GET /api/agents/{name}` reports the active token's metadata and never the token itself;
/// an unknown name is 404 `agent_not_found`.
async fn get_shows_token_state_but_never_the_token(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let agent = create_agent(&client, "Token Holder").await;
    let issued = issue_agent_token_with(
        &client,
        &agent.name,
        json!({"scope": ["ui.notify"], "expires_in_days": 3}),
    )
    .await;

    let resp = s
        .get("/api/agents/token-holder")
        .bearer(&admin.token)
        .send()
        .await;
    let text = resp.text();
    assert!(!text.contains(&issued.token), "GET leaks the token: {text}");
    assert!(!text.contains("taos_agent_"), "GET shows token material: {text}");
    let got: types::Agent = from_json(serde_json::from_str::<Value>(&text).unwrap());
    assert!(got.has_token);
    assert_eq!(
        got.issued_at.map(|t| t.timestamp()),
        Some(issued.issued_at.timestamp())
    );
    assert_eq!(got.token_scope, Some(vec!["ui.notify".to_string()]));
    assert_eq!(
        got.token_expires_at.map(|t| t.timestamp()),
        issued.expires_at.map(|t| t.timestamp())
    );
    assert_eq!(got.last_used_at, None, "the token was never used");

    // Using the token is noted (coalesced, off the request path: allow it a moment).
    s.client(&issued.token)
        .notify_user()
        .body(from_json::<types::NotifyRequest>(json!({"title": "hello"})))
        .send()
        .await
        .value();
    let mut last_used = None;
    for _ in 0..100 {
        last_used = client
            .get_agent()
            .name(agent.name.as_str())
            .send()
            .await
            .value()
            .last_used_at;
        if last_used.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let last_used = last_used.expect("last_used_at set within 10 s of the token's first use");
    assert!(last_used >= got.issued_at.unwrap() - chrono::Duration::seconds(1));

    client
        .get_agent()
        .name("no-such-agent")
        .send()
        .await
        .api_err(404, "agent_not_found");
    // The 404 is exactly the canonical four members (no extras to parse around).
    for method in [reqwest::Method::GET, reqwest::Method::PUT] {
        let err = s
            .request(method.clone(), "/api/agents/no-such-agent")
            .bearer(&admin.token)
            .json(&json!({}))
            .send()
            .await
            .expect_error(404, "agent_not_found");
        let keys: Vec<_> = err.body.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 4, "{method}: {}", err.body);
        assert!(
            err.detail().contains("no-such-agent"),
            "{method}: detail does not name the agent: {}",
            err.detail()
        );
        assert_eq!(
            err.body["doc_url"],
            "/docs/agents/recipes/managing-agents#list-agents"
        );
    }
}

e2e!(update_changes_only_what_is_sent);
/// PUT is a partial update; an empty string clears a text field; name and slug stay.
async fn update_changes_only_what_is_sent(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let agent = create_agent_with(
        &client,
        json!({"name": "Editable", "host": "192.0.2.1", "qmd_index": "idx", "emoji": "🤖", "color": "#112233"}),
    )
    .await;

    let updated = client
        .update_agent()
        .name("editable")
        .body(from_json::<types::AgentUpdate>(json!({"color": "#ff5a36"})))
        .send()
        .await
        .value();
    assert_eq!(updated.color.to_lowercase(), "#ff5a36");
    assert_eq!(updated.host.as_deref(), Some("192.0.2.1"));
    assert_eq!(updated.qmd_index.as_deref(), Some("idx"));
    assert_eq!(updated.emoji.as_deref(), Some("🤖"));
    assert_eq!(updated.name, "editable");
    assert_eq!(updated.display_name, "Editable");
    assert_eq!(updated.created_at, agent.created_at);
    assert!(updated.updated_at >= agent.updated_at);

    let cleared = client
        .update_agent()
        .name("editable")
        .body(from_json::<types::AgentUpdate>(
            json!({"host": "", "emoji": "", "can_read_user_memory": true, "scope": ["ui.notify"]}),
        ))
        .send()
        .await
        .value();
    assert_eq!(cleared.host, None);
    assert_eq!(cleared.emoji, None);
    assert_eq!(cleared.qmd_index.as_deref(), Some("idx"));
    assert!(cleared.can_read_user_memory);
    assert_eq!(cleared.scope, vec!["ui.notify".to_string()]);
    assert_eq!(cleared.color.to_lowercase(), "#ff5a36");

    // The stored state is what PUT answered.
    let got = client.get_agent().name("editable").send().await.value();
    assert_eq!(got, cleared);

    // An empty body changes nothing.
    let same = client
        .update_agent()
        .name("editable")
        .body(from_json::<types::AgentUpdate>(json!({})))
        .send()
        .await
        .value();
    assert_eq!(
        (same.host, same.emoji, same.scope),
        (None, None, cleared.scope.clone())
    );

    // A new scope applies to tokens issued afterwards.
    let issued = issue_agent_token(&client, "editable").await;
    assert_eq!(
        s.client(&issued).whoami().send().await.value().scope,
        vec!["ui.notify".to_string()]
    );

    // Name and display_name are not updatable; unknown agent is 404.
    for body in [
        json!({"name": "renamed"}),
        json!({"display_name": "Renamed"}),
        json!({"color": "red"}),
    ] {
        s.put("/api/agents/editable")
            .bearer(&admin.token)
            .json(&body)
            .send()
            .await
            .expect_error(422, "validation_error");
    }
    client
        .update_agent()
        .name("missing")
        .body(from_json::<types::AgentUpdate>(json!({"color": "#000000"})))
        .send()
        .await
        .api_err(404, "agent_not_found");
}

e2e!(update_scope_cannot_exceed_the_caller);
/// A caller cannot give an agent a wider default scope than its own.
async fn update_scope_cannot_exceed_the_caller(s: &Server) {
    let admin = s.setup_admin().await;
    let agent = create_agent(&s.client(&admin.token), "Scoped").await;
    let narrow = s.user_token(ADMIN, PASSWORD, Some(&["agents.*"])).await;
    let client = s.client(&narrow);
    for scope in [
        json!(["*"]),
        json!(["ui.notify"]),
        json!(["agents.read", "notifications.read"]),
    ] {
        client
            .update_agent()
            .name(agent.name.as_str())
            .body(from_json::<types::AgentUpdate>(json!({ "scope": scope })))
            .send()
            .await
            .api_err(403, "scope_exceeds_caller");
    }
    let ok = client
        .update_agent()
        .name(agent.name.as_str())
        .body(from_json::<types::AgentUpdate>(
            json!({"scope": ["agents.read", "agents.list"]}),
        ))
        .send()
        .await
        .value();
    assert_eq!(
        ok.scope,
        vec!["agents.read".to_string(), "agents.list".to_string()]
    );
    // Creating with a wider scope is refused the same way.
    client
        .create_agent()
        .body(from_json::<types::AgentCreate>(
            json!({"name": "Wide", "scope": ["*"]}),
        ))
        .send()
        .await
        .api_err(403, "scope_exceeds_caller");
}

e2e!(permissions_set_memory_access);
/// `PUT /api/agents/{name}/permissions` flips `can_read_user_memory` and answers the agent.
async fn permissions_set_memory_access(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let agent = create_agent(&client, "Memory Reader").await;
    assert!(!agent.can_read_user_memory);
    for value in [true, false, true] {
        let updated = client
            .set_agent_permissions()
            .name(agent.name.as_str())
            .body(types::AgentPermissions {
                can_read_user_memory: value,
            })
            .send()
            .await
            .value();
        assert_eq!(updated.can_read_user_memory, value);
        assert_eq!(updated.id, agent.id);
        assert_eq!(
            client
                .get_agent()
                .name(agent.name.as_str())
                .send()
                .await
                .value()
                .can_read_user_memory,
            value
        );
    }
    for body in [
        json!({}),
        json!({"can_read_user_memory": "yes"}),
        json!({"can_read_user_memory": true, "x": 1}),
    ] {
        s.put("/api/agents/memory-reader/permissions")
            .bearer(&admin.token)
            .json(&body)
            .send()
            .await
            .expect_error(422, "validation_error");
    }
    client
        .set_agent_permissions()
        .name("missing")
        .body(types::AgentPermissions {
            can_read_user_memory: true,
        })
        .send()
        .await
        .api_err(404, "agent_not_found");
}
