//! Accounts and sign-in: first-run setup, login/logout with the session cookie, auth status,
//! personal user tokens (create, list, revoke) and whoami for every kind of caller.

use serde_json::{Value, json};
use taos_conformance::people::{ADMIN, PASSWORD, session_cookie, set_cookie};
use taos_conformance::tokens::USER_PREFIX;
use taos_conformance::types::PrincipalKind;
use taos_conformance::*;

fn cookie_attrs(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

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

e2e!(login_sets_session_cookie);
/// Login answers the user and sets `taos_session` (HttpOnly, SameSite=Lax, Path=/), which
/// then authenticates requests as a `session`.
async fn login_sets_session_cookie(s: &Server) {
    let admin = s.setup_admin().await;
    let resp = s
        .post("/auth/login")
        .json(&json!({"username": ADMIN, "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let header = set_cookie(resp.headers(), "taos_session").expect("Set-Cookie: taos_session=…");
    let attrs = cookie_attrs(&header);
    assert!(attrs.contains(&"httponly".to_string()), "{header}");
    assert!(attrs.contains(&"samesite=lax".to_string()), "{header}");
    assert!(attrs.contains(&"path=/".to_string()), "{header}");
    let session = session_cookie(resp.headers()).unwrap();
    assert!(session.len() >= 32, "session secret too short: {session:?}");
    let body: Value = resp.json();
    assert_eq!(body["user"]["username"], ADMIN);
    assert_eq!(body["user"]["id"], admin.id.to_string());

    let me = s.session_client(&session).whoami().send().await.value();
    assert_eq!(me.kind, PrincipalKind::Session);
    assert_eq!(me.user_id, admin.id);
    assert_eq!(me.username, ADMIN);
    assert_eq!(me.agent_id, None);
    let expires = me.expires_at.expect("a session has an expiry");
    assert!(expires > chrono::Utc::now(), "session already expired: {expires}");

    // The session can do what the user can.
    let agent = create_agent(&s.session_client(&session), "From The Browser").await;
    assert_eq!(agent.owner.user_id, admin.id);
}

e2e!(wrong_user_and_wrong_password_look_the_same);
/// A wrong username and a wrong password are indistinguishable: same 401 body.
async fn wrong_user_and_wrong_password_look_the_same(s: &Server) {
    s.setup_admin().await;
    let mut bodies = Vec::new();
    for (user, password) in [("nobody", PASSWORD), (ADMIN, "wrong-password-here")] {
        let resp = s
            .post("/auth/login")
            .json(&json!({"username": user, "password": password}))
            .send()
            .await;
        assert!(set_cookie(resp.headers(), "taos_session").is_none_or(|c| c.starts_with("taos_session=;")));
        bodies.push(resp.expect_error(401, "invalid_credentials").body);
    }
    assert_eq!(
        bodies[0], bodies[1],
        "login failures must not tell which part was wrong"
    );

    let mut bodies = Vec::new();
    for (user, password) in [("nobody", PASSWORD), (ADMIN, "wrong-password-here")] {
        bodies.push(
            s.post("/auth/token")
                .json(&json!({"username": user, "password": password, "label": "x"}))
                .send()
                .await
                .expect_error(401, "invalid_credentials")
                .body,
        );
    }
    assert_eq!(
        bodies[0], bodies[1],
        "token failures must not tell which part was wrong"
    );
}

e2e!(logout_ends_the_session);
/// Logout answers 204, clears the cookie, and the old session stops working at once.
async fn logout_ends_the_session(s: &Server) {
    s.setup_admin().await;
    let session = s.login(ADMIN, PASSWORD).await;
    s.session_client(&session).whoami().send().await.value();

    let resp = s.post("/auth/logout").session(&session).send().await;
    assert_eq!(resp.status().as_u16(), 204);
    let header = set_cookie(resp.headers(), "taos_session").expect("logout clears the cookie");
    assert!(
        header.starts_with("taos_session=;") || header.starts_with("taos_session=\"\""),
        "{header}"
    );
    assert!(
        cookie_attrs(&header).contains(&"max-age=0".to_string()),
        "{header}"
    );

    let resp = s.get("/api/auth/whoami").session(&session).send().await;
    let err = resp.expect_error_in(401, &["session_expired", "auth_required"]);
    assert!(
        err.header("www-authenticate").is_some(),
        "401 without WWW-Authenticate"
    );

    let status = s.session_client(&session).get_auth_status().send().await.value();
    assert!(status.configured);
    assert!(!status.authenticated);
    assert!(status.user.is_none());

    // Logging out without a session is fine too.
    let resp = s.post("/auth/logout").send().await;
    assert_eq!(resp.status().as_u16(), 204);
}

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

e2e!(agent_tokens_cannot_manage_personal_tokens);
/// Personal tokens are for people: an agent token cannot list or revoke them.
async fn agent_tokens_cannot_manage_personal_tokens(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let agent = create_agent(&client, "Helper").await;
    let token = issue_agent_token(&client, &agent.name).await;
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
