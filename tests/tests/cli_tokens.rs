//! `taosctl auth tokens list|create|revoke` end to end: the real binary against a real taosd
//! (SQLite and PostgreSQL), each run with its own empty config directory; every effect is
//! checked through the API, not through taosctl's own word.

use serde_json::json;
use taos_conformance::people::PASSWORD;
use taos_conformance::taosctl::Terminal as Ctl;
use taos_conformance::*;

/// `POST /auth/token` as `username`: the whole answer (the id is needed to revoke it).
async fn new_token(
    s: &Server,
    username: &str,
    label: &str,
    scope: Option<&[&str]>,
) -> types::UserTokenCreated {
    let mut body = json!({ "username": username, "password": PASSWORD, "label": label });
    if let Some(scope) = scope {
        body["scope"] = json!(scope);
    }
    s.anon()
        .create_user_token()
        .body(from_json::<types::UserTokenCreate>(body))
        .send()
        .await
        .value()
}

/// The ids of `token`'s owner's active personal tokens, through the API.
async fn active_ids(s: &Server, token: &str) -> Vec<uuid::Uuid> {
    let list = s
        .client(token)
        .list_user_tokens()
        .limit(std::num::NonZeroU64::new(200).expect("200"))
        .send()
        .await
        .value();
    list.items.iter().map(|t| t.id).collect()
}

/// Whether the server still accepts `token` (`GET /api/auth/whoami`: 200, or 401 invalid_token).
async fn works(s: &Server, token: &str) -> bool {
    match s.client(token).whoami().send().await {
        Ok(_) => true,
        Err(taos_client::Error::ErrorResponse(rv))
            if rv.status().as_u16() == 401 && rv.error == "invalid_token" =>
        {
            false
        }
        Err(e) => panic!("whoami: neither 200 nor 401 invalid_token: {e:?}"),
    }
}

/// The row of a `tokens list` table that holds `id`.
#[track_caller]
fn row<'a>(table: &'a str, id: &uuid::Uuid) -> &'a str {
    table
        .lines()
        .find(|l| l.contains(&id.to_string()))
        .unwrap_or_else(|| panic!("no row for {id}:\n{table}"))
}

sqlite_e2e!(every_tokens_command_has_an_example);
async fn every_tokens_command_has_an_example(s: &Server) {
    let ctl = Ctl::new(s);
    for cmd in ["list", "create", "revoke"] {
        let help = ctl.run(&["auth", "tokens", cmd, "--help"], None).await.ok();
        assert!(
            help.stdout.contains("Example") && help.stdout.contains(&format!("taosctl auth tokens {cmd}")),
            "`taosctl auth tokens {cmd}` has no example:\n{}",
            help.stdout
        );
    }
    let group = ctl.run(&["auth", "--help"], None).await.ok();
    assert!(group.stdout.contains("tokens"), "{}", group.stdout);
    // A malformed id is a usage error, before any request.
    ctl.run(&["auth", "tokens", "revoke", "not-a-uuid", "--yes"], None)
        .await
        .usage_err("not-a-uuid");
}

