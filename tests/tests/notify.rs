//! `POST /api/ui/notify` and the notification inbox: list, unread filter, paging, read marks.

use serde_json::{Value, json};
use taos_conformance::people::ADMIN;
use taos_conformance::types::Priority;
use taos_conformance::*;

async fn notify_raw(s: &Server, token: &str, body: Value) -> Response {
    s.post("/api/ui/notify").bearer(token).json(&body).send().await
}

async fn notify(s: &Server, token: &str, body: Value) -> types::NotifyResponse {
    from_json(notify_raw(s, token, body).await.expect_json(200))
}

e2e!(agent_notification_lands_in_the_inbox);
/// An agent's notification is delivered, stored once under the returned id, with source
/// `agent:<name>` and default priority `normal`.
async fn agent_notification_lands_in_the_inbox(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Build Bot").await;
    let token = issue_agent_token_with(&client, "build-bot", json!({"scope": ["ui.notify"]}))
        .await
        .token;

    let sent = notify(
        s,
        &token,
        json!({"title": "Build complete", "body": "PR #449 merged."}),
    )
    .await;
    assert!(sent.delivered);

    let list = client.list_notifications().send().await.value();
    assert_eq!(list.items.len(), 1);
    let n = &list.items[0];
    assert_eq!(
        n.id, sent.notification_id,
        "notification_id is the stored notification's id"
    );
    assert_eq!(n.title, "Build complete");
    assert_eq!(n.message, "PR #449 merged.");
    assert_eq!(n.level, Priority::Normal);
    assert_eq!(n.source, "agent:build-bot");
    assert_eq!(n.app_origin, None);
    assert_eq!(n.action_url, None);
    assert!(!n.read);
    assert_eq!(n.timestamp, n.created_at.timestamp());
    assert!((chrono::Utc::now() - n.created_at).num_seconds().abs() < 60);

    // The body is optional and defaults to empty.
    let sent = notify(s, &token, json!({"title": "Just a title", "priority": "high"})).await;
    let list = client.list_notifications().send().await.value();
    let n = list
        .items
        .iter()
        .find(|n| n.id == sent.notification_id)
        .expect("stored");
    assert_eq!(n.message, "");
    assert_eq!(n.level, Priority::High);
}

e2e!(people_notify_as_themselves);
/// A person's notification has source `user:<username>`.
async fn people_notify_as_themselves(s: &Server) {
    let admin = s.setup_admin().await;
    let sent = notify(s, &admin.token, json!({"title": "Reminder", "priority": "low"})).await;
    let list = s.client(&admin.token).list_notifications().send().await.value();
    assert_eq!(list.items[0].id, sent.notification_id);
    assert_eq!(list.items[0].source, format!("user:{ADMIN}"));
    assert_eq!(list.items[0].level, Priority::Low);
    // With a session too.
    let session = s.login(ADMIN, people::PASSWORD).await;
    let via_session = s
        .session_client(&session)
        .notify_user()
        .body(from_json::<types::NotifyRequest>(
            json!({"title": "From the browser"}),
        ))
        .send()
        .await
        .value();
    let list = s.client(&admin.token).list_notifications().send().await.value();
    let n = list
        .items
        .iter()
        .find(|n| n.id == via_session.notification_id)
        .expect("stored");
    assert_eq!(n.source, format!("user:{ADMIN}"));
}

e2e!(app_origin_cannot_change_the_source);
/// `app_origin` is stored in its own field; whatever it says, `source` stays the caller.
async fn app_origin_cannot_change_the_source(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Honest Bot").await;
    let token = issue_agent_token(&client, "honest-bot").await;
    for origin in [
        "my-display-name",
        "agent:someone-else",
        "user:admin",
        "system.lifecycle",
    ] {
        let sent = notify(s, &token, json!({"title": "hi", "app_origin": origin})).await;
        let list = client.list_notifications().send().await.value();
        let n = list
            .items
            .iter()
            .find(|n| n.id == sent.notification_id)
            .expect("stored");
        assert_eq!(
            n.source, "agent:honest-bot",
            "app_origin {origin:?} changed the source"
        );
        assert_eq!(n.app_origin.as_deref(), Some(origin));
    }
    // `source` itself is not a field a caller may send.
    let resp = notify_raw(s, &token, json!({"title": "hi", "source": "agent:other"})).await;
    resp.expect_error(422, "validation_error");
}

e2e!(action_url_must_be_http_or_a_path);
/// `action_url` accepts http(s) URLs and `/paths`; `javascript:` and `//host` are 422.
async fn action_url_must_be_http_or_a_path(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    for url in [
        "https://example.com/builds/449",
        "http://192.0.2.1:8080/x?y=1",
        "/agents/build-bot",
        "/",
    ] {
        let sent = notify(s, &admin.token, json!({"title": "link", "action_url": url})).await;
        let list = client.list_notifications().send().await.value();
        let n = list
            .items
            .iter()
            .find(|n| n.id == sent.notification_id)
            .expect("stored");
        assert_eq!(n.action_url.as_deref(), Some(url));
    }
    for url in [
        "javascript:alert(1)",
        "//evil.com",
        "//evil.com/path",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/",
        "example.com",
        "https://exa mple.com",
        "/\\evil.com",
        "",
    ] {
        let resp = notify_raw(s, &admin.token, json!({"title": "link", "action_url": url})).await;
        resp.expect_error(422, "validation_error");
    }
    assert_eq!(client.list_notifications().send().await.value().items.len(), 4);
}

