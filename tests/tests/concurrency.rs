//! Invariants under concurrent requests, held by the database on both backends: one active
//! token per agent, one agent per Idempotency-Key, unique slugs, unique imports.

use std::collections::HashSet;

use futures::future::join_all;
use serde_json::{Value, json};
use taos_conformance::*;

const N: usize = 64;

/// Sends `n` copies of a request at once (each on its own task) and collects
/// `(status, Idempotent-Replayed, body)`.
async fn burst(
    s: &Server,
    n: usize,
    make: impl Fn(&Server, usize) -> Request,
) -> Vec<(u16, Option<String>, Value)> {
    let requests: Vec<_> = (0..n).map(|i| make(s, i)).collect();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let tasks = requests.into_iter().map(|req| {
        let barrier = barrier.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            let resp = req.send().await;
            let replayed = resp.header("idempotent-replayed").map(str::to_string);
            let body = serde_json::from_slice(resp.bytes()).unwrap_or(Value::String(resp.text()));
            (resp.status().as_u16(), replayed, body)
        })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect()
}

e2e!(concurrent_token_issues_leave_one_active_token);
/// 64 concurrent issues for one agent: all answered, and afterwards exactly one of the issued
/// tokens works — the one GET reports.
async fn concurrent_token_issues_leave_one_active_token(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Contended").await;

    let answers = burst(s, N, |s, _| {
        s.post("/api/agents/contended/token/issue")
            .bearer(&admin.token)
            .json(&json!({}))
    })
    .await;
    let mut issued = Vec::new();
    for (status, _, body) in &answers {
        assert_eq!(*status, 200, "a concurrent issue failed: {body}");
        issued.push(from_json::<types::IssuedAgentToken>(body.clone()));
    }
    let unique: HashSet<_> = issued.iter().map(|t| t.token.clone()).collect();
    assert_eq!(unique.len(), N, "two issues returned the same token");

    let checks = join_all(issued.iter().map(|t| {
        let req = s.get("/api/auth/whoami").bearer(&t.token);
        async move { req.send().await.status().as_u16() }
    }))
    .await;
    let working: Vec<_> = issued
        .iter()
        .zip(&checks)
        .filter(|(_, st)| **st == 200)
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        working.len(),
        1,
        "{} tokens work after {N} concurrent issues (statuses {checks:?})",
        working.len()
    );
    assert!(checks.iter().all(|st| *st == 200 || *st == 401), "{checks:?}");

    let agent = client.get_agent().name("contended").send().await.value();
    assert!(agent.has_token);
    assert_eq!(
        agent.issued_at.map(|t| t.timestamp_micros() / 1000),
        Some(working[0].issued_at.timestamp_micros() / 1000),
        "GET reports another token than the one that works"
    );
    // And the invariant is in the data: one more issue still leaves exactly one.
    let last = issue_agent_token(&client, "contended").await;
    s.get("/api/auth/whoami")
        .bearer(&working[0].token)
        .send()
        .await
        .expect_error(401, "invalid_token");
    s.client(&last).whoami().send().await.value();
}

