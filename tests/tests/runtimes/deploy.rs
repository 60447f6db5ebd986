//! Deploy as an operation, on the `process` runtime: the agent is registered at once (202),
//! then given its token, started and watched in the background; the operation says every
//! step, survives a `kill -9` of taosd as `server_restarted`, and holds its agent meanwhile.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taos_conformance::*;

use super::*;

async fn deploy(s: &Server, token: &str, body: Value, key: Option<&str>) -> Response {
    let mut req = s.post("/api/agents/deploy").bearer(token).json(&body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.send().await
}

async fn deployed(s: &Server, token: &str, body: Value) -> types::Operation {
    from_json(deploy(s, token, body, None).await.expect_json(202))
}

/// Deploys `name` as a process agent that sleeps a minute: the operation as the 202 gave it.
async fn deploy_sleeper(s: &Server, token: &str, name: &str) -> types::Operation {
    deployed(
        s,
        token,
        json!({"name": name, "spec": {"command": ["sleep", "60"]}}),
    )
    .await
}

/// Follows the operation with the long-poll until it is done.
async fn follow(s: &Server, token: &str, id: uuid::Uuid) -> types::Operation {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let op: types::Operation = from_json(
            s.get(&format!("/api/operations/{id}?wait_s=10"))
                .bearer(token)
                .send()
                .await
                .expect_json(200),
        );
        if op.done {
            return op;
        }
        assert!(Instant::now() < deadline, "the deploy never finished: {op:?}");
    }
}

fn step_statuses(op: &types::Operation) -> Vec<(String, String)> {
    op.steps
        .iter()
        .map(|s| (s.name.clone(), s.status.to_string()))
        .collect()
}

async fn agent_count(s: &Server, token: &str) -> usize {
    s.client(token).list_agents().send().await.value().items.len()
}

e2e!(a_deploy_registers_starts_and_hands_the_agent_its_token);
/// 202 with the operation just begun; followed, every step succeeds and the result is the
/// running state; the agent got a working token of its own scope and its persona is stored.
async fn a_deploy_registers_starts_and_hands_the_agent_its_token(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let body = json!({
        "name": "Scout",
        "model": "llama3.1:8b",
        "soul_md": "# Scout\nCurious.",
        "memory_plugin": "taosmd",
        "spec": {"runtime": "process", "command": ["sh", "-c", "printf %s \"$TAOS_TOKEN\" > token; exec sleep 60"]},
    });
    let resp = deploy(s, t, body.clone(), Some("deploy-scout-1")).await;
    let first: types::Operation = from_json(resp.expect_json(202));
    assert_eq!(first.agent, "scout");
    assert_eq!(first.kind.to_string(), "deploy");
    assert!(!first.done);
    assert_eq!(first.steps[0].name, "register");
    assert_eq!(first.steps[0].status.to_string(), "succeeded");
    // Registering is what made the operation: it happened when the operation was made.
    assert_eq!(first.steps[0].started_at, Some(first.created_at));

    let done = follow(s, t, first.id).await;
    for (before, after) in done.steps.iter().zip(done.steps.iter().skip(1)) {
        assert!(
            before.finished_at <= after.started_at,
            "steps out of order: {done:?}"
        );
    }
    assert_eq!(done.status.to_string(), "succeeded", "{done:?}");
    assert!(done.error.is_none());
    assert_eq!(
        step_statuses(&done),
        ["register", "issue_token", "start", "wait_running"]
            .map(|n| (n.to_string(), "succeeded".to_string()))
            .to_vec()
    );
    let result = done.result.as_ref().expect("a succeeded deploy has a result");
    assert_eq!(result.state, types::InstanceState::Running);
    let pid = result.pid.expect("a process agent has a pid");
    assert!(alive(pid));

    let agent = s.client(t).get_agent().name("scout").send().await.value();
    assert!(agent.has_token);
    assert_eq!(agent.status, types::AgentStatus::Running);
    assert_eq!(agent.model.as_deref(), Some("llama3.1:8b"));
    assert_eq!(agent.soul_md.as_deref(), Some("# Scout\nCurious."));
    assert_eq!(agent.memory_plugin.as_deref(), Some("taosmd"));
    assert_eq!(
        agent.token_scope,
        Some(vec!["ui.notify".to_string(), "knowledge.read".to_string()])
    );
    let token =
        std::fs::read_to_string(work_dir(s, &agent).join("token")).expect("the agent wrote its token");
    let me = s.client(&token).whoami().send().await.value();
    assert_eq!(
        me.agent_id,
        Some(agent.id),
        "the injected token is the agent's own"
    );

    // The agent's latest deploy, and the same key answered again (no second agent).
    let status: types::Operation = from_json(
        s.get("/api/agents/scout/deploy-status")
            .bearer(t)
            .send()
            .await
            .expect_json(200),
    );
    assert_eq!(status.id, first.id);
    assert!(status.done);
    let again = deploy(s, t, body, Some("deploy-scout-1")).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let replayed: types::Operation = from_json(again.expect_json(202));
    assert_eq!(replayed.id, first.id);
    assert_eq!(agent_count(s, t).await, 1);
    verb(s, t, "scout", "stop").await;
}

