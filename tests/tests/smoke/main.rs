//! `taos-conformance smoke`, the A-tier smoke runner, end to end: the real binary against a real
//! taosd, with the scripted stand-in agent (`tests/smoke/standin-agent.sh`, which drives the
//! real `taosctl`) and with agents that do nothing, fail, hang, or cut corners.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use taos_conformance::smoke::{Outcome, Report, TaskResult};
use taos_conformance::*;

mod failures;
mod usage;

const RUNNER: &str = env!("CARGO_BIN_EXE_taos-conformance");
const TASKS: [&str; 9] = [
    "create-agent",
    "send-notification",
    "issue-and-use-token",
    "search-docs",
    "revoke-token",
    "archive-agent",
    "deploy-agent",
    "read-logs",
    "pause-resume",
];

/// `--agent-cmd` for the stand-in.
fn standin() -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("smoke/standin-agent.sh");
    assert!(script.is_file(), "{} is missing", script.display());
    format!("bash '{}'", script.display())
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Ran {
    /// The report the runner printed on stdout (the default `--report-json -`).
    fn report(&self) -> Report {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not a report ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `taos-conformance smoke --url URL ARGS…` with `token` in TAOS_TOKEN, `taosctl` on PATH,
/// and an empty config dir (no saved credentials to fall back on).
async fn smoke(url: &str, token: &str, args: &[&str]) -> Ran {
    let config = tempfile::tempdir().expect("tempdir");
    let path = format!(
        "{}:{}",
        taosctl::dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let started = Instant::now();
    let out = tokio::process::Command::new(RUNNER)
        .args(["smoke", "--url", url])
        .args(args)
        .env("TAOS_TOKEN", token)
        .env("PATH", path)
        .env("HOME", config.path())
        .env("XDG_CONFIG_HOME", config.path())
        .env_remove("TAOS_URL")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run taos-conformance");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    }
}

#[track_caller]
fn result<'a>(report: &'a Report, task: &str) -> &'a TaskResult {
    report
        .results
        .iter()
        .find(|r| r.task == task)
        .unwrap_or_else(|| panic!("no result for {task} in {}", report.to_json()))
}

/// `smoke-xxxxxx`, the agent name of a run, from one of its prompts.
fn agent_of(report: &Report) -> String {
    let prompt = &result(report, "create-agent").prompt;
    let at = prompt.find("\"smoke-").expect("the prompt names the agent") + 1;
    prompt[at..at + "smoke-".len() + 6].to_string()
}

#[track_caller]
fn assert_outcomes(report: &Report, want: &[(&str, Outcome)]) {
    let got: Vec<(&str, Outcome)> = report
        .results
        .iter()
        .map(|r| (r.task.as_str(), r.outcome))
        .collect();
    assert_eq!(got, want, "{}", report.to_json());
}

e2e!(the_standin_agent_succeeds_at_every_task);
/// The stand-in does every task the way the recipes show; the runner verifies each, writes a
/// valid report file, and exits 0. Nothing in the report or on stderr is a token.
async fn the_standin_agent_succeeds_at_every_task(s: &Server) {
    let admin = s.setup_admin().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let ran = smoke(
        &s.url(),
        &admin.token,
        &["--agent-cmd", &standin(), "--report-json", path.to_str().unwrap()],
    )
    .await;
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no report at {} ({e}); stderr:\n{}", path.display(), ran.stderr));
    let report: Report = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(ran.code, 0, "stderr:\n{}\nreport:\n{text}", ran.stderr);
    assert!(
        ran.stdout.is_empty(),
        "the report went to the file, not stdout: {}",
        ran.stdout
    );

    let want: Vec<(&str, Outcome)> = TASKS.iter().map(|t| (*t, Outcome::Succeeded)).collect();
    assert_outcomes(&report, &want);
    assert_eq!(report.url, s.url());
    assert_eq!(
        (
            report.totals.succeeded,
            report.totals.wrong_path,
            report.totals.gave_up
        ),
        (9, 0, 0)
    );
    assert!((chrono::Utc::now() - report.started_at).num_seconds().abs() < 300);
    for r in &report.results {
        assert_eq!(r.exit_code, Some(0), "{r:?}");
        assert!(
            r.prompt.contains(&s.url()) && r.prompt.contains("TAOS_TOKEN"),
            "{r:?}"
        );
        assert!(!r.detail.is_empty());
    }
    for task in TASKS {
        assert!(
            ran.stderr.contains(&format!("smoke: {task}")),
            "a line per task: {}",
            ran.stderr
        );
    }
    // The stand-in was given the admin's token and issued an agent token: neither leaks.
    for out in [&text, &ran.stderr] {
        assert!(!out.contains(&admin.token), "the runner's token leaked: {out}");
        for (at, _) in out.match_indices("taos_agent_") {
            assert!(
                out[at..].starts_with("taos_agent_[redacted]"),
                "a token leaked: {out}"
            );
        }
    }

    // The side effects are really there, seen independently of the runner.
    let client = s.client(&admin.token);
    let name = agent_of(&report);
    let archived = client.list_archived_agents().send().await.value();
    assert!(archived.items.iter().any(|a| a.name == name), "{name} archived");
    let inbox = client.list_notifications().send().await.value();
    let hello = inbox
        .items
        .iter()
        .find(|n| n.title == format!("hello from {name}"))
        .expect("the agent's notification");
    assert_eq!(hello.source, format!("agent:{name}"));
    let answer = inbox
        .items
        .iter()
        .find(|n| n.title.starts_with("answer "))
        .expect("the search-docs answer");
    assert_eq!(answer.message, "knowledge.read");
    // The deployed agent's program notified with its own (injected) token, and the logs
    // answer is the line it wrote last.
    let deployed = name.replacen("smoke-", "deployed-", 1);
    let up = inbox
        .items
        .iter()
        .find(|n| n.title == format!("{deployed} is up"))
        .expect("the deployed agent's notification");
    assert_eq!(up.source, format!("agent:{deployed}"));
    let last = inbox
        .items
        .iter()
        .find(|n| n.title == format!("last line of {deployed}"))
        .expect("the read-logs answer");
    assert!(
        last.message.starts_with(&format!("{deployed}: up since ")),
        "{}",
        last.message
    );
    let op = client
        .get_agent_deploy_status()
        .name(deployed.as_str())
        .send()
        .await
        .value();
    assert_eq!(op.status, types::OperationStatus::Succeeded, "{op:?}");
    let rt = client
        .get_agent_runtime()
        .name(deployed.as_str())
        .send()
        .await
        .value();
    assert_eq!(rt.state.state, types::InstanceState::Running, "resumed: {rt:?}");

    // A second run does not collide with the first.
    let again = smoke(
        &s.url(),
        &admin.token,
        &["--agent-cmd", &standin(), "--task", "create-agent"],
    )
    .await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_ne!(agent_of(&again.report()), name);
}
