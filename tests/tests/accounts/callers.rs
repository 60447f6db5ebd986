//! Who is calling: `/auth/status` and whoami for sessions, user tokens and agent tokens.

use serde_json::json;
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::tokens::USER_PREFIX;
use taos_conformance::types::PrincipalKind;
use taos_conformance::*;

e2e!(auth_status_reflects_setup_and_caller);
/// `/auth/status` before and after setup, anonymous, with a cookie, with a bearer, and
/// with a bad bearer (still 200: the route is public).
async fn auth_status_reflects_setup_and_caller(s: &Server) {
    let before = s.anon().get_auth_status().send().await.value();
    assert!(!before.configured);
    assert!(!before.authenticated);
    assert!(before.user.is_none());

    let admin = s.setup_admin().await;
    let anon = s.anon().get_auth_status().send().await.value();
    assert!(anon.configured);
    assert!(!anon.authenticated);
    assert!(anon.user.is_none());

    let bearer = s.client(&admin.token).get_auth_status().send().await.value();
    assert!(bearer.authenticated);
    assert_eq!(bearer.user.as_ref().map(|u| u.username.as_str()), Some(ADMIN));
    assert_eq!(bearer.user.as_ref().map(|u| u.admin), Some(true));

    let session = s.login(ADMIN, PASSWORD).await;
    let cookie = s.session_client(&session).get_auth_status().send().await.value();
    assert!(cookie.authenticated);
    assert_eq!(cookie.user.map(|u| u.id), Some(admin.id));

    let bad = s
        .client(&tokens::forge(USER_PREFIX))
        .get_auth_status()
        .send()
        .await
        .value();
    assert!(bad.configured);
    assert!(!bad.authenticated);
    assert!(bad.user.is_none());
}

e2e!(whoami_for_every_kind_of_caller);
/// whoami tells a session, a user token and an agent token apart.
async fn whoami_for_every_kind_of_caller(s: &Server) {
    let admin = s.setup_admin().await;
    let me = s.client(&admin.token).whoami().send().await.value();
    assert_eq!(me.kind, PrincipalKind::UserToken);
    let listed = s.client(&admin.token).list_user_tokens().send().await.value();
    assert_eq!(
        me.token_id,
        Some(listed.items[0].id),
        "whoami names the calling token"
    );

    let created = s
        .anon()
        .create_user_token()
        .body(from_json::<types::UserTokenCreate>(
            json!({"username": ADMIN, "password": PASSWORD, "label": "mine"}),
        ))
        .send()
        .await
        .value();
    let me = s.client(&created.token).whoami().send().await.value();
    assert_eq!(me.token_id, Some(created.id));
    // The id whoami gives is the one to revoke.
    let r = s
        .client(&admin.token)
        .revoke_user_token()
        .id(created.id)
        .send()
        .await
        .must();
    assert_eq!(r.status().as_u16(), 204);
    s.get("/api/auth/whoami")
        .bearer(&created.token)
        .send()
        .await
        .expect_error(401, "invalid_token");

    let session = s.login(ADMIN, PASSWORD).await;
    let me = s.session_client(&session).whoami().send().await.value();
    assert_eq!(me.kind, PrincipalKind::Session);
    assert_eq!(me.user_id, admin.id);
    assert_eq!(me.token_id, None, "a session has no token id");

    let client = s.client(&admin.token);
    let agent = create_agent(&client, "Research Bot").await;
    let issued = issue_agent_token_with(
        &client,
        &agent.name,
        json!({"scope": ["ui.notify", "agents.read"], "expires_in_days": 10}),
    )
    .await;
    let me = s.client(&issued.token).whoami().send().await.value();
    assert_eq!(me.kind, PrincipalKind::AgentToken);
    assert!(me.token_id.is_some(), "an agent token has an id");
    assert_eq!(me.user_id, admin.id);
    assert_eq!(me.username, ADMIN);
    assert_eq!(me.agent_id, Some(agent.id));
    assert_eq!(me.agent_name.as_deref(), Some("research-bot"));
    assert_eq!(me.scope, vec!["ui.notify".to_string(), "agents.read".to_string()]);
    assert_eq!(
        me.expires_at.map(|e| e.timestamp()),
        issued.expires_at.map(|e| e.timestamp())
    );

    // Without credentials whoami is 401 auth_required.
    s.anon().whoami().send().await.api_err(401, "auth_required");
}
