//! Users: people, managed by admins. HTTP ↔ domain for the operations tagged `users`.

use taos_api::server::{self as wire, UsersApi};
use taos_api::types;

use super::{Api, Res, convert, limit};
use crate::auth::Ctx;
use crate::domain::users;

impl UsersApi for Api {
    async fn list_users(&self, ctx: Ctx, q: wire::ListUsersQuery) -> Res<wire::ListUsersResponse> {
        let page = users::list_users(&self.state.store, ctx.caller()?, q.cursor, limit(q.limit)).await?;
        let (items, next_cursor) = convert::page(page, convert::user);
        Ok(wire::ListUsersResponse::Ok(types::UserList {
            items,
            next_cursor,
        }))
    }

    async fn create_user(&self, ctx: Ctx, body: types::UserCreate) -> Res<wire::CreateUserResponse> {
        let user = users::create_user(
            &self.state.store,
            ctx.caller()?,
            users::NewAccount {
                username: body.username.to_string(),
                password: body.password.to_string(),
                full_name: body.full_name.map(|s| s.to_string()),
                email: body.email.map(|s| s.to_string()),
                admin: body.admin.unwrap_or(false),
            },
        )
        .await?;
        Ok(wire::CreateUserResponse::Created(convert::user(&user)))
    }

    async fn delete_user(&self, ctx: Ctx, path: wire::DeleteUserPath) -> Res<wire::DeleteUserResponse> {
        users::delete_user(&self.state.store, ctx.caller()?, path.id).await?;
        Ok(wire::DeleteUserResponse::NoContent)
    }
}
