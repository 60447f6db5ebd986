//! `taosctl runtimes` and `taosctl agents runtime|start|stop|pause|resume|restart|wait|logs`
//! end to end: the real binary against a real `taosd` (SQLite) running real agents on the
//! `process` runtime (always available: it needs nothing but Linux), with its own empty config
//! directory. `logs -f` is stopped with a real SIGINT.

use std::process::Stdio;
use std::time::Duration;

use taos_conformance::taosctl::{self, Output, Terminal as Ctl};
use taos_conformance::{Server, serde_json, sqlite_e2e};
use tokio::io::{AsyncBufReadExt, BufReader};

/// A signed-in terminal with the agent `runner` registered.
async fn with_runner(server: &Server) -> Ctl {
    let ctl = Ctl::new(server);
    ctl.set_up_ada().await;
    ctl.run(&["agents", "create", "--name", "Runner"], None)
        .await
        .ok();
    ctl
}

/// Runs `args` until its stdout contains `want` (every 200 ms, for at most `secs`).
async fn until_stdout(ctl: &Ctl, args: &[&str], want: &str, secs: u64) -> Output {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let out = ctl.run(args, None).await.ok();
        if out.stdout.contains(want) || tokio::time::Instant::now() > deadline {
            assert!(
                out.stdout.contains(want),
                "`taosctl {}` never printed {want:?} in {secs} s:\n{}",
                args.join(" "),
                out.stdout
            );
            return out;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `taosctl ARGS` on `ctl`'s terminal, left running with its stdout piped, for `logs -f`.
fn spawn(ctl: &Ctl, args: &[&str]) -> tokio::process::Child {
    let mut cmd = tokio::process::Command::new(taosctl::path());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", ctl.config.path())
        .env("XDG_CONFIG_HOME", ctl.config.path())
        .env("TAOS_URL", &ctl.url)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in &ctl.env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn taosctl")
}

/// Reads `child`'s stdout lines until one contains `want` (at most `secs`); returns them all.
async fn read_until(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    want: &str,
    secs: u64,
) -> Vec<String> {
    let mut seen = Vec::new();
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            let done = line.contains(want);
            seen.push(line);
            if done {
                return true;
            }
        }
        false
    };
    let found = tokio::time::timeout(Duration::from_secs(secs), read).await;
    assert!(
        matches!(found, Ok(true)),
        "`logs -f` did not print {want:?} within {secs} s; it printed {seen:?}"
    );
    seen
}

/// Sends SIGINT (Ctrl-C) to `child` and returns its exit code (it must exit within 10 s).
async fn interrupt(child: &mut tokio::process::Child) -> Option<i32> {
    let pid = child.id().expect("taosctl still runs") as libc::pid_t;
    // SAFETY: kill(2) on a pid this test spawned and has not reaped yet.
    let sent = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(sent, 0, "kill -INT {pid}");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("taosctl exits within 10 s of SIGINT")
        .expect("wait for taosctl");
    status.code()
}

sqlite_e2e!(runtimes_table_and_json);
async fn runtimes_table_and_json(server: &Server) {
    let ctl = Ctl::new(server);
    ctl.set_up_ada().await;
    let table = ctl.run(&["runtimes"], None).await.ok();
    let mut rows = table.stdout.lines();
    let header = rows.next().unwrap_or_default();
    for col in ["KIND", "AVAILABLE", "DEFAULT", "VERSION", "PAUSE", "REASON / FIX"] {
        assert!(header.contains(col), "{col} in {header:?}");
    }
    let process = table
        .stdout
        .lines()
        .find(|l| l.starts_with("process "))
        .unwrap_or_else(|| panic!("a process row:\n{}", table.stdout));
    assert!(
        process.contains(" yes "),
        "process is available and the default: {process}"
    );
    for kind in ["docker", "incus"] {
        assert!(
            table.stdout.lines().any(|l| l.starts_with(kind)),
            "a {kind} row:\n{}",
            table.stdout
        );
    }

    let json = ctl.run(&["runtimes", "--json"], None).await.ok().json();
    assert_eq!(json["default"], "process");
    let items = json["items"].as_array().expect("items");
    let process = items
        .iter()
        .find(|i| i["kind"] == "process")
        .expect("the process runtime");
    assert_eq!(process["available"], true);
    assert!(process["capabilities"]["pause"].is_string(), "{process}");
    assert!(process["capabilities"]["limits"]["memory"].is_boolean());
    for i in items {
        if i["available"] == false {
            assert!(i["reason"].is_string() && i["fix"].is_string(), "{i}");
        }
    }
    ctl.assert_examples(&[
        &["runtimes"],
        &["agents", "runtime", "show"],
        &["agents", "runtime", "set"],
        &["agents", "start"],
        &["agents", "stop"],
        &["agents", "pause"],
        &["agents", "resume"],
        &["agents", "restart"],
        &["agents", "wait"],
        &["agents", "logs"],
    ])
    .await;
    let help = ctl.run(&["agents", "runtime", "set", "--help"], None).await.ok();
    assert!(
        help.stdout.contains("--env-file") && help.stdout.contains("environment"),
        "the help says how to keep env values off argv:\n{}",
        help.stdout
    );
}