e2e!(list_marks_the_token_in_use);
/// `tokens list` shows every active token in a table, marks the one taosctl is using (from
/// TAOS_TOKEN or the credentials file), and `--json` is the API's page.
async fn list_marks_the_token_in_use(s: &Server) {
    let admin = s.setup_admin().await;
    let ci = new_token(
        s,
        &admin.username,
        "ci-runner",
        Some(&["agents.list", "agents.read"]),
    )
    .await;
    let laptop = new_token(s, &admin.username, "laptop", None).await;
    let me = s.client(&admin.token).whoami().send().await.value();
    let current = me.token_id.expect("a user token has an id");

    let ctl = Ctl::with_token(s, &admin.token);
    let table = ctl.run(&["auth", "tokens", "list"], None).await.ok();
    let header = table.stdout.lines().next().unwrap_or_default();
    for col in ["ID", "LABEL", "SCOPE", "CREATED", "EXPIRES", "LAST USED"] {
        assert!(header.contains(col), "column {col}: {header}");
    }
    assert_eq!(
        table.stdout.lines().count(),
        4,
        "a header and three tokens:\n{}",
        table.stdout
    );
    assert!(row(&table.stdout, &current).starts_with('*'), "{}", table.stdout);
    let ci_row = row(&table.stdout, &ci.id);
    assert!(
        !ci_row.starts_with('*')
            && ci_row.contains("ci-runner")
            && ci_row.contains("agents.list agents.read"),
        "{ci_row}"
    );
    assert!(!row(&table.stdout, &laptop.id).starts_with('*'));
    assert!(
        table.stderr.contains("TAOS_TOKEN"),
        "says where the marked token is from: {}",
        table.stderr
    );
    for secret in [&admin.token, &ci.token, &laptop.token] {
        assert!(!table.stdout.contains(secret.as_str()), "never a secret");
    }

    // --json is the API's answer, field for field.
    let api = s.client(&admin.token).list_user_tokens().send().await.value();
    let printed = ctl
        .run(&["auth", "tokens", "list", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(printed, serde_json::to_value(&api).expect("to JSON"));
    assert_eq!(
        from_json::<types::UserTokenList>(printed.clone()),
        api,
        "round-trips"
    );

    // Paging: one page says how to go on; --all follows the cursors.
    let one = ctl
        .run(&["auth", "tokens", "list", "--limit", "1", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(one["items"].as_array().map(Vec::len), Some(1), "{one}");
    let next = one["next_cursor"].as_str().expect("a next cursor").to_string();
    let second = ctl
        .run(
            &[
                "auth", "tokens", "list", "--limit", "1", "--cursor", &next, "--json",
            ],
            None,
        )
        .await
        .ok()
        .json();
    assert_eq!(
        second["items"][0], printed["items"][1],
        "the cursor continues the list"
    );
    let paged = ctl
        .run(&["auth", "tokens", "list", "--limit", "1"], None)
        .await
        .ok();
    assert!(paged.stderr.contains("--cursor"), "{}", paged.stderr);
    let all = ctl
        .run(
            &["auth", "tokens", "list", "--limit", "1", "--all", "--json"],
            None,
        )
        .await
        .ok()
        .json();
    assert_eq!(all, printed, "--all gathers every page");

    // Saved with `auth login --with-token`: the marked token is the saved one.
    let saved = Ctl::new(s);
    saved
        .run(
            &["auth", "login", "--with-token"],
            Some(&format!("{}\n", laptop.token)),
        )
        .await
        .ok();
    let table = saved.run(&["auth", "tokens", "list"], None).await.ok();
    assert!(
        row(&table.stdout, &laptop.id).starts_with('*'),
        "{}",
        table.stdout
    );
    assert!(!row(&table.stdout, &current).starts_with('*'), "{}", table.stdout);
    assert!(
        table.stderr.contains(&saved.credentials().display().to_string()),
        "{}",
        table.stderr
    );

    // No token: exit 4 with the fix.
    let none = Ctl::new(s).run(&["auth", "tokens", "list"], None).await;
    assert_eq!(none.code, 4, "{}", none.stderr);
    assert!(none.stderr.contains("taosctl auth login"), "{}", none.stderr);
}

e2e!(create_prints_a_working_token_once);
/// `tokens create` reads the password from stdin, prints the new token alone (or the API's
/// JSON), does not save it, and the token works with the scope and expiry asked for.
async fn create_prints_a_working_token_once(s: &Server) {
    let admin = s.setup_admin().await;
    let ctl = Ctl::new(s);
    let pw = format!("{PASSWORD}\n");
    let out = ctl
        .run(
            &[
                "auth",
                "tokens",
                "create",
                "--username",
                "admin",
                "--password-stdin",
                "--label",
                "ci-runner",
                "--scope",
                "agents.list",
                "--expires-in-days",
                "30",
            ],
            Some(&pw),
        )
        .await
        .ok();
    assert_eq!(out.stdout.lines().count(), 1, "the token alone: {}", out.stdout);
    let token = out.stdout.trim();
    assert!(
        tokens::is_well_formed(token) && token.starts_with("taos_user_"),
        "{token}"
    );
    assert!(out.stderr.contains("shown only once"), "{}", out.stderr);
    assert!(!ctl.credentials().exists(), "create does not save the token");

    // It works, as admin, with exactly the scope and expiry asked for.
    let me = s.client(token).whoami().send().await.value();
    assert_eq!(me.username, "admin");
    assert_eq!(me.kind, types::PrincipalKind::UserToken);
    assert_eq!(me.scope, vec!["agents.list".to_string()]);
    let expires = me.expires_at.expect("an expiry");
    let days = (expires - chrono::Utc::now()).num_days();
    assert!((29..=30).contains(&days), "expires in 30 days: {expires}");
    s.client(token).list_agents().send().await.value();
    s.client(token)
        .create_agent()
        .body(from_json::<types::AgentCreate>(json!({"name": "Nope"})))
        .send()
        .await
        .api_err(403, "scope_denied");
    let listed = s.client(&admin.token).list_user_tokens().send().await.value();
    let item = listed
        .items
        .iter()
        .find(|t| t.id == me.token_id.expect("id"))
        .expect("listed");
    assert_eq!(item.label, "ci-runner");

    // --json prints the API's answer; with a person's token in use, --username defaults to them.
    let signed_in = Ctl::with_token(s, &admin.token);
    let created = signed_in
        .run(
            &[
                "auth",
                "tokens",
                "create",
                "--password-stdin",
                "--label",
                "laptop",
                "--json",
            ],
            Some(&pw),
        )
        .await
        .ok();
    let created_json = created.json();
    let created: types::UserTokenCreated = from_json(created_json.clone());
    assert_eq!(created.label, "laptop");
    assert_eq!(created.scope, vec!["*".to_string()], "scope * by default");
    assert!(created.expires_at.is_none(), "no expiry by default");
    let me = s.client(&created.token).whoami().send().await.value();
    assert_eq!((me.username.as_str(), me.token_id), ("admin", Some(created.id)));

    // Without a label: taosctl@<hostname>.
    let plain = signed_in
        .run(&["auth", "tokens", "create", "--password-stdin"], Some(&pw))
        .await
        .ok();
    let me = s.client(plain.stdout.trim()).whoami().send().await.value();
    let listed = s.client(&admin.token).list_user_tokens().send().await.value();
    let item = listed
        .items
        .iter()
        .find(|t| Some(t.id) == me.token_id)
        .expect("listed");
    assert!(item.label.starts_with("taosctl@"), "{}", item.label);

    let before = active_ids(s, &admin.token).await;
    // More than 64 patterns: the API refuses it (422 validation_error), exit 1.
    let mut wide = vec![
        "auth",
        "tokens",
        "create",
        "--username",
        "admin",
        "--password-stdin",
    ];
    let patterns: Vec<String> = (0..65).map(|i| format!("agents.p{i}")).collect();
    for p in &patterns {
        wide.extend(["--scope", p.as_str()]);
    }
    let refused = ctl.run(&wide, Some(&pw)).await.api_err(1, "validation_error");
    assert!(refused.stdout.is_empty(), "no token printed: {}", refused.stdout);
    // A pattern the contract does not allow is refused before any request: exit 2.
    ctl.run(
        &[
            "auth",
            "tokens",
            "create",
            "--username",
            "admin",
            "--password-stdin",
            "--scope",
            "Agents.List",
        ],
        Some(&pw),
    )
    .await
    .usage_err("Agents.List");
    // A wrong password: 401 invalid_credentials, exit 4.
    ctl.run(
        &[
            "auth",
            "tokens",
            "create",
            "--username",
            "admin",
            "--password-stdin",
        ],
        Some("nope-nope-nope\n"),
    )
    .await
    .api_err(4, "invalid_credentials");
    // No username, no person signed in, no terminal to ask at: a usage error.
    ctl.run(&["auth", "tokens", "create", "--password-stdin"], Some(&pw))
        .await
        .usage_err("--username");
    // A password on argv is not an option at all.
    ctl.run(
        &[
            "auth",
            "tokens",
            "create",
            "--username",
            "admin",
            "--password",
            PASSWORD,
        ],
        None,
    )
    .await
    .usage_err("--password");
    assert_eq!(
        active_ids(s, &admin.token).await,
        before,
        "no failed create made a token"
    );
}

e2e!(revoke_asks_then_stops_the_token);
/// `tokens revoke` refuses without --yes when stdin is no terminal (exit 2, nothing revoked);
/// with --yes the token gets 401; unknown ids and other people's tokens are
/// `user_token_not_found`; revoking the token in use warns that taosctl's credentials stop working.
async fn revoke_asks_then_stops_the_token(s: &Server) {
    let admin = s.setup_admin().await;
    let victim = new_token(s, &admin.username, "old-laptop", None).await;
    let id = victim.id.to_string();
    let ctl = Ctl::with_token(s, &admin.token);

    ctl.run(&["auth", "tokens", "revoke", &id], None)
        .await
        .usage_err("--yes");
    assert!(works(s, &victim.token).await, "nothing was revoked");
    assert!(active_ids(s, &admin.token).await.contains(&victim.id));

    let done = ctl
        .run(&["auth", "tokens", "revoke", &id, "--yes"], None)
        .await
        .ok();
    assert_eq!(done.stdout.trim(), format!("token revoked: {id}"));
    assert!(
        !done.stderr.contains("Warning"),
        "not the token in use: {}",
        done.stderr
    );
    assert!(!works(s, &victim.token).await, "the revoked token gets 401");
    assert!(!active_ids(s, &admin.token).await.contains(&victim.id));
    assert!(works(s, &admin.token).await, "the one in use still works");

    // Again, or an id that never existed: 404 user_token_not_found, exit 1.
    ctl.run(&["auth", "tokens", "revoke", &id, "--yes"], None)
        .await
        .api_err(1, "user_token_not_found");
    let unknown = uuid::Uuid::new_v4().to_string();
    ctl.run(&["auth", "tokens", "revoke", &unknown, "-y"], None)
        .await
        .api_err(1, "user_token_not_found");

    // Someone else's token looks just like an unknown one, and keeps working.
    let bob = s.add_user(&admin, "bob").await;
    let bob_id = s
        .client(&bob.token)
        .whoami()
        .send()
        .await
        .value()
        .token_id
        .expect("id");
    ctl.run(&["auth", "tokens", "revoke", &bob_id.to_string(), "--yes"], None)
        .await
        .api_err(1, "user_token_not_found");
    assert!(works(s, &bob.token).await);

    // --json.
    let other = new_token(s, &admin.username, "script", None).await;
    let out = ctl
        .run(
            &[
                "auth",
                "tokens",
                "revoke",
                &other.id.to_string(),
                "--yes",
                "--json",
            ],
            None,
        )
        .await
        .ok()
        .json();
    assert_eq!(out, json!({ "revoked": other.id }));
    assert!(!works(s, &other.token).await);

    // The saved token taosctl itself uses: revoked, with a warning naming the file and the way back.
    let saved = Ctl::new(s);
    let mine = new_token(s, &admin.username, "this-machine", None).await;
    saved
        .run(
            &["auth", "login", "--with-token"],
            Some(&format!("{}\n", mine.token)),
        )
        .await
        .ok();
    let out = saved
        .run(&["auth", "tokens", "revoke", &mine.id.to_string(), "--yes"], None)
        .await
        .ok();
    assert!(
        out.stderr.contains("taosctl is using")
            && out.stderr.contains(&saved.credentials().display().to_string())
            && out.stderr.contains("taosctl auth login"),
        "{}",
        out.stderr
    );
    assert!(!works(s, &mine.token).await);
    let after = saved.run(&["auth", "tokens", "list"], None).await;
    assert_eq!(after.code, 4, "the saved token is rejected now: {}", after.stderr);
    assert!(after.stderr.contains("invalid_token"), "{}", after.stderr);

    // The same through TAOS_TOKEN.
    let env = new_token(s, &admin.username, "env", None).await;
    let out = Ctl::with_token(s, &env.token)
        .run(&["auth", "tokens", "revoke", &env.id.to_string(), "--yes"], None)
        .await
        .ok();
    assert!(
        out.stderr.contains("taosctl is using") && out.stderr.contains("TAOS_TOKEN"),
        "{}",
        out.stderr
    );
    assert!(!works(s, &env.token).await);
}

e2e!(agent_tokens_get_person_required);
/// Personal tokens are for people: with an agent's token, list and revoke are 403
/// `person_required` (exit 1) and nothing is revoked; create does not fall back to its owner.
async fn agent_tokens_get_person_required(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Worker").await;
    let agent_token = issue_agent_token(&client, "worker").await;
    let admin_id = client.whoami().send().await.value().token_id.expect("id");
    let agent = Ctl::with_token(s, &agent_token);

    agent
        .run(&["auth", "tokens", "list"], None)
        .await
        .api_err(1, "person_required");
    agent
        .run(&["auth", "tokens", "list", "--json"], None)
        .await
        .api_err(1, "person_required");
    agent
        .run(
            &["auth", "tokens", "revoke", &admin_id.to_string(), "--yes"],
            None,
        )
        .await
        .api_err(1, "person_required");
    assert!(works(s, &admin.token).await, "nothing revoked");
    // An agent's token names no person: there is nobody to default --username to.
    agent
        .run(
            &["auth", "tokens", "create", "--password-stdin"],
            Some(&format!("{PASSWORD}\n")),
        )
        .await
        .usage_err("--username");
}

e2e!(on_a_terminal_it_asks);
/// On a terminal, `tokens revoke` asks first (no: nothing revoked; yes: revoked, with the
/// warning when it is the token in use) and `tokens create` asks for the password unechoed.
async fn on_a_terminal_it_asks(s: &Server) {
    let admin = s.setup_admin().await;
    let victim = new_token(s, &admin.username, "old-laptop", None).await;
    let id = victim.id.to_string();
    let ctl = Ctl::with_token(s, &admin.token);

    let no = ctl.run_on_tty(&["auth", "tokens", "revoke", &id], "n\n").await;
    assert_eq!(no.code, 1, "{}", no.stdout);
    assert!(
        no.stdout.contains(&format!("Revoke personal token {id}?")) && no.stdout.contains("cancelled"),
        "{}",
        no.stdout
    );
    assert!(works(s, &victim.token).await, "answering no revokes nothing");

    let yes = ctl.run_on_tty(&["auth", "tokens", "revoke", &id], "y\n").await;
    assert_eq!(yes.code, 0, "{}", yes.stdout);
    assert!(
        yes.stdout.contains(&format!("token revoked: {id}")),
        "{}",
        yes.stdout
    );
    assert!(!works(s, &victim.token).await);

    // The token in use: the question says so before anything happens.
    let mine = admin.token.clone();
    let mine_id = s
        .client(&mine)
        .whoami()
        .send()
        .await
        .value()
        .token_id
        .expect("id");
    let asked = ctl
        .run_on_tty(&["auth", "tokens", "revoke", &mine_id.to_string()], "n\n")
        .await;
    assert_eq!(asked.code, 1, "{}", asked.stdout);
    assert!(asked.stdout.contains("taosctl is using"), "{}", asked.stdout);
    assert!(works(s, &mine).await);

    // The password typed at the prompt (whether the terminal echoes it depends on when `script`
    // passes the keystrokes on, so that is not checked here); the token printed.
    let created = ctl
        .run_on_tty(
            &["auth", "tokens", "create", "--label", "typed"],
            &format!("{PASSWORD}\n"),
        )
        .await;
    assert_eq!(created.code, 0, "{}", created.stdout);
    assert!(created.stdout.contains("Password:"), "{}", created.stdout);
    let token = created
        .stdout
        .split_whitespace()
        .find(|w| w.starts_with("taos_user_"))
        .unwrap_or_else(|| panic!("a token: {}", created.stdout));
    let me = s.client(token).whoami().send().await.value();
    assert_eq!(me.username, admin.username);
}
