//! Export and import: a version-1 document without secrets, and what import refuses.

use serde_json::{Value, json};
use taos_conformance::*;

e2e!(export_import_round_trip);
/// Export gives a version-1 document without secrets; import recreates the agent from it.
async fn export_import_round_trip(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let original = create_agent_with(
        &client,
        json!({
            "name": "Research Bot", "host": "192.0.2.10", "qmd_index": "research",
            "color": "#3366ff", "emoji": "🔬", "can_read_user_memory": true, "scope": ["ui.notify"]
        }),
    )
    .await;
    let token = issue_agent_token(&client, "research-bot").await;

    let resp = s
        .get("/api/agents/research-bot/export")
        .bearer(&admin.token)
        .send()
        .await;
    let text = resp.text();
    assert!(
        !text.contains(&token) && !text.contains("taos_agent_"),
        "export leaks a token: {text}"
    );
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["agent"]["name"], "research-bot");
    assert_eq!(doc["agent"]["display_name"], "Research Bot");
    assert_eq!(doc["agent"]["host"], "192.0.2.10");
    assert_eq!(doc["agent"]["qmd_index"], "research");
    assert_eq!(doc["agent"]["emoji"], "🔬");
    assert_eq!(doc["agent"]["can_read_user_memory"], true);
    assert_eq!(doc["agent"]["scope"], json!(["ui.notify"]));
    let exported: types::AgentExport = from_json(doc.clone());

    // Importing while the agent is live: 409 agent_exists.
    client
        .import_agent()
        .body(exported.clone())
        .send()
        .await
        .api_err(409, "agent_exists");

    client.delete_agent().name("research-bot").send().await.value();
    let imported = client.import_agent().body(exported.clone()).send().await.must();
    assert_eq!(imported.status().as_u16(), 201);
    let imported = imported.into_inner();
    assert_ne!(imported.id, original.id);
    assert_eq!(imported.name, "research-bot");
    assert_eq!(imported.display_name, original.display_name);
    assert_eq!(imported.host, original.host);
    assert_eq!(imported.qmd_index, original.qmd_index);
    assert_eq!(imported.color.to_lowercase(), original.color.to_lowercase());
    assert_eq!(imported.emoji, original.emoji);
    assert_eq!(imported.can_read_user_memory, original.can_read_user_memory);
    assert_eq!(imported.scope, original.scope);
    assert!(!imported.has_token, "no token is imported");
    assert_eq!(imported.owner.user_id, admin.id);

    // Round trip: the new agent exports to the same settings.
    let again = client.export_agent().name("research-bot").send().await.value();
    assert_eq!(again.agent, exported.agent);

    // Import keeps the name exactly: it does not suffix.
    client
        .import_agent()
        .body(exported)
        .send()
        .await
        .api_err(409, "agent_exists");
    client
        .export_agent()
        .name("nope")
        .send()
        .await
        .api_err(404, "agent_not_found");
}

e2e!(import_rejects_bad_documents);
/// Anything but a version-1 export is 400 `invalid_export_data`; a bad `agent.name` is 400
/// `invalid_agent_name`.
async fn import_rejects_bad_documents(s: &Server) {
    let admin = s.setup_admin().await;
    let good_agent = json!({"name": "research-bot", "display_name": "Research Bot"});
    for doc in [
        json!({"version": 2, "agent": good_agent}),
        json!({"version": 0, "agent": good_agent}),
        json!({"version": 1}),
        json!({"agent": good_agent}),
        json!({"version": 1, "agent": {"display_name": "No Name"}}),
        json!({"version": 1, "agent": "research-bot"}),
        json!({"version": 1, "agent": good_agent, "channels": []}),
        json!({"version": 1, "agent": {"name": "research-bot", "display_name": "R", "token": "x"}}),
        json!([]),
    ] {
        s.post("/api/agents/import")
            .bearer(&admin.token)
            .json(&doc)
            .send()
            .await
            .expect_error(400, "invalid_export_data");
    }
    for name in [
        "Research Bot",
        "research_bot",
        "-research",
        "",
        "research--bot",
        &"a".repeat(64),
    ] {
        s.post("/api/agents/import")
            .bearer(&admin.token)
            .json(&json!({"version": 1, "agent": {"name": name, "display_name": "Research Bot"}}))
            .send()
            .await
            .expect_error(400, "invalid_agent_name");
    }
    let list = s.client(&admin.token).list_agents().send().await.value();
    assert!(list.items.is_empty(), "a rejected import left an agent behind");

    // The minimal valid document works.
    let body = s
        .post("/api/agents/import")
        .bearer(&admin.token)
        .json(&json!({"version": 1, "agent": good_agent}))
        .send()
        .await
        .expect_json(201);
    assert_eq!(body["name"], "research-bot");
}
