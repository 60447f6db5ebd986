//! Notifications: the user's inbox. HTTP ↔ domain for the operations tagged `notifications`.

use taos_api::server::{self as wire, NotificationsApi};
use taos_api::types;

use super::{Api, Res, convert, limit};
use crate::auth::Ctx;
use crate::domain::notifications;

impl NotificationsApi for Api {
    async fn list_notifications(
        &self,
        ctx: Ctx,
        q: wire::ListNotificationsQuery,
    ) -> Res<wire::ListNotificationsResponse> {
        let page = notifications::list_notifications(
            &self.state.store,
            ctx.caller()?,
            q.unread_only,
            q.cursor,
            limit(q.limit),
        )
        .await?;
        let (items, next_cursor) = convert::page(page, convert::notification);
        Ok(wire::ListNotificationsResponse::Ok(types::NotificationList {
            items,
            next_cursor,
        }))
    }

    async fn mark_notification_read(
        &self,
        ctx: Ctx,
        path: wire::MarkNotificationReadPath,
    ) -> Res<wire::MarkNotificationReadResponse> {
        let updated =
            notifications::mark_notification_read(&self.state.store, ctx.caller()?, path.id).await?;
        Ok(wire::MarkNotificationReadResponse::Ok(types::UpdatedCount {
            updated: updated as i64,
        }))
    }

    async fn mark_all_notifications_read(&self, ctx: Ctx) -> Res<wire::MarkAllNotificationsReadResponse> {
        let updated = notifications::mark_all_notifications_read(&self.state.store, ctx.caller()?).await?;
        Ok(wire::MarkAllNotificationsReadResponse::Ok(types::UpdatedCount {
            updated: updated as i64,
        }))
    }
}
