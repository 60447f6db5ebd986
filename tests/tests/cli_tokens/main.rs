//! `taosctl auth tokens list|create|revoke` end to end: the real binary against a real taosd
//! (SQLite and PostgreSQL), each run with its own empty config directory; every effect is
//! checked through the API, not through taosctl's own word.

use serde_json::json;
use taos_conformance::people::PASSWORD;
use taos_conformance::taosctl::Terminal as Ctl;
use taos_conformance::*;

mod create;
mod list;
mod revoke;
mod terminal;

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
