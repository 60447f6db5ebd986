//! `tokens list`: the table, the token in use marked, `--json` equal to the API, paging.

use taos_conformance::taosctl::Terminal as Ctl;
use taos_conformance::*;

use super::new_token;

/// The row of a `tokens list` table that holds `id`.
#[track_caller]
fn row<'a>(table: &'a str, id: &uuid::Uuid) -> &'a str {
    table
        .lines()
        .find(|l| l.contains(&id.to_string()))
        .unwrap_or_else(|| panic!("no row for {id}:\n{table}"))
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
