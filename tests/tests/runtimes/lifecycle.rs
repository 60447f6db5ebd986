//! The verbs: what they answer, what they do to the process, and what they refuse.

use std::time::{Duration, Instant};

use serde_json::json;
use taos_conformance::*;

use super::*;

e2e!(verbs_answer_the_new_state_and_are_idempotent);
/// start → running with a live pid; again → `changed: false`; stop → stopped and the process
/// is gone; stop again → unchanged; restart → a new process; the registry's status follows.
async fn verbs_answer_the_new_state_and_are_idempotent(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Runner").await;

    let fresh = runtime_of(s, t, "runner").await;
    assert!(!fresh.configured);
    assert_eq!(fresh.state.state, types::InstanceState::Created);
    let err = s
        .post("/api/agents/runner/start")
        .bearer(t)
        .send()
        .await
        .expect_error(409, "agent_not_configured");
    assert!(err.fix().contains("/runtime"), "{}", err.fix());

    let spec = configure(s, t, "runner", &["sh", "-c", "echo up; exec sleep 60"], json!({})).await;
    assert_eq!(spec["configured"], true);
    assert_eq!(spec["desired_state"], "stopped");

    let started = verb(s, t, "runner", "start").await;
    assert!(started.changed);
    assert_eq!(started.state, types::InstanceState::Running);
    let pid = started.pid.expect("a running process agent has a pid");
    assert!(alive(pid));
    let again = verb(s, t, "runner", "start").await;
    assert!(!again.changed, "starting a running agent changes nothing");
    assert_eq!(again.pid, Some(pid));

    let agent = s.client(t).get_agent().name("runner").send().await.value();
    assert_eq!(agent.status, types::AgentStatus::Running);
    assert_eq!(
        runtime_of(s, t, "runner").await.desired_state,
        types::AgentRuntimeDesiredState::Running
    );

    let stopped = verb(s, t, "runner", "stop").await;
    assert!(stopped.changed);
    assert_eq!(stopped.state, types::InstanceState::Stopped);
    assert!(!alive(pid), "a stopped agent's process is gone");
    assert!(!verb(s, t, "runner", "stop").await.changed);
    let agent = s.client(t).get_agent().name("runner").send().await.value();
    assert_eq!(agent.status, types::AgentStatus::Stopped);

    let restarted = verb(s, t, "runner", "restart").await;
    assert_eq!(restarted.state, types::InstanceState::Running);
    let new_pid = restarted.pid.expect("pid");
    assert_ne!(new_pid, pid);
    let restarted = verb(s, t, "runner", "restart").await;
    assert_ne!(
        restarted.pid,
        Some(new_pid),
        "restart of a running agent makes a new process"
    );
    assert!(!alive(new_pid));
    verb(s, t, "runner", "stop").await;

    // The typed SDK drives the same verbs.
    let c = s.client(t);
    let st = c.start_agent().name("runner").send().await.value();
    assert_eq!(st.state, types::InstanceState::Running);
    let st = c.stop_agent().name("runner").timeout_s(2).send().await.value();
    assert_eq!(st.state, types::InstanceState::Stopped);
}

e2e!(impossible_transitions_say_where_the_agent_is_and_what_would_work);
/// 409 `invalid_transition` names the current state and the verbs that would act.
async fn impossible_transitions_say_where_the_agent_is_and_what_would_work(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Sleeper").await;
    configure(s, t, "sleeper", &["sleep", "60"], json!({})).await;

    let err = s
        .post("/api/agents/sleeper/pause")
        .bearer(t)
        .send()
        .await
        .expect_error(409, "invalid_transition");
    assert_eq!(err.body["state"], "created", "{}", err.body);
    assert!(
        err.body["allowed"].as_str().unwrap_or_default().contains("start"),
        "{}",
        err.body
    );
    s.post("/api/agents/sleeper/resume")
        .bearer(t)
        .send()
        .await
        .expect_error(409, "invalid_transition");

    verb(s, t, "sleeper", "start").await;
    assert!(
        !verb(s, t, "sleeper", "resume").await.changed,
        "resuming a running agent changes nothing"
    );
    let paused = verb(s, t, "sleeper", "pause").await;
    assert_eq!(paused.state, types::InstanceState::Paused);
    assert!(!verb(s, t, "sleeper", "pause").await.changed);
    let err = s
        .post("/api/agents/sleeper/start")
        .bearer(t)
        .send()
        .await
        .expect_error(409, "invalid_transition");
    assert_eq!(err.body["state"], "paused");
    assert!(
        err.body["allowed"]
            .as_str()
            .unwrap_or_default()
            .contains("resume"),
        "{}",
        err.body
    );
    assert!(err.detail().contains("paused"), "{}", err.detail());
    // A paused agent can be stopped.
    assert_eq!(
        verb(s, t, "sleeper", "stop").await.state,
        types::InstanceState::Stopped
    );
}

