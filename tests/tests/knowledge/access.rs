//! Errors and access: unknown ids, the `knowledge.read` scope, knowledge shared by every user.

use serde_json::json;
use taos_conformance::*;

use super::{get_item, list_all, search};

e2e!(unknown_ids_and_missing_scope);
/// An unknown id is 404 `knowledge_item_not_found`; a token without `knowledge.read` is 403
/// `scope_denied` on every knowledge operation; any user's token with it reads the same,
/// shared knowledge.
async fn unknown_ids_and_missing_scope(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let err = client
        .get_knowledge_item()
        .id(uuid::Uuid::now_v7())
        .send()
        .await
        .api_err(404, "knowledge_item_not_found");
    assert!(err.fix().contains("GET /api/knowledge"), "{}", err.fix());
    s.get("/api/knowledge/not-a-uuid")
        .bearer(&admin.token)
        .send()
        .await
        .expect_error(422, "invalid_parameter");

    create_agent(&client, "Notifier").await;
    let narrow = issue_agent_token_with(&client, "notifier", json!({"scope": ["ui.notify"]}))
        .await
        .token;
    let bot = s.client(&narrow);
    let any_id = list_all(&client, None, None, 1).await[0].id;
    let errs = [
        bot.list_knowledge_items()
            .send()
            .await
            .api_err(403, "scope_denied"),
        bot.search_knowledge()
            .q("token")
            .send()
            .await
            .api_err(403, "scope_denied"),
        bot.get_knowledge_item()
            .id(any_id)
            .send()
            .await
            .api_err(403, "scope_denied"),
        bot.get_system_prompt().send().await.api_err(403, "scope_denied"),
    ];
    for e in errs {
        assert_eq!(e.body["required_scope"], "knowledge.read");
        assert!(e.detail().contains("knowledge.read"), "{}", e.detail());
    }

    // Another user's agent with `knowledge.read` sees the same items.
    let bob = s.add_user(&admin, "bob").await;
    let bob_client = s.client(&bob.token);
    create_agent(&bob_client, "Reader").await;
    let reader = issue_agent_token_with(&bob_client, "reader", json!({"scope": ["knowledge.read"]}))
        .await
        .token;
    let reader = s.client(&reader);
    assert_eq!(
        list_all(&reader, None, None, 200).await,
        list_all(&client, None, None, 200).await
    );
    assert_eq!(get_item(&reader, any_id).await.id, any_id);
    assert!(!search(&reader, "token", None, None).await.items.is_empty());
    reader.get_system_prompt().send().await.value();
    let err = reader.list_agents().send().await.api_err(403, "scope_denied");
    assert_eq!(err.body["required_scope"], "agents.list");
}
