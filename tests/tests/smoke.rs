//! `taos-conformance smoke`, the A-tier smoke runner, end to end: the real binary against a real
//! taosd, with the scripted stand-in agent (`tests/smoke/standin-agent.sh`, which drives the
//! real `taosctl`) and with agents that do nothing, fail, hang, or cut corners.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use taos_conformance::smoke::{Outcome, Report, TaskResult};
use taos_conformance::*;

const RUNNER: &str = env!("CARGO_BIN_EXE_taos-conformance");
const TASKS: [&str; 6] = [
    "create-agent",
    "send-notification",
    "issue-and-use-token",
    "search-docs",
    "revoke-token",
    "archive-agent",
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
        (6, 0, 0)
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

e2e!(an_agent_that_does_nothing_took_the_wrong_path);
/// `--agent-cmd true` claims success without doing anything: wrong_path for each task, the
/// dependent tasks skipped as gave_up, exit 1.
async fn an_agent_that_does_nothing_took_the_wrong_path(s: &Server) {
    let admin = s.setup_admin().await;
    // The token written into the command (a comment here) is not echoed with it.
    let cmd = format!("true # {}", admin.token);
    let ran = smoke(&s.url(), &admin.token, &["--agent-cmd", &cmd]).await;
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("agent `true # [token]`"), "{}", ran.stderr);
    for out in [&ran.stdout, &ran.stderr] {
        assert!(!out.contains(&admin.token), "the token leaked: {out}");
    }
    let report = ran.report();
    assert_outcomes(
        &report,
        &[
            ("create-agent", Outcome::WrongPath),
            ("send-notification", Outcome::WrongPath),
            ("issue-and-use-token", Outcome::GaveUp),
            ("search-docs", Outcome::WrongPath),
            ("revoke-token", Outcome::GaveUp),
            ("archive-agent", Outcome::GaveUp),
        ],
    );
    assert_eq!(
        (
            report.totals.succeeded,
            report.totals.wrong_path,
            report.totals.gave_up
        ),
        (0, 3, 3)
    );
    let create = result(&report, "create-agent");
    assert_eq!(create.exit_code, Some(0));
    assert!(create.detail.contains("answered 404"), "{}", create.detail);
    assert!(
        result(&report, "send-notification")
            .detail
            .contains("no notification titled"),
        "{report:?}"
    );
    for (task, dep) in [
        ("issue-and-use-token", "create-agent"),
        ("revoke-token", "issue-and-use-token"),
        ("archive-agent", "create-agent"),
    ] {
        let r = result(&report, task);
        assert_eq!(r.detail, format!("skipped: depends on {dep}"));
        assert_eq!(r.exit_code, None);
    }
}

e2e!(a_failing_agent_gave_up);
/// An agent exiting 7 gave up on every task; its exit code is reported.
async fn a_failing_agent_gave_up(s: &Server) {
    let admin = s.setup_admin().await;
    let ran = smoke(
        &s.url(),
        &admin.token,
        &["--agent-cmd", "echo 'no idea how' >&2; exit 7"],
    )
    .await;
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let report = ran.report();
    let want: Vec<(&str, Outcome)> = TASKS.iter().map(|t| (*t, Outcome::GaveUp)).collect();
    assert_outcomes(&report, &want);
    for task in ["create-agent", "send-notification", "search-docs"] {
        let r = result(&report, task);
        assert_eq!(r.exit_code, Some(7), "{r:?}");
        assert!(r.detail.contains("agent exited 7"), "{}", r.detail);
        assert!(
            r.detail.contains("stderr: no idea how"),
            "the output's tail: {}",
            r.detail
        );
    }
    // The stand-in does not know a prompt it was not written for: exit 3, gave_up.
    let ran = smoke(
        &s.url(),
        &admin.token,
        &[
            "--agent-cmd",
            &format!("echo 'Task: juggle.' | {}", standin()),
            "--task",
            "send-notification",
        ],
    )
    .await;
    let r = ran.report();
    assert_eq!(
        result(&r, "send-notification").exit_code,
        Some(3),
        "{}",
        ran.stderr
    );
    assert_eq!(result(&r, "send-notification").outcome, Outcome::GaveUp);
}

e2e!(a_hung_agent_is_killed_at_the_time_limit);
/// An agent that never finishes is killed (with what it started) at `--timeout-secs` and
/// reported as gave_up.
async fn a_hung_agent_is_killed_at_the_time_limit(s: &Server) {
    let admin = s.setup_admin().await;
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("child.pid");
    let cmd = format!("sleep 120 & echo $! > '{}'; sleep 120", pidfile.display());
    let ran = smoke(
        &s.url(),
        &admin.token,
        &[
            "--agent-cmd",
            &cmd,
            "--task",
            "send-notification",
            "--timeout-secs",
            "2",
        ],
    )
    .await;
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(ran.took < Duration::from_secs(30), "took {:?}", ran.took);
    let report = ran.report();
    assert_outcomes(&report, &[("send-notification", Outcome::GaveUp)]);
    let r = result(&report, "send-notification");
    assert_eq!(r.exit_code, None);
    assert!(r.detail.contains("timed out after 2 s"), "{}", r.detail);
    assert!((2000..20_000).contains(&r.duration_ms), "{}", r.duration_ms);

    // The background `sleep` went with the agent's process group (gone, or a zombie).
    let pid = std::fs::read_to_string(&pidfile).expect("the agent wrote its child's pid");
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
    assert!(
        stat.is_empty() || state == Some(Some('Z')),
        "the agent's child {pid} still runs: {stat}"
    );
}

