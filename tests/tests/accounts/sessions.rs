//! Login and logout: the session cookie, failed sign-ins that look alike, the end of a session.

use serde_json::{Value, json};
use taos_conformance::people::{ADMIN, PASSWORD, session_cookie, set_cookie};
use taos_conformance::types::PrincipalKind;
use taos_conformance::*;

fn cookie_attrs(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
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
