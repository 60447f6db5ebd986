//! `tokens revoke`: `--yes` or a terminal, the token stopped, a warning if in use; agent tokens refused.

use serde_json::json;
use taos_conformance::people::PASSWORD;
use taos_conformance::taosctl::Terminal as Ctl;
use taos_conformance::*;

use super::{active_ids, new_token, works};

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
    let agent_token = issue_agent_token_with(&client, "worker", json!({"scope": ["*"]}))
        .await
        .token;
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
