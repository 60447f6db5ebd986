//! Agent tokens: issue (one active per agent), revoke, scope and the user ceiling, expiry.

use serde_json::json;
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::tokens::{AGENT_PREFIX, sha256_hex};
use taos_conformance::types::PrincipalKind;
use taos_conformance::*;

e2e!(issue_returns_a_54_character_agent_token);
/// Issue answers a `taos_agent_` token of 54 characters, well formed, that works at once.
async fn issue_returns_a_54_character_agent_token(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let agent = create_agent(&client, "Research Bot").await;
    let body = s
        .post("/api/agents/research-bot/token/issue")
        .bearer(&admin.token)
        .json(&json!({}))
        .send()
        .await
        .expect_json(200);
    let issued: types::IssuedAgentToken = from_json(body);
    assert!(issued.token.starts_with(AGENT_PREFIX), "{}", issued.token);
    assert_eq!(issued.token.len(), 54, "{}", issued.token);
    assert!(
        tokens::is_well_formed(&issued.token),
        "{} has a bad checksum",
        issued.token
    );
    assert_eq!(issued.agent, "research-bot");
    assert_eq!(
        issued.scope, agent.scope,
        "the token's scope defaults to the agent's"
    );
    assert_eq!(issued.expires_at, None);
    assert!((chrono::Utc::now() - issued.issued_at).num_seconds().abs() < 60);

    let me = s.client(&issued.token).whoami().send().await.value();
    assert_eq!(me.kind, PrincipalKind::AgentToken);
    assert_eq!(me.agent_id, Some(agent.id));

    // The body is optional.
    let resp = s
        .post("/api/agents/research-bot/token/issue")
        .bearer(&admin.token)
        .send()
        .await;
    let second: types::IssuedAgentToken = from_json(resp.expect_json(200));
    assert_ne!(second.token, issued.token);

    client
        .issue_agent_token()
        .name("missing")
        .body(types::TokenIssueRequest::default())
        .send()
        .await
        .api_err(404, "agent_not_found");
}

e2e!(reissue_revokes_the_previous_token);
/// Issuing again revokes the previous token in the same step: it gets 401 `invalid_token`.
async fn reissue_revokes_the_previous_token(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Rotating").await;
    let first = issue_agent_token_with(&client, "rotating", json!({"scope": ["*"]}))
        .await
        .token;
    s.client(&first).whoami().send().await.value();
    let second = issue_agent_token_with(&client, "rotating", json!({"scope": ["*"]}))
        .await
        .token;
    assert_ne!(first, second);

    let err = s
        .get("/api/agents")
        .bearer(&first)
        .send()
        .await
        .expect_error(401, "invalid_token");
    let www = err.www_authenticate();
    assert!(www.to_ascii_lowercase().starts_with("bearer"), "{www}");
    assert!(www.contains("error=\"invalid_token\""), "{www}");
    s.client(&second).list_agents().send().await.value();
    let agent = client.get_agent().name("rotating").send().await.value();
    assert!(agent.has_token);
}

e2e!(revoke_is_immediate_and_idempotent);
/// Revoke answers 204 (also with no active token); the token stops working at once.
async fn revoke_is_immediate_and_idempotent(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Revocable").await;
    let r = client.revoke_agent_token().name("revocable").send().await.must();
    assert_eq!(r.status().as_u16(), 204, "revoke with no token is 204");

    let token = issue_agent_token(&client, "revocable").await;
    s.client(&token).whoami().send().await.value();
    let resp = s
        .delete("/api/agents/revocable/token")
        .bearer(&admin.token)
        .send()
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    assert!(resp.headers().contains_key("x-request-id"));
    assert!(resp.bytes().is_empty(), "204 has no body");

    s.get("/api/auth/whoami")
        .bearer(&token)
        .send()
        .await
        .expect_error(401, "invalid_token");
    let agent = client.get_agent().name("revocable").send().await.value();
    assert!(!agent.has_token);
    assert_eq!(agent.issued_at, None);
    assert_eq!(agent.token_scope, None);
    assert_eq!(agent.token_expires_at, None);

    let r = client.revoke_agent_token().name("revocable").send().await.must();
    assert_eq!(r.status().as_u16(), 204);
    client
        .revoke_agent_token()
        .name("missing")
        .send()
        .await
        .api_err(404, "agent_not_found");

    // An agent may revoke its own token.
    let token = issue_agent_token_with(&client, "revocable", json!({"scope": ["*"]}))
        .await
        .token;
    let r = s
        .client(&token)
        .revoke_agent_token()
        .name("revocable")
        .send()
        .await
        .must();
    assert_eq!(r.status().as_u16(), 204);
    s.get("/api/auth/whoami")
        .bearer(&token)
        .send()
        .await
        .expect_error(401, "invalid_token");
}

e2e!(issue_with_a_scope);
/// `scope` narrows the token: it can do what the scope covers and nothing else.
async fn issue_with_a_scope(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Notifier").await;
    let issued = issue_agent_token_with(&client, "notifier", json!({"scope": ["ui.notify"]})).await;
    assert_eq!(issued.scope, vec!["ui.notify".to_string()]);
    let agent = client.get_agent().name("notifier").send().await.value();
    assert_eq!(agent.token_scope, Some(vec!["ui.notify".to_string()]));

    let bot = s.client(&issued.token);
    bot.notify_user()
        .body(from_json::<types::NotifyRequest>(json!({"title": "hi"})))
        .send()
        .await
        .value();
    let err = bot.list_agents().send().await.api_err(403, "scope_denied");
    assert_eq!(err.body["required_scope"], "agents.list");

    for scope in [
        json!(["Agents.List"]),
        json!(["agents list"]),
        json!("*"),
        json!([""]),
    ] {
        s.post("/api/agents/notifier/token/issue")
            .bearer(&admin.token)
            .json(&json!({ "scope": scope }))
            .send()
            .await
            .expect_error(422, "validation_error");
    }
}

