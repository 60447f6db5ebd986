//! Identity: who the caller is, and the caller's own user tokens. HTTP ↔ domain for the operations tagged `identity`.

use taos_api::server::{self as wire, IdentityApi};
use taos_api::types;

use super::{Api, Res, convert, limit};
use crate::auth::Ctx;
use crate::domain::identity;

impl IdentityApi for Api {
    async fn whoami(&self, ctx: Ctx) -> Res<wire::WhoamiResponse> {
        Ok(wire::WhoamiResponse::Ok(convert::whoami(ctx.caller()?)))
    }

    async fn list_user_tokens(
        &self,
        ctx: Ctx,
        q: wire::ListUserTokensQuery,
    ) -> Res<wire::ListUserTokensResponse> {
        let page =
            identity::list_user_tokens(&self.state.store, ctx.caller()?, q.cursor, limit(q.limit)).await?;
        let (items, next_cursor) = convert::page(page, convert::user_token);
        Ok(wire::ListUserTokensResponse::Ok(types::UserTokenList {
            items,
            next_cursor,
        }))
    }

    async fn revoke_user_token(
        &self,
        ctx: Ctx,
        path: wire::RevokeUserTokenPath,
    ) -> Res<wire::RevokeUserTokenResponse> {
        identity::revoke_user_token(&self.state.store, ctx.caller()?, path.id).await?;
        Ok(wire::RevokeUserTokenResponse::NoContent)
    }
}
