//! Verbs racing each other and a delete: only documented answers, never a 500, and what the
//! API says at the end is what the processes do.

use std::time::Duration;

use serde_json::json;
use taos_conformance::*;

use super::*;

e2e!(start_racing_delete_leaves_no_process_behind);
/// Start and delete of one agent at once: whichever wins, no process of a deleted agent runs.
async fn start_racing_delete_leaves_no_process_behind(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    for i in 0..8 {
        let name = format!("racer-{i}");
        create_agent(&s.client(t), &name).await;
        configure(s, t, &name, &["sleep", "120"], json!({})).await;
        let start = s.post(&format!("/api/agents/{name}/start")).bearer(t).send();
        let delete = s.delete(&format!("/api/agents/{name}")).bearer(t).send();
        let (started, deleted) = tokio::join!(start, delete);
        assert_eq!(deleted.status().as_u16(), 200, "{}", deleted.text());
        let pid = match started.status().as_u16() {
            200 => from_json::<types::AgentState>(started.expect_json(200)).pid,
            404 => None,
            other => panic!("start answered {other}: {}", started.text()),
        };
        if let Some(pid) = pid {
            await_gone(pid).await;
        }
    }
}

e2e!(start_racing_stop_ends_as_reported);
/// Starts and stops of one agent at once answer 200 (or 409 for a transition a concurrent
/// verb made impossible); afterwards the reported state matches the process.
async fn start_racing_stop_ends_as_reported(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Torn").await;
    configure(s, t, "torn", &["sleep", "120"], json!({})).await;
    let mut all = Vec::new();
    for i in 0..16 {
        let path = if i % 2 == 0 {
            "/api/agents/torn/start"
        } else {
            "/api/agents/torn/stop?timeout_s=1"
        };
        all.push(s.post(path).bearer(t).send());
    }
    for r in futures::future::join_all(all).await {
        let code = r.status().as_u16();
        assert!(code == 200 || code == 409, "answered {code}: {}", r.text());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let st = runtime_of(s, t, "torn").await.state;
    match st.state {
        types::InstanceState::Running => assert!(st.pid.is_some_and(alive), "{st:?}"),
        types::InstanceState::Stopped => assert!(st.pid.is_none()),
        other => panic!("ended {other:?}"),
    }
    verb(s, t, "torn", "stop").await;
}
