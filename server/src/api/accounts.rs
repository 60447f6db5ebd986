//! Accounts: first-run setup, signing in and out, user tokens from a password. HTTP ↔ domain for the operations tagged `accounts`.

use taos_api::server::{self as wire, AccountsApi};
use taos_api::types;

use super::{Api, Res, convert, days, scope};
use crate::auth::Ctx;
use crate::domain::{accounts, users};
use crate::errors::{Error, Result};
use crate::store::Store;

impl AccountsApi for Api {
    async fn setup_account(&self, _ctx: Ctx, body: types::SetupRequest) -> Res<wire::SetupAccountResponse> {
        let (user, token) = setup(&self.state.store, body).await?;
        Ok(wire::SetupAccountResponse::Created(types::SetupResponse {
            user: convert::user(&user),
            token,
        }))
    }

    async fn login(&self, ctx: Ctx, body: types::LoginRequest) -> Res<wire::LoginResponse> {
        let (user, secret, session) =
            accounts::login(&self.state.store, &body.username, &body.password, ctx.client).await?;
        let max_age = (session.expires_at - chrono::Utc::now()).num_seconds().max(0);
        Ok(wire::LoginResponse::Ok(
            types::LoginResponse {
                user: convert::user(&user),
            },
            wire::LoginResponseHeaders {
                set_cookie: Some(self.session_cookie(&secret, max_age)),
            },
        ))
    }

    async fn logout(&self, ctx: Ctx) -> Res<wire::LogoutResponse> {
        accounts::logout(&self.state.store, ctx.credentials.session.as_deref()).await?;
        Ok(wire::LogoutResponse::NoContent(wire::LogoutResponseHeaders {
            set_cookie: Some(self.session_cookie("", 0)),
        }))
    }

    async fn get_auth_status(&self, ctx: Ctx) -> Res<wire::GetAuthStatusResponse> {
        let caller = ctx.optional_caller(&self.state).await;
        let status = accounts::get_auth_status(&self.state.store, caller.as_ref()).await?;
        Ok(wire::GetAuthStatusResponse::Ok(types::AuthStatus {
            configured: status.configured,
            authenticated: status.user.is_some(),
            user: status.user.as_ref().map(convert::user),
        }))
    }

    async fn create_user_token(
        &self,
        ctx: Ctx,
        body: types::UserTokenCreate,
    ) -> Res<wire::CreateUserTokenResponse> {
        let user =
            accounts::check_password(&self.state.store, &body.username, &body.password, ctx.client).await?;
        let expires_in_days = days(body.expires_in_days);
        let scope = scope(body.scope.as_ref());
        let (token, secret) = accounts::create_user_token(
            &self.state.store,
            &user,
            accounts::UserTokenSpec {
                label: body.label.to_string(),
                scope,
                expires_in_days,
            },
        )
        .await?;
        Ok(wire::CreateUserTokenResponse::Created(types::UserTokenCreated {
            id: token.id,
            token: secret,
            label: token.label.unwrap_or_default(),
            scope: token.scope,
            created_at: token.created_at,
            expires_at: token.expires_at,
        }))
    }
}

/// First-run setup, for `POST /auth/setup` and the setup page alike: the first user, an admin.
async fn setup(store: &Store, body: types::SetupRequest) -> Result<(users::User, String)> {
    accounts::setup_account(
        store,
        users::NewAccount {
            username: body.username.to_string(),
            password: body.password.to_string(),
            full_name: body.full_name.map(|s| s.to_string()),
            email: body.email.map(|s| s.to_string()),
            admin: true,
        },
    )
    .await
}

/// First-run setup from the setup page's fields, as a JSON object like `POST /auth/setup`'s
/// body: checked against the contract the same way (the same errors, naming the field), then
/// [`setup`].
pub(crate) async fn setup_from_fields(
    store: &Store,
    fields: &serde_json::Value,
) -> Result<(users::User, String)> {
    // `setupAccount`'s body rules as generated: none beyond its type but "an object".
    let rules = taos_api::server_runtime::BodyRules {
        hints: &[],
        nullable: &[],
        objects: &[&[]],
        limits: &[],
    };
    let bytes = serde_json::to_vec(fields).map_err(|e| Error::internal("setup fields", e))?;
    let body = taos_api::server_runtime::parse_json::<types::SetupRequest>(&bytes, &rules)
        .map_err(super::rejection::to_error)?;
    setup(store, body).await
}
