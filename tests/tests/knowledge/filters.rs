//! The `category` and `source_id` filters of lists and searches.

use taos_conformance::*;

use super::{get_item, list_all, nz, search};

/// Inserts one `web-clip` item straight into the database (the API cannot create items);
/// returns its id.
async fn insert_web_clip(s: &Server) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
    let id_sql = match s.backend() {
        Backend::Sqlite => format!("X'{}'", id.simple()),
        _ => format!("'{id}'"),
    };
    let sql = format!(
        "INSERT INTO knowledge_items (id, source_id, source_url, category, title, summary, content, \
         content_hash, doc_url, created_at, updated_at) VALUES ({id_sql}, 'clipper', \
         'https://example.com/zebra', 'web-clip', 'Zebra tokens', 'A clipped page.', \
         'A clipped page about zebras and their tokens.', 'x', NULL, '{at}', '{at}')"
    );
    assert_eq!(s.sql_execute(&sql, &[]).await, 1);
    id
}

e2e!(category_and_source_filters_really_filter);
/// `category` and `source_id` narrow lists and searches, before the limit.
async fn category_and_source_filters_really_filter(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let clip = insert_web_clip(s).await;
    let doc_count = docs::files().len();

    let agent_docs = list_all(&client, Some("agent-docs"), None, 2).await;
    assert_eq!(agent_docs.len(), doc_count);
    assert!(agent_docs.iter().all(|k| k.category == "agent-docs"));
    let clips = list_all(&client, Some("web-clip"), None, 2).await;
    assert_eq!(clips.iter().map(|k| k.id).collect::<Vec<_>>(), [clip]);
    assert_eq!(clips[0].doc_url, None);
    assert_eq!(list_all(&client, None, None, 50).await.len(), doc_count + 1);
    assert_eq!(
        list_all(&client, None, Some("clipper"), 50).await.len(),
        1,
        "source_id filters too"
    );
    assert!(
        list_all(&client, Some("web-clip"), Some("taos-core"), 50)
            .await
            .is_empty()
    );
    assert!(
        list_all(&client, Some("no-such-category"), None, 50)
            .await
            .is_empty()
    );
    assert_eq!(get_item(&client, clip).await.title, "Zebra tokens");

    // "token" is in the clip and in many docs.
    let all = search(&client, "tokens", None, None).await;
    assert!(all.items.iter().any(|h| h.id == clip));
    assert!(all.items.iter().any(|h| h.source_id == "taos-core"));
    let only_docs = search(&client, "tokens", Some("agent-docs"), None).await;
    assert!(!only_docs.items.is_empty());
    assert!(
        only_docs.items.iter().all(|h| h.category == "agent-docs"),
        "category=agent-docs excludes the clip"
    );
    let only_clips = search(&client, "tokens", Some("web-clip"), None).await;
    assert_eq!(only_clips.items.iter().map(|h| h.id).collect::<Vec<_>>(), [clip]);
    let by_source = search(&client, "tokens", None, Some("clipper")).await;
    assert_eq!(by_source.items.iter().map(|h| h.id).collect::<Vec<_>>(), [clip]);
    // Filters apply before the limit: one hit asked for, and it is the clip, whatever ranks
    // higher elsewhere.
    let one = client
        .search_knowledge()
        .q("tokens")
        .category("web-clip")
        .limit(nz(1))
        .send()
        .await
        .value();
    assert_eq!(one.items.len(), 1);
    assert_eq!(one.items[0].id, clip);
    assert!(
        search(&client, "zebra", Some("agent-docs"), None)
            .await
            .items
            .is_empty()
    );

    // The system prompt is built from agent docs only.
    let prompt = client.get_system_prompt().send().await.value();
    assert!(prompt.sources.iter().all(|src| src.id != clip));
    assert!(!prompt.prompt.contains("zebras"));
}