e2e!(concurrent_creates_with_one_key_make_one_agent);
/// 64 concurrent creates with one Idempotency-Key: one agent; every answer is that agent's
/// 201 (first or replay) or 409 `idempotency_key_in_use`.
async fn concurrent_creates_with_one_key_make_one_agent(s: &Server) {
    let admin = s.setup_admin().await;
    let body = json!({"name": "Only Once", "host": "192.0.2.5"});
    let answers = burst(s, N, |s, _| {
        s.post("/api/agents")
            .bearer(&admin.token)
            .header("idempotency-key", "one-key")
            .json(&body)
    })
    .await;

    let mut created = None::<Value>;
    let (mut firsts, mut replays, mut in_use) = (0, 0, 0);
    for (status, replayed, body) in &answers {
        match status {
            201 => {
                if replayed.as_deref() == Some("true") {
                    replays += 1;
                } else {
                    assert_eq!(replayed, &None, "Idempotent-Replayed: {replayed:?}");
                    firsts += 1;
                }
                match &created {
                    None => created = Some(body.clone()),
                    Some(first) => assert_eq!(body, first, "two 201s with different bodies"),
                }
            }
            409 => {
                assert_eq!(body["error"], "idempotency_key_in_use", "{body}");
                in_use += 1;
            }
            other => panic!("unexpected answer {other}: {body}"),
        }
    }
    assert_eq!(
        firsts, 1,
        "exactly one answer is the original (replays {replays}, in use {in_use})"
    );
    let created = created.unwrap();
    let list = s.client(&admin.token).list_agents().send().await.value();
    assert_eq!(
        list.items.len(),
        1,
        "{N} concurrent creates with one key made {} agents",
        list.items.len()
    );
    assert_eq!(list.items[0].id.to_string(), created["id"].as_str().unwrap());
    assert_eq!(list.items[0].name, "only-once");

    // Afterwards every retry is a replay.
    let resp = s
        .post("/api/agents")
        .bearer(&admin.token)
        .header("idempotency-key", "one-key")
        .json(&body)
        .send()
        .await;
    assert_eq!(
        resp.headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(resp.expect_json(201), created);
}

e2e!(concurrent_creates_of_one_name_get_distinct_slugs);
/// 64 concurrent creates of the same name without a key: 64 agents, 64 distinct slugs
/// `swarm`, `swarm-2`, … `swarm-64`.
async fn concurrent_creates_of_one_name_get_distinct_slugs(s: &Server) {
    let admin = s.setup_admin().await;
    let answers = burst(s, N, |s, _| {
        s.post("/api/agents")
            .bearer(&admin.token)
            .json(&json!({"name": "Swarm"}))
    })
    .await;
    let mut slugs = HashSet::new();
    for (status, _, body) in &answers {
        assert_eq!(*status, 201, "a concurrent create failed: {body}");
        assert!(
            slugs.insert(body["name"].as_str().unwrap().to_string()),
            "slug given twice: {body}"
        );
    }
    let want: HashSet<String> = std::iter::once("swarm".to_string())
        .chain((2..=N).map(|i| format!("swarm-{i}")))
        .collect();
    assert_eq!(slugs, want);
    let list = s
        .client(&admin.token)
        .list_agents()
        .limit(200)
        .send()
        .await
        .value();
    assert_eq!(list.items.len(), N);
}

e2e!(concurrent_imports_of_one_name_make_one_agent);
/// 32 concurrent imports of one document: one 201, the rest 409 `agent_exists`.
async fn concurrent_imports_of_one_name_make_one_agent(s: &Server) {
    let admin = s.setup_admin().await;
    let doc = json!({"version": 1, "agent": {"name": "singleton", "display_name": "Singleton"}});
    let answers = burst(s, 32, |s, _| {
        s.post("/api/agents/import").bearer(&admin.token).json(&doc)
    })
    .await;
    let ok = answers.iter().filter(|(st, _, _)| *st == 201).count();
    for (status, _, body) in &answers {
        assert!(
            *status == 201 || (*status == 409 && body["error"] == "agent_exists"),
            "unexpected answer {status}: {body}"
        );
    }
    assert_eq!(ok, 1, "{ok} concurrent imports of one name succeeded");
    assert_eq!(agents_listed(&s.client(&admin.token)).await, 1);
}

e2e!(concurrent_revokes_and_issues_keep_one_token_at_most);
/// Issues and revokes racing each other never leave two active tokens.
async fn concurrent_revokes_and_issues_keep_one_token_at_most(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Flapping").await;
    let answers = burst(s, N, |s, i| {
        if i % 2 == 0 {
            s.post("/api/agents/flapping/token/issue")
                .bearer(&admin.token)
                .json(&json!({}))
        } else {
            s.delete("/api/agents/flapping/token").bearer(&admin.token)
        }
    })
    .await;
    let mut tokens = Vec::new();
    for (i, (status, _, body)) in answers.iter().enumerate() {
        if i % 2 == 0 {
            assert_eq!(*status, 200, "{body}");
            tokens.push(body["token"].as_str().unwrap().to_string());
        } else {
            assert_eq!(*status, 204, "{body}");
        }
    }
    let mut working = 0;
    for t in &tokens {
        if s.get("/api/auth/whoami").bearer(t).send().await.status().as_u16() == 200 {
            working += 1;
        }
    }
    let agent = client.get_agent().name("flapping").send().await.value();
    assert!(working <= 1, "{working} tokens are active at once");
    assert_eq!(
        agent.has_token,
        working == 1,
        "has_token disagrees with the tokens that work"
    );
}
