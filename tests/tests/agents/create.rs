//! Creating agents: slugs (unique, reserved words suffixed), every field, bad names.

use serde_json::json;
use taos_conformance::people::ADMIN;
use taos_conformance::types::AgentStatus;
use taos_conformance::*;

e2e!(create_derives_slugs);
/// Create answers 201; the slug is derived from the name and made unique with `-2`, `-3`.
async fn create_derives_slugs(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    for (name, slug) in [
        ("Mary's Coding Buddy", "mary-s-coding-buddy"),
        ("🚀 Alpha v2", "alpha-v2"),
        ("Agent_42!", "agent-42"),
        ("  Padded  Name  ", "padded-name"),
        ("UPPER", "upper"),
    ] {
        let agent = create_agent(&client, name).await;
        assert_eq!(agent.name, slug, "slug of {name:?}");
        assert_eq!(agent.display_name.trim(), name.trim());
        let got = client.get_agent().name(slug).send().await.value();
        assert_eq!(got.id, agent.id);
    }
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(create_agent(&client, "Research Bot").await.name);
    }
    assert_eq!(got, ["research-bot", "research-bot-2", "research-bot-3"]);

    // At most 63 characters.
    let long = "a".repeat(64);
    let agent = create_agent(&client, &long).await;
    assert_eq!(agent.name, "a".repeat(63));
    assert_eq!(agent.display_name, long);
}

e2e!(create_fills_every_field);
/// A created agent has the fields sent, sensible defaults, an owner, no token yet.
async fn create_fills_every_field(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let resp = s
        .post("/api/agents")
        .bearer(&admin.token)
        .json(&json!({
            "name": "Research Bot", "host": "192.0.2.10", "qmd_index": "research",
            "color": "#3366ff", "emoji": "🔬", "can_read_user_memory": true,
            "scope": ["ui.notify", "agents.read"]
        }))
        .send()
        .await;
    assert!(resp.headers().contains_key("x-request-id"));
    assert!(resp.headers().get("idempotent-replayed").is_none());
    let body = resp.expect_json(201);
    assert!(body.get("token").is_none());
    let agent: types::Agent = from_json(body);
    assert_eq!(agent.name, "research-bot");
    assert_eq!(agent.display_name, "Research Bot");
    assert_eq!(agent.host.as_deref(), Some("192.0.2.10"));
    assert_eq!(agent.qmd_index.as_deref(), Some("research"));
    assert_eq!(agent.color.to_lowercase(), "#3366ff");
    assert_eq!(agent.emoji.as_deref(), Some("🔬"));
    assert!(agent.can_read_user_memory);
    assert_eq!(
        agent.scope,
        vec!["ui.notify".to_string(), "agents.read".to_string()]
    );
    assert_eq!(agent.status, AgentStatus::Created);
    assert_eq!(agent.owner.user_id, admin.id);
    assert_eq!(agent.owner.username, ADMIN);
    assert!(!agent.has_token);
    assert_eq!(agent.issued_at, None);
    assert_eq!(agent.last_used_at, None);
    assert_eq!(agent.token_scope, None);
    assert_eq!(agent.token_expires_at, None);
    assert!(agent.updated_at >= agent.created_at);
    let age = chrono::Utc::now() - agent.created_at;
    assert!(
        age.num_seconds().abs() < 60,
        "created_at is not now: {}",
        agent.created_at
    );

    let minimal = create_agent(&client, "Minimal").await;
    assert_eq!(minimal.host, None);
    assert_eq!(minimal.qmd_index, None);
    assert_eq!(minimal.emoji, None);
    assert!(!minimal.can_read_user_memory);
    assert!(
        minimal.color.len() == 7
            && minimal.color.starts_with('#')
            && minimal.color[1..].chars().all(|c| c.is_ascii_hexdigit()),
        "default color {:?}",
        minimal.color
    );
    assert_eq!(
        minimal.scope,
        vec!["ui.notify".to_string(), "knowledge.read".to_string()],
        "the agent preset, not the caller's `*`"
    );
}

e2e!(create_rejects_bad_names);
/// A name without a letter or digit, empty or over 64 characters is 400 `invalid_agent_name`.
async fn create_rejects_bad_names(s: &Server) {
    let admin = s.setup_admin().await;
    for name in [
        json!("!!!"),
        json!(""),
        json!("   "),
        json!("🚀🚀"),
        json!("a".repeat(65)),
    ] {
        s.post("/api/agents")
            .bearer(&admin.token)
            .json(&json!({ "name": name }))
            .send()
            .await
            .expect_error(400, "invalid_agent_name");
    }
    let list = s.client(&admin.token).list_agents().send().await.value();
    assert!(list.items.is_empty(), "a rejected create left an agent behind");
}

e2e!(reserved_slugs_are_suffixed);
/// `archived` and `import` name routes, so agents called that get `-2`.
async fn reserved_slugs_are_suffixed(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let archived = create_agent(&client, "Archived").await;
    assert_eq!(archived.name, "archived-2");
    let import = create_agent(&client, "Import").await;
    assert_eq!(import.name, "import-2");
    assert_eq!(
        client.get_agent().name("archived-2").send().await.value().id,
        archived.id
    );
    // The archive list still answers as the archive list.
    let resp = s.get("/api/agents/archived").bearer(&admin.token).send().await;
    assert_eq!(resp.expect_json(200), json!({"items": [], "next_cursor": null}));
}