e2e!(pause_really_freezes_the_agent);
/// A busy agent's CPU time does not advance while it is paused, and does again once resumed.
async fn pause_really_freezes_the_agent(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Spinner").await;
    configure(s, t, "spinner", &["sh", "-c", "while :; do :; done"], json!({})).await;
    let pid = verb(s, t, "spinner", "start").await.pid.expect("pid");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let paused = verb(s, t, "spinner", "pause").await;
    assert_eq!(paused.state, types::InstanceState::Paused);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = cpu_ticks(pid);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(cpu_ticks(pid), before, "a paused agent used CPU");
    verb(s, t, "spinner", "resume").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(cpu_ticks(pid) > before, "a resumed agent runs again");
    verb(s, t, "spinner", "stop").await;
}

e2e!(stop_kills_an_agent_that_ignores_sigterm_after_the_grace);
/// `timeout_s` is the grace: an agent that ignores SIGTERM (and its children) is killed after it.
async fn stop_kills_an_agent_that_ignores_sigterm_after_the_grace(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Stubborn").await;
    configure(
        s,
        t,
        "stubborn",
        &[
            "sh",
            "-c",
            "trap '' TERM; sleep 300 & while :; do sleep 0.1; done",
        ],
        json!({}),
    )
    .await;
    let pid = verb(s, t, "stubborn", "start").await.pid.expect("pid");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t0 = Instant::now();
    let stopped: types::AgentState = from_json(
        s.post("/api/agents/stubborn/stop?timeout_s=1")
            .bearer(t)
            .send()
            .await
            .expect_json(200),
    );
    let took = t0.elapsed();
    assert_eq!(stopped.state, types::InstanceState::Stopped);
    assert!(
        took >= Duration::from_millis(900),
        "killed before the grace: {took:?}"
    );
    assert!(took < Duration::from_secs(6), "stop took {took:?}");
    assert!(!alive(pid));
    s.post("/api/agents/stubborn/stop?timeout_s=301")
        .bearer(t)
        .send()
        .await
        .expect_error(422, "invalid_parameter");
}

e2e!(wait_answers_when_the_state_is_reached_or_408);
/// `wait` answers at once when the agent is in the state, when it gets there, or 408.
async fn wait_answers_when_the_state_is_reached_or_408(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Brief").await;
    configure(s, t, "brief", &["sh", "-c", "sleep 1; exit 0"], json!({})).await;
    verb(s, t, "brief", "start").await;
    let t0 = Instant::now();
    let done = wait_for(s, t, "brief", "stopped").await;
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_eq!(done.exit_code, Some(0));
    assert!(done.finished_at.is_some());
    let err = s
        .get("/api/agents/brief/wait?state=running&timeout_s=1")
        .bearer(t)
        .send()
        .await
        .expect_error(408, "wait_timeout");
    assert_eq!(err.body["state"], "stopped");
    s.get("/api/agents/brief/wait?state=sleeping")
        .bearer(t)
        .send()
        .await
        .expect_error(422, "invalid_parameter");
    s.get("/api/agents/nobody/wait?state=running")
        .bearer(t)
        .send()
        .await
        .expect_error(404, "agent_not_found");
}