e2e!(issue_cannot_exceed_the_caller);
/// A token can only be issued with a scope the issuer's own scope covers.
async fn issue_cannot_exceed_the_caller(s: &Server) {
    let admin = s.setup_admin().await;
    let wide = s.client(&admin.token);
    create_agent(&wide, "Target").await;
    let narrow_token = s.user_token(ADMIN, PASSWORD, Some(&["agents.*"])).await;
    let narrow = s.client(&narrow_token);

    for scope in [
        json!(["*"]),
        json!(["ui.notify"]),
        json!(["agents.read", "notifications.read"]),
    ] {
        s.post("/api/agents/target/token/issue")
            .bearer(&narrow_token)
            .json(&json!({ "scope": scope }))
            .send()
            .await
            .expect_error(403, "scope_exceeds_caller");
    }
    // The agent's default scope is the agent preset (`ui.notify`, `knowledge.read`), beyond
    // `agents.*`: issuing without a scope is refused.
    narrow
        .issue_agent_token()
        .name("target")
        .body(types::TokenIssueRequest::default())
        .send()
        .await
        .api_err(403, "scope_exceeds_caller");
    assert!(
        !wide.get_agent().name("target").send().await.value().has_token,
        "a refused issue issued"
    );

    let ok = issue_agent_token_with(
        &narrow,
        "target",
        json!({"scope": ["agents.read", "agents.token.issue"]}),
    )
    .await;
    assert_eq!(
        ok.scope,
        vec!["agents.read".to_string(), "agents.token.issue".to_string()]
    );

    // That agent token may issue tokens, but only within its own scope.
    create_agent(&wide, "Other").await;
    let bot = s.client(&ok.token);
    s.post("/api/agents/other/token/issue")
        .bearer(&ok.token)
        .json(&json!({"scope": ["agents.list"]}))
        .send()
        .await
        .expect_error(403, "scope_exceeds_caller");
    let sub = issue_agent_token_with(&bot, "other", json!({"scope": ["agents.read"]})).await;
    s.client(&sub.token)
        .get_agent()
        .name("other")
        .send()
        .await
        .value();
}

e2e!(issue_with_an_expiry);
/// `expires_in_days` sets `expires_at`; out-of-range values are 422.
async fn issue_with_an_expiry(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Temporary").await;
    let issued = issue_agent_token_with(&client, "temporary", json!({"expires_in_days": 7})).await;
    let expires = issued.expires_at.expect("expires_at");
    let expected = issued.issued_at + chrono::Duration::days(7);
    assert!(
        (expires - expected).num_seconds().abs() <= 60,
        "{expires} vs {expected}"
    );
    let agent = client.get_agent().name("temporary").send().await.value();
    assert_eq!(
        agent.token_expires_at.map(|t| t.timestamp()),
        Some(expires.timestamp())
    );
    s.client(&issued.token).whoami().send().await.value();

    for days in [json!(0), json!(3651), json!(-1), json!(1.5), json!("7")] {
        s.post("/api/agents/temporary/token/issue")
            .bearer(&admin.token)
            .json(&json!({ "expires_in_days": days }))
            .send()
            .await
            .expect_error(422, "validation_error");
    }
    // The refused requests did not replace the token.
    s.client(&issued.token).whoami().send().await.value();
}

e2e!(expired_token_is_token_expired);
/// A token past its `expires_at` is 401 `token_expired` (made so directly in the database,
/// so the case does not wait a day).
async fn expired_token_is_token_expired(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Stale").await;
    let issued = issue_agent_token_with(&client, "stale", json!({"expires_in_days": 1})).await;
    s.client(&issued.token).whoami().send().await.value();

    let changed = s
        .sql_execute(
            "UPDATE api_tokens SET expires_at = created_at WHERE token_hash = $1",
            &[&sha256_hex(&issued.token)],
        )
        .await;
    assert_eq!(
        changed, 1,
        "the token's row was not found by its SHA-256 in api_tokens"
    );

    let err = s
        .get("/api/agents")
        .bearer(&issued.token)
        .send()
        .await
        .expect_error(401, "token_expired");
    let www = err.www_authenticate();
    assert!(www.to_ascii_lowercase().starts_with("bearer"), "{www}");
    assert!(www.contains("error=\"invalid_token\""), "{www}");

    // The same for a personal token.
    let user_token = s
        .anon()
        .create_user_token()
        .body(from_json::<types::UserTokenCreate>(json!({
            "username": ADMIN, "password": PASSWORD, "label": "short", "expires_in_days": 1
        })))
        .send()
        .await
        .value();
    let changed = s
        .sql_execute(
            "UPDATE api_tokens SET expires_at = created_at WHERE token_hash = $1",
            &[&sha256_hex(&user_token.token)],
        )
        .await;
    assert_eq!(changed, 1);
    s.get("/api/auth/whoami")
        .bearer(&user_token.token)
        .send()
        .await
        .expect_error(401, "token_expired");
    let status = s.client(&user_token.token).get_auth_status().send().await.value();
    assert!(!status.authenticated);

    // Re-issuing gives the agent a working token again.
    let fresh = issue_agent_token(&client, "stale").await;
    s.client(&fresh).whoami().send().await.value();
}