e2e!(an_agent_that_ends_at_once_fails_its_deploy_and_is_left_down);
/// The agent exits at once: the deploy fails at `wait_running` with `agent_exited`, the agent
/// stays registered as `failed`, not running, its token revoked; its logs say why.
async fn an_agent_that_ends_at_once_fails_its_deploy_and_is_left_down(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let op = deployed(
        s,
        t,
        json!({"name": "Brittle", "spec": {"command": ["sh", "-c", "echo missing config >&2; exit 3"], "restart": "on-failure"}}),
    )
    .await;
    let done = follow(s, t, op.id).await;
    assert_eq!(done.status.to_string(), "failed");
    let error = done.error.as_ref().expect("a failed deploy says why");
    assert_eq!(error.error, "agent_exited", "{error:?}");
    assert!(!error.fix.is_empty() && !error.doc_url.is_empty());
    let extra = serde_json::to_value(error).unwrap();
    assert_eq!(extra["step"], "wait_running");
    let statuses = step_statuses(&done);
    assert_eq!(statuses[3], ("wait_running".to_string(), "failed".to_string()));
    assert!(
        done.steps[3].detail.as_deref().is_some_and(|d| d.contains("3")),
        "{done:?}"
    );

    let agent = s.client(t).get_agent().name("brittle").send().await.value();
    assert!(!agent.has_token, "a failed deploy revokes the token it issued");
    // Not restarted by its policy: a failed deploy stops it for good.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let rt = runtime_of(s, t, "brittle").await;
    assert_eq!(rt.desired_state.to_string(), "stopped");
    assert!(
        !matches!(
            rt.state.state,
            types::InstanceState::Running | types::InstanceState::Starting
        ),
        "{rt:?}"
    );
    let lines = log_lines(s, t, "brittle", "tail=20").await;
    assert!(lines.iter().any(|l| l.line == "missing config"), "{lines:?}");
}

