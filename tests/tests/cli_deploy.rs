//! `taosctl agents deploy|deploy-status`, `operations get`, `agents bulk`, `agents containers`
//! and the persona flags end to end: the real binary against a real `taosd` running real agents
//! on the `process` runtime, with its own empty config directory. Deploys are kept in the
//! database, so their cases run on both backends; the rest on SQLite.

use std::time::Duration;

use taos_conformance::taosctl::{Output, Terminal as Ctl};
use taos_conformance::{Server, e2e, serde_json, sqlite_e2e};

/// A signed-in terminal (ada, with a `*` token).
async fn signed_in(server: &Server) -> Ctl {
    let ctl = Ctl::new(server);
    ctl.set_up_ada().await;
    ctl
}

/// `taosctl agents deploy ARGS…` (ARGS include the name and `-- COMMAND…`).
async fn deploy(ctl: &Ctl, args: &[&str]) -> Output {
    let mut all = vec!["agents", "deploy"];
    all.extend_from_slice(args);
    ctl.run(&all, None).await
}

e2e!(deploy_then_follow_the_operation);
/// A deploy without --wait answers at once with the running operation; `operations get --wait`
/// and `agents deploy-status` follow it to its end; the agent then runs with a token.
async fn deploy_then_follow_the_operation(server: &Server) {
    let ctl = signed_in(server).await;
    let started = deploy(
        &ctl,
        &["Sleeper", "--json", "--", "sh", "-c", "echo up; exec sleep 300"],
    )
    .await
    .ok();
    let op = started.json();
    assert_eq!(op["kind"], "deploy");
    assert_eq!(op["agent"], "sleeper");
    let id = op["id"].as_str().expect("the operation's id").to_string();
    let steps: Vec<&str> = op["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(steps, ["register", "issue_token", "start", "wait_running"]);

    let done = ctl
        .run(
            &["operations", "get", &id, "--wait", "--timeout", "60", "--json"],
            None,
        )
        .await
        .ok()
        .json();
    assert_eq!(done["id"], id.as_str());
    assert_eq!(done["done"], true);
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["result"]["state"], "running", "{done}");
    assert!(done["result"]["pid"].is_number(), "{done}");
    for step in done["steps"].as_array().expect("steps") {
        assert_eq!(step["status"], "succeeded", "{done}");
    }

    // The same operation as the agent's latest deploy, for people and as JSON.
    let status = ctl
        .run(&["agents", "deploy-status", "sleeper", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(status["id"], id.as_str());
    assert_eq!(status["status"], "succeeded");
    let human = ctl.run(&["agents", "deploy-status", "sleeper"], None).await.ok();
    for want in [
        format!("operation  {id}"),
        "agent      sleeper".to_string(),
        "status     succeeded".to_string(),
        "register succeeded".to_string(),
        "state      running (pid ".to_string(),
    ] {
        assert!(human.stdout.contains(&want), "{want:?} in:\n{}", human.stdout);
    }
    let human = ctl.run(&["operations", "get", &id], None).await.ok();
    assert!(human.stdout.contains("status     succeeded"), "{}", human.stdout);

    let agent = ctl
        .run(&["agents", "get", "sleeper", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(agent["has_token"], true, "the deploy issued a token: {agent}");
    assert_eq!(
        agent["token_scope"],
        serde_json::json!(["ui.notify", "knowledge.read"]),
        "the agent preset when --scope is left out"
    );

    // Out of time before the deploy is done (it takes a second at least): exit 1, with the
    // operation as it was (a script still gets its id) and how to go on following it.
    let early = deploy(
        &ctl,
        &[
            "Patient",
            "--wait",
            "--timeout",
            "0",
            "--json",
            "--",
            "sleep",
            "300",
        ],
    )
    .await;
    assert_eq!(early.code, 1, "{early:?}");
    let op = early.json();
    assert_eq!(op["status"], "running", "{op}");
    let id = op["id"].as_str().expect("the operation's id");
    assert!(
        early.stderr.contains("still running after 0 s")
            && early
                .stderr
                .contains(&format!("taosctl operations get {id} --wait")),
        "{}",
        early.stderr
    );
    let done = ctl
        .run(&["operations", "get", id, "--wait", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(done["status"], "succeeded", "{done}");
    ctl.run(
        &["agents", "bulk", "stop", "sleeper", "patient", "--timeout", "1"],
        None,
    )
    .await
    .ok();
}

sqlite_e2e!(deploy_wait_on_a_terminal_shows_the_step);
/// On a terminal, `--wait` shows the step the deploy is at on a progress line (stderr), and
/// clears it before the end is printed.
async fn deploy_wait_on_a_terminal_shows_the_step(server: &Server) {
    let ctl = signed_in(server).await;
    let shown = ctl
        .run_on_tty(
            &["agents", "deploy", "Ticker", "--wait", "--", "sleep", "300"],
            "",
        )
        .await
        .ok();
    assert!(
        shown.stdout.contains("deploying ticker: ") && shown.stdout.contains("\x1b[2K"),
        "a progress line naming the step:\n{:?}",
        shown.stdout
    );
    assert!(shown.stdout.contains("status     succeeded"), "{}", shown.stdout);
    ctl.run(&["agents", "stop", "ticker", "--timeout", "1"], None)
        .await
        .ok();
}

e2e!(deploy_wait_prints_the_end_for_people);
/// `--wait` for people: the operation id and agent come first on stderr, the final state on
/// stdout; the agent gets the --scope and persona it was deployed with; a retry with the same
/// Idempotency-Key gets the same operation back.
async fn deploy_wait_prints_the_end_for_people(server: &Server) {
    let ctl = signed_in(server).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let soul = dir.path().join("soul.md");
    std::fs::write(&soul, "# Waiter\n\nPatient and kind.\n").expect("write soul.md");
    let soul = soul.display().to_string();
    let key = "0b6e3c1a-7d2f-4e9a-9c41-2f7e1d3b5a60";
    let waited = deploy(
        &ctl,
        &[
            "Waiter",
            "--wait",
            "--scope",
            "ui.notify",
            "--model",
            "llama3.1:8b",
            "--soul-md",
            &soul,
            "--memory-plugin",
            "taosmd",
            "--idempotency-key",
            key,
            "--restart",
            "on-failure",
            "--",
            "sleep",
            "300",
        ],
    )
    .await
    .ok();
    assert!(waited.stdout.contains("agent      waiter"), "{}", waited.stdout);
    assert!(
        waited.stdout.contains("status     succeeded"),
        "{}",
        waited.stdout
    );
    assert!(
        waited.stdout.contains("state      running (pid "),
        "{}",
        waited.stdout
    );
    assert!(
        !waited.stderr.contains('\r'),
        "no progress line when stderr is not a terminal: {:?}",
        waited.stderr
    );

    let agent = ctl
        .run(&["agents", "get", "waiter", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(agent["token_scope"], serde_json::json!(["ui.notify"]));
    assert_eq!(agent["model"], "llama3.1:8b");
    assert_eq!(agent["soul_md"], "# Waiter\n\nPatient and kind.\n");
    assert_eq!(agent["memory_plugin"], "taosmd");
    let spec = ctl
        .run(&["agents", "runtime", "show", "waiter", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(spec["command"], serde_json::json!(["sleep", "300"]));
    assert_eq!(spec["restart"], "on-failure");

    // The same key again: the stored answer (the same operation), not a second agent.
    let first = ctl
        .run(&["agents", "deploy-status", "waiter", "--json"], None)
        .await
        .ok()
        .json();
    let replay = deploy(
        &ctl,
        &[
            "Waiter",
            "--json",
            "--scope",
            "ui.notify",
            "--model",
            "llama3.1:8b",
            "--soul-md",
            &soul,
            "--memory-plugin",
            "taosmd",
            "--idempotency-key",
            key,
            "--restart",
            "on-failure",
            "--",
            "sleep",
            "300",
        ],
    )
    .await
    .ok()
    .json();
    assert_eq!(replay["id"], first["id"], "a retry gets the same operation");
    // A fresh key is a fresh deploy: a second agent, its slug made unique as create does.
    let second = deploy(&ctl, &["Waiter", "--wait", "--json", "--", "sleep", "300"])
        .await
        .ok()
        .json();
    assert_eq!(second["agent"], "waiter-2", "{second}");
    assert_ne!(second["id"], first["id"]);
    ctl.run(
        &["agents", "bulk", "stop", "waiter", "waiter-2", "--timeout", "1"],
        None,
    )
    .await
    .ok();
}

e2e!(failed_deploy_exits_1_with_its_error);
/// An agent that exits at once fails its deploy: `--wait` exits 1 with the operation's error
/// (slug, fix, doc link) on stderr, `--json` still prints the failed operation on stdout, and
/// the agent is left registered without an active token.
async fn failed_deploy_exits_1_with_its_error(server: &Server) {
    let ctl = signed_in(server).await;
    let failed = deploy(
        &ctl,
        &[
            "Quitter",
            "--wait",
            "--json",
            "--",
            "sh",
            "-c",
            "echo giving up >&2; exit 3",
        ],
    )
    .await;
    assert_eq!(failed.code, 1, "{failed:?}");
    let op = failed.json();
    assert_eq!(op["status"], "failed", "{op}");
    assert_eq!(op["done"], true);
    let slug = op["error"]["error"]
        .as_str()
        .expect("the error's slug")
        .to_string();
    assert!(
        op["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .any(|s| s["status"] == "failed"),
        "a step says where it failed: {op}"
    );
    let failed = failed.api_err(1, &slug);
    assert!(failed.stderr.contains("quitter"), "{}", failed.stderr);

    // For people, the same failure, and the error among the fields.
    let human = ctl
        .run(&["agents", "deploy-status", "quitter", "--wait"], None)
        .await
        .api_err(1, &slug);
    assert!(human.stdout.contains("status     failed"), "{}", human.stdout);
    assert!(
        human.stdout.contains(&format!("error      {slug}: ")),
        "{}",
        human.stdout
    );
    // Without --wait, reading a failed deploy is not itself a failure.
    ctl.run(&["agents", "deploy-status", "quitter"], None).await.ok();
    let agent = ctl
        .run(&["agents", "get", "quitter", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(agent["has_token"], false, "{agent}");

    // Unknown operations and agents never deployed are API errors; a bad id is a usage error.
    ctl.run(&["agents", "create", "--name", "Plain"], None).await.ok();
    ctl.run(&["agents", "deploy-status", "plain"], None)
        .await
        .api_err(1, "deploy_not_found");
    ctl.run(
        &["operations", "get", "0192f1d0-2222-7333-8444-555566667777"],
        None,
    )
    .await
    .api_err(1, "operation_not_found");
    ctl.run(&["operations", "get", "not-a-uuid"], None)
        .await
        .usage_err("invalid operation id");
}

sqlite_e2e!(deploy_usage_errors_and_help);
/// What clap and the contract refuse is refused before any request (exit 2); every new
/// command's help has an example.
async fn deploy_usage_errors_and_help(server: &Server) {
    let ctl = signed_in(server).await;
    deploy(&ctl, &["X", "--timeout", "5", "--", "true"])
        .await
        .usage_err("--wait");
    deploy(&ctl, &["X", "--memory-mb", "1", "--", "true"])
        .await
        .usage_err("--memory-mb");
    deploy(&ctl, &["X", "--env", "1X=y", "--", "true"])
        .await
        .usage_err("not an env name");
    deploy(&ctl, &["X", "--soul-md", "/nonexistent/soul.md", "--", "true"])
        .await
        .usage_err("--soul-md");
    deploy(&ctl, &["X", "--soul-md", "-", "--agent-md", "-", "--", "true"])
        .await
        .usage_err("stdin");
    ctl.run(&["agents", "bulk", "stop"], None)
        .await
        .usage_err("--all");
    ctl.run(&["agents", "bulk", "stop", "--all", "a"], None)
        .await
        .usage_err("--all");
    ctl.run(&["agents", "bulk", "explode", "a"], None)
        .await
        .usage_err("explode");
    // Nothing was made by any of them.
    let list = ctl.run(&["agents", "list", "--json"], None).await.ok().json();
    assert_eq!(list["items"], serde_json::json!([]), "{list}");
    ctl.assert_examples(&[
        &["agents", "deploy"],
        &["agents", "deploy-status"],
        &["operations", "get"],
        &["agents", "bulk"],
        &["agents", "containers"],
    ])
    .await;
    let help = ctl.run(&["agents", "deploy", "--help"], None).await.ok();
    assert!(
        help.stdout.contains("--env-file") && help.stdout.contains("shell history"),
        "the help says how to keep env values off argv:\n{}",
        help.stdout
    );
}

sqlite_e2e!(bulk_verbs_and_containers);
/// `agents bulk` prints one line per agent in the order asked and exits 1 when any failed;
/// `agents containers` lists what runs, as a table and as JSON.
async fn bulk_verbs_and_containers(server: &Server) {
    let ctl = signed_in(server).await;
    for name in ["Alpha", "Beta"] {
        ctl.run(&["agents", "create", "--name", name], None).await.ok();
    }
    for slug in ["alpha", "beta"] {
        ctl.run(&["agents", "runtime", "set", slug, "--", "sleep", "300"], None)
            .await
            .ok();
    }
    let none = ctl.run(&["agents", "containers"], None).await.ok();
    assert!(
        !none.stdout.contains("running"),
        "nothing runs yet:\n{}",
        none.stdout
    );

    let started = ctl
        .run(&["agents", "bulk", "start", "alpha", "nobody", "beta"], None)
        .await;
    assert_eq!(started.code, 1, "one failed: {started:?}");
    let lines: Vec<&str> = started.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "one line per agent:\n{}", started.stdout);
    assert!(lines[0].starts_with("alpha: running (pid "), "{}", lines[0]);
    assert!(
        lines[1].starts_with("nobody: failed: agent_not_found: ") && lines[1].contains("fix: "),
        "{}",
        lines[1]
    );
    assert!(lines[2].starts_with("beta: running (pid "), "{}", lines[2]);
    assert!(
        started.stderr.contains("1 of 3 agents failed to start"),
        "{}",
        started.stderr
    );
    let again = ctl
        .run(&["agents", "bulk", "start", "alpha", "beta"], None)
        .await
        .ok();
    assert!(
        again.stdout.contains("alpha: already running (nothing changed)"),
        "{}",
        again.stdout
    );

    let table = ctl.run(&["agents", "containers"], None).await.ok();
    let header = table.stdout.lines().next().unwrap_or_default();
    for col in [
        "RUNTIME", "AGENT", "NAME", "STATE", "PID", "MEMORY", "CPU", "ORPHAN",
    ] {
        assert!(header.contains(col), "{col} in {header:?}");
    }
    for slug in ["alpha", "beta"] {
        let row = table
            .stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(slug))
            .unwrap_or_else(|| panic!("a row for {slug}:\n{}", table.stdout));
        assert!(
            row.starts_with("process ") && row.contains(" running ") && row.ends_with(" no"),
            "{row}"
        );
    }
    let json = ctl
        .run(&["agents", "containers", "--json"], None)
        .await
        .ok()
        .json();
    let items = json["items"].as_array().expect("items");
    let alpha = items
        .iter()
        .find(|c| c["agent"] == "alpha")
        .unwrap_or_else(|| panic!("alpha among {json}"));
    assert_eq!(alpha["state"], "running");
    assert!(alpha["pid"].is_number(), "{alpha}");
    assert_eq!(alpha["orphan"], false);

    let stopped = ctl
        .run(
            &["agents", "bulk", "stop", "--all", "--timeout", "1", "--json"],
            None,
        )
        .await
        .ok()
        .json();
    let results = stopped["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{stopped}");
    for r in results {
        assert_eq!(r["ok"], true, "{r}");
        assert_eq!(r["state"]["state"], "stopped", "{r}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let json = ctl
        .run(&["agents", "containers", "--json"], None)
        .await
        .ok()
        .json();
    assert!(
        json["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|c| c["state"] != "running"),
        "nothing runs after bulk stop --all: {json}"
    );
}

sqlite_e2e!(persona_round_trip);
/// The persona flags on create and update: markdown from files and stdin, shown by `get` for
/// people (size and first line) and in full with --json; "" clears a field.
async fn persona_round_trip(server: &Server) {
    let ctl = signed_in(server).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let soul = dir.path().join("soul.md");
    std::fs::write(&soul, "# Persona\n\nYou are careful.\nYou cite sources.\n").expect("write");
    let soul = soul.display().to_string();
    let agent_md = "Read the inbox every hour.\n";
    let created = ctl
        .run(
            &[
                "agents",
                "create",
                "--name",
                "Scribe",
                "--model",
                "llama3.1:8b",
                "--soul-md",
                &soul,
                "--agent-md",
                "-",
                "--memory-plugin",
                "taosmd",
                "--json",
            ],
            Some(agent_md),
        )
        .await
        .ok()
        .json();
    assert_eq!(created["model"], "llama3.1:8b");
    assert_eq!(
        created["soul_md"],
        "# Persona\n\nYou are careful.\nYou cite sources.\n"
    );
    assert_eq!(created["agent_md"], agent_md);
    assert_eq!(created["memory_plugin"], "taosmd");

    let shown = ctl.run(&["agents", "get", "scribe"], None).await.ok();
    for want in [
        "model              llama3.1:8b",
        "soul md            4 lines (",
        "# Persona",
        "agent md           1 line (",
        "memory plugin      taosmd",
    ] {
        assert!(shown.stdout.contains(want), "{want:?} in:\n{}", shown.stdout);
    }

    let updated = ctl
        .run(
            &[
                "agents",
                "update",
                "scribe",
                "--model",
                "",
                "--soul-md",
                "-",
                "--json",
            ],
            Some("Terse.\n"),
        )
        .await
        .ok()
        .json();
    assert_eq!(updated["model"], serde_json::Value::Null, "\"\" clears it");
    assert_eq!(updated["soul_md"], "Terse.\n");
    assert_eq!(updated["agent_md"], agent_md, "not given, not changed");
    assert_eq!(updated["memory_plugin"], "taosmd");
    let shown = ctl.run(&["agents", "get", "scribe"], None).await.ok();
    assert!(shown.stdout.contains("model              -"), "{}", shown.stdout);
    ctl.run(
        &["agents", "update", "scribe", "--soul-md", "-", "--agent-md", "-"],
        Some("x"),
    )
    .await
    .usage_err("stdin");
}
