//! Usage errors (a rejected token, bad arguments): exit 2 before any task runs.

use std::process::Stdio;

use taos_conformance::*;

use super::{RUNNER, smoke};

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