e2e!(what_can_be_checked_up_front_is_refused_before_anything_is_made);
/// A bad name, a spec that cannot run, a runtime value that does not exist, a scope beyond
/// the caller's, no spec at all: a canonical 4xx each, and no agent registered.
async fn what_can_be_checked_up_front_is_refused_before_anything_is_made(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let cases = [
        (
            json!({"name": "!!!", "spec": {"command": ["true"]}}),
            400,
            "invalid_agent_name",
        ),
        (
            json!({"name": "A", "spec": {"runtime": "process"}}),
            422,
            "invalid_runtime_spec",
        ),
        (
            json!({"name": "A", "spec": {"command": []}}),
            422,
            "invalid_runtime_spec",
        ),
        (
            json!({"name": "A", "spec": {"command": ["true"], "env": {"TAOS_TOKEN": "x"}}}),
            422,
            "invalid_runtime_spec",
        ),
        (
            json!({"name": "A", "spec": {"command": ["true"], "resources": {"memory_mb": -1}}}),
            422,
            "invalid_runtime_spec",
        ),
        (
            json!({"name": "A", "spec": {"runtime": "kubernetes", "command": ["true"]}}),
            422,
            "invalid_runtime_spec",
        ),
        (
            json!({"name": "A", "spec": {"runtime": "docker"}}),
            422,
            "invalid_runtime_spec",
        ),
        (json!({"name": "A"}), 422, "validation_error"),
        (
            json!({"name": "A", "spec": {"command": ["true"]}, "framework": "x"}),
            422,
            "validation_error",
        ),
    ];
    for (body, status, slug) in cases {
        deploy(s, t, body, None).await.expect_error(status, slug);
    }
    // A persona past its bound (64 KiB of markdown) is refused like any other field.
    let huge = "#".repeat(65_537);
    deploy(
        s,
        t,
        json!({"name": "A", "soul_md": huge, "spec": {"command": ["true"]}}),
        None,
    )
    .await
    .expect_error(422, "validation_error");
    // An agent token's ceiling is its own scope.
    let bot = create_agent_with(
        &s.client(t),
        json!({"name": "Deployer", "scope": ["agents.deploy"]}),
    )
    .await;
    let bot_token = issue_agent_token(&s.client(t), &bot.name).await;
    deploy(
        s,
        &bot_token,
        json!({"name": "Child", "scope": ["*"], "spec": {"command": ["true"]}}),
        None,
    )
    .await
    .expect_error(403, "scope_exceeds_caller");
    assert_eq!(agent_count(s, t).await, 1, "only the deployer agent exists");
    // Without agents.deploy the operation is not allowed at all.
    create_agent(&s.client(t), "Plain").await;
    let plain = issue_agent_token(&s.client(t), "plain").await;
    let err = deploy(
        s,
        &plain,
        json!({"name": "X", "spec": {"command": ["true"]}}),
        None,
    )
    .await
    .expect_error(403, "scope_denied");
    assert_eq!(err.body["required_scope"], "agents.deploy");
}

e2e!(while_a_deploy_runs_its_agent_takes_no_other_change);
/// Verbs, a spec, a token and a delete for the agent being deployed: 409
/// `operation_in_progress` naming the operation; once it is done they act again.
async fn while_a_deploy_runs_its_agent_takes_no_other_change(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let op = deploy_sleeper(s, t, "Busy").await;
    let attempts = [
        s.post("/api/agents/busy/stop").bearer(t).send().await,
        s.post("/api/agents/busy/restart").bearer(t).send().await,
        s.put("/api/agents/busy/runtime")
            .bearer(t)
            .json(&json!({"command": ["true"]}))
            .send()
            .await,
        s.put("/api/agents/busy")
            .bearer(t)
            .json(&json!({"spec": {"command": ["true"]}}))
            .send()
            .await,
        s.post("/api/agents/busy/token/issue").bearer(t).send().await,
        s.delete("/api/agents/busy/token").bearer(t).send().await,
        s.delete("/api/agents/busy").bearer(t).send().await,
    ];
    for resp in attempts {
        let err = resp.expect_error(409, "operation_in_progress");
        assert_eq!(err.body["operation_id"], op.id.to_string());
    }
    // A bulk verb answers the same for that agent, and goes on with the rest.
    let bulk: types::BulkResult = from_json(
        s.post("/api/agents/bulk/stop")
            .bearer(t)
            .json(&json!({"names": ["busy"]}))
            .send()
            .await
            .expect_json(200),
    );
    assert_eq!(
        bulk.results[0].error.as_ref().map(|e| e.error.as_str()),
        Some("operation_in_progress")
    );
    // A persona change touches nothing the deploy does: it goes through.
    s.put("/api/agents/busy")
        .bearer(t)
        .json(&json!({"model": "m"}))
        .send()
        .await
        .expect_json(200);
    let done = follow(s, t, op.id).await;
    assert_eq!(done.status.to_string(), "succeeded", "{done:?}");
    assert_eq!(
        verb(s, t, "busy", "stop").await.state,
        types::InstanceState::Stopped
    );
    s.delete("/api/agents/busy")
        .bearer(t)
        .send()
        .await
        .expect_json(200);
}