e2e!(bad_specs_are_refused_and_nothing_is_kept);
/// A spec that cannot run is a 422 naming the field; the previous spec stays.
async fn bad_specs_are_refused_and_nothing_is_kept(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Picky").await;
    let put = |body: serde_json::Value| s.put("/api/agents/picky/runtime").bearer(t).json(&body).send();
    let e = put(json!({"runtime": "process"}))
        .await
        .expect_error(422, "invalid_runtime_spec");
    assert_eq!(e.body["field"], "command");
    let e = put(json!({"command": [""]}))
        .await
        .expect_error(422, "invalid_runtime_spec");
    assert_eq!(e.body["field"], "command");
    let e = put(json!({"command": ["sh"], "env": {"TAOS_TOKEN": "x"}}))
        .await
        .expect_error(422, "invalid_runtime_spec");
    assert_eq!(e.body["field"], "env.TAOS_TOKEN");
    let e = put(json!({"command": ["sh"], "env": {"1BAD": "x"}}))
        .await
        .expect_error(422, "invalid_runtime_spec");
    assert_eq!(e.body["field"], "env");
    put(json!({"command": ["sh"], "resources": {"memory_mb": -1}}))
        .await
        .expect_error_in(422, &["invalid_runtime_spec", "validation_error"]);
    put(json!({"command": ["sh"], "runtime": "podman"}))
        .await
        .expect_error_in(422, &["invalid_runtime_spec", "validation_error"]);
    put(json!({"command": ["sh"], "surprise": 1}))
        .await
        .expect_error_in(422, &["invalid_runtime_spec", "validation_error"]);
    let e = put(json!({"runtime": "incus"}))
        .await
        .expect_error(422, "invalid_runtime_spec");
    assert_eq!(e.body["field"], "image");
    let secret = "do-not-echo-this";
    let e = put(json!({"command": ["sh"], "env": {"A": format!("{secret}\u{0}")}})).await;
    assert!(
        !e.text().contains(secret),
        "an env value was echoed: {}",
        e.text()
    );
    assert_eq!(e.status().as_u16(), 422);
    assert!(!runtime_of(s, t, "picky").await.configured, "nothing was stored");
    s.post("/api/agents/picky/start")
        .bearer(t)
        .send()
        .await
        .expect_error(409, "agent_not_configured");
}

e2e!(runtimes_are_listed_with_what_they_can_do);
/// `GET /api/runtimes` lists all three; process is the default and available here.
async fn runtimes_are_listed_with_what_they_can_do(s: &Server) {
    let admin = s.setup_admin().await;
    let list = s.client(&admin.token).list_runtimes().send().await.value();
    assert_eq!(list.default, types::RuntimeKind::Process);
    let kinds: Vec<_> = list.items.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            types::RuntimeKind::Process,
            types::RuntimeKind::Docker,
            types::RuntimeKind::Incus
        ]
    );
    let process = &list.items[0];
    assert!(process.available && process.default);
    assert!(process.reason.is_none() && process.fix.is_none());
    for r in &list.items[1..] {
        if !r.available {
            assert!(r.reason.is_some() && r.fix.is_some(), "{r:?}");
        }
    }
    s.get("/api/runtimes")
        .send()
        .await
        .expect_error(401, "auth_required");
}

e2e!(other_users_agents_stay_invisible_and_scopes_apply);
/// Another user's agent is 404 for every new route; an agent token needs `agents.lifecycle`.
async fn other_users_agents_stay_invisible_and_scopes_apply(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Private").await;
    configure(s, t, "private", &["sleep", "30"], json!({})).await;
    let bob = s.add_user(&admin, "bob").await;
    for (method, path) in [
        ("POST", "/api/agents/private/start"),
        ("POST", "/api/agents/private/stop"),
        ("POST", "/api/agents/private/pause"),
        ("GET", "/api/agents/private/runtime"),
        ("GET", "/api/agents/private/logs"),
        ("GET", "/api/agents/private/logs/stream"),
        ("GET", "/api/agents/private/wait?state=running&timeout_s=0"),
    ] {
        let req = if method == "POST" {
            s.post(path)
        } else {
            s.get(path)
        };
        req.bearer(&bob.token)
            .send()
            .await
            .expect_error(404, "agent_not_found");
    }
    s.put("/api/agents/private/runtime")
        .bearer(&bob.token)
        .json(&json!({"command": ["sleep", "1"]}))
        .send()
        .await
        .expect_error(404, "agent_not_found");
    let agent_token = issue_agent_token(&s.client(t), "private").await;
    let e = s
        .post("/api/agents/private/start")
        .bearer(&agent_token)
        .send()
        .await
        .expect_error(403, "scope_denied");
    assert_eq!(e.body["required_scope"], "agents.lifecycle");
    s.get("/api/agents/private/logs")
        .bearer(&agent_token)
        .send()
        .await
        .expect_error(403, "scope_denied");
}

