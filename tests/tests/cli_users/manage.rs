//! `users create|list|delete`: adding, listing and removing people, admins only, the terminal prompts.

use serde_json::json;
use taos_conformance::people::PASSWORD;
use taos_conformance::taosctl::Terminal as Ctl;
use taos_conformance::*;

use super::users;

/// Whether `username` can get a token with `password` (`POST /auth/token`).
async fn can_sign_in(s: &Server, username: &str, password: &str) -> bool {
    let body = from_json::<types::UserTokenCreate>(json!({
        "username": username, "password": password, "label": "check",
    }));
    match s.anon().create_user_token().body(body).send().await {
        Ok(_) => true,
        Err(taos_client::Error::ErrorResponse(rv)) if rv.status().as_u16() == 401 => false,
        Err(e) => panic!("POST /auth/token: neither 201 nor 401: {e:?}"),
    }
}

async fn usernames(s: &Server, admin: &Person) -> Vec<String> {
    users(s, admin)
        .await
        .items
        .into_iter()
        .map(|u| u.username)
        .collect()
}

e2e!(create_list_and_delete_people);
/// An admin adds people (password from stdin), lists them in a table or as the API's JSON, and
/// removes them by username or id after confirming; refusals change nothing.
async fn create_list_and_delete_people(s: &Server) {
    let admin = s.setup_admin().await;
    let ctl = Ctl::with_token(s, &admin.token);
    let pw = format!("{PASSWORD}\n");

    let grace = ctl
        .run(
            &[
                "users",
                "create",
                "--username",
                "grace",
                "--full-name",
                "Grace Hopper",
                "--email",
                "grace@example.com",
                "--password-stdin",
            ],
            Some(&pw),
        )
        .await
        .ok();
    assert!(grace.stderr.contains("Added user 'grace'"), "{}", grace.stderr);
    assert!(
        grace
            .stdout
            .lines()
            .any(|l| l.starts_with("username") && l.ends_with("grace")),
        "{}",
        grace.stdout
    );
    let listed = users(s, &admin).await;
    let g = listed
        .items
        .iter()
        .find(|u| u.username == "grace")
        .expect("grace is listed");
    assert_eq!(
        (g.full_name.as_deref(), g.email.as_deref(), g.admin),
        (Some("Grace Hopper"), Some("grace@example.com"), false)
    );
    assert!(grace.stdout.contains(&g.id.to_string()), "{}", grace.stdout);
    assert!(
        can_sign_in(s, "grace", PASSWORD).await,
        "the password read from stdin is hers"
    );

    // --admin, --json: the API's User.
    let linus: types::User = from_json(
        ctl.run(
            &[
                "users",
                "create",
                "--username",
                "linus",
                "--admin",
                "--password-stdin",
                "--json",
            ],
            Some(&pw),
        )
        .await
        .ok()
        .json(),
    );
    assert!(linus.admin);
    let api = users(s, &admin).await;
    assert_eq!(api.items.iter().find(|u| u.id == linus.id), Some(&linus));

    // Refused before any request: a username or password the contract does not allow, a
    // password on argv, no password at all; then by the server: a taken username.
    ctl.run(
        &["users", "create", "--username", "two words", "--password-stdin"],
        Some(&pw),
    )
    .await
    .usage_err("username");
    ctl.run(
        &["users", "create", "--username", "shorty", "--password-stdin"],
        Some("short\n"),
    )
    .await
    .usage_err("password");
    ctl.run(
        &["users", "create", "--username", "argv", "--password", PASSWORD],
        None,
    )
    .await
    .usage_err("--password");
    ctl.run(&["users", "create", "--username", "nopw"], None)
        .await
        .usage_err("--password-stdin");
    ctl.run(
        &["users", "create", "--username", "grace", "--password-stdin"],
        Some(&pw),
    )
    .await
    .api_err(1, "username_taken");
    assert_eq!(usernames(s, &admin).await, ["admin", "grace", "linus"]);

    // The table, and --json as the API's page; paging as everywhere.
    let table = ctl.run(&["users", "list"], None).await.ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    for col in ["ID", "USERNAME", "FULL NAME", "EMAIL", "ADMIN", "CREATED"] {
        assert!(lines[0].contains(col), "column {col}: {}", table.stdout);
    }
    assert_eq!(lines.len(), 4, "a header and three people:\n{}", table.stdout);
    let row = lines.iter().find(|l| l.contains("grace")).expect("grace's row");
    assert!(
        row.contains("Grace Hopper") && row.contains(&g.id.to_string()),
        "{row}"
    );
    let printed = ctl.run(&["users", "list", "--json"], None).await.ok().json();
    assert_eq!(printed, serde_json::to_value(&api).expect("to JSON"));
    let one = ctl.run(&["users", "list", "--limit", "1"], None).await.ok();
    assert!(one.stderr.contains("--cursor"), "{}", one.stderr);
    let all = ctl
        .run(&["users", "list", "--limit", "1", "--all", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(all, printed, "--all gathers every page");

    // Without a terminal, delete needs --yes, and removes nobody without it.
    ctl.run(&["users", "delete", "grace"], None)
        .await
        .usage_err("--yes");
    assert!(can_sign_in(s, "grace", PASSWORD).await);

    // By username: resolved through the list; her tokens stop working.
    let grace_token = s.user_token("grace", PASSWORD, None).await;
    let done = ctl.run(&["users", "delete", "grace", "--yes"], None).await.ok();
    assert_eq!(done.stdout.trim(), format!("user removed: 'grace' ({})", g.id));
    assert_eq!(usernames(s, &admin).await, ["admin", "linus"]);
    assert!(!can_sign_in(s, "grace", PASSWORD).await);
    s.client(&grace_token)
        .whoami()
        .send()
        .await
        .api_err(401, "invalid_token");

    // By id, with --json.
    let out = ctl
        .run(&["users", "delete", &linus.id.to_string(), "-y", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(out, json!({ "deleted": linus.id }));
    assert_eq!(usernames(s, &admin).await, ["admin"]);

    // Gone, unknown, or yourself.
    ctl.run(&["users", "delete", &linus.id.to_string(), "--yes"], None)
        .await
        .api_err(1, "user_not_found");
    let nobody = ctl.run(&["users", "delete", "nobody", "--yes"], None).await;
    assert_eq!(nobody.code, 1, "{}", nobody.stderr);
    assert!(
        nobody.stderr.contains("user_not_found") && nobody.stderr.contains("taosctl users list"),
        "{}",
        nobody.stderr
    );
    ctl.run(&["users", "delete", "admin", "--yes"], None)
        .await
        .api_err(1, "cannot_delete_self");
    assert_eq!(usernames(s, &admin).await, ["admin"]);
}

e2e!(only_admins_and_only_people);
/// Someone who is not an admin gets 403 `admin_required`; an agent's token, whatever its scope,
/// 403 `person_required`; no token at all, exit 4. Nobody is added or removed.
async fn only_admins_and_only_people(s: &Server) {
    let admin = s.setup_admin().await;
    let bob = s.add_user(&admin, "bob").await;
    let pw = format!("{PASSWORD}\n");
    let client = s.client(&admin.token);
    create_agent(&client, "Worker").await;
    let agent_token = issue_agent_token_with(&client, "worker", json!({"scope": ["*"]}))
        .await
        .token;

    let as_bob = Ctl::with_token(s, &bob.token);
    as_bob
        .run(&["users", "list"], None)
        .await
        .api_err(1, "admin_required");
    as_bob
        .run(
            &["users", "create", "--username", "eve", "--password-stdin"],
            Some(&pw),
        )
        .await
        .api_err(1, "admin_required");
    as_bob
        .run(&["users", "delete", &admin.id.to_string(), "--yes"], None)
        .await
        .api_err(1, "admin_required");

    let as_agent = Ctl::with_token(s, &agent_token);
    as_agent
        .run(&["users", "list", "--json"], None)
        .await
        .api_err(1, "person_required");
    as_agent
        .run(&["users", "delete", &bob.id.to_string(), "--yes"], None)
        .await
        .api_err(1, "person_required");

    let none = Ctl::new(s).run(&["users", "list"], None).await;
    assert_eq!(none.code, 4, "{}", none.stderr);
    assert!(none.stderr.contains("taosctl auth login"), "{}", none.stderr);
    assert_eq!(usernames(s, &admin).await, ["admin", "bob"]);
}

e2e!(on_a_terminal_it_asks);
/// On a terminal, `users create` asks for the password twice and `users delete` asks first
/// (no: nobody removed; yes: removed).
async fn on_a_terminal_it_asks(s: &Server) {
    let admin = s.setup_admin().await;
    let ctl = Ctl::with_token(s, &admin.token);

    let differ = ctl
        .run_on_tty(
            &["users", "create", "--username", "grace"],
            &format!("{PASSWORD}\nsomething-else\n"),
        )
        .await;
    assert_eq!(differ.code, 2, "{}", differ.stdout);
    assert!(
        differ.stdout.contains("the passwords differ"),
        "{}",
        differ.stdout
    );
    assert_eq!(usernames(s, &admin).await, ["admin"]);

    let created = ctl
        .run_on_tty(
            &["users", "create", "--username", "grace"],
            &format!("{PASSWORD}\n{PASSWORD}\n"),
        )
        .await;
    assert_eq!(created.code, 0, "{}", created.stdout);
    assert!(
        created.stdout.contains("Password:") && created.stdout.contains("Password again:"),
        "{}",
        created.stdout
    );
    assert!(can_sign_in(s, "grace", PASSWORD).await);

    let no = ctl.run_on_tty(&["users", "delete", "grace"], "n\n").await;
    assert_eq!(no.code, 1, "{}", no.stdout);
    assert!(
        no.stdout.contains("Remove user 'grace'") && no.stdout.contains("cancelled"),
        "{}",
        no.stdout
    );
    assert_eq!(usernames(s, &admin).await, ["admin", "grace"]);

    let yes = ctl.run_on_tty(&["users", "delete", "grace"], "y\n").await;
    assert_eq!(yes.code, 0, "{}", yes.stdout);
    assert!(yes.stdout.contains("user removed: 'grace'"), "{}", yes.stdout);
    assert_eq!(usernames(s, &admin).await, ["admin"]);
}
