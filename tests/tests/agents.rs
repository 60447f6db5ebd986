//! The agents registry: list (paged), create (slugs), get, update, permissions, delete
//! (archive), archived list/restore/purge, export/import.

use std::collections::HashSet;

use serde_json::{Value, json};
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::types::AgentStatus;
use taos_conformance::*;

/// Creates `n` agents named `{prefix} {i}`, one after the other.
async fn create_many(client: &taos_client::Client, prefix: &str, n: usize) -> Vec<types::Agent> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(create_agent(client, &format!("{prefix} {i}")).await);
    }
    out
}

async fn all_pages(s: &Server, token: &str, limit: u64) -> Vec<types::Agent> {
    let client = s.client(token);
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let mut req = client.list_agents().limit(limit);
        if let Some(c) = cursor {
            req = req.cursor(c);
        }
        let page = req.send().await.value();
        assert!(page.items.len() as u64 <= limit);
        items.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    items
}

e2e!(list_is_paged);
/// `GET /api/agents` is `{items, next_cursor}`, oldest first; `limit` defaults to 50, is
/// at most 200; 0, 201 and non-numbers are 422 `invalid_parameter`.
async fn list_is_paged(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);

    let empty = s.get("/api/agents").bearer(&admin.token).send().await;
    assert_eq!(empty.expect_json(200), json!({"items": [], "next_cursor": null}));

    let created = create_many(&client, "Pager", 52).await;
    let first = client.list_agents().send().await.value();
    assert_eq!(first.items.len(), 50, "the default page size is 50");
    assert!(first.next_cursor.is_some());
    let ids: Vec<_> = first.items.iter().map(|a| a.id).collect();
    let expected: Vec<_> = created.iter().take(50).map(|a| a.id).collect();
    assert_eq!(ids, expected, "agents are listed oldest first");
    let rest = client
        .list_agents()
        .cursor(first.next_cursor.unwrap())
        .send()
        .await
        .value();
    assert_eq!(rest.items.len(), 2);
    assert_eq!(rest.next_cursor, None);

    let paged = all_pages(s, &admin.token, 7).await;
    assert_eq!(
        paged.iter().map(|a| a.id).collect::<Vec<_>>(),
        created.iter().map(|a| a.id).collect::<Vec<_>>()
    );

    let max = client.list_agents().limit(200).send().await.value();
    assert_eq!(max.items.len(), 52);
    assert_eq!(max.next_cursor, None);

    for query in [
        "limit=0",
        "limit=201",
        "limit=-1",
        "limit=abc",
        "limit=",
        "cursor=not-a-uuid",
    ] {
        let err = s
            .get(&format!("/api/agents?{query}"))
            .bearer(&admin.token)
            .send()
            .await
            .expect_error(422, "invalid_parameter");
        let param = query.split('=').next().unwrap();
        assert_eq!(err.body["parameter"], param, "{query}: {}", err.body);
    }
}

e2e!(cursor_is_stable_under_concurrent_inserts);
/// Paging while agents are being created never skips or repeats an agent that existed when
/// paging started.
async fn cursor_is_stable_under_concurrent_inserts(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let before = create_many(&client, "Early", 20).await;

    let writer = {
        let client = s.client(&admin.token);
        tokio::spawn(async move {
            for i in 0..30 {
                create_agent(&client, &format!("Late {i}")).await;
            }
        })
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let mut req = client.list_agents().limit(3);
        if let Some(c) = cursor {
            req = req.cursor(c);
        }
        let page = req.send().await.value();
        seen.extend(page.items.iter().map(|a| a.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        tokio::task::yield_now().await;
    }
    writer.await.unwrap();

    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an agent was listed twice");
    let early: Vec<_> = before.iter().map(|a| a.id).collect();
    assert_eq!(
        &seen[..early.len()],
        &early[..],
        "the agents that existed first come first, in order"
    );
    // After the writer is done, a full listing has every agent exactly once.
    let all = all_pages(s, &admin.token, 11).await;
    assert_eq!(all.len(), 50);
    assert_eq!(all.iter().map(|a| a.id).collect::<HashSet<_>>().len(), 50);
}

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
    assert!(!minimal.scope.is_empty());
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

e2e!(delete_archives_revokes_and_frees_the_slug);
/// Deleting archives the agent, revokes its token at once and frees its slug.
async fn delete_archives_revokes_and_frees_the_slug(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let agent = create_agent(&client, "Short Lived").await;
    let token = issue_agent_token(&client, &agent.name).await;
    s.client(&token).whoami().send().await.value();

    let archived = client.delete_agent().name("short-lived").send().await.value();
    assert_eq!(archived.name, "short-lived");
    assert_eq!(archived.display_name, "Short Lived");
    assert_eq!(archived.created_at.timestamp(), agent.created_at.timestamp());
    assert!((chrono::Utc::now() - archived.archived_at).num_seconds().abs() < 60);

    client
        .get_agent()
        .name("short-lived")
        .send()
        .await
        .api_err(404, "agent_not_found");
    client
        .delete_agent()
        .name("short-lived")
        .send()
        .await
        .api_err(404, "agent_not_found");
    let err = s
        .get("/api/agents")
        .bearer(&token)
        .send()
        .await
        .expect_error(401, "invalid_token");
    assert!(err.www_authenticate().contains("error=\"invalid_token\""));
    assert!(client.list_agents().send().await.value().items.is_empty());

    let list = client.list_archived_agents().send().await.value();
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].id, archived.id);
    assert_eq!(list.next_cursor, None);

    let again = create_agent(&client, "Short Lived").await;
    assert_eq!(again.name, "short-lived", "the slug is free again at once");
    assert_ne!(again.id, agent.id);
    assert!(!again.has_token);
}

