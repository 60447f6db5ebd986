//! People: the first admin, more users, their personal tokens and sessions.

use serde_json::json;
use uuid::Uuid;

use crate::check::ApiResultExt;
use crate::{Server, from_json};

/// The first admin's username (see [`Server::setup_admin`]).
pub const ADMIN: &str = "admin";
/// The password every person the helpers create gets.
pub const PASSWORD: &str = "correct-horse-battery";

/// A person with a personal user token.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: Uuid,
    pub username: String,
    pub password: String,
    /// A `taos_user_…` token with scope `["*"]`.
    pub token: String,
}

impl Server {
    /// `POST /auth/setup` as `admin`; returns the admin with the token setup handed out.
    pub async fn setup_admin(&self) -> Person {
        let created = self
            .anon()
            .setup_account()
            .body(from_json::<crate::types::SetupRequest>(json!({
                "username": ADMIN,
                "password": PASSWORD,
                "full_name": "Ada Admin",
            })))
            .send()
            .await
            .must();
        assert_eq!(created.status().as_u16(), 201, "setup answers 201");
        let created = created.into_inner();
        Person {
            id: created.user.id,
            username: created.user.username,
            password: PASSWORD.to_string(),
            token: created.token,
        }
    }

    /// `POST /api/users` by `admin`, then `POST /auth/token` for the new person.
    pub async fn add_user(&self, admin: &Person, username: &str) -> Person {
        let user = self
            .client(&admin.token)
            .create_user()
            .body(from_json::<crate::types::UserCreate>(json!({
                "username": username,
                "password": PASSWORD,
            })))
            .send()
            .await
            .value();
        let token = self.user_token(username, PASSWORD, None).await;
        Person {
            id: user.id,
            username: username.to_string(),
            password: PASSWORD.to_string(),
            token,
        }
    }

    /// `POST /auth/token`: a new personal token, with `scope` if given.
    pub async fn user_token(&self, username: &str, password: &str, scope: Option<&[&str]>) -> String {
        let mut body = json!({ "username": username, "password": password, "label": "e2e" });
        if let Some(scope) = scope {
            body["scope"] = json!(scope);
        }
        self.anon()
            .create_user_token()
            .body(from_json::<crate::types::UserTokenCreate>(body))
            .send()
            .await
            .value()
            .token
    }

    /// `POST /auth/login`; returns the value of the `taos_session` cookie it sets.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let resp = self
            .post("/auth/login")
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .expect_status(200);
        session_cookie(resp.headers()).expect("login sets the taos_session cookie")
    }
}

/// The value of the `taos_session` cookie a response sets, if any.
pub fn session_cookie(headers: &reqwest::header::HeaderMap) -> Option<String> {
    set_cookie(headers, "taos_session").map(|c| {
        c.split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    })
}

/// The whole `Set-Cookie` header for cookie `name`, if any.
pub fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.trim_start().starts_with(&format!("{name}=")))
        .map(str::to_string)
}