e2e!(operations_are_their_users_own);
/// Another user's operation and deploy status are 404 as if they did not exist; a created
/// (never deployed) agent has no deploy status.
async fn operations_are_their_users_own(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let op = deploy_sleeper(s, t, "Mine").await;
    let other = s.add_user(&admin, "bob").await;
    s.get(&format!("/api/operations/{}", op.id))
        .bearer(&other.token)
        .send()
        .await
        .expect_error(404, "operation_not_found");
    s.get("/api/agents/mine/deploy-status")
        .bearer(&other.token)
        .send()
        .await
        .expect_error(404, "agent_not_found");
    s.get(&format!("/api/operations/{}", uuid::Uuid::new_v4()))
        .bearer(t)
        .send()
        .await
        .expect_error(404, "operation_not_found");
    create_agent(&s.client(t), "Plain").await;
    s.get("/api/agents/plain/deploy-status")
        .bearer(t)
        .send()
        .await
        .expect_error(404, "deploy_not_found");
    follow(s, t, op.id).await;
    verb(s, t, "mine", "stop").await;
}

e2e!(the_long_poll_answers_when_the_operation_is_done);
/// `wait_s=0` answers at once with the running operation; `wait_s=20` answers as soon as it
/// is done, not after the 20 seconds.
async fn the_long_poll_answers_when_the_operation_is_done(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let op = deploy_sleeper(s, t, "Patient").await;
    let now: types::Operation = from_json(
        s.get(&format!("/api/operations/{}", op.id))
            .bearer(t)
            .send()
            .await
            .expect_json(200),
    );
    assert!(
        !now.done,
        "the deploy waits a second for the agent to keep running"
    );
    let asked = Instant::now();
    let done: types::Operation = from_json(
        s.get(&format!("/api/operations/{}?wait_s=20", op.id))
            .bearer(t)
            .send()
            .await
            .expect_json(200),
    );
    assert!(done.done);
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "the long-poll waited {:?}",
        asked.elapsed()
    );
    verb(s, t, "patient", "stop").await;
}

e2e!(two_deploys_of_one_name_make_two_agents);
/// Two deploys of one name at once (different keys): two agents, `twin` and `twin-2`, both
/// running; the same key twice at once: one agent, the second answer a replay or 409.
async fn two_deploys_of_one_name_make_two_agents(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let body = json!({"name": "Twin", "spec": {"command": ["sleep", "60"]}});
    let (a, b) = tokio::join!(deploy(s, t, body.clone(), None), deploy(s, t, body.clone(), None));
    let a: types::Operation = from_json(a.expect_json(202));
    let b: types::Operation = from_json(b.expect_json(202));
    let mut slugs = vec![a.agent.clone(), b.agent.clone()];
    slugs.sort();
    assert_eq!(slugs, ["twin", "twin-2"]);
    for op in [a, b] {
        assert_eq!(follow(s, t, op.id).await.status.to_string(), "succeeded");
    }
    let keyed = json!({"name": "Once", "spec": {"command": ["sleep", "60"]}});
    let (x, y) = tokio::join!(
        deploy(s, t, keyed.clone(), Some("once-key")),
        deploy(s, t, keyed.clone(), Some("once-key"))
    );
    for r in [&x, &y] {
        assert!(
            r.status().as_u16() == 202 || r.status().as_u16() == 409,
            "{}: {}",
            r.status(),
            r.text()
        );
    }
    let names: Vec<String> = s
        .client(t)
        .list_agents()
        .send()
        .await
        .value()
        .items
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(
        names.iter().filter(|n| n.starts_with("once")).count(),
        1,
        "{names:?}"
    );
    for name in ["twin", "twin-2"] {
        verb(s, t, name, "stop").await;
    }
    let once = s
        .get("/api/agents/once/deploy-status")
        .bearer(t)
        .send()
        .await
        .expect_json(200);
    follow(s, t, from_json::<types::Operation>(once).id).await;
    verb(s, t, "once", "stop").await;
}

