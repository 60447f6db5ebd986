//! Authentication and scopes across the API: the Bearer keyword, bad tokens, missing
//! credentials, scope checks with glob patterns, for every kind of caller.

use serde_json::json;
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::tokens::{AGENT_PREFIX, USER_PREFIX, forge, with_bad_checksum};
use taos_conformance::*;

/// Checks the RFC 6750 challenge of an `invalid_token`-class 401.
#[track_caller]
fn assert_invalid_token_challenge(err: &ApiError) {
    let www = err.www_authenticate();
    assert!(
        www.to_ascii_lowercase().starts_with("bearer"),
        "WWW-Authenticate: {www}"
    );
    assert!(www.contains("error=\"invalid_token\""), "WWW-Authenticate: {www}");
}

e2e!(bearer_keyword_is_case_insensitive);
/// `bearer`, `BEARER`, `BeArEr` and `Bearer` all work, for agent and user tokens.
async fn bearer_keyword_is_case_insensitive(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Case Test").await;
    let agent_token = issue_agent_token_with(&client, "case-test", json!({"scope": ["*"]}))
        .await
        .token;
    for token in [&admin.token, &agent_token] {
        for keyword in ["Bearer", "bearer", "BEARER", "BeArEr"] {
            let body = s
                .get("/api/agents")
                .header("authorization", format!("{keyword} {token}"))
                .send()
                .await
                .expect_json(200);
            assert_eq!(body["items"].as_array().map(Vec::len), Some(1), "{keyword}");
        }
    }
}

e2e!(bad_tokens_are_invalid_token);
/// Unknown, revoked, mistyped (bad checksum) and garbage tokens all get the canonical 401
/// `invalid_token` with `WWW-Authenticate: Bearer … error="invalid_token"`.
async fn bad_tokens_are_invalid_token(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Target").await;
    let revoked = issue_agent_token(&client, "target").await;
    client.revoke_agent_token().name("target").send().await.must();
    let live = issue_agent_token_with(&client, "target", json!({"scope": ["*"]}))
        .await
        .token;
    let revoked_user = s
        .anon()
        .create_user_token()
        .body(from_json::<types::UserTokenCreate>(
            json!({"username": ADMIN, "password": PASSWORD, "label": "gone"}),
        ))
        .send()
        .await
        .value();
    client.revoke_user_token().id(revoked_user.id).send().await.must();

    let cases = [
        ("unknown agent token", forge(AGENT_PREFIX)),
        ("unknown user token", forge(USER_PREFIX)),
        ("revoked agent token", revoked),
        ("revoked user token", revoked_user.token),
        ("bad checksum (agent)", with_bad_checksum(&live)),
        ("bad checksum (user)", with_bad_checksum(&admin.token)),
        ("truncated", live[..live.len() - 1].to_string()),
        ("wrong case", live.to_uppercase()),
        ("no prefix", live[AGENT_PREFIX.len()..].to_string()),
        ("garbage", "hello".to_string()),
        ("prefix only", AGENT_PREFIX.to_string()),
    ];
    for (what, token) in cases {
        for path in ["/api/agents", "/api/auth/whoami", "/api/notifications"] {
            let err = s
                .get(path)
                .bearer(&token)
                .send()
                .await
                .expect_error(401, "invalid_token");
            assert_invalid_token_challenge(&err);
            assert!(
                !err.body.to_string().contains(&token),
                "{what}: the error echoes the token"
            );
        }
        // Also on an operation with a body: authentication comes first.
        s.post("/api/agents")
            .bearer(&token)
            .json(&json!({"name": "Intruder"}))
            .send()
            .await
            .expect_error(401, "invalid_token");
    }
    // The live token is unaffected, and nothing was created.
    let list = s.client(&live).list_agents().send().await.value();
    assert_eq!(list.items.len(), 1);

    // A malformed Authorization header is a 401 too, never a 500.
    for value in [
        "Bearer",
        "Bearer ",
        "Basic YWRtaW46cGFzc3dvcmQ=",
        "Token abc",
        "bearer\tabc",
    ] {
        let resp = s.get("/api/agents").header("authorization", value).send().await;
        let status = resp.status().as_u16();
        assert_eq!(status, 401, "Authorization: {value:?} answered {status}");
        let err = resp.expect_canonical(401);
        assert!(err.www_authenticate().to_ascii_lowercase().starts_with("bearer"));
    }
}

