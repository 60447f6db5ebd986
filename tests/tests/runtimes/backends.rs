//! The same lifecycle, logs and token cases on every runtime: `process` always, `docker` when
//! the suite was built with `TAOS_TEST_DOCKER=1` and `incus` with `TAOS_TEST_INCUS=1`
//! (tests/run-all.sh starts dockerd and incusd and builds their busybox images first);
//! otherwise those variants are ignored with the reason, never counted as passed. Each incus
//! variant's taosd gets an incus project of its own (`TAOS_INCUS_PROJECT`): a taosd manages
//! every taOS container of its project.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taos_conformance::*;

use super::*;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Process,
    Docker,
    Incus,
}

pub const DOCKER_IMAGE: &str = "localhost/taos-busybox:latest";
pub const INCUS_IMAGE: &str = "taos-busybox";

/// An incus project for one server, removed (with what is left in it) when dropped.
pub struct IncusProject(pub String);

impl IncusProject {
    pub fn new() -> Self {
        let name = format!("taos-e2e-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let ok = std::process::Command::new("incus")
            .args([
                "project",
                "create",
                &name,
                "-c",
                "features.images=false",
                "-c",
                "features.profiles=false",
                "-c",
                "features.storage.volumes=false",
            ])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "cannot create the incus project {name} (is incusd running? tests/runtimes/incus.sh)"
        );
        Self(name)
    }
}

impl Drop for IncusProject {
    fn drop(&mut self) {
        let out = std::process::Command::new("incus")
            .args(["list", "--project", &self.0, "--format", "csv", "-c", "n"])
            .output();
        if let Ok(out) = out {
            for name in String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| !l.is_empty())
            {
                let _ = std::process::Command::new("incus")
                    .args(["delete", "--force", "--project", &self.0, name])
                    .status();
            }
        }
        let _ = std::process::Command::new("incus")
            .args(["project", "delete", &self.0])
            .status();
    }
}

impl Backend {
    /// A spec running `script` with `sh -c` on this backend.
    fn spec(self, script: &str) -> Value {
        match self {
            Backend::Process => json!({"runtime": "process", "command": ["sh", "-c", script]}),
            Backend::Docker => {
                json!({"runtime": "docker", "image": DOCKER_IMAGE, "command": ["sh", "-c", script]})
            }
            Backend::Incus => {
                json!({"runtime": "incus", "image": INCUS_IMAGE, "command": ["sh", "-c", script]})
            }
        }
    }

