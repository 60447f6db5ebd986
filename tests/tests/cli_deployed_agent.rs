//! The end-to-end case of deploying: a real process agent, deployed with `taosctl agents deploy
//! --wait`, whose program is a small sh script that uses this build's `taosctl` with the
//! `TAOS_URL` and `TAOS_TOKEN` taosd injected to notify the user. Its notifications arrive as
//! `agent:<slug>`; a re-issued token restarts it with the new one (and the old one is refused);
//! a revoke restarts it with no token, so its own notify fails, which it logs.

use std::path::Path;
use std::time::Duration;

use taos_conformance::taosctl::{self, Terminal as Ctl};
use taos_conformance::{Server, e2e};

/// The agent: writes the token it was started with to `$OUT/token-<pid>` (so the test can tell
/// which token each run had), then notifies every 0.3 s with its pid and a counter, saying on
/// stderr when a notify fails (taosctl's own error goes there too).
const AGENT_SH: &str = r#"
printf '%s' "$TAOS_TOKEN" > "$OUT/.token-$$" && mv "$OUT/.token-$$" "$OUT/token-$$"
n=0
while :; do
  n=$((n + 1))
  if "$TAOSCTL" ui notify --title "tick $$ $n" --body "run $$, notification $n"; then
    echo "notified $n"
  else
    echo "notify $n failed" >&2
  fi
  sleep 0.3
done
"#;

/// Polls `check` every 200 ms for at most `secs`; panics with `what` when it never holds.
async fn eventually<T, F, Fut>(secs: u64, what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The tokens the agent's runs wrote, as (pid, token), in no order.
fn tokens_written(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix("token-")?.to_string();
            let token = std::fs::read_to_string(e.path()).ok()?;
            Some((pid, token))
        })
        .collect()
}

/// The titles of the user's notifications from `source`.
async fn titles_from(ctl: &Ctl, source: &str) -> Vec<String> {
    let list = ctl
        .run(&["notifications", "list", "--all", "--json"], None)
        .await
        .ok()
        .json();
    list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|n| n["source"] == source)
                .filter_map(|n| n["title"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

e2e!(deployed_agent_notifies_with_its_injected_token);
async fn deployed_agent_notifies_with_its_injected_token(server: &Server) {
    let ctl = Ctl::new(server);
    ctl.set_up_ada().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir out");
    let script = dir.path().join("agent.sh");
    std::fs::write(&script, AGENT_SH).expect("write agent.sh");
    let bin = taosctl::path().display().to_string();
    let (out_s, script_s, home) = (
        out.display().to_string(),
        script.display().to_string(),
        dir.path().display().to_string(),
    );
    // Not secrets: `--env NAME=VALUE` is fine here.
    let (taosctl_env, out_env, home_env) = (
        format!("TAOSCTL={bin}"),
        format!("OUT={out_s}"),
        format!("HOME={home}"),
    );
    let deployed = ctl
        .run(
            &[
                "agents",
                "deploy",
                "Notifier",
                "--wait",
                "--timeout",
                "60",
                "--json",
                "--env",
                &taosctl_env,
                "--env",
                &out_env,
                "--env",
                &home_env,
                "--",
                "sh",
                &script_s,
            ],
            None,
        )
        .await
        .ok()
        .json();
    assert_eq!(deployed["status"], "succeeded", "{deployed}");
    assert_eq!(deployed["agent"], "notifier");
    let first_pid = deployed["result"]["pid"].to_string();

    // Its notifications arrive, from agent:notifier, made with the token taosd injected.
    eventually(15, "a notification from agent:notifier", || async {
        let titles = titles_from(&ctl, "agent:notifier").await;
        titles
            .iter()
            .any(|t| t.starts_with(&format!("tick {first_pid} ")))
            .then_some(())
    })
    .await;
    let (_, old_token) = eventually(10, "the first run's token file", || async {
        tokens_written(&out)
            .into_iter()
            .find(|(pid, _)| *pid == first_pid)
    })
    .await;
    assert!(old_token.starts_with("taos_agent_"), "an agent token");
    let as_old = Ctl::with_token(server, &old_token);
    let me = as_old.run(&["auth", "whoami", "--json"], None).await.ok().json();
    assert_eq!(
        me["agent_name"], "notifier",
        "the injected token is the agent's: {me}"
    );
    assert_eq!(me["kind"], "agent_token", "{me}");

    // A re-issued token restarts the running agent with it; the old one is refused at once.
    let issued = ctl
        .run(&["agents", "token", "issue", "notifier", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(issued["injection"], "restarted", "{issued}");
    let new_token = issued["token"].as_str().expect("the new token").to_string();
    assert_ne!(new_token, old_token);
    as_old
        .run(&["auth", "whoami"], None)
        .await
        .api_err(4, "invalid_token");
    let (new_pid, injected) = eventually(15, "a run with the re-issued token", || async {
        tokens_written(&out)
            .into_iter()
            .find(|(pid, _)| *pid != first_pid)
    })
    .await;
    assert_eq!(injected, new_token, "the restarted agent got the new token");
    eventually(15, "a notification made with the new token", || async {
        let titles = titles_from(&ctl, "agent:notifier").await;
        titles
            .iter()
            .any(|t| t.starts_with(&format!("tick {new_pid} ")))
            .then_some(())
    })
    .await;

    // Revoked: the token is refused at once. taosd hands the running agent the change as it
    // handed it the new token: the process agent is restarted, now with no TAOS_TOKEN at all,
    // so its own notify fails, and it says so in its logs.
    ctl.run(&["agents", "token", "revoke", "notifier"], None)
        .await
        .ok();
    Ctl::with_token(server, &new_token)
        .run(&["auth", "whoami"], None)
        .await
        .api_err(4, "invalid_token");
    let (_, none) = eventually(15, "a run after the revoke", || async {
        tokens_written(&out)
            .into_iter()
            .find(|(pid, _)| *pid != first_pid && *pid != new_pid)
    })
    .await;
    assert_eq!(none, "", "no token reaches the agent after a revoke");
    let logged = eventually(15, "the failed notify in the agent's stderr", || async {
        let logs = ctl
            .run(&["agents", "logs", "notifier", "--stream", "stderr"], None)
            .await
            .ok();
        (logs.stdout.contains("failed") && logs.stdout.contains("error: ")).then_some(logs.stdout)
    })
    .await;
    assert!(
        logged.contains("error: not logged in") && logged.contains("notify 1 failed"),
        "taosctl's own error says the agent has no token:\n{logged}"
    );
    let before = titles_from(&ctl, "agent:notifier").await.len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        titles_from(&ctl, "agent:notifier").await.len(),
        before,
        "no notification arrives after the revoke"
    );
    let shown = ctl
        .run(&["agents", "get", "notifier", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(shown["has_token"], false, "{shown}");
    let stopped = ctl
        .run(&["agents", "stop", "notifier", "--timeout", "1", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(stopped["state"], "stopped", "{stopped}");
}