e2e!(a_shortcut_is_caught);
/// Sending the notification with the runner's own token instead of the issued one, or with the
/// wrong body, is wrong_path, and the detail says what was wrong.
async fn a_shortcut_is_caught(s: &Server) {
    let admin = s.setup_admin().await;
    let cmd = format!(
        r#"if [ "$TAOS_SMOKE_TASK" = create-agent ]; then exec {}; fi
n=$(printf %s "$TAOS_SMOKE_PROMPT" | grep -o 'smoke-[0-9a-f]*' | head -n 1)
taosctl agents token issue "$n" >/dev/null && taosctl ui notify --title "hello from $n""#,
        standin()
    );
    let ran = smoke(
        &s.url(),
        &admin.token,
        &["--agent-cmd", &cmd, "--task", "issue-and-use-token"],
    )
    .await;
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let report = ran.report();
    assert_outcomes(
        &report,
        &[
            ("create-agent", Outcome::Succeeded),
            ("issue-and-use-token", Outcome::WrongPath),
        ],
    );
    let detail = &result(&report, "issue-and-use-token").detail;
    assert!(
        detail.contains("came from user:admin") && detail.contains("not sent with the agent's token"),
        "{detail}"
    );

    let (_, detail) = notify_with(s, &admin.token, "unreachable").await;
    assert!(detail.contains(r#"its body is "unreachable""#), "{detail}");

    // The body is the runner's token: the detail quotes it redacted, and it appears nowhere.
    let (ran, detail) = notify_with(s, &admin.token, r#""$TAOS_TOKEN""#).await;
    assert!(detail.contains(r#"its body is "[token]""#), "{detail}");
    for out in [&ran.stdout, &ran.stderr] {
        assert!(!out.contains(&admin.token), "the runner's token leaked: {out}");
    }
}

/// Runs `send-notification` with an agent that sends the notification the task names, with
/// `body` (shell words); it must be wrong_path. Returns the run and the task's detail.
async fn notify_with(s: &Server, token: &str, body: &str) -> (Ran, String) {
    let cmd = format!(
        r#"t=$(printf %s "$TAOS_SMOKE_PROMPT" | sed -n 's/.*titled "\([^"]*\)".*/\1/p'); taosctl ui notify --title "$t" --body {body}"#
    );
    let ran = smoke(
        &s.url(),
        token,
        &["--agent-cmd", &cmd, "--task", "send-notification"],
    )
    .await;
    let report = ran.report();
    assert_outcomes(&report, &[("send-notification", Outcome::WrongPath)]);
    let detail = result(&report, "send-notification").detail.clone();
    (ran, detail)
}

e2e!(a_rejected_token_runs_nothing);
/// A token the server rejects is a usage error (exit 2) found before any task runs.
async fn a_rejected_token_runs_nothing(s: &Server) {
    s.setup_admin().await;
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let cmd = format!("touch '{}'", marker.display());
    let bogus = "taos_user_000000000000000000000000000000000000000000";
    let ran = smoke(&s.url(), bogus, &["--agent-cmd", &cmd]).await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("token was rejected"), "{}", ran.stderr);
    assert!(ran.stderr.contains("401"), "{}", ran.stderr);
    assert!(
        !ran.stderr.contains(bogus),
        "the token is not echoed: {}",
        ran.stderr
    );
    assert!(ran.stdout.is_empty(), "no report: {}", ran.stdout);
    assert!(!marker.exists(), "no task ran");
}

/// Usage errors need no server: exit 2 and a message, never a run.
#[test]
fn usage_errors_exit_2() {
    let run = |args: &[&str], token: Option<&str>| {
        let mut cmd = std::process::Command::new(RUNNER);
        cmd.args(args).env_remove("TAOS_URL").env_remove("TAOS_TOKEN");
        if let Some(t) = token {
            cmd.env("TAOS_TOKEN", t);
        }
        let out = cmd.stdin(Stdio::null()).output().expect("run taos-conformance");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let tok = Some("taos_user_x");
    for (args, token, says) in [
        (
            vec!["smoke", "--url", "not a url", "--agent-cmd", "true"],
            tok,
            "is not a URL",
        ),
        (
            vec!["smoke", "--url", "ftp://h/", "--agent-cmd", "true"],
            tok,
            "http:// or https://",
        ),
        (
            vec!["smoke", "--url", "http://127.0.0.1:9", "--agent-cmd", "true"],
            None,
            "no token",
        ),
        (vec!["smoke", "--url", "http://127.0.0.1:9"], tok, "--agent-cmd"),
        (
            vec![
                "smoke",
                "--url",
                "http://127.0.0.1:9",
                "--agent-cmd",
                "true",
                "--task",
                "x",
            ],
            tok,
            "invalid value",
        ),
        (
            vec![
                "smoke",
                "--url",
                "http://127.0.0.1:9",
                "--agent-cmd",
                "true",
                "--timeout-secs",
                "0",
            ],
            tok,
            "invalid value",
        ),
        // Nothing listens on the discard port: the server cannot be reached.
        (
            vec!["smoke", "--url", "http://127.0.0.1:9", "--agent-cmd", "true"],
            tok,
            "is a taOS server running there",
        ),
    ] {
        let (code, stderr) = run(&args, token);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }

    let out = std::process::Command::new(RUNNER)
        .args(["smoke", "--help"])
        .output()
        .expect("run taos-conformance");
    let help = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    for says in [
        "--token-stdin",
        "TAOS_SMOKE_PROMPT",
        "wrong_path",
        "Exit status",
        "Example",
        "standin-agent.sh",
    ] {
        assert!(help.contains(says), "--help lacks {says:?}:\n{help}");
    }
}
