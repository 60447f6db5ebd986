//! Agents that do nothing, fail, hang or cut corners: each outcome reported as it happened.

use std::time::Duration;

use taos_conformance::smoke::Outcome;
use taos_conformance::*;

use super::{Ran, TASKS, assert_outcomes, result, smoke, standin};

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
            ("deploy-agent", Outcome::WrongPath),
            ("read-logs", Outcome::GaveUp),
            ("pause-resume", Outcome::GaveUp),
        ],
    );
    assert_eq!(
        (
            report.totals.succeeded,
            report.totals.wrong_path,
            report.totals.gave_up
        ),
        (0, 4, 5)
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
    assert!(
        result(&report, "deploy-agent")
            .detail
            .contains("no agent \"deployed-"),
        "{report:?}"
    );
    for (task, dep) in [
        ("issue-and-use-token", "create-agent"),
        ("revoke-token", "issue-and-use-token"),
        ("archive-agent", "create-agent"),
        ("read-logs", "deploy-agent"),
        ("pause-resume", "deploy-agent"),
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

/// An agent command that does `deploy-agent` the stand-in's way and every other task with the
/// shell lines in `others` (`$n` is the deployed agent's name).
fn deployed_then(others: &str) -> String {
    format!(
        r#"if [ "$TAOS_SMOKE_TASK" = deploy-agent ]; then exec {}; fi
n=$(printf %s "$TAOS_SMOKE_PROMPT" | grep -o 'deployed-[0-9a-f]*' | head -n 1)
{others}"#,
        standin()
    )
}

e2e!(deploy_shortcuts_are_caught);
/// A deploy done as create + start, or whose notification is sent with the runner's token
/// instead of the injected one, is wrong_path; so is a logs answer that is no line of the logs.
async fn deploy_shortcuts_are_caught(s: &Server) {
    let admin = s.setup_admin().await;
    let not_deployed = r#"n=$(printf %s "$TAOS_SMOKE_PROMPT" | grep -o 'deployed-[0-9a-f]*' | head -n 1)
taosctl agents create --name "$n" >/dev/null && taosctl agents runtime set "$n" -- sleep 600 >/dev/null &&
taosctl agents start "$n" >/dev/null && taosctl ui notify --title "$n is up""#;
    let own_token = r#"n=$(printf %s "$TAOS_SMOKE_PROMPT" | grep -o 'deployed-[0-9a-f]*' | head -n 1)
taosctl agents deploy "$n" --wait -- sleep 600 >/dev/null && taosctl ui notify --title "$n is up""#;
    for (cmd, says) in [
        (not_deployed, "was not deployed (created with POST /api/agents"),
        (own_token, "came from user:admin, not agent:deployed-"),
    ] {
        let ran = smoke(
            &s.url(),
            &admin.token,
            &["--agent-cmd", cmd, "--task", "deploy-agent"],
        )
        .await;
        let report = ran.report();
        assert_outcomes(&report, &[("deploy-agent", Outcome::WrongPath)]);
        let detail = &result(&report, "deploy-agent").detail;
        assert!(detail.contains(says), "{detail}");
    }

    // The logs answer is made up, and the agent is paused, then stopped and started anew.
    let cmd = deployed_then(
        r#"case "$TAOS_SMOKE_TASK" in
read-logs) taosctl ui notify --title "last line of $n" --body "all is well" ;;
pause-resume) taosctl agents pause "$n" >/dev/null && taosctl agents stop "$n" --timeout 5 >/dev/null && taosctl agents start "$n" >/dev/null ;;
esac"#,
    );
    let ran = smoke(
        &s.url(),
        &admin.token,
        &[
            "--agent-cmd",
            &cmd,
            "--task",
            "read-logs",
            "--task",
            "pause-resume",
        ],
    )
    .await;
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let report = ran.report();
    assert_outcomes(
        &report,
        &[
            ("deploy-agent", Outcome::Succeeded),
            ("read-logs", Outcome::WrongPath),
            ("pause-resume", Outcome::WrongPath),
        ],
    );
    let detail = &result(&report, "read-logs").detail;
    assert!(
        detail.contains(r#"says "all is well", which is no line of"#),
        "{detail}"
    );
    let detail = &result(&report, "pause-resume").detail;
    assert!(detail.contains("started anew"), "{detail}");

    // Restarted instead of paused: never seen paused.
    let cmd = deployed_then(r#"taosctl agents restart "$n" >/dev/null"#);
    let ran = smoke(
        &s.url(),
        &admin.token,
        &["--agent-cmd", &cmd, "--task", "pause-resume"],
    )
    .await;
    let report = ran.report();
    assert_outcomes(
        &report,
        &[
            ("deploy-agent", Outcome::Succeeded),
            ("pause-resume", Outcome::WrongPath),
        ],
    );
    let detail = &result(&report, "pause-resume").detail;
    assert!(detail.contains("was never seen paused"), "{detail}");
}