    /// A shell line that asks taosd who the agent is, with its injected token.
    fn whoami(self) -> String {
        match self {
            Backend::Process => format!("{} auth whoami --json", taos_conformance::taosctl::path().display()),
            // busybox's wget; a docker container shares the host's network and an incus one
            // reaches TAOS_URL through its proxy device.
            // Retried: an agent's first call may come before its network is up (incus's proxy).
            Backend::Docker | Backend::Incus => {
                "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - --header \"Authorization: Bearer $TAOS_TOKEN\" \"$TAOS_URL/api/auth/whoami\" && break; sleep 0.5; done".into()
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

            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[cfg_attr(
                not(incus_tests),
                ignore = "TAOS_TEST_INCUS=1 not set at build time: the incus variant did not run"
            )]
            async fn incus() {
                let project = super::IncusProject::new();
                let s = taos_conformance::Server::start_sqlite().await;
                s.set_env("TAOS_INCUS_PROJECT", &project.0);
                s.restart().await;
                s.run_case(super::$name(&s, super::Backend::Incus)).await;
                s.stop().await;
            }
        }
    };
}

/// A name of its own for each run: containers outlive taosd, and a container name is the
/// agent's slug, so a fixed name would meet the container of an earlier run's agent.
fn unique(name: &str) -> String {
    format!("{name} {}", &uuid::Uuid::new_v4().simple().to_string()[..6])
}

fn slug_of(a: &types::Agent) -> String {
    a.name.clone()
}

async fn put_spec(s: &Server, token: &str, name: &str, spec: Value) {
    s.put(&format!("/api/agents/{name}/runtime"))
        .bearer(token)
        .json(&spec)
        .send()
        .await
        .expect_json(200);
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
    let agent = create_agent(&s.client(t), &unique("Ticker")).await;
    let ticker = slug_of(&agent);
    put_spec(
        s,
        t,
        &ticker,
        b.spec("i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.05; done"),
    )
    .await;
    let started = verb(s, t, &ticker, "start").await;
    assert!(
        started.changed && started.state == types::InstanceState::Running,
        "{started:?}"
    );
    assert!(!verb(s, t, &ticker, "start").await.changed);
    await_line(s, t, &ticker, |l| l == "tick 5").await;

    assert_eq!(
        verb(s, t, &ticker, "pause").await.state,
        types::InstanceState::Paused
    );
    // What was written before the freeze may still be on its way in (incus's console is read
    // once a second).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let frozen = ticks(&log_lines(s, t, &ticker, "tail=10000").await);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        ticks(&log_lines(s, t, &ticker, "tail=10000").await),
        frozen,
        "a paused agent wrote lines"
    );
    assert_eq!(
        verb(s, t, &ticker, "resume").await.state,
        types::InstanceState::Running
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while ticks(&log_lines(s, t, &ticker, "tail=10000").await) <= frozen {
        assert!(Instant::now() < deadline, "a resumed agent wrote nothing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let stopped: types::AgentState = from_json(
        s.post(&format!("/api/agents/{ticker}/stop?timeout_s=2"))
            .bearer(t)
            .send()
            .await
            .expect_json(200),
    );
    assert_eq!(stopped.state, types::InstanceState::Stopped);
    assert!(!verb(s, t, &ticker, "stop").await.changed);
    assert_eq!(
        verb(s, t, &ticker, "restart").await.state,
        types::InstanceState::Running
    );
    let listed = s.client(t).list_agent_containers().send().await.value();
    assert!(
        listed
            .items
            .iter()
            .any(|c| c.agent.as_deref() == Some(ticker.as_str()) && c.state == types::InstanceState::Running),
        "{listed:?}"
    );
    let deleted = s.delete(&format!("/api/agents/{ticker}")).bearer(t).send().await;
    assert_eq!(deleted.status().as_u16(), 200);
    let listed = s.client(t).list_agent_containers().send().await.value();
    assert!(!listed.items.iter().any(|c| c.agent_id == agent.id), "{listed:?}");
}

on_every_backend!(the_agent_calls_taosd_with_its_injected_token);
/// Inside the agent, `TAOS_URL` and `TAOS_TOKEN` let it call taosd as itself; a re-issued token
/// reaches it (restart or recreate) and the old one stops working.
async fn the_agent_calls_taosd_with_its_injected_token(s: &Server, b: Backend) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let agent = create_agent(&s.client(t), &unique("Caller")).await;
    let caller = slug_of(&agent);
    put_spec(
        s,
        t,
        &caller,
        b.spec(&format!("{}; echo; echo called; exec sleep 120", b.whoami())),
    )
    .await;
    verb(s, t, &caller, "start").await;
    let id = agent.id.to_string();
    await_line(s, t, &caller, |l| l.contains(&id)).await;
    let issued: types::IssuedAgentToken = from_json(
        s.post(&format!("/api/agents/{caller}/token/issue"))
            .bearer(t)
            .json(&json!({}))
            .send()
            .await
            .expect_json(200),
    );
    let how = issued
        .injection
        .expect("an agent with a runtime spec says how it got the token");
    assert!(
        matches!(how, types::Injection::Restarted | types::Injection::Recreated),
        "{how:?}"
    );
    // The restarted agent called again with the new token: two answers naming it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let lines = log_lines(s, t, &caller, "tail=10000").await;
        if lines.iter().filter(|l| l.line.contains(&id)).count() >= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the agent did not call with its new token: {lines:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.delete(&format!("/api/agents/{caller}"))
        .bearer(t)
        .send()
        .await
        .expect_status(200);
}

on_every_backend!(a_crash_is_failed_with_its_exit_code_and_bad_input_starts_nothing);
/// An agent that exits 3 is `failed` with exit code 3; an unknown runtime field is refused.
async fn a_crash_is_failed_with_its_exit_code_and_bad_input_starts_nothing(s: &Server, b: Backend) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let agent = create_agent(&s.client(t), &unique("Crasher")).await;
    let crasher = slug_of(&agent);
    put_spec(s, t, &crasher, b.spec("sleep 1; echo going down; exit 3")).await;
    verb(s, t, &crasher, "start").await;
    let failed = wait_for(s, t, &crasher, "failed").await;
    // incus does not tell how a container's init ended: failed, with no exit code.
    let code = if let Backend::Incus = b { None } else { Some(3) };
    assert_eq!(failed.exit_code, code, "{failed:?}");
    await_line(s, t, &crasher, |l| l == "going down").await;
    if let Backend::Docker | Backend::Incus = b {
        // An image the runtime does not have: refused at start, nothing made.
        let runtime = if let Backend::Docker = b {
            "docker"
        } else {
            "incus"
        };
        put_spec(
            s,
            t,
            &crasher,
            json!({"runtime": runtime, "image": "localhost/no-such-image:never"}),
        )
        .await;
        let e = s
            .post(&format!("/api/agents/{crasher}/start"))
            .bearer(t)
            .send()
            .await
            .expect_error(422, "invalid_runtime_spec");
        assert_eq!(e.body["field"], "image");
    }
    s.delete(&format!("/api/agents/{crasher}"))
        .bearer(t)
        .send()
        .await
        .expect_status(200);
}

on_every_backend!(a_deploy_runs_the_agent_with_its_token);
/// `POST /api/agents/deploy` on this backend: the operation succeeds once the agent runs, and
/// the agent calls taosd as itself with the token the deploy issued and injected.
async fn a_deploy_runs_the_agent_with_its_token(s: &Server, b: Backend) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let name = unique("Deployed");
    let spec = b.spec(&format!("{}; echo; exec sleep 120", b.whoami()));
    let op: types::Operation = from_json(
        s.post("/api/agents/deploy")
            .bearer(t)
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&json!({"name": name, "spec": spec}))
            .send()
            .await
            .expect_json(202),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = loop {
        let now: types::Operation = from_json(
            s.get(&format!("/api/operations/{}?wait_s=20", op.id))
                .bearer(t)
                .send()
                .await
                .expect_json(200),
        );
        if now.done {
            break now;
        }
        assert!(Instant::now() < deadline, "the deploy never finished: {now:?}");
    };
    assert_eq!(done.status.to_string(), "succeeded", "{done:?}");
    assert_eq!(
        done.result.as_ref().map(|r| r.state),
        Some(types::InstanceState::Running)
    );
    let agent = s
        .client(t)
        .get_agent()
        .name(op.agent.as_str())
        .send()
        .await
        .value();
    assert!(agent.has_token);
    let id = agent.id.to_string();
    await_line(s, t, &op.agent, |l| l.contains(&id)).await;
    s.delete(&format!("/api/agents/{}", op.agent))
        .bearer(t)
        .send()
        .await
        .expect_status(200);
}

