//! `taosctl agents …`, `ui notify` and `notifications …` end to end: the real binary against a
//! real `taosd` (SQLite; the CLI's behaviour does not depend on the server's database), with its
//! own empty config directory.

use taos_conformance::taosctl::Terminal as Ctl;
use taos_conformance::{Server, serde_json, sqlite_e2e};

sqlite_e2e!(agents_lifecycle_in_tables_and_json);
async fn agents_lifecycle_in_tables_and_json(server: &Server) {
    let ctl = Ctl::new(server);
    ctl.set_up_ada().await;

    let created = ctl
        .run(
            &[
                "agents",
                "create",
                "--name",
                "Research Bot",
                "--host",
                "192.0.2.10",
                "--color",
                "#3366ff",
                "--json",
            ],
            None,
        )
        .await
        .ok()
        .json();
    assert_eq!(created["name"], "research-bot");
    assert_eq!(created["host"], "192.0.2.10");
    let human = ctl
        .run(
            &[
                "agents",
                "create",
                "--name",
                "Research Bot",
                "--idempotency-key",
                "cli-key-1",
            ],
            None,
        )
        .await
        .ok();
    assert!(human.stdout.contains("research-bot-2"), "{}", human.stdout);
    // The same key again is a replay of the first answer, not a third agent.
    let replay = ctl
        .run(
            &[
                "agents",
                "create",
                "--name",
                "Research Bot",
                "--idempotency-key",
                "cli-key-1",
                "--json",
            ],
            None,
        )
        .await
        .ok()
        .json();
    assert_eq!(replay["name"], "research-bot-2");
    ctl.run(&["agents", "create", "--name", "Third"], None).await.ok();

    let table = ctl.run(&["agents", "list"], None).await.ok();
    let first = table.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("NAME") && first.contains("TOKEN"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("research-bot ") && table.stdout.contains("third"),
        "{}",
        table.stdout
    );
    assert!(
        !table.stdout.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );

    // --all follows the cursors; one page alone says how to go on.
    let all = ctl
        .run(&["agents", "list", "--limit", "1", "--all", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(all["items"].as_array().map(Vec::len), Some(3), "{all}");
    let one = ctl
        .run(&["agents", "list", "--limit", "1", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(one["items"].as_array().map(Vec::len), Some(1));
    assert!(one["next_cursor"].is_string());

    let got = ctl
        .run(&["agents", "get", "research-bot", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(got["display_name"], "Research Bot");
    let updated = ctl
        .run(
            &["agents", "update", "research-bot", "--color", "#ff5a36", "--json"],
            None,
        )
        .await
        .ok()
        .json();
    assert_eq!(updated["color"], "#ff5a36");
    assert_eq!(updated["host"], "192.0.2.10", "untouched fields stay");

    // Export to a file, import it elsewhere under the same name after deleting the original.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("rb.json");
    ctl.run(
        &[
            "agents",
            "export",
            "research-bot",
            "-o",
            file.to_str().expect("utf-8"),
        ],
        None,
    )
    .await
    .ok();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    assert_eq!(doc["version"], 1);
    ctl.run(&["agents", "import", file.to_str().expect("utf-8")], None)
        .await
        .api_err(1, "agent_exists");

    // Delete needs --yes without a terminal.
    ctl.run(&["agents", "delete", "research-bot"], None)
        .await
        .usage_err("--yes");
    let archived = ctl
        .run(&["agents", "delete", "research-bot", "--yes", "--json"], None)
        .await
        .ok()
        .json();
    let archive_id = archived["id"].as_str().expect("archive id").to_string();
    let listed = ctl
        .run(&["agents", "archived", "list", "--json"], None)
        .await
        .ok()
        .json();
    assert!(
        listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|a| a["id"] == archive_id.as_str())
    );

    // Import from stdin now that the name is free.
    let text = std::fs::read_to_string(&file).expect("read");
    let imported = ctl
        .run(&["agents", "import", "-", "--json"], Some(&text))
        .await
        .ok()
        .json();
    assert_eq!(imported["name"], "research-bot");

    // Restoring finds the slug taken and picks the next free one.
    let restored = ctl
        .run(&["agents", "archived", "restore", &archive_id, "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(restored["name"], "research-bot-3");
    assert_eq!(restored["has_token"], false);

    // Purge: archive again, then purge with --yes.
    let again = ctl
        .run(&["agents", "delete", "third", "--yes", "--json"], None)
        .await
        .ok()
        .json();
    let id = again["id"].as_str().expect("id").to_string();
    ctl.run(&["agents", "archived", "purge", &id], None)
        .await
        .usage_err("--yes");
    ctl.run(&["agents", "archived", "purge", &id, "--yes"], None)
        .await
        .ok();
    ctl.run(&["agents", "archived", "restore", &id], None)
        .await
        .api_err(1, "archived_agent_not_found");
}

sqlite_e2e!(tokens_notify_and_notifications);
async fn tokens_notify_and_notifications(server: &Server) {
    let admin = Ctl::new(server);
    admin.set_up_ada().await;
    admin
        .run(&["agents", "create", "--name", "Notifier"], None)
        .await
        .ok();

    // The token alone on stdout; the warning on stderr.
    let issued = admin
        .run(
            &[
                "agents",
                "token",
                "issue",
                "notifier",
                "--scope",
                "ui.notify",
                "--expires-in",
                "30",
            ],
            None,
        )
        .await
        .ok();
    let token = issued.stdout.trim();
    assert_eq!(issued.stdout.lines().count(), 1, "{}", issued.stdout);
    assert!(token.starts_with("taos_agent_") && token.len() == 54, "{token}");
    assert!(issued.stderr.contains("shown only once"), "{}", issued.stderr);

    let agent = Ctl::with_token(server, token);
    let sent = agent
        .run(
            &[
                "ui",
                "notify",
                "--title",
                "Build complete",
                "--body",
                "All green",
                "--priority",
                "high",
            ],
            None,
        )
        .await
        .ok();
    assert!(sent.stdout.starts_with("delivered: "), "{}", sent.stdout);
    let id = sent.stdout.trim().trim_start_matches("delivered: ").to_string();

    // Without --priority the notification is `normal`.
    let plain = agent
        .run(&["ui", "notify", "--title", "Plain", "--json"], None)
        .await
        .ok()
        .json();
    let plain_id = plain["notification_id"].as_str().expect("id").to_string();

    // Beyond its scope: the API error with fix and docs, exit 1.
    agent
        .run(&["agents", "list"], None)
        .await
        .api_err(1, "scope_denied");

    let list = admin
        .run(&["notifications", "list", "--json"], None)
        .await
        .ok()
        .json();
    let items = list["items"].as_array().expect("items");
    let plain = items
        .iter()
        .find(|n| n["id"] == plain_id.as_str())
        .expect("listed");
    assert_eq!(plain["level"], "normal");
    admin.run(&["notifications", "read", &plain_id], None).await.ok();
    let item = &list["items"][1];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["source"], "agent:notifier");
    assert_eq!(item["level"], "high");
    let table = admin.run(&["notifications", "list", "--unread"], None).await.ok();
    assert!(table.stdout.contains("Build complete"), "{}", table.stdout);
    let read = admin
        .run(&["notifications", "read", &id, "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(read["updated"], 1);
    let unread = admin
        .run(&["notifications", "list", "--unread", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(unread["items"].as_array().map(Vec::len), Some(0));
    agent.run(&["ui", "notify", "--title", "Second"], None).await.ok();
    let all = admin
        .run(&["notifications", "read-all", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(all["updated"], 1);

    // Revoke: the agent's token stops working (exit 4: authentication rejected).
    admin
        .run(&["agents", "token", "revoke", "notifier"], None)
        .await
        .ok();
    agent
        .run(&["ui", "notify", "--title", "x"], None)
        .await
        .api_err(4, "invalid_token");
}