e2e!(archived_list_is_newest_first_and_paged);
/// `GET /api/agents/archived` lists archive entries newest first, paged.
async fn archived_list_is_newest_first_and_paged(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let mut archived = Vec::new();
    for i in 0..5 {
        let agent = create_agent(&client, &format!("Gone {i}")).await;
        archived.push(
            client
                .delete_agent()
                .name(agent.name.as_str())
                .send()
                .await
                .value()
                .id,
        );
    }
    archived.reverse();
    let page1 = client.list_archived_agents().limit(3).send().await.value();
    assert_eq!(page1.items.len(), 3);
    let page2 = client
        .list_archived_agents()
        .limit(3)
        .cursor(page1.next_cursor.expect("a second page"))
        .send()
        .await
        .value();
    assert_eq!(page2.items.len(), 2);
    assert_eq!(page2.next_cursor, None);
    let ids: Vec<_> = page1.items.iter().chain(&page2.items).map(|a| a.id).collect();
    assert_eq!(ids, archived, "archived agents are listed newest first");
    s.get("/api/agents/archived?limit=0")
        .bearer(&admin.token)
        .send()
        .await
        .expect_error(422, "invalid_parameter");
}

e2e!(restore_brings_an_agent_back_without_its_token);
/// Restore makes the agent live under its old slug (or the next free one), with no token.
async fn restore_brings_an_agent_back_without_its_token(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent_with(
        &client,
        json!({"name": "Phoenix", "host": "192.0.2.7", "emoji": "🔥"}),
    )
    .await;
    let token = issue_agent_token(&client, "phoenix").await;
    let first = client.delete_agent().name("phoenix").send().await.value();

    let restored = client.restore_archived_agent().id(first.id).send().await.value();
    assert_eq!(restored.name, "phoenix");
    assert_eq!(restored.display_name, "Phoenix");
    assert_eq!(restored.host.as_deref(), Some("192.0.2.7"));
    assert_eq!(restored.emoji.as_deref(), Some("🔥"));
    assert!(!restored.has_token, "no old token comes back");
    assert_eq!(restored.token_scope, None);
    s.get("/api/auth/whoami")
        .bearer(&token)
        .send()
        .await
        .expect_error(401, "invalid_token");
    assert!(
        client
            .list_archived_agents()
            .send()
            .await
            .value()
            .items
            .is_empty()
    );
    assert_eq!(
        client.get_agent().name("phoenix").send().await.value().name,
        "phoenix"
    );
    client
        .restore_archived_agent()
        .id(first.id)
        .send()
        .await
        .api_err(404, "archived_agent_not_found");

    // Archive it again, take its slug, restore: it comes back as phoenix-2.
    let second = client.delete_agent().name("phoenix").send().await.value();
    let usurper = create_agent(&client, "Phoenix").await;
    assert_eq!(usurper.name, "phoenix");
    let back = client.restore_archived_agent().id(second.id).send().await.value();
    assert_eq!(back.name, "phoenix-2");
    assert_eq!(back.display_name, "Phoenix");
    assert_eq!(
        client.get_agent().name("phoenix").send().await.value().id,
        usurper.id
    );
    assert_eq!(client.list_agents().send().await.value().items.len(), 2);

    client
        .restore_archived_agent()
        .id(uuid::Uuid::new_v4())
        .send()
        .await
        .api_err(404, "archived_agent_not_found");
}

e2e!(purge_deletes_an_archive_entry_for_good);
/// Purge answers 204; the entry is gone from the list and cannot be restored.
async fn purge_deletes_an_archive_entry_for_good(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Doomed").await;
    let entry = client.delete_agent().name("doomed").send().await.value();
    let r = client.purge_archived_agent().id(entry.id).send().await.must();
    assert_eq!(r.status().as_u16(), 204);
    assert!(
        client
            .list_archived_agents()
            .send()
            .await
            .value()
            .items
            .is_empty()
    );
    client
        .restore_archived_agent()
        .id(entry.id)
        .send()
        .await
        .api_err(404, "archived_agent_not_found");
    client
        .purge_archived_agent()
        .id(entry.id)
        .send()
        .await
        .api_err(404, "archived_agent_not_found");
    client
        .get_agent()
        .name("doomed")
        .send()
        .await
        .api_err(404, "agent_not_found");
}

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