on_every_backend!(a_stopped_agent_is_still_stopped_after_taosd_restarts);
/// Stopped on request, then taosd restarts (a container outlives it and is adopted): the agent
/// is `stopped`, not `failed`, and stays down.
async fn a_stopped_agent_is_still_stopped_after_taosd_restarts(s: &Server, b: Backend) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let agent = create_agent(&s.client(t), &unique("Sleeper")).await;
    let sleeper = slug_of(&agent);
    put_spec(s, t, &sleeper, b.spec("exec sleep 300")).await;
    verb(s, t, &sleeper, "start").await;
    let stopped = s
        .post(&format!("/api/agents/{sleeper}/stop?timeout_s=1"))
        .bearer(t)
        .send()
        .await
        .expect_json(200);
    assert_eq!(stopped["state"], "stopped", "{stopped}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = runtime_of(s, t, &sleeper).await;
    assert_eq!(before.state.state, types::InstanceState::Stopped, "{before:?}");
    s.restart().await;
    let rt = runtime_of(s, t, &sleeper).await;
    assert_eq!(rt.state.state, types::InstanceState::Stopped, "{rt:?}");
    assert_eq!(rt.desired_state.to_string(), "stopped");
    s.delete(&format!("/api/agents/{sleeper}"))
        .bearer(t)
        .send()
        .await
        .expect_status(200);
}

