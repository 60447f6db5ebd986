//! `tokens create`: the password from stdin, a working token printed once, nothing saved.

use serde_json::json;
use taos_conformance::people::PASSWORD;
use taos_conformance::taosctl::Terminal as Ctl;
use taos_conformance::*;

use super::active_ids;

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
