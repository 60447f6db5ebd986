//! First-run setup: once, an admin with a working user token, its body checked.

use serde_json::json;
use taos_conformance::people::PASSWORD;
use taos_conformance::tokens::USER_PREFIX;
use taos_conformance::types::PrincipalKind;
use taos_conformance::*;

e2e!(setup_creates_admin_with_user_token);
/// The first setup creates an admin and hands out a working `taos_user_` token.
async fn setup_creates_admin_with_user_token(s: &Server) {
    let resp = s
        .post("/auth/setup")
        .json(&json!({"username": "ada", "password": PASSWORD, "full_name": "Ada Lovelace"}))
        .send()
        .await;
    assert!(resp.headers().contains_key("x-request-id"));
    let body = resp.expect_json(201);
    assert_eq!(body["user"]["username"], "ada");
    assert_eq!(body["user"]["full_name"], "Ada Lovelace");
    assert_eq!(body["user"]["admin"], true);
    assert!(body["user"]["email"].is_null());
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with(USER_PREFIX), "{token}");
    assert!(
        tokens::is_well_formed(token),
        "{token} is not prefix + 37 base62 + checksum"
    );

    let me = s.client(token).whoami().send().await.value();
    assert_eq!(me.username, "ada");
    assert_eq!(me.user_id.to_string(), body["user"]["id"].as_str().unwrap());
    assert_eq!(me.kind, PrincipalKind::UserToken);
    assert_eq!(me.agent_id, None);
    assert_eq!(me.agent_name, None);
    assert_eq!(me.scope, vec!["*".to_string()]);
}

e2e!(second_setup_is_already_configured);
/// Setup works once; afterwards it is 409 `already_configured`, also for another name.
async fn second_setup_is_already_configured(s: &Server) {
    s.setup_admin().await;
    s.post("/auth/setup")
        .json(&json!({"username": "mallory", "password": "another-long-password"}))
        .send()
        .await
        .expect_error(409, "already_configured");
    // mallory was not created.
    s.post("/auth/login")
        .json(&json!({"username": "mallory", "password": "another-long-password"}))
        .send()
        .await
        .expect_error(401, "invalid_credentials");
}

e2e!(setup_validates_its_body);
/// Setup checks its body against the contract: short password, bad username, extra field.
async fn setup_validates_its_body(s: &Server) {
    for body in [
        json!({"username": "ada", "password": "short"}),
        json!({"username": "-ada", "password": PASSWORD}),
        json!({"username": "ada", "password": PASSWORD, "admin": false}),
        json!({"password": PASSWORD}),
    ] {
        s.post("/auth/setup")
            .json(&body)
            .send()
            .await
            .expect_error(422, "validation_error");
    }
    // Nothing was created by the bad requests.
    let status = s.anon().get_auth_status().send().await.value();
    assert!(!status.configured);
}
