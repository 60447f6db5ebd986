//! Two taosd replicas on one PostgreSQL database, as behind a load balancer: every invariant
//! lives in the database, so what one replica does, the other sees at once. PostgreSQL only
//! (SQLite is one box: `e2e!(postgres_only: …)`); ignored, never passed, without
//! `TAOS_TEST_DATABASE_URL`.

use taos_conformance::check::ApiResultExt;
use taos_conformance::serde_json::json;
use taos_conformance::{Server, create_agent, e2e, from_json, issue_agent_token, types};

e2e!(postgres_only: revocation_is_seen_by_every_replica_at_once);
/// A token issued on one replica works on the other, and a revoke on either is seen by both
/// on the very next request (there is no cache to go stale).
async fn revocation_is_seen_by_every_replica_at_once(a: &Server) {
    let b = a.start_replica().await;
    let admin = a.setup_admin().await;
    create_agent(&a.client(&admin.token), "Roamer").await;
    let token = issue_agent_token(&b.client(&admin.token), "roamer").await;

    for server in [a, &b] {
        let me = server.client(&token).whoami().send().await.value();
        assert_eq!(me.agent_name.as_deref(), Some("roamer"));
    }
    a.client(&admin.token)
        .revoke_agent_token()
        .name("roamer")
        .send()
        .await
        .value();
    for server in [&b, a] {
        server
            .client(&token)
            .whoami()
            .send()
            .await
            .api_err(401, "invalid_token");
    }
}

e2e!(postgres_only: idempotency_keys_are_shared_by_replicas);
/// An Idempotency-Key claimed on one replica is answered by the other: a retry that lands on
/// another box replays, and a burst over both creates exactly one agent.
async fn idempotency_keys_are_shared_by_replicas(a: &Server) {
    let b = a.start_replica().await;
    let admin = a.setup_admin().await;
    let body: types::AgentCreate = from_json(json!({ "name": "Shared Key" }));

    let first = a
        .client(&admin.token)
        .create_agent()
        .idempotency_key("replica-key-1")
        .body(body.clone())
        .send()
        .await
        .must();
    let again = b
        .client(&admin.token)
        .create_agent()
        .idempotency_key("replica-key-1")
        .body(body.clone())
        .send()
        .await
        .must();
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(first.into_inner().id, again.into_inner().id);

    let mut tasks = Vec::new();
    for i in 0..32 {
        let server_url = if i % 2 == 0 { a.url() } else { b.url() };
        let client = taos_conformance::taos_client::client(&server_url, Some(&admin.token)).expect("client");
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            client
                .create_agent()
                .idempotency_key("replica-key-2")
                .body(body)
                .send()
                .await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        match t.await.expect("task") {
            Ok(rv) => {
                assert_eq!(rv.status().as_u16(), 201);
                ids.insert(rv.into_inner().id);
            }
            Err(taos_conformance::taos_client::Error::ErrorResponse(rv)) => {
                assert_eq!(rv.status().as_u16(), 409, "{:?}", rv.into_inner());
            }
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!(ids.len(), 1, "every success is the same agent");
    let list = a.client(&admin.token).list_agents().send().await.value();
    let shared: Vec<_> = list
        .items
        .iter()
        .filter(|a| a.display_name == "Shared Key")
        .collect();
    assert_eq!(
        shared.len(),
        2,
        "one agent per key: {:?}",
        shared.iter().map(|a| &a.name).collect::<Vec<_>>()
    );
}

e2e!(postgres_only: concurrent_issues_on_both_replicas_leave_one_token);
/// Token issues racing on both replicas leave exactly one working token.
async fn concurrent_issues_on_both_replicas_leave_one_token(a: &Server) {
    let b = a.start_replica().await;
    let admin = a.setup_admin().await;
    create_agent(&a.client(&admin.token), "Contended").await;
    let mut tasks = Vec::new();
    for i in 0..32 {
        let url = if i % 2 == 0 { a.url() } else { b.url() };
        let client = taos_conformance::taos_client::client(&url, Some(&admin.token)).expect("client");
        tasks.push(tokio::spawn(async move {
            issue_agent_token(&client, "contended").await
        }));
    }
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.expect("task"));
    }
    let mut working = 0;
    for token in &tokens {
        if b.client(token).whoami().send().await.is_ok() {
            working += 1;
        }
    }
    assert_eq!(
        working,
        1,
        "exactly one of {} issued tokens is active",
        tokens.len()
    );
}