e2e!(a_deploy_cut_by_kill_9_fails_as_server_restarted);
/// taosd killed in the middle of a deploy: after the restart the operation is `failed` with
/// `server_restarted`, and its agent is left down (not brought back), its token revoked.
async fn a_deploy_cut_by_kill_9_fails_as_server_restarted(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let op = deployed(
        s,
        t,
        json!({"name": "Cut", "spec": {"command": ["sleep", "60"], "restart": "always"}}),
    )
    .await;
    // Killed while it waits for the agent to keep running.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now: types::Operation = from_json(
            s.get(&format!("/api/operations/{}", op.id))
                .bearer(t)
                .send()
                .await
                .expect_json(200),
        );
        if now.steps[3].status.to_string() == "running" {
            break;
        }
        assert!(!now.done && Instant::now() < deadline, "{now:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = s.client(t).get_agent().name("cut").send().await.value();
    assert!(before.has_token);
    s.crash_and_restart().await;
    let after: types::Operation = from_json(
        s.get(&format!("/api/operations/{}", op.id))
            .bearer(t)
            .send()
            .await
            .expect_json(200),
    );
    assert!(after.done);
    assert_eq!(after.status.to_string(), "failed");
    assert_eq!(
        after.error.as_ref().map(|e| e.error.as_str()),
        Some("server_restarted")
    );
    assert!(
        after.steps.iter().all(|s| s.status.to_string() != "running"),
        "{after:?}"
    );
    // The deploy's token was revoked (the start-up token migration then gives the agent,
    // which has a spec, a fresh one for its next start).
    let agent = s.client(t).get_agent().name("cut").send().await.value();
    assert_ne!(agent.issued_at, before.issued_at, "{agent:?}");
    let rt = runtime_of(s, t, "cut").await;
    assert_eq!(rt.desired_state.to_string(), "stopped");
    assert_ne!(rt.state.state, types::InstanceState::Running);
}