/// An agent moves to another runtime only when nothing of it runs: a live one is 409
/// `invalid_transition` (it would keep running where stop and start no longer reach it);
/// a stopped one moves, and its state is the new runtime's, not the old run's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(docker_tests),
    ignore = "TAOS_TEST_DOCKER=1 not set at build time: the docker variant did not run"
)]
async fn an_agent_moves_to_another_runtime_only_when_stopped() {
    let s = Server::start_sqlite().await;
    s.run_case(async {
        let admin = s.setup_admin().await;
        let t = &admin.token;
        // Docker's container names are the daemon's, shared with every other taosd on it:
        // one of its own, removed at the end.
        let name = format!("mover-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let name = name.as_str();
        create_agent(&s.client(t), name).await;
        configure(&s, t, name, &["sleep", "120"], json!({})).await;
        let pid = verb(&s, t, name, "start").await.pid.expect("a pid");
        let to_docker = Backend::Docker.spec("sleep 120");
        let refused = s
            .put(&format!("/api/agents/{name}/runtime"))
            .bearer(t)
            .json(&to_docker)
            .send()
            .await
            .expect_error(409, "invalid_transition")
            .body;
        assert_eq!(refused["state"], "running", "{refused}");
        assert!(alive(pid), "the process was left behind");
        assert_eq!(runtime_of(&s, t, name).await.runtime.to_string(), "process");

        let stopped = verb(&s, t, name, "stop").await;
        assert_eq!(stopped.state, types::InstanceState::Stopped);
        let moved: types::AgentRuntime = from_json(
            s.put(&format!("/api/agents/{name}/runtime"))
                .bearer(t)
                .json(&to_docker)
                .send()
                .await
                .expect_json(200),
        );
        assert_eq!(moved.runtime.to_string(), "docker");
        assert!(
            moved.state.pid.is_none() && moved.state.exit_code.is_none() && moved.state.started_at.is_none(),
            "the state is the old run's: {:?}",
            moved.state
        );
        let running = verb(&s, t, name, "start").await;
        assert_eq!(running.state, types::InstanceState::Running, "{running:?}");
        assert_eq!(runtime_of(&s, t, name).await.runtime.to_string(), "docker");
        verb(&s, t, name, "stop").await;
        assert!(!docker_containers(name).is_empty(), "a stopped container is kept");
        // Moved back, its stopped container goes: nothing would ever manage it again.
        s.put(&format!("/api/agents/{name}/runtime"))
            .bearer(t)
            .json(&json!({"runtime": "process", "command": ["sleep", "120"]}))
            .send()
            .await
            .expect_status(200);
        assert!(
            docker_containers(name).is_empty(),
            "the container outlived the agent's move to process"
        );
        s.delete(&format!("/api/agents/{name}"))
            .bearer(t)
            .send()
            .await
            .expect_status(200);
        assert!(
            docker_containers(name).is_empty(),
            "the container outlived its agent"
        );
    })
    .await;
    s.stop().await;
}

/// The names of the docker containers (running or not) of the agent `name`.
fn docker_containers(name: &str) -> String {
    let out = std::process::Command::new("docker")
        .args([
            "ps",
            "-a",
            "--filter",
            &format!("name=taos-agent-{name}"),
            "--format",
            "{{.Names}}",
        ])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The pids on this machine whose command line is exactly `argv` (a docker container's
/// processes are the host's too).
fn pids_running(argv: &[&str]) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let got: Vec<&[u8]> = cmdline.split(|b| *b == 0).filter(|a| !a.is_empty()).collect();
            got.len() == argv.len() && got.iter().zip(argv).all(|(g, w)| *g == w.as_bytes())
        })
        .collect()
}

