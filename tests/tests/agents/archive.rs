//! Delete (archive), the archived list, restore and purge.

use serde_json::json;
use taos_conformance::*;

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