e2e!(an_agent_with_a_spec_and_no_token_gets_one_at_start_up);
/// The start-up token migration: an agent with a runtime spec whose token was revoked (or
/// that never had one) has an active token after taosd restarts; one without a spec does not.
async fn an_agent_with_a_spec_and_no_token_gets_one_at_start_up(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent_with(
        &s.client(t),
        json!({"name": "Spec", "spec": {"command": ["sleep", "60"]}}),
    )
    .await;
    create_agent(&s.client(t), "Bare").await;
    assert!(
        !s.client(t)
            .get_agent()
            .name("spec")
            .send()
            .await
            .value()
            .has_token
    );
    s.restart().await;
    let spec = s.client(t).get_agent().name("spec").send().await.value();
    assert!(spec.has_token, "the migration issued a token: {spec:?}");
    assert_eq!(spec.token_scope, Some(spec.scope.clone()));
    assert!(
        !s.client(t)
            .get_agent()
            .name("bare")
            .send()
            .await
            .value()
            .has_token
    );
    // The agent starts with that token (taosd remembers the one it issued).
    configure(
        s,
        t,
        "spec",
        &["sh", "-c", "printf %s \"$TAOS_TOKEN\" > token; exec sleep 60"],
        json!({}),
    )
    .await;
    verb(s, t, "spec", "start").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let token = loop {
        if let Ok(tok) = std::fs::read_to_string(work_dir(s, &spec).join("token"))
            && !tok.is_empty()
        {
            break tok;
        }
        assert!(Instant::now() < deadline, "the agent never wrote its token");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let me = s.client(&token).whoami().send().await.value();
    assert_eq!(me.agent_id, Some(spec.id));
    let after = s.client(t).get_agent().name("spec").send().await.value();
    assert_eq!(
        after.issued_at, spec.issued_at,
        "the migrated token itself was handed over"
    );
    verb(s, t, "spec", "stop").await;
}

e2e!(persona_and_spec_on_create_update_and_export);
/// The persona fields are stored, cleared with an empty string, exported and imported; a
/// spec given at create is the agent's runtime spec, and a bad one creates nothing.
async fn persona_and_spec_on_create_update_and_export(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let a = create_agent_with(
        &s.client(t),
        json!({"name": "Poet", "model": "m1", "agent_md": "Do X.", "spec": {"command": ["sleep", "5"], "restart": "always"}}),
    )
    .await;
    assert_eq!(a.model.as_deref(), Some("m1"));
    assert_eq!(a.agent_md.as_deref(), Some("Do X."));
    assert!(a.soul_md.is_none() && a.memory_plugin.is_none());
    let rt = runtime_of(s, t, "poet").await;
    assert!(rt.configured);
    assert_eq!(rt.command, ["sleep", "5"]);
    assert_eq!(rt.restart.to_string(), "always");

    let updated: types::Agent = from_json(
        s.put("/api/agents/poet")
            .bearer(t)
            .json(&json!({"model": "", "soul_md": "# Poet", "spec": {"command": ["sleep", "7"]}}))
            .send()
            .await
            .expect_json(200),
    );
    assert!(updated.model.is_none(), "an empty string clears");
    assert_eq!(updated.soul_md.as_deref(), Some("# Poet"));
    assert_eq!(runtime_of(s, t, "poet").await.command, ["sleep", "7"]);

    let export = s
        .get("/api/agents/poet/export")
        .bearer(t)
        .send()
        .await
        .expect_json(200);
    assert_eq!(export["agent"]["soul_md"], "# Poet");
    assert_eq!(export["agent"]["agent_md"], "Do X.");
    s.delete("/api/agents/poet")
        .bearer(t)
        .send()
        .await
        .expect_json(200);
    let imported: types::Agent = from_json(
        s.post("/api/agents/import")
            .bearer(t)
            .json(&export)
            .send()
            .await
            .expect_json(201),
    );
    assert_eq!(imported.soul_md.as_deref(), Some("# Poet"));

    s.post("/api/agents")
        .bearer(t)
        .json(&json!({"name": "Broken", "spec": {"runtime": "process"}}))
        .send()
        .await
        .expect_error(422, "invalid_runtime_spec");
    s.put("/api/agents/poet")
        .bearer(t)
        .json(&json!({"model": "kept?", "spec": {"command": []}}))
        .send()
        .await
        .expect_error(422, "invalid_runtime_spec");
    let names: Vec<String> = s
        .client(t)
        .list_agents()
        .send()
        .await
        .value()
        .items
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["poet"], "a bad spec creates nothing");
    assert!(
        s.client(t)
            .get_agent()
            .name("poet")
            .send()
            .await
            .value()
            .model
            .is_none(),
        "a bad spec changes nothing"
    );
}

e2e!(a_deploy_on_a_runtime_that_does_not_answer_makes_nothing);
/// The runtime's daemon is not there (here: Docker at a socket nothing listens on): the deploy
/// answers 503 `runtime_unavailable` with how to start it, at once, and registers nothing.
async fn a_deploy_on_a_runtime_that_does_not_answer_makes_nothing(s: &Server) {
    s.set_env("DOCKER_HOST", "unix:///nonexistent/taos-test/docker.sock");
    s.restart().await;
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let asked = Instant::now();
    let err = deploy(
        s,
        t,
        json!({"name": "Stranded", "spec": {"runtime": "docker", "image": "localhost/taos-busybox:latest"}}),
        Some("stranded-1"),
    )
    .await
    .expect_error(503, "runtime_unavailable");
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "it hung: {:?}",
        asked.elapsed()
    );
    assert_eq!(err.body["runtime"], "docker");
    assert!(
        err.body["runtime_fix"].as_str().is_some_and(|f| !f.is_empty()),
        "{}",
        err.body
    );
    assert_eq!(agent_count(s, t).await, 0, "nothing was registered");
    // The process runtime is unaffected.
    let op = deploy_sleeper(s, t, "Local").await;
    assert_eq!(follow(s, t, op.id).await.status.to_string(), "succeeded");
    verb(s, t, "local", "stop").await;
}