e2e!(bulk_verbs_answer_per_agent_and_never_stop_at_a_failure);
/// A bulk verb gives each named agent its own answer in order; an unknown or unconfigured one
/// fails alone. `all: true` takes every configured agent of the caller (not another user's).
async fn bulk_verbs_answer_per_agent_and_never_stop_at_a_failure(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    for name in ["Bulk A", "Bulk B", "Bulk Bare"] {
        create_agent(&s.client(t), name).await;
    }
    configure(s, t, "bulk-a", &["sleep", "60"], json!({})).await;
    configure(s, t, "bulk-b", &["sleep", "60"], json!({})).await;
    let bob = s.add_user(&admin, "bob").await;
    create_agent(&s.client(&bob.token), "Bobs").await;
    configure(s, &bob.token, "bobs", &["sleep", "60"], json!({})).await;

    let r = s
        .post("/api/agents/bulk/start")
        .bearer(t)
        .json(&json!({"names": ["bulk-a", "nobody", "bulk-bare", "bulk-b"]}))
        .send()
        .await
        .expect_json(200);
    let results: types::BulkResult = from_json(r);
    let got: Vec<(&str, bool)> = results.results.iter().map(|i| (i.agent.as_str(), i.ok)).collect();
    assert_eq!(
        got,
        [
            ("bulk-a", true),
            ("nobody", false),
            ("bulk-bare", false),
            ("bulk-b", true)
        ]
    );
    assert_eq!(
        results.results[1].error.as_ref().map(|e| e.error.as_str()),
        Some("agent_not_found")
    );
    assert_eq!(
        results.results[2].error.as_ref().map(|e| e.error.as_str()),
        Some("agent_not_configured")
    );
    assert!(
        results.results[0]
            .state
            .as_ref()
            .is_some_and(|s| s.state == types::InstanceState::Running)
    );

    let r: types::BulkResult = from_json(
        s.post("/api/agents/bulk/stop?timeout_s=1")
            .bearer(t)
            .json(&json!({"all": true}))
            .send()
            .await
            .expect_json(200),
    );
    let mut names: Vec<&str> = r.results.iter().map(|i| i.agent.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        ["bulk-a", "bulk-b"],
        "all = the caller's configured agents only"
    );
    assert!(r.results.iter().all(|i| {
        i.ok && i
            .state
            .as_ref()
            .is_some_and(|s| s.state == types::InstanceState::Stopped)
    }));

    s.post("/api/agents/bulk/start")
        .bearer(t)
        .json(&json!({}))
        .send()
        .await
        .expect_error(422, "invalid_bulk_request");
    s.post("/api/agents/bulk/start")
        .bearer(t)
        .json(&json!({"all": true, "names": ["bulk-a"]}))
        .send()
        .await
        .expect_error(422, "invalid_bulk_request");
    s.post("/api/agents/bulk/explode")
        .bearer(t)
        .json(&json!({"all": true}))
        .send()
        .await
        .expect_error(422, "invalid_parameter");
}

e2e!(containers_lists_the_instances_of_your_agents);
/// `GET /api/agents/containers` shows the caller's running instances (pid, memory), never
/// another user's.
async fn containers_lists_the_instances_of_your_agents(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Boxed").await;
    configure(s, t, "boxed", &["sleep", "60"], json!({})).await;
    let pid = verb(s, t, "boxed", "start").await.pid;
    let list = s.client(t).list_agent_containers().send().await.value();
    let mine: Vec<_> = list
        .items
        .iter()
        .filter(|c| c.agent.as_deref() == Some("boxed"))
        .collect();
    assert_eq!(mine.len(), 1, "{list:?}");
    assert_eq!(mine[0].state, types::InstanceState::Running);
    assert_eq!(mine[0].pid, pid);
    assert!(!mine[0].orphan);
    let bob = s.add_user(&admin, "bob").await;
    let theirs = s.client(&bob.token).list_agent_containers().send().await.value();
    assert!(theirs.items.is_empty(), "{theirs:?}");
    verb(s, t, "boxed", "stop").await;
}