/// Moving a stopped agent between runtimes (process ⇄ docker) while it is being started, many
/// rounds: every answer is 200 or, for a move that found the agent running, 409
/// `invalid_transition`; afterwards the agent runs on the runtime it reports, and nothing of
/// it runs on the other one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(docker_tests),
    ignore = "TAOS_TEST_DOCKER=1 not set at build time: the docker variant did not run"
)]
async fn a_move_racing_a_start_leaves_one_instance_where_reported() {
    let s = Server::start_sqlite().await;
    s.run_case(async {
        let admin = s.setup_admin().await;
        let t = &admin.token;
        let name = format!("shuttle-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let name = name.as_str();
        // Durations no other test sleeps for, to find each backend's instance by its command.
        let secs = 70_000 + (uuid::Uuid::new_v4().as_u128() % 10_000) as u32;
        let (on_process, on_docker) = (secs.to_string(), (secs + 1).to_string());
        let process = json!({"runtime": "process", "command": ["sleep", on_process]});
        let docker = json!({"runtime": "docker", "image": DOCKER_IMAGE, "command": ["sleep", on_docker]});
        create_agent(&s.client(t), name).await;
        configure(&s, t, name, &["sleep", &on_process], json!({})).await;
        let path = format!("/api/agents/{name}/runtime");
        let mut seen = std::collections::BTreeSet::new();
        for round in 0..8 {
            let (first, second) = if round % 2 == 0 {
                (&docker, &process)
            } else {
                (&process, &docker)
            };
            let answers = futures::future::join_all([
                s.put(&path).bearer(t).json(first).send(),
                s.post(&format!("/api/agents/{name}/start")).bearer(t).send(),
                s.put(&path).bearer(t).json(second).send(),
            ])
            .await;
            for a in answers {
                let status = a.status().as_u16();
                if status != 200 {
                    a.expect_error(409, "invalid_transition");
                }
            }
            let rt = runtime_of(&s, t, name).await;
            let (here, there) = match rt.runtime.to_string().as_str() {
                "process" => (&on_process, &on_docker),
                "docker" => (&on_docker, &on_process),
                other => panic!("round {round}: runtime {other}"),
            };
            seen.insert((rt.runtime.to_string(), format!("{:?}", rt.state.state)));
            let running_here = pids_running(&["sleep", here]).len();
            let running_there = pids_running(&["sleep", there]).len();
            match rt.state.state {
                types::InstanceState::Running => {
                    assert_eq!(
                        running_here, 1,
                        "round {round}: one instance where reported: {rt:?}"
                    );
                }
                types::InstanceState::Stopped => {
                    assert_eq!(running_here, 0, "round {round}: stopped, yet running: {rt:?}");
                }
                ref other => panic!("round {round}: state {other:?}"),
            }
            assert_eq!(
                running_there, 0,
                "round {round}: left running on the other runtime: {rt:?}"
            );
            // `sleep` as a container's PID 1 ignores SIGTERM: a short grace, not the default 10 s.
            verb(&s, t, name, "stop?timeout_s=1").await;
            if rt.runtime.to_string() == "process" {
                assert!(
                    docker_containers(name).is_empty(),
                    "round {round}: a container was left behind by the move to process"
                );
            }
        }
        eprintln!("move racing start, outcomes (runtime, state): {seen:?}");
        s.delete(&format!("/api/agents/{name}"))
            .bearer(t)
            .send()
            .await
            .expect_status(200);
    })
    .await;
    s.stop().await;
}
