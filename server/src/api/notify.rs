//! Notify: sending the user a notification. HTTP ↔ domain for the operations tagged `notify`.

use taos_api::server::{self as wire, NotifyApi};
use taos_api::types;

use super::{Api, Res};
use crate::auth::Ctx;
use crate::domain::notify;

impl NotifyApi for Api {
    async fn notify_user(&self, ctx: Ctx, body: types::NotifyRequest) -> Res<wire::NotifyUserResponse> {
        let n = notify::notify_user(
            &self.state.store,
            ctx.caller()?,
            notify::Notify {
                title: body.title.to_string(),
                body: body.body.map(|s| s.to_string()).unwrap_or_default(),
                priority: body.priority.unwrap_or(types::Priority::Normal).to_string(),
                app_origin: body.app_origin.map(|s| s.to_string()),
                action_url: body.action_url.map(|s| s.to_string()),
            },
        )
        .await?;
        Ok(wire::NotifyUserResponse::Ok(types::NotifyResponse {
            delivered: true,
            notification_id: n.id,
        }))
    }
}
