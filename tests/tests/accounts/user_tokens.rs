//! Personal user tokens: create, list (never a secret), revoke; not for agents.

use serde_json::{Value, json};
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::tokens::USER_PREFIX;
use taos_conformance::types::PrincipalKind;
use taos_conformance::*;

e2e!(create_user_token_works);
/// `POST /auth/token` answers 201 with a working token, its label, scope and expiry.
async fn create_user_token_works(s: &Server) {
    s.setup_admin().await;
    let body = s
        .post("/auth/token")
        .json(&json!({"username": ADMIN, "password": PASSWORD, "label": "laptop-cli"}))
        .send()
        .await
        .expect_json(201);
    let token = body["token"].as_str().unwrap().to_string();
    assert!(
        token.starts_with(USER_PREFIX) && tokens::is_well_formed(&token),
        "{token}"
    );
    assert_eq!(body["label"], "laptop-cli");
    assert_eq!(body["scope"], json!(["*"]));
    assert!(body["expires_at"].is_null());
    uuid::Uuid::parse_str(body["id"].as_str().unwrap()).unwrap();

    let me = s.client(&token).whoami().send().await.value();
    assert_eq!(me.kind, PrincipalKind::UserToken);
    assert_eq!(me.username, ADMIN);
    assert_eq!(me.expires_at, None);

    // With a scope and an expiry.
    let created = s
        .anon()
        .create_user_token()
        .body(from_json::<types::UserTokenCreate>(json!({
            "username": ADMIN, "password": PASSWORD, "label": "ci",
            "scope": ["agents.list", "agents.read"], "expires_in_days": 30
        })))
        .send()
        .await
        .must();
    assert_eq!(created.status().as_u16(), 201);
    let created = created.into_inner();
    assert_eq!(
        created.scope,
        vec!["agents.list".to_string(), "agents.read".to_string()]
    );
    let expires = created.expires_at.expect("expires_at with expires_in_days");
    let expected = created.created_at + chrono::Duration::days(30);
    assert!(
        (expires - expected).num_seconds().abs() <= 60,
        "{expires} vs {expected}"
    );

    let narrow = s.client(&created.token);
    let me = narrow.whoami().send().await.value();
    assert_eq!(me.scope, created.scope);
    assert_eq!(me.expires_at.map(|e| e.timestamp()), Some(expires.timestamp()));
    narrow.list_agents().send().await.value();
    let denied = narrow
        .create_agent()
        .body(from_json::<types::AgentCreate>(json!({"name": "Nope"})))
        .send()
        .await
        .api_err(403, "scope_denied");
    assert_eq!(denied.body["required_scope"], "agents.create");

    // Bad bodies are 422.
    for body in [
        json!({"username": ADMIN, "password": PASSWORD}),
        json!({"username": ADMIN, "password": PASSWORD, "label": ""}),
        json!({"username": ADMIN, "password": PASSWORD, "label": "x", "expires_in_days": 0}),
        json!({"username": ADMIN, "password": PASSWORD, "label": "x", "scope": ["Agents.List"]}),
    ] {
        s.post("/auth/token")
            .json(&body)
            .send()
            .await
            .expect_error(422, "validation_error");
    }
}

e2e!(list_user_tokens_never_shows_secrets);
/// Listing personal tokens shows their metadata, pages, and never a secret.
async fn list_user_tokens_never_shows_secrets(s: &Server) {
    let admin = s.setup_admin().await;
    let second = s.user_token(ADMIN, PASSWORD, None).await;
    let third = s.user_token(ADMIN, PASSWORD, Some(&["ui.notify"])).await;

    let resp = s.get("/api/auth/tokens").bearer(&admin.token).send().await;
    let text = resp.text();
    for secret in [&admin.token, &second, &third] {
        assert!(
            !text.contains(secret.as_str()),
            "token list leaks a secret: {text}"
        );
    }
    assert!(
        !text.contains(USER_PREFIX),
        "token list shows token material: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{body}");
    for item in items {
        assert!(item.get("token").is_none(), "{item}");
        assert!(item.get("token_hash").is_none(), "{item}");
    }
    assert!(body["next_cursor"].is_null());
    assert!(items.iter().any(|i| i["scope"] == json!(["ui.notify"])));

    // Paged.
    let client = s.client(&admin.token);
    let page1 = client.list_user_tokens().limit(2).send().await.value();
    assert_eq!(page1.items.len(), 2);
    let cursor = page1.next_cursor.expect("a second page");
    let page2 = client
        .list_user_tokens()
        .limit(2)
        .cursor(cursor)
        .send()
        .await
        .value();
    assert_eq!(page2.items.len(), 1);
    assert_eq!(page2.next_cursor, None);
    let mut ids: Vec<_> = page1.items.iter().chain(&page2.items).map(|t| t.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

e2e!(revoke_user_token);
/// A revoked personal token is 401 `invalid_token` at once and leaves the list.
async fn revoke_user_token(s: &Server) {
    let admin = s.setup_admin().await;
    let extra = s
        .anon()
        .create_user_token()
        .body(from_json::<types::UserTokenCreate>(json!({
            "username": ADMIN, "password": PASSWORD, "label": "extra"
        })))
        .send()
        .await
        .value();
    s.client(&extra.token).whoami().send().await.value();

    let client = s.client(&admin.token);
    let r = client.revoke_user_token().id(extra.id).send().await.must();
    assert_eq!(r.status().as_u16(), 204);

    let err = s
        .get("/api/auth/whoami")
        .bearer(&extra.token)
        .send()
        .await
        .expect_error(401, "invalid_token");
    assert!(
        err.www_authenticate().to_ascii_lowercase().starts_with("bearer"),
        "{}",
        err.www_authenticate()
    );
    assert!(
        err.www_authenticate().contains("error=\"invalid_token\""),
        "{}",
        err.www_authenticate()
    );
    let list = client.list_user_tokens().send().await.value();
    assert!(
        list.items.iter().all(|t| t.id != extra.id),
        "a revoked token is still listed"
    );
    assert_eq!(list.items.len(), 1);

    // Revoking it again, or an unknown id, is 404.
    client
        .revoke_user_token()
        .id(extra.id)
        .send()
        .await
        .api_err(404, "user_token_not_found");
    client
        .revoke_user_token()
        .id(uuid::Uuid::new_v4())
        .send()
        .await
        .api_err(404, "user_token_not_found");

    // A person may revoke the very token they are using.
    let own = list.items[0].id;
    let r = client.revoke_user_token().id(own).send().await.must();
    assert_eq!(r.status().as_u16(), 204);
    s.get("/api/auth/whoami")
        .bearer(&admin.token)
        .send()
        .await
        .expect_error(401, "invalid_token");
}

e2e!(agent_tokens_cannot_manage_personal_tokens);
/// Personal tokens are for people: an agent token cannot list or revoke them.
async fn agent_tokens_cannot_manage_personal_tokens(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let agent = create_agent(&client, "Helper").await;
    let token = issue_agent_token_with(&client, &agent.name, json!({"scope": ["*"]}))
        .await
        .token;
    let agent_client = s.client(&token);
    agent_client
        .list_user_tokens()
        .send()
        .await
        .api_err(403, "person_required");
    let id = client.list_user_tokens().send().await.value().items[0].id;
    agent_client
        .revoke_user_token()
        .id(id)
        .send()
        .await
        .api_err(403, "person_required");
    // The admin's token still works.
    client.whoami().send().await.value();
}