sqlite_e2e!(unconfigured_agent_is_an_error_with_its_fix);
async fn unconfigured_agent_is_an_error_with_its_fix(server: &Server) {
    let ctl = with_runner(server).await;
    let shown = ctl
        .run(&["agents", "runtime", "show", "runner", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(shown["configured"], false);
    assert_eq!(shown["state"]["state"], "created");

    let start = ctl
        .run(&["agents", "start", "runner"], None)
        .await
        .api_err(1, "agent_not_configured");
    assert!(
        start.stderr.contains("taosctl agents runtime set")
            && start
                .stderr
                .contains("/docs/agents/recipes/running-agents#give-an-agent-a-runtime-spec"),
        "the fix and the doc link:\n{}",
        start.stderr
    );
    ctl.run(&["agents", "start", "nobody"], None)
        .await
        .api_err(1, "agent_not_found");
    // A process spec without a command is the server's to refuse, naming the field.
    ctl.run(
        &["agents", "runtime", "set", "runner", "--runtime", "process"],
        None,
    )
    .await
    .api_err(1, "invalid_runtime_spec");
    // Usage errors are caught before any request.
    ctl.run(
        &[
            "agents",
            "runtime",
            "set",
            "runner",
            "--env",
            "TAOS_CLI_TEST_UNSET",
            "--",
            "true",
        ],
        None,
    )
    .await
    .usage_err("not set in taosctl's environment");
    ctl.run(
        &[
            "agents", "runtime", "set", "runner", "--env", "1X=y", "--", "true",
        ],
        None,
    )
    .await
    .usage_err("not an env name");
    // An env file, then --env on top of it (names only ever come back).
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("runner.env");
    std::fs::write(&file, "# keys\nA_KEY=one\nexport B_NAME='two words'\n\nC=file\n")
        .expect("write the env file");
    let file = file.display().to_string();
    let spec = ctl
        .run(
            &[
                "agents",
                "runtime",
                "set",
                "runner",
                "--json",
                "--env-file",
                &file,
                "--env",
                "C=flag",
                "--",
                "true",
            ],
            None,
        )
        .await
        .ok();
    let mut names: Vec<String> = spec.json()["env_names"]
        .as_array()
        .expect("env_names")
        .iter()
        .filter_map(|n| n.as_str().map(String::from))
        .collect();
    names.sort();
    assert_eq!(names, ["A_KEY", "B_NAME", "C"]);
    assert!(!spec.stdout.contains("two words") && !spec.stdout.contains("flag"));
    ctl.run(&["agents", "wait", "runner", "--state", "asleep"], None)
        .await
        .usage_err("asleep");
    ctl.run(&["agents", "logs", "runner", "--since", "someday"], None)
        .await
        .usage_err("--since");
}

sqlite_e2e!(spec_start_logs_stop_and_wait);
async fn spec_start_logs_stop_and_wait(server: &Server) {
    let ctl = with_runner(server)
        .await
        .with_env("RUNNER_API_KEY", "sk-test-secret-value");
    let set = ctl
        .run(
            &[
                "agents",
                "runtime",
                "set",
                "runner",
                "--json",
                "--env",
                "RUNNER_API_KEY",
                "--env",
                "GREETING=hi",
                "--memory-mb",
                "256",
                "--restart",
                "no",
                "--",
                "sh",
                "-c",
                "echo hello; sleep 30",
            ],
            None,
        )
        .await
        .ok();
    let spec = set.json();
    assert_eq!(spec["configured"], true);
    assert_eq!(spec["runtime"], "process");
    assert_eq!(
        spec["command"],
        serde_json::json!(["sh", "-c", "echo hello; sleep 30"])
    );
    let mut names: Vec<String> = spec["env_names"]
        .as_array()
        .expect("env_names")
        .iter()
        .filter_map(|n| n.as_str().map(String::from))
        .collect();
    names.sort();
    assert_eq!(names, ["GREETING", "RUNNER_API_KEY"]);
    assert!(
        !set.stdout.contains("sk-test-secret-value"),
        "env values are never shown"
    );
    assert_eq!(spec["resources"]["memory_mb"], 256);

    let shown = ctl.run(&["agents", "runtime", "show", "runner"], None).await.ok();
    assert!(
        shown.stdout.contains("sh -c 'echo hello; sleep 30'")
            && shown.stdout.contains("RUNNER_API_KEY")
            && !shown.stdout.contains("sk-test"),
        "{}",
        shown.stdout
    );

    let started = ctl.run(&["agents", "start", "runner"], None).await.ok();
    assert!(
        started.stdout.starts_with("runner: running (pid "),
        "{}",
        started.stdout
    );
    let again = ctl.run(&["agents", "start", "runner"], None).await.ok();
    assert!(
        again.stdout.contains("runner: already running") && again.stdout.contains("(nothing changed)"),
        "{}",
        again.stdout
    );
    let waited = ctl
        .run(
            &[
                "agents",
                "wait",
                "runner",
                "--state",
                "running",
                "--timeout",
                "10",
                "--json",
            ],
            None,
        )
        .await
        .ok()
        .json();
    assert_eq!(waited["state"], "running");
    assert!(waited["pid"].is_number(), "{waited}");

    // The agent's first line reaches its logs.
    until_stdout(&ctl, &["agents", "logs", "runner"], "hello", 10).await;
    let last = ctl
        .run(&["agents", "logs", "runner", "--tail", "1", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(last["line"], "hello");
    assert_eq!(last["stream"], "stdout");
    assert!(last["seq"].is_u64() && last["ts"].is_string(), "{last}");
    let stamped = ctl
        .run(&["agents", "logs", "runner", "-t", "--stream", "stdout"], None)
        .await
        .ok();
    assert!(stamped.stdout.contains(" stdout hello"), "{}", stamped.stdout);
    let none = ctl
        .run(
            &["agents", "logs", "runner", "--stream", "stderr", "--until", "1d"],
            None,
        )
        .await
        .ok();
    assert_eq!(none.stdout, "", "no stderr lines, none a day old");

    // Pause and resume; a paused agent cannot be started.
    let paused = ctl
        .run(&["agents", "pause", "runner", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(paused["state"], "paused");
    assert_eq!(paused["changed"], true);
    let refused = ctl
        .run(&["agents", "start", "runner"], None)
        .await
        .api_err(1, "invalid_transition");
    assert!(refused.stderr.contains("resume"), "{}", refused.stderr);
    let resumed = ctl.run(&["agents", "resume", "runner"], None).await.ok();
    assert!(
        resumed.stdout.starts_with("runner: running"),
        "{}",
        resumed.stdout
    );

    let stopped = ctl
        .run(&["agents", "stop", "runner", "--timeout", "5", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(stopped["state"], "stopped");
    assert_eq!(stopped["changed"], true);
    let again = ctl.run(&["agents", "stop", "runner"], None).await.ok();
    assert!(
        again.stdout.contains("runner: already stopped") && again.stdout.contains("(nothing changed)"),
        "{}",
        again.stdout
    );
    ctl.run(
        &["agents", "wait", "runner", "--state", "stopped", "--timeout", "5"],
        None,
    )
    .await
    .ok();
    let timed_out = ctl
        .run(
            &["agents", "wait", "runner", "--state", "running", "--timeout", "1"],
            None,
        )
        .await
        .api_err(1, "wait_timeout");
    assert!(
        timed_out.stderr.contains("within 1 s; it is stopped"),
        "{}",
        timed_out.stderr
    );

    // Following a stopped agent prints its lines and ends by itself at `event: end`.
    let ended = tokio::time::timeout(
        Duration::from_secs(30),
        ctl.run(&["agents", "logs", "runner", "-f"], None),
    )
    .await
    .expect("logs -f on a stopped agent ends by itself")
    .ok();
    assert!(ended.stdout.contains("hello"), "{}", ended.stdout);
    assert!(ended.stderr.contains("runner: stopped"), "{}", ended.stderr);
}

sqlite_e2e!(follow_prints_new_lines_and_stops_on_sigint);
async fn follow_prints_new_lines_and_stops_on_sigint(server: &Server) {
    let ctl = with_runner(server).await;
    ctl.run(
        &[
            "agents",
            "runtime",
            "set",
            "runner",
            "--",
            "sh",
            "-c",
            "echo hello; while sleep 1; do echo tick; done",
        ],
        None,
    )
    .await
    .ok();
    ctl.run(&["agents", "start", "runner"], None).await.ok();
    until_stdout(&ctl, &["agents", "logs", "runner"], "hello", 10).await;

    // --tail 0: only lines written after it connected, so a `tick` is a new line.
    let mut child = spawn(&ctl, &["agents", "logs", "runner", "-f", "--tail", "0"]);
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let seen = read_until(&mut lines, "tick", 15).await;
    assert!(
        !seen.iter().any(|l| l.contains("hello")),
        "no backlog with --tail 0: {seen:?}"
    );
    assert_eq!(
        interrupt(&mut child).await,
        Some(0),
        "Ctrl-C ends `logs -f` with exit 0"
    );

    // --json: each line a LogLine object on its own line, the backlog first.
    let mut child = spawn(
        &ctl,
        &["agents", "logs", "runner", "-f", "--json", "--tail", "1000"],
    );
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let seen = read_until(&mut lines, "tick", 15).await;
    let first: serde_json::Value = serde_json::from_str(&seen[0]).expect("NDJSON");
    assert_eq!(first["line"], "hello");
    let mut last_seq = None;
    for l in &seen {
        let v: serde_json::Value = serde_json::from_str(l).expect("NDJSON");
        for key in ["seq", "ts", "stream", "line"] {
            assert!(v.get(key).is_some(), "{key} in {v}");
        }
        let seq = v["seq"].as_u64().expect("seq");
        assert!(last_seq.is_none_or(|s| seq > s), "seq grows: {seen:?}");
        last_seq = Some(seq);
    }
    assert_eq!(interrupt(&mut child).await, Some(0));

    // A follower that is running when the agent stops ends with it, exit 0.
    let mut child = spawn(&ctl, &["agents", "logs", "runner", "-f", "--tail", "0"]);
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    read_until(&mut lines, "tick", 15).await;
    ctl.run(&["agents", "stop", "runner", "--timeout", "2"], None)
        .await
        .ok();
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("`logs -f` ends when the agent stops")
        .expect("wait for taosctl");
    assert_eq!(status.code(), Some(0));
}

sqlite_e2e!(token_reissue_reaches_a_running_agent);
async fn token_reissue_reaches_a_running_agent(server: &Server) {
    let ctl = with_runner(server)
        .await
        .with_env("RUNNER_API_KEY", "sk-test-secret-value");
    ctl.run(
        &[
            "agents",
            "runtime",
            "set",
            "runner",
            "--env",
            "RUNNER_API_KEY",
            "--",
            "sh",
            "-c",
            "echo key=$RUNNER_API_KEY url=$TAOS_URL token=$TAOS_TOKEN; sleep 30",
        ],
        None,
    )
    .await
    .ok();
    ctl.run(&["agents", "start", "runner"], None).await.ok();
    let issued = ctl
        .run(&["agents", "token", "issue", "runner", "--json"], None)
        .await
        .ok()
        .json();
    // The agent got its env (read from taosctl's environment), TAOS_URL and a token issued at
    // start; the secret and the token are masked in its logs.
    let logs = until_stdout(&ctl, &["agents", "logs", "runner"], "key=", 10).await;
    assert!(
        logs.stdout.contains("key=[REDACTED]")
            && logs.stdout.contains("url=http")
            && logs.stdout.contains("token=[REDACTED]")
            && !logs.stdout.contains("sk-test")
            && !logs.stdout.contains("taos_agent_"),
        "{}",
        logs.stdout
    );
    // The process runtime cannot change a running process's environment: it restarts it.
    assert_eq!(issued["injection"], "restarted");
    let human = ctl.run(&["agents", "token", "issue", "runner"], None).await.ok();
    assert!(human.stderr.contains("restarted with it"), "{}", human.stderr);
    let restarted = ctl
        .run(&["agents", "restart", "runner", "--timeout", "1"], None)
        .await
        .ok();
    assert!(
        restarted.stdout.starts_with("runner: running"),
        "{}",
        restarted.stdout
    );
    ctl.run(&["agents", "stop", "runner", "--timeout", "1"], None)
        .await
        .ok();
}

/// A TCP proxy in front of taosd whose open connections can be cut, to drop a followed log
/// stream the way a flaky network does.
struct Proxy {
    url: String,
    conns: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    accepting: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: &str) -> Proxy {
        let target = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let conns = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = conns.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                kept.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(task.abort_handle());
            }
        });
        Proxy {
            url,
            conns,
            accepting,
        }
    }

    /// Closes every connection open now; new ones are still let through.
    fn cut(&self) {
        for c in self.conns.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            c.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut();
    }
}

sqlite_e2e!(follow_resumes_after_a_dropped_connection);
async fn follow_resumes_after_a_dropped_connection(server: &Server) {
    let ctl = with_runner(server).await;
    ctl.run(
        &[
            "agents",
            "runtime",
            "set",
            "runner",
            "--",
            "sh",
            "-c",
            "echo hello; while sleep 0.3; do echo tick; done",
        ],
        None,
    )
    .await
    .ok();
    ctl.run(&["agents", "start", "runner"], None).await.ok();

    let proxy = Proxy::start(&server.url()).await;
    let via_proxy = Ctl {
        config: tempfile_copy(&ctl),
        url: proxy.url.clone(),
        env: ctl.env.clone(),
    };
    let mut child = spawn(
        &via_proxy,
        &["agents", "logs", "runner", "-f", "--json", "--tail", "1000"],
    );
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = read_until(&mut lines, "tick", 15).await;
    proxy.cut();
    // Lines written after the cut arrive over the new connection.
    let before = seen.len();
    for _ in 0..3 {
        seen.extend(read_until(&mut lines, "tick", 20).await);
    }
    assert!(seen.len() > before, "{seen:?}");
    assert_eq!(interrupt(&mut child).await, Some(0));
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        use tokio::io::AsyncReadExt;
        let _ = err.read_to_string(&mut stderr).await;
    }
    assert!(
        stderr.contains("connection lost") && stderr.contains("resuming after line"),
        "taosctl says it resumed:\n{stderr}"
    );
    // No gap and no line twice: seq goes up by one from the first line to the last.
    let seqs: Vec<u64> = seen
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("NDJSON")["seq"]
                .as_u64()
                .expect("seq")
        })
        .collect();
    for pair in seqs.windows(2) {
        assert_eq!(
            pair[1],
            pair[0] + 1,
            "consecutive seqs across the reconnect: {seqs:?}"
        );
    }
    ctl.run(&["agents", "stop", "runner", "--timeout", "1"], None)
        .await
        .ok();
}

/// A config directory with the same saved credentials as `ctl`'s, for a second terminal on
/// another URL.
fn tempfile_copy(ctl: &Ctl) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let from = ctl.credentials();
    let to = dir.path().join("taos").join("credentials");
    std::fs::create_dir_all(to.parent().expect("a parent")).expect("mkdir");
    std::fs::copy(&from, &to).expect("copy the credentials");
    dir
}

sqlite_e2e!(wait_shows_progress_only_on_a_terminal);
async fn wait_shows_progress_only_on_a_terminal(server: &Server) {
    let ctl = with_runner(server).await;
    ctl.run(&["agents", "runtime", "set", "runner", "--", "sleep", "30"], None)
        .await
        .ok();
    let on_tty = ctl
        .run_on_tty(
            &["agents", "wait", "runner", "--state", "running", "--timeout", "2"],
            "",
        )
        .await;
    assert_eq!(on_tty.code, 1, "{}", on_tty.stdout);
    assert!(
        on_tty.stdout.contains("waiting for runner to be running") && on_tty.stdout.contains("wait_timeout"),
        "a progress line, then the error:\n{}",
        on_tty.stdout
    );
    let piped = ctl
        .run(
            &["agents", "wait", "runner", "--state", "running", "--timeout", "1"],
            None,
        )
        .await
        .api_err(1, "wait_timeout");
    assert!(!piped.stderr.contains("waiting for"), "{}", piped.stderr);
}
