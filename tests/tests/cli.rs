//! `taosctl` end to end: the real binary against a real `taosd` (SQLite; the CLI's behaviour
//! does not depend on the server's database), with its own empty config directory.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use taos_conformance::taosctl::Terminal as Ctl;
use taos_conformance::{Server, serde_json, sqlite_e2e};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("file exists").permissions().mode() & 0o777
}

sqlite_e2e!(version_help_and_completions);
async fn version_help_and_completions(server: &Server) {
    let ctl = Ctl::new(server);
    let v = ctl.run(&["--version"], None).await.ok();
    assert!(v.stdout.starts_with("taosctl 0."), "{}", v.stdout);
    // Every command's help has an example.
    ctl.assert_examples(&[
        &["auth", "setup"],
        &["auth", "login"],
        &["auth", "logout"],
        &["auth", "status"],
        &["auth", "whoami"],
        &["auth", "token"],
        &["agents", "list"],
        &["agents", "get"],
        &["agents", "create"],
        &["agents", "update"],
        &["agents", "delete"],
        &["agents", "archived", "list"],
        &["agents", "archived", "restore"],
        &["agents", "archived", "purge"],
        &["agents", "export"],
        &["agents", "import"],
        &["agents", "token", "issue"],
        &["agents", "token", "revoke"],
        &["ui", "notify"],
        &["notifications", "list"],
        &["notifications", "read"],
        &["notifications", "read-all"],
        &["completion"],
        &["mcp"],
    ])
    .await;
    let top = ctl.run(&[], None).await.ok();
    assert!(
        top.stdout.contains("Usage"),
        "no command prints the help: {}",
        top.stdout
    );
    let help = ctl.run(&["--help"], None).await.ok();
    for group in [
        "auth",
        "agents",
        "ui",
        "notifications",
        "operations",
        "completion",
        "mcp",
    ] {
        assert!(
            help.stdout.contains(group),
            "--help lists {group}:\n{}",
            help.stdout
        );
    }
    assert!(help.stdout.contains("Exit codes"), "{}", help.stdout);
    for shell in ["bash", "zsh", "fish"] {
        let c = ctl.run(&["completion", shell], None).await.ok();
        assert!(
            c.stdout.contains("taosctl") && c.stdout.len() > 500,
            "{shell} completion:\n{}",
            c.stdout
        );
    }
    let bad = ctl
        .run(&["ui", "notify", "--title", "x", "--priority", "urgent"], None)
        .await;
    assert_eq!(
        bad.code, 2,
        "an invalid --priority is a usage error: {}",
        bad.stderr
    );
    let missing = ctl.run(&["ui", "notify", "--body", "x"], None).await;
    assert_eq!(missing.code, 2, "a missing --title is a usage error");
}

sqlite_e2e!(setup_login_status_and_logout);
async fn setup_login_status_and_logout(server: &Server) {
    let ctl = Ctl::new(server);

    // Not logged in, and no user yet: exit 4 with the fix that can help (set-up, not login).
    let st = ctl.run(&["auth", "status"], None).await;
    assert_eq!(st.code, 4, "{}", st.stderr);
    assert!(st.stderr.contains("taosctl auth setup"), "{}", st.stderr);

    let token = ctl.set_up_ada().await;
    assert!(token.starts_with("taos_user_"), "{token}");
    let creds = ctl.credentials();
    assert_eq!(mode(&creds), 0o600, "credentials are private");
    assert_eq!(mode(creds.parent().expect("dir")), 0o700);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&creds).expect("read")).expect("json");
    assert_eq!(saved["token"], token.as_str());
    assert_eq!(saved["url"], server.url().as_str());

    let st = ctl.run(&["auth", "status"], None).await.ok();
    assert!(
        st.stdout.contains("ada") && st.stdout.contains("user_token"),
        "{}",
        st.stdout
    );
    let who = ctl.run(&["auth", "whoami", "--json"], None).await.ok().json();
    assert_eq!(who["username"], "ada");
    assert_eq!(who["kind"], "user_token");

    // Logging in with the password saves a new token.
    let login = ctl
        .run(
            &["auth", "login", "--username", "ada", "--password-stdin"],
            Some("correct-horse-battery\n"),
        )
        .await
        .ok();
    assert!(login.stderr.contains("Logged in"), "{}", login.stderr);
    let second = ctl.run(&["auth", "token"], None).await.ok().text();
    assert_ne!(second, token);
    assert_eq!(mode(&creds), 0o600);

    // A wrong password: exit 4, the API error with its fix and doc link.
    ctl.run(
        &["auth", "login", "--username", "ada", "--password-stdin"],
        Some("nope-nope-nope\n"),
    )
    .await
    .api_err(4, "invalid_credentials");

    let as_json = ctl.run(&["auth", "token", "--json"], None).await.ok().json();
    assert_eq!(as_json["token"], second.as_str());

    // Logout revokes the saved token on the server, then forgets it.
    let out = ctl.run(&["auth", "logout", "--json"], None).await.ok().json();
    assert_eq!(out["revoked"], true, "{out}");
    assert!(!creds.exists(), "credentials file removed");
    let reuse = ctl.with_env("TAOS_TOKEN", &second);
    let st = reuse.run(&["auth", "status"], None).await;
    assert_eq!(st.code, 4, "the revoked token is rejected: {}", st.stderr);
    assert!(st.stderr.contains("invalid_token"), "{}", st.stderr);
}

