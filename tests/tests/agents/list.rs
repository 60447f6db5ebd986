//! Listing agents: `{items, next_cursor}` paging, limits, a stable cursor under inserts.

use std::collections::HashSet;

use serde_json::json;
use taos_conformance::*;

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

/// Creates `n` agents named `{prefix} {i}`, one after the other.
async fn create_many(client: &taos_client::Client, prefix: &str, n: usize) -> Vec<types::Agent> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(create_agent(client, &format!("{prefix} {i}")).await);
    }
    out
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