e2e!(no_credentials_is_auth_required);
/// A protected operation without credentials is 401 `auth_required`, whose `fix` says how to
/// get a token.
async fn no_credentials_is_auth_required(s: &Server) {
    s.setup_admin().await;
    for (method, path, body) in [
        ("GET", "/api/agents", None),
        ("GET", "/api/agents/some-agent", None),
        ("POST", "/api/agents", Some(json!({"name": "Sneaky"}))),
        ("POST", "/api/agents/some-agent/token/issue", Some(json!({}))),
        ("GET", "/api/auth/whoami", None),
        ("GET", "/api/users", None),
        ("GET", "/api/notifications", None),
        ("POST", "/api/ui/notify", Some(json!({"title": "x"}))),
    ] {
        let mut req = s.request(method.parse().unwrap(), path);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let err = req.send().await.expect_error(401, "auth_required");
        let fix = err.fix();
        assert!(
            fix.contains("Authorization: Bearer"),
            "{path}: fix does not say how to authenticate: {fix}"
        );
        assert!(
            fix.contains("token/issue") || fix.contains("/auth/token"),
            "{path}: fix does not say how to get a token: {fix}"
        );
        let www = err.www_authenticate();
        assert!(www.to_ascii_lowercase().starts_with("bearer"), "{www}");
        // RFC 6750 §3.1: no error code when the request had no authentication at all.
        assert!(!www.contains("error="), "{path}: WWW-Authenticate: {www}");
    }
}

e2e!(scope_not_covered_is_scope_denied);
/// A token whose scope does not cover the operation gets 403 `scope_denied` with
/// `required_scope` and an `insufficient_scope` challenge.
async fn scope_not_covered_is_scope_denied(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Narrow").await;
    let token = issue_agent_token_with(&client, "narrow", json!({"scope": ["ui.notify"]}))
        .await
        .token;

    let err = s
        .get("/api/agents")
        .bearer(&token)
        .send()
        .await
        .expect_error(403, "scope_denied");
    assert_eq!(err.body["required_scope"], "agents.list");
    assert!(err.detail().contains("agents.list"), "detail: {}", err.detail());
    let www = err.www_authenticate();
    assert!(www.to_ascii_lowercase().starts_with("bearer"), "{www}");
    assert!(www.contains("error=\"insufficient_scope\""), "{www}");
    assert!(www.contains("scope=\"agents.list\""), "{www}");

    for (method, path, scope) in [
        ("GET", "/api/agents/narrow", "agents.read"),
        ("DELETE", "/api/agents/narrow", "agents.delete"),
        ("DELETE", "/api/agents/narrow/token", "agents.token.revoke"),
        ("GET", "/api/notifications", "notifications.read"),
        ("POST", "/api/notifications/read-all", "notifications.update"),
        ("GET", "/api/agents/archived", "agents.list"),
    ] {
        let err = s
            .request(method.parse().unwrap(), path)
            .bearer(&token)
            .send()
            .await
            .expect_error(403, "scope_denied");
        assert_eq!(err.body["required_scope"], scope, "{method} {path}");
    }
    // Nothing happened: the agent and its token are still there.
    assert!(client.get_agent().name("narrow").send().await.value().has_token);
}