sqlite_e2e!(login_with_token_reads_stdin_and_checks_it);
async fn login_with_token_reads_stdin_and_checks_it(server: &Server) {
    let admin = Ctl::new(server);
    admin.set_up_ada().await;
    admin
        .run(&["agents", "create", "--name", "Worker"], None)
        .await
        .ok();
    let agent_token = admin
        .run(&["agents", "token", "issue", "worker"], None)
        .await
        .ok()
        .text();

    let agent = Ctl::new(server);
    // Not a token at all: usage error, nothing saved.
    agent
        .run(&["auth", "login", "--with-token"], Some("hello\n"))
        .await
        .usage_err("not a taOS token");
    assert!(!agent.credentials().exists());
    // Well-formed but unknown: rejected by the server (whoami), nothing saved.
    let forged = taos_conformance::tokens::forge("taos_agent_");
    agent
        .run(&["auth", "login", "--with-token"], Some(&format!("{forged}\n")))
        .await
        .api_err(4, "invalid_token");
    assert!(!agent.credentials().exists());
    // The real one: saved, and whoami names the agent.
    agent
        .run(
            &["auth", "login", "--with-token"],
            Some(&format!("{agent_token}\n")),
        )
        .await
        .ok();
    assert_eq!(mode(&agent.credentials()), 0o600);
    let who = agent.run(&["auth", "whoami", "--json"], None).await.ok().json();
    assert_eq!(who["kind"], "agent_token");
    assert_eq!(who["agent_name"], "worker");
}

sqlite_e2e!(a_credentials_file_others_can_read_is_fixed);
async fn a_credentials_file_others_can_read_is_fixed(server: &Server) {
    let ctl = Ctl::new(server);
    ctl.set_up_ada().await;
    let creds = ctl.credentials();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let st = ctl.run(&["auth", "status"], None).await.ok();
    assert!(st.stderr.contains("readable by others"), "{}", st.stderr);
    assert_eq!(mode(&creds), 0o600);
}

sqlite_e2e!(configuration_precedence_and_network_errors);
async fn configuration_precedence_and_network_errors(server: &Server) {
    let ctl = Ctl::new(server);
    let token = ctl.set_up_ada().await;

    // The saved server is used when neither --url nor TAOS_URL is given.
    let saved_only = Ctl {
        config: ctl.config,
        url: String::new(),
        env: Vec::new(),
    };
    saved_only.run(&["agents", "list"], None).await.ok();
    // TAOS_URL beats the saved server, --url beats TAOS_URL.
    let dead = "http://127.0.0.1:9";
    let via_env = Ctl {
        config: tempfile::tempdir().expect("tempdir"),
        url: dead.into(),
        env: vec![("TAOS_TOKEN".into(), token.clone())],
    };
    let failed = via_env.run(&["agents", "list"], None).await;
    assert_eq!(failed.code, 1);
    assert!(
        failed.stderr.contains("cannot reach taosd at http://127.0.0.1:9"),
        "{}",
        failed.stderr
    );
    via_env
        .run(&["--url", &server.url(), "agents", "list"], None)
        .await
        .ok();
    // No URL anywhere: the default.
    let default = Ctl {
        config: tempfile::tempdir().expect("tempdir"),
        url: String::new(),
        env: vec![("TAOS_TOKEN".into(), token)],
    };
    // `auth status --json` names the server it asked, whether or not one answers there.
    let d = default.run(&["auth", "status", "--json"], None).await;
    assert_eq!(d.json()["url"], "http://localhost:6969", "{}", d.stderr);
    // TAOS_TOKEN beats the file; no token at all is exit 4.
    let none = Ctl::new(server);
    let missing = none.run(&["agents", "list"], None).await;
    assert_eq!(missing.code, 4, "{}", missing.stderr);
}

sqlite_e2e!(mcp_prints_a_client_configuration_without_the_token);
/// `taosctl mcp` names this server's `/mcp` (from `GET /api`) and the header, per client, and
/// never the token it has.
async fn mcp_prints_a_client_configuration_without_the_token(server: &Server) {
    let token = "taos_user_secretsecretsecretsecretsecretsecretsecre";
    let ctl = Ctl::with_token(server, token);
    let url = format!("{}/mcp", server.url());
    let all = ctl.run(&["mcp"], None).await.ok();
    for client in ["Claude Code", "VS Code", "mcpServers", "mcp-remote"] {
        assert!(all.stdout.contains(client), "{client}:\n{}", all.stdout);
    }
    let one = ctl.run(&["mcp", "--client", "claude-code"], None).await.ok();
    assert_eq!(
        one.stdout.trim(),
        format!("claude mcp add --transport http taos {url} --header \"Authorization: Bearer $TAOS_TOKEN\"")
    );
    let json = ctl.run(&["mcp", "--json"], None).await.ok().json();
    assert_eq!(json["url"], url.as_str());
    assert_eq!(
        json["mcpServers"]["taos"]["headers"]["Authorization"],
        "Bearer ${TAOS_TOKEN}"
    );
    for out in [&all, &one] {
        assert!(
            !out.stdout.contains(token) && !out.stderr.contains(token),
            "the token is never printed"
        );
    }
    ctl.run(&["mcp", "--client", "emacs"], None)
        .await
        .usage_err("claude-code");
}
