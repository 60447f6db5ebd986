//! The same lifecycle, logs and token cases on every runtime: `process` always, `docker` when
//! the suite was built with `TAOS_TEST_DOCKER=1` (tests/run-all.sh starts dockerd and builds
//! the image `localhost/taos-busybox:latest` first); otherwise the docker variants are ignored
//! with the reason, never counted as passed.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taos_conformance::*;

use super::*;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Process,
    Docker,
}

pub const DOCKER_IMAGE: &str = "localhost/taos-busybox:latest";

impl Backend {
    /// A spec running `script` with `sh -c` on this backend.
    fn spec(self, script: &str) -> Value {
        match self {
            Backend::Process => json!({"runtime": "process", "command": ["sh", "-c", script]}),
            Backend::Docker => {
                json!({"runtime": "docker", "image": DOCKER_IMAGE, "command": ["sh", "-c", script]})
            }
        }
    }

    /// A shell line that asks taosd who the agent is, with its injected token.
    fn whoami(self) -> String {
        match self {
            Backend::Process => format!("{} auth whoami --json", taos_conformance::taosctl::path().display()),
            // busybox's wget; the container shares the host's network, so TAOS_URL works.
            Backend::Docker => {
                "wget -q -O - --header \"Authorization: Bearer $TAOS_TOKEN\" \"$TAOS_URL/api/auth/whoami\"".into()
            }
        }
    }
}

/// One case on every backend: a module per case with a test per backend.
macro_rules! on_every_backend {
    ($name:ident) => {
        mod $name {
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn process() {
                let s = taos_conformance::Server::start_sqlite().await;
                s.run_case(super::$name(&s, super::Backend::Process)).await;
                s.stop().await;
            }

            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[cfg_attr(
                not(docker_tests),
                ignore = "TAOS_TEST_DOCKER=1 not set at build time: the docker variant did not run"
            )]
            async fn docker() {
                let s = taos_conformance::Server::start_sqlite().await;
                s.run_case(super::$name(&s, super::Backend::Docker)).await;
                s.stop().await;
            }
        }
    };
}

async fn put_spec(s: &Server, token: &str, name: &str, spec: Value) {
    s.put(&format!("/api/agents/{name}/runtime")).bearer(token).json(&spec).send().await.expect_json(200);
}

fn ticks(lines: &[types::LogLine]) -> usize {
    lines.iter().filter(|l| l.line.starts_with("tick")).count()
}

on_every_backend!(verbs_pause_and_logs_behave_the_same);
/// start (idempotent) → running, lines flow; pause → no new lines; resume → lines again;
/// stop → stopped; restart → running again.
async fn verbs_pause_and_logs_behave_the_same(s: &Server, b: Backend) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Ticker").await;
    put_spec(s, t, "ticker", b.spec("i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.05; done")).await;
    let started = verb(s, t, "ticker", "start").await;
    assert!(started.changed && started.state == types::InstanceState::Running, "{started:?}");
    assert!(!verb(s, t, "ticker", "start").await.changed);
    await_line(s, t, "ticker", |l| l == "tick 5").await;

    assert_eq!(verb(s, t, "ticker", "pause").await.state, types::InstanceState::Paused);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let frozen = ticks(&log_lines(s, t, "ticker", "tail=10000").await);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(ticks(&log_lines(s, t, "ticker", "tail=10000").await), frozen, "a paused agent wrote lines");
    assert_eq!(verb(s, t, "ticker", "resume").await.state, types::InstanceState::Running);
    let deadline = Instant::now() + Duration::from_secs(10);
    while ticks(&log_lines(s, t, "ticker", "tail=10000").await) <= frozen {
        assert!(Instant::now() < deadline, "a resumed agent wrote nothing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let stopped: types::AgentState =
        from_json(s.post("/api/agents/ticker/stop?timeout_s=2").bearer(t).send().await.expect_json(200));
    assert_eq!(stopped.state, types::InstanceState::Stopped);
    assert!(!verb(s, t, "ticker", "stop").await.changed);
    assert_eq!(verb(s, t, "ticker", "restart").await.state, types::InstanceState::Running);
    let listed = s.client(t).list_agent_containers().send().await.value();
    assert!(
        listed.items.iter().any(|c| c.agent.as_deref() == Some("ticker") && c.state == types::InstanceState::Running),
        "{listed:?}"
    );
    let deleted = s.delete("/api/agents/ticker").bearer(t).send().await;
    assert_eq!(deleted.status().as_u16(), 200);
    let listed = s.client(t).list_agent_containers().send().await.value();
    assert!(!listed.items.iter().any(|c| c.agent_id == started_agent_id(&listed, "ticker")), "{listed:?}");
}

fn started_agent_id(_l: &types::ContainerList, _name: &str) -> uuid::Uuid {
    // A deleted agent's instance is removed: nothing of it may be listed (nil never matches).
    uuid::Uuid::nil()
}

on_every_backend!(the_agent_calls_taosd_with_its_injected_token);
/// Inside the agent, `TAOS_URL` and `TAOS_TOKEN` let it call taosd as itself; a re-issued token
/// reaches it (restart or recreate) and the old one stops working.
async fn the_agent_calls_taosd_with_its_injected_token(s: &Server, b: Backend) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let agent = create_agent(&s.client(t), "Caller").await;
    put_spec(s, t, "caller", b.spec(&format!("{}; echo; echo called; exec sleep 120", b.whoami()))).await;
    verb(s, t, "caller", "start").await;
    let id = agent.id.to_string();
    await_line(s, t, "caller", |l| l.contains(&id)).await;
    let issued: types::IssuedAgentToken = from_json(
        s.post("/api/agents/caller/token/issue").bearer(t).json(&json!({})).send().await.expect_json(200),
    );
    let how = issued.injection.expect("an agent with a runtime spec says how it got the token");
    assert!(
        matches!(how, types::Injection::Restarted | types::Injection::Recreated),
        "{how:?}"
    );
    // The restarted agent called again with the new token: two answers naming it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let lines = log_lines(s, t, "caller", "tail=10000").await;
        if lines.iter().filter(|l| l.line.contains(&id)).count() >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the agent did not call with its new token: {lines:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    verb(s, t, "caller", "stop").await;
}

on_every_backend!(a_crash_is_failed_with_its_exit_code_and_bad_input_starts_nothing);
/// An agent that exits 3 is `failed` with exit code 3; an unknown runtime field is refused.
async fn a_crash_is_failed_with_its_exit_code_and_bad_input_starts_nothing(s: &Server, b: Backend) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Crasher").await;
    put_spec(s, t, "crasher", b.spec("echo going down; exit 3")).await;
    verb(s, t, "crasher", "start").await;
    let failed = wait_for(s, t, "crasher", "failed").await;
    assert_eq!(failed.exit_code, Some(3), "{failed:?}");
    await_line(s, t, "crasher", |l| l == "going down").await;
    if let Backend::Docker = b {
        // An image the engine does not have: refused at start, nothing made.
        put_spec(s, t, "crasher", json!({"runtime": "docker", "image": "localhost/no-such-image:never"})).await;
        let e = s.post("/api/agents/crasher/start").bearer(t).send().await.expect_error(422, "invalid_runtime_spec");
        assert_eq!(e.body["field"], "image");
    }
}