e2e!(glob_scopes);
/// `agents.*` covers every agent operation including `agents.token.issue`; `agents.token.*`
/// only the token verbs; `ui.notify` only notifying.
async fn glob_scopes(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Worker").await;

    let agents_all = issue_agent_token_with(&client, "worker", json!({"scope": ["agents.*"]}))
        .await
        .token;
    let bot = s.client(&agents_all);
    bot.list_agents().send().await.value();
    let made = create_agent(&bot, "Made By Bot").await;
    bot.get_agent().name(made.name.as_str()).send().await.value();
    let sub = issue_agent_token_with(&bot, made.name.as_str(), json!({"scope": ["agents.read"]})).await;
    assert_eq!(sub.scope, vec!["agents.read".to_string()]);
    bot.revoke_agent_token()
        .name(made.name.as_str())
        .send()
        .await
        .must();
    let err = bot
        .notify_user()
        .body(from_json::<types::NotifyRequest>(json!({"title": "nope"})))
        .send()
        .await
        .api_err(403, "scope_denied");
    assert_eq!(err.body["required_scope"], "ui.notify");
    bot.list_notifications().send().await.api_err(403, "scope_denied");

    let tokens_only =
        issue_agent_token_with(&client, made.name.as_str(), json!({"scope": ["agents.token.*"]}))
            .await
            .token;
    let t = s.client(&tokens_only);
    let err = t.list_agents().send().await.api_err(403, "scope_denied");
    assert_eq!(err.body["required_scope"], "agents.list");
    t.get_agent()
        .name("worker")
        .send()
        .await
        .api_err(403, "scope_denied");
    // agents.token.* covers issue and revoke (for another agent of the same user).
    let other = issue_agent_token_with(&t, "worker", json!({"scope": ["agents.token.issue"]})).await;
    assert_eq!(other.scope, vec!["agents.token.issue".to_string()]);
    let r = t.revoke_agent_token().name("worker").send().await.must();
    assert_eq!(r.status().as_u16(), 204);

    let notify_only = issue_agent_token_with(&client, "worker", json!({"scope": ["ui.notify"]}))
        .await
        .token;
    // A combination: create agents and manage their tokens, nothing else.
    let maker = issue_agent_token_with(
        &client,
        made.name.as_str(),
        json!({"scope": ["agents.token.*", "agents.create"]}),
    )
    .await
    .token;
    let m = s.client(&maker);
    let fresh = create_agent(&m, "Fresh").await;
    let issued =
        issue_agent_token_with(&m, fresh.name.as_str(), json!({"scope": ["agents.token.revoke"]})).await;
    assert!(issued.token.starts_with(tokens::AGENT_PREFIX));
    let r = m
        .revoke_agent_token()
        .name(fresh.name.as_str())
        .send()
        .await
        .must();
    assert_eq!(r.status().as_u16(), 204);
    m.list_agents().send().await.api_err(403, "scope_denied");

    let n = s.client(&notify_only);
    n.list_agents().send().await.api_err(403, "scope_denied");
    n.notify_user()
        .body(from_json::<types::NotifyRequest>(json!({"title": "allowed"})))
        .send()
        .await
        .value();
    // whoami needs no particular scope.
    assert_eq!(
        n.whoami().send().await.value().scope,
        vec!["ui.notify".to_string()]
    );
}

e2e!(scopes_apply_to_personal_tokens_too);
/// Scopes are checked for every kind of caller, people's tokens included.
async fn scopes_apply_to_personal_tokens_too(s: &Server) {
    s.setup_admin().await;
    let reader = s
        .user_token(ADMIN, PASSWORD, Some(&["notifications.read", "agents.list"]))
        .await;
    let c = s.client(&reader);
    c.list_agents().send().await.value();
    c.list_notifications().send().await.value();
    let err = c
        .create_agent()
        .body(from_json::<types::AgentCreate>(json!({"name": "Nope"})))
        .send()
        .await
        .api_err(403, "scope_denied");
    assert_eq!(err.body["required_scope"], "agents.create");
    let www = err.www_authenticate();
    assert!(www.contains("error=\"insufficient_scope\""), "{www}");
    let err = c.list_user_tokens().send().await.api_err(403, "scope_denied");
    assert_eq!(err.body["required_scope"], "auth.tokens.list");
    // The denied create created nothing.
    assert!(c.list_agents().send().await.value().items.is_empty());
}

e2e!(public_operations_need_no_credentials);
/// Health, the discovery index and auth status answer without credentials, and an invalid
/// token does not turn them into 401s.
async fn public_operations_need_no_credentials(s: &Server) {
    let bogus = forge(AGENT_PREFIX);
    for path in ["/api/health", "/api", "/auth/status"] {
        let resp = s.get(path).send().await;
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let resp = s.get(path).bearer(&bogus).send().await;
        assert_eq!(resp.status().as_u16(), 200, "{path} with a bad token");
    }
}
