//! People (admin): admins add, list and remove users; nobody else can.

use serde_json::json;
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::*;

e2e!(admin_adds_lists_and_removes_people);
/// An admin adds a person (201), sees them listed, cannot add the name twice, removes them.
async fn admin_adds_lists_and_removes_people(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let created = client
        .create_user()
        .body(from_json::<types::UserCreate>(json!({
            "username": "grace", "password": "another-long-secret",
            "full_name": "Grace Hopper", "email": "grace@example.com"
        })))
        .send()
        .await
        .must();
    assert_eq!(created.status().as_u16(), 201);
    let grace = created.into_inner();
    assert_eq!(grace.username, "grace");
    assert!(!grace.admin, "admin defaults to false");
    assert_eq!(grace.full_name.as_deref(), Some("Grace Hopper"));
    assert_eq!(grace.email.as_deref(), Some("grace@example.com"));

    let list = client.list_users().send().await.value();
    let names: Vec<_> = list.items.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&ADMIN) && names.contains(&"grace"), "{names:?}");
    assert_eq!(list.next_cursor, None);
    let page = client.list_users().limit(1).send().await.value();
    assert_eq!(page.items.len(), 1);
    let rest = client
        .list_users()
        .limit(1)
        .cursor(page.next_cursor.expect("a second page"))
        .send()
        .await
        .value();
    assert_eq!(rest.items.len(), 1);
    assert_ne!(rest.items[0].id, page.items[0].id);

    // The new person can sign in with their password.
    s.user_token("grace", "another-long-secret", None).await;

    client
        .create_user()
        .body(from_json::<types::UserCreate>(
            json!({"username": "grace", "password": "yet-another-secret"}),
        ))
        .send()
        .await
        .api_err(409, "username_taken");

    let r = client.delete_user().id(grace.id).send().await.must();
    assert_eq!(r.status().as_u16(), 204);
    let list = client.list_users().send().await.value();
    assert!(
        list.items.iter().all(|u| u.id != grace.id),
        "a removed user is still listed"
    );
    client
        .delete_user()
        .id(grace.id)
        .send()
        .await
        .api_err(404, "user_not_found");
    client
        .delete_user()
        .id(uuid::Uuid::new_v4())
        .send()
        .await
        .api_err(404, "user_not_found");

    // A removed person's name can be used again.
    let again = client
        .create_user()
        .body(from_json::<types::UserCreate>(
            json!({"username": "grace", "password": "yet-another-secret", "admin": true}),
        ))
        .send()
        .await
        .value();
    assert_ne!(again.id, grace.id);
    assert!(again.admin);
}

e2e!(only_admins_manage_people);
/// A person who is not an admin gets 403 `admin_required` on every people operation.
async fn only_admins_manage_people(s: &Server) {
    let admin = s.setup_admin().await;
    let grace = s.add_user(&admin, "grace").await;
    let client = s.client(&grace.token);
    client.list_users().send().await.api_err(403, "admin_required");
    client
        .create_user()
        .body(from_json::<types::UserCreate>(
            json!({"username": "eve", "password": PASSWORD}),
        ))
        .send()
        .await
        .api_err(403, "admin_required");
    client
        .delete_user()
        .id(admin.id)
        .send()
        .await
        .api_err(403, "admin_required");
    // Also through a session.
    let session = s.login("grace", PASSWORD).await;
    s.session_client(&session)
        .list_users()
        .send()
        .await
        .api_err(403, "admin_required");
    // The admin is still there.
    assert_eq!(
        s.client(&admin.token)
            .list_users()
            .send()
            .await
            .value()
            .items
            .len(),
        2
    );
}

e2e!(agent_tokens_cannot_manage_people);
/// Even an admin's agent with scope `*` is not a person: 403 `person_required`.
async fn agent_tokens_cannot_manage_people(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let agent = create_agent(&client, "Ops Bot").await;
    let token = issue_agent_token_with(&client, &agent.name, json!({"scope": ["*"]}))
        .await
        .token;
    let bot = s.client(&token);
    assert_eq!(bot.whoami().send().await.value().scope, vec!["*".to_string()]);
    bot.list_users().send().await.api_err(403, "person_required");
    bot.create_user()
        .body(from_json::<types::UserCreate>(
            json!({"username": "eve", "password": PASSWORD}),
        ))
        .send()
        .await
        .api_err(403, "person_required");
    bot.delete_user()
        .id(admin.id)
        .send()
        .await
        .api_err(403, "person_required");
}

e2e!(people_operations_need_the_users_manage_scope);
/// An admin's personal token without `users.manage` is 403 `scope_denied`.
async fn people_operations_need_the_users_manage_scope(s: &Server) {
    s.setup_admin().await;
    let narrow = s.user_token(ADMIN, PASSWORD, Some(&["agents.*"])).await;
    let err = s
        .client(&narrow)
        .list_users()
        .send()
        .await
        .api_err(403, "scope_denied");
    assert_eq!(err.body["required_scope"], "users.manage");
    let wide = s.user_token(ADMIN, PASSWORD, Some(&["users.manage"])).await;
    s.client(&wide).list_users().send().await.value();
}

e2e!(removing_a_person_revokes_everything_they_held);
/// Removing a person ends their sessions and revokes their personal and agent tokens, and
/// their password no longer signs in.
async fn removing_a_person_revokes_everything_they_held(s: &Server) {
    let admin = s.setup_admin().await;
    let grace = s.add_user(&admin, "grace").await;
    let session = s.login("grace", PASSWORD).await;
    let grace_client = s.client(&grace.token);
    let agent = create_agent(&grace_client, "Graces Bot").await;
    let agent_token = issue_agent_token(&grace_client, &agent.name).await;
    s.client(&agent_token).whoami().send().await.value();
    s.session_client(&session).whoami().send().await.value();

    let r = s
        .client(&admin.token)
        .delete_user()
        .id(grace.id)
        .send()
        .await
        .must();
    assert_eq!(r.status().as_u16(), 204);

    for token in [&grace.token, &agent_token] {
        let err = s
            .get("/api/auth/whoami")
            .bearer(token)
            .send()
            .await
            .expect_error(401, "invalid_token");
        assert!(err.www_authenticate().contains("error=\"invalid_token\""));
    }
    let resp = s.get("/api/auth/whoami").session(&session).send().await;
    assert_eq!(
        resp.status().as_u16(),
        401,
        "a removed person's session still works"
    );
    let status = s.session_client(&session).get_auth_status().send().await.value();
    assert!(!status.authenticated);

    s.post("/auth/login")
        .json(&json!({"username": "grace", "password": PASSWORD}))
        .send()
        .await
        .expect_error(401, "invalid_credentials");
    // The admin is unaffected.
    s.client(&admin.token).whoami().send().await.value();
}

e2e!(admins_cannot_remove_themselves);
/// An admin removing their own account is 409 `cannot_delete_self`; another admin can.
async fn admins_cannot_remove_themselves(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    client
        .delete_user()
        .id(admin.id)
        .send()
        .await
        .api_err(409, "cannot_delete_self");
    client.whoami().send().await.value();

    client
        .create_user()
        .body(from_json::<types::UserCreate>(
            json!({"username": "root2", "password": PASSWORD, "admin": true}),
        ))
        .send()
        .await
        .value();
    let other = s.user_token("root2", PASSWORD, None).await;
    let r = s.client(&other).delete_user().id(admin.id).send().await.must();
    assert_eq!(r.status().as_u16(), 204);
    s.get("/api/auth/whoami")
        .bearer(&admin.token)
        .send()
        .await
        .expect_error(401, "invalid_token");
}