e2e!(notify_validates_lengths_and_priority);
/// Title 1–120 characters, body at most 4000; an unknown priority is 400 `invalid_priority`.
async fn notify_validates_lengths_and_priority(s: &Server) {
    let admin = s.setup_admin().await;
    for body in [
        json!({"title": ""}),
        json!({"title": "t".repeat(121)}),
        json!({"title": "ok", "body": "b".repeat(4001)}),
        json!({}),
        json!({"title": 5}),
        json!({"title": "ok", "app_origin": "o".repeat(101)}),
    ] {
        notify_raw(s, &admin.token, body)
            .await
            .expect_error(422, "validation_error");
    }
    // Lengths count characters, not bytes.
    notify(
        s,
        &admin.token,
        json!({"title": "t".repeat(120), "body": "b".repeat(4000)}),
    )
    .await;
    notify(
        s,
        &admin.token,
        json!({"title": "é".repeat(120), "body": "🚀".repeat(4000)}),
    )
    .await;

    for priority in [json!("urgent"), json!("NORMAL"), json!("")] {
        let resp = notify_raw(s, &admin.token, json!({"title": "x", "priority": priority})).await;
        let err = resp.expect_error(400, "invalid_priority");
        if priority == json!("urgent") {
            assert!(
                err.detail().contains("urgent"),
                "detail does not name the bad value: {}",
                err.detail()
            );
        }
    }
    let list = s.client(&admin.token).list_notifications().send().await.value();
    assert_eq!(list.items.len(), 2, "rejected notifications were stored");
}

e2e!(notify_needs_the_ui_notify_scope);
/// An agent token without `ui.notify` is 403 `scope_denied`.
async fn notify_needs_the_ui_notify_scope(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Lister").await;
    let token = issue_agent_token_with(&client, "lister", json!({"scope": ["agents.list"]}))
        .await
        .token;
    let err = notify_raw(s, &token, json!({"title": "hi"}))
        .await
        .expect_error(403, "scope_denied");
    assert_eq!(err.body["required_scope"], "ui.notify");
    assert!(client.list_notifications().send().await.value().items.is_empty());
}

e2e!(inbox_lists_newest_first_and_marks_read);
/// The inbox is newest first, paged, filterable to unread; read marks say how many changed.
async fn inbox_lists_newest_first_and_marks_read(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            notify(s, &admin.token, json!({"title": format!("n{i}")}))
                .await
                .notification_id,
        );
    }
    ids.reverse();

    let list = client.list_notifications().send().await.value();
    assert_eq!(
        list.items.iter().map(|n| n.id).collect::<Vec<_>>(),
        ids,
        "newest first"
    );
    assert_eq!(list.next_cursor, None);

    let page1 = client.list_notifications().limit(2).send().await.value();
    let page2 = client
        .list_notifications()
        .limit(2)
        .cursor(page1.next_cursor.expect("page 2"))
        .send()
        .await
        .value();
    let page3 = client
        .list_notifications()
        .limit(2)
        .cursor(page2.next_cursor.expect("page 3"))
        .send()
        .await
        .value();
    assert_eq!(page3.next_cursor, None);
    let paged: Vec<_> = [page1, page2, page3]
        .into_iter()
        .flat_map(|p| p.items)
        .map(|n| n.id)
        .collect();
    assert_eq!(paged, ids);

    let r = client.mark_notification_read().id(ids[1]).send().await.value();
    assert_eq!(r.updated, 1);
    let r = client.mark_notification_read().id(ids[1]).send().await.value();
    assert_eq!(r.updated, 0, "already read");
    let unread = client.list_notifications().unread_only(true).send().await.value();
    assert_eq!(unread.items.len(), 4);
    assert!(unread.items.iter().all(|n| !n.read && n.id != ids[1]));
    let all = client
        .list_notifications()
        .unread_only(false)
        .send()
        .await
        .value();
    assert_eq!(all.items.len(), 5);
    assert!(all.items.iter().find(|n| n.id == ids[1]).unwrap().read);

    let r = client.mark_all_notifications_read().send().await.value();
    assert_eq!(r.updated, 4);
    let r = client.mark_all_notifications_read().send().await.value();
    assert_eq!(r.updated, 0);
    assert!(
        client
            .list_notifications()
            .unread_only(true)
            .send()
            .await
            .value()
            .items
            .is_empty()
    );

    client
        .mark_notification_read()
        .id(uuid::Uuid::new_v4())
        .send()
        .await
        .api_err(404, "notification_not_found");
    for query in ["unread_only=maybe", "limit=0", "limit=201", "cursor=x"] {
        let err = s
            .get(&format!("/api/notifications?{query}"))
            .bearer(&admin.token)
            .send()
            .await
            .expect_error(422, "invalid_parameter");
        assert_eq!(err.body["parameter"], query.split('=').next().unwrap(), "{query}");
    }
    s.post("/api/notifications/not-a-uuid/read")
        .bearer(&admin.token)
        .send()
        .await
        .expect_error(422, "invalid_parameter");
}
