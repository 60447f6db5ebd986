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

e2e!(a_spec_change_racing_starts_ends_as_reported);
/// New specs and starts/restarts of one agent at once: each answers 200; afterwards the agent
/// runs one of the specs it was given, and the one its runtime reports.
async fn a_spec_change_racing_starts_ends_as_reported(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Shifty").await;
    configure(s, t, "shifty", &["sleep", "120"], json!({})).await;
    let mut all = Vec::new();
    for i in 0..12 {
        let req = match i % 3 {
            0 => s
                .put("/api/agents/shifty/runtime")
                .bearer(t)
                .json(&json!({"runtime": "process", "command": ["sleep", format!("{}", 100 + i)]})),
            1 => s.post("/api/agents/shifty/start").bearer(t),
            _ => s.post("/api/agents/shifty/restart?timeout_s=1").bearer(t),
        };
        all.push(req.send());
    }
    for r in futures::future::join_all(all).await {
        assert_eq!(r.status().as_u16(), 200, "{}", r.text());
    }
    let rt = runtime_of(s, t, "shifty").await;
    assert_eq!(rt.state.state, types::InstanceState::Running, "{rt:?}");
    let pid = rt.state.pid.expect("a running process agent has a pid");
    assert!(alive(pid));
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let argv: Vec<String> = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    assert_eq!(argv[0], "sleep", "{argv:?}");
    let secs: u32 = argv[1].parse().expect("a number of seconds");
    assert!(secs == 120 || (100..112).contains(&secs), "{argv:?}");
    verb(s, t, "shifty", "stop").await;
}

e2e!(a_bulk_stop_racing_deletes_answers_per_agent_and_leaves_nothing_running);
/// A bulk stop of every agent while they are deleted one by one: the bulk answers 200 with,
/// per agent, its state or `agent_not_found`; every delete answers 200; no process is left.
async fn a_bulk_stop_racing_deletes_answers_per_agent_and_leaves_nothing_running(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let mut pids = Vec::new();
    let names: Vec<String> = (0..6).map(|i| format!("herd-{i}")).collect();
    for name in &names {
        create_agent(&s.client(t), name).await;
        configure(s, t, name, &["sleep", "120"], json!({})).await;
        pids.push(verb(s, t, name, "start").await.pid.expect("a pid"));
    }
    let bulk = s
        .post("/api/agents/bulk/stop?timeout_s=1")
        .bearer(t)
        .json(&json!({"names": names}))
        .send();
    let deletes = futures::future::join_all(
        names
            .iter()
            .map(|n| s.delete(&format!("/api/agents/{n}")).bearer(t).send()),
    );
    let (bulk, deletes) = tokio::join!(bulk, deletes);
    let bulk: types::BulkResult = from_json(bulk.expect_json(200));
    assert_eq!(bulk.results.len(), names.len());
    for item in &bulk.results {
        if !item.ok {
            let slug = item.error.as_ref().map(|e| e.error.as_str());
            assert_eq!(slug, Some("agent_not_found"), "{item:?}");
        }
    }
    for d in deletes {
        assert_eq!(d.status().as_u16(), 200, "{}", d.text());
    }
    for pid in pids {
        await_gone(pid).await;
    }
}
