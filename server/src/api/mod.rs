//! The contract's `Api` trait, implemented: translate between wire types and the domain, and
//! nothing else. Every method is a few lines; the rules live in `domain/`.

mod convert;
mod halt;
mod idempotent;
mod knowledge;
mod rejection;

use std::sync::Arc;

use axum::http::request::Parts;
use taos_api::operations::{self, Operation, TAGS, op};
use taos_api::server::{self as wire, Rejection};
use taos_api::types;

pub use halt::{Halt, error_body};
use idempotent::Answer;

use crate::auth::{self, Ctx};
use crate::domain::{accounts, agent_tokens, agents, discovery, identity, notifications, notify, users};
use crate::errors::{self, Error};
use crate::state::SharedState;

pub struct Api {
    state: SharedState,
}

impl Api {
    pub fn new(state: SharedState) -> Arc<Api> {
        Arc::new(Api { state })
    }

    fn session_cookie(&self, value: &str, max_age: i64) -> String {
        auth::session_set_cookie(value, max_age, self.state.secure_cookies)
    }
}

type Res<T> = Result<T, Halt>;

fn limit(l: i64) -> u64 {
    u64::try_from(l).unwrap_or(1)
}

fn strings<T: std::ops::Deref<Target = String>>(items: Option<&[T]>) -> Option<Vec<String>> {
    items.map(|v| v.iter().map(|s| s.to_string()).collect())
}

/// Limits typify does not enforce (it maps `maximum` of a positive integer to `NonZeroU64`).
fn check_days(days: Option<&types::ExpiresInDays>) -> Result<Option<i64>, Error> {
    match days.map(|d| d.0.get()) {
        Some(d) if d > 3650 => Err(Error::new(
            &errors::VALIDATION_ERROR,
            format!("Field `expires_in_days`: must be from 1 to 3650, got {d}."),
        )
        .with("field", "expires_in_days")),
        Some(d) => Ok(Some(d as i64)),
        None => Ok(None),
    }
}

fn check_scope(scope: Option<&types::Scope>) -> Result<Option<Vec<String>>, Error> {
    match scope {
        Some(s) if s.len() > 64 => Err(Error::new(
            &errors::VALIDATION_ERROR,
            "Field `scope`: at most 64 patterns.",
        )
        .with("field", "scope")),
        other => Ok(strings(other.map(|s| s.as_slice()))),
    }
}

impl wire::Api for Api {
    type Context = Ctx;
    type Halt = Halt;

    async fn authorize(&self, op: &'static Operation, parts: &Parts) -> Res<Ctx> {
        Ok(auth::authorize(&self.state, op, parts).await?)
    }

    fn reject(&self, _op: &'static Operation, r: Rejection) -> Halt {
        Halt::Error(rejection::to_error(r))
    }

    // ---- discovery ----

    async fn get_health(&self, _ctx: Ctx) -> Res<wire::GetHealthResponse> {
        discovery::get_health(&self.state.store).await?;
        Ok(wire::GetHealthResponse::Ok(types::Health {
            status: types::HealthStatus::Ok,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }))
    }

    async fn get_api_index(&self, _ctx: Ctx) -> Res<wire::GetApiIndexResponse> {
        let routes = TAGS
            .iter()
            .map(|tag| {
                let ops: Vec<&Operation> = operations::OPERATIONS
                    .iter()
                    .filter(|o| o.tag == tag.name)
                    .collect();
                let mut scopes: Vec<String> = ops.iter().filter_map(|o| o.scope.map(String::from)).collect();
                scopes.sort();
                scopes.dedup();
                types::ApiRoute {
                    prefix: common_prefix(ops.iter().map(|o| o.path)),
                    title: tag.title.to_string(),
                    doc_url: tag.doc_url.to_string(),
                    scopes,
                }
            })
            .collect();
        Ok(wire::GetApiIndexResponse::Ok(types::ApiIndex {
            routes,
            openapi_url: "/openapi.json".into(),
            docs_url: "/docs/agents/".into(),
            llms_txt_url: "/llms.txt".into(),
        }))
    }

    // ---- accounts ----

    async fn setup_account(&self, _ctx: Ctx, body: types::SetupRequest) -> Res<wire::SetupAccountResponse> {
        let (user, token) = accounts::setup_account(
            &self.state.store,
            users::NewAccount {
                username: body.username.to_string(),
                password: body.password.to_string(),
                full_name: body.full_name.map(|s| s.to_string()),
                email: body.email.map(|s| s.to_string()),
                admin: true,
            },
        )
        .await?;
        Ok(wire::SetupAccountResponse::Created(types::SetupResponse {
            user: convert::user(&user),
            token,
        }))
    }

    async fn login(&self, _ctx: Ctx, body: types::LoginRequest) -> Res<wire::LoginResponse> {
        let (user, secret, session) =
            accounts::login(&self.state.store, &body.username, &body.password).await?;
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
        _ctx: Ctx,
        body: types::UserTokenCreate,
    ) -> Res<wire::CreateUserTokenResponse> {
        let user = accounts::check_password(&self.state.store, &body.username, &body.password).await?;
        let expires_in_days = check_days(body.expires_in_days.as_ref())?;
        let scope = check_scope(body.scope.as_ref())?;
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

    // ---- people ----

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
                admin: body.admin,
            },
        )
        .await?;
        Ok(wire::CreateUserResponse::Created(convert::user(&user)))
    }

    async fn delete_user(&self, ctx: Ctx, path: wire::DeleteUserPath) -> Res<wire::DeleteUserResponse> {
        users::delete_user(&self.state.store, ctx.caller()?, path.id).await?;
        Ok(wire::DeleteUserResponse::NoContent)
    }

    // ---- agents ----

    async fn list_agents(&self, ctx: Ctx, q: wire::ListAgentsQuery) -> Res<wire::ListAgentsResponse> {
        let page = agents::list_agents(&self.state.store, ctx.caller()?, q.cursor, limit(q.limit)).await?;
        let (items, next_cursor) = convert::page(page, convert::agent);
        Ok(wire::ListAgentsResponse::Ok(types::AgentList {
            items,
            next_cursor,
        }))
    }

    async fn create_agent(
        &self,
        ctx: Ctx,
        h: wire::CreateAgentHeaders,
        body: types::AgentCreate,
    ) -> Res<wire::CreateAgentResponse> {
        let scope = check_scope(body.scope.as_ref())?;
        let spec = agents::AgentSpec {
            display_name: body.name.to_string(),
            host: body.host.as_ref().map(|s| s.to_string()),
            qmd_index: body.qmd_index.as_ref().map(|s| s.to_string()),
            color: body.color.as_ref().map(|s| s.to_string()),
            emoji: body.emoji.as_ref().map(|s| s.to_string()),
            can_read_user_memory: body.can_read_user_memory,
            scope,
        };
        let answer = idempotent::run(
            &self.state,
            ctx.caller()?,
            op::CREATE_AGENT,
            h.idempotency_key,
            &body,
            201,
            |state, caller| async move {
                agents::create_agent(&state.store, &caller, spec)
                    .await
                    .map(|v| convert::agent(&v))
            },
        )
        .await?;
        let (agent, replayed) = replayed(answer);
        Ok(wire::CreateAgentResponse::Created(
            agent,
            wire::CreateAgentResponseHeaders {
                idempotent_replayed: replayed,
            },
        ))
    }

    async fn list_archived_agents(
        &self,
        ctx: Ctx,
        q: wire::ListArchivedAgentsQuery,
    ) -> Res<wire::ListArchivedAgentsResponse> {
        let page =
            agents::list_archived_agents(&self.state.store, ctx.caller()?, q.cursor, limit(q.limit)).await?;
        let (items, next_cursor) = convert::page(page, convert::archived);
        Ok(wire::ListArchivedAgentsResponse::Ok(types::ArchivedAgentList {
            items,
            next_cursor,
        }))
    }

    async fn restore_archived_agent(
        &self,
        ctx: Ctx,
        path: wire::RestoreArchivedAgentPath,
    ) -> Res<wire::RestoreArchivedAgentResponse> {
        let view = agents::restore_archived_agent(&self.state.store, ctx.caller()?, path.id).await?;
        Ok(wire::RestoreArchivedAgentResponse::Ok(convert::agent(&view)))
    }

    async fn purge_archived_agent(
        &self,
        ctx: Ctx,
        path: wire::PurgeArchivedAgentPath,
    ) -> Res<wire::PurgeArchivedAgentResponse> {
        agents::purge_archived_agent(&self.state.store, ctx.caller()?, path.id).await?;
        Ok(wire::PurgeArchivedAgentResponse::NoContent)
    }

    async fn import_agent(
        &self,
        ctx: Ctx,
        h: wire::ImportAgentHeaders,
        body: types::AgentExport,
    ) -> Res<wire::ImportAgentResponse> {
        if body.version.get() != 1 {
            return Err(Error::new(
                &errors::INVALID_EXPORT_DATA,
                format!(
                    "Export documents of version {} are not known; only version 1 exists.",
                    body.version
                ),
            )
            .into());
        }
        let a = &body.agent;
        let exported = agents::Exported {
            slug: a.name.to_string(),
            spec: agents::AgentSpec {
                display_name: a.display_name.to_string(),
                host: a.host.as_ref().map(|s| s.to_string()),
                qmd_index: a.qmd_index.as_ref().map(|s| s.to_string()),
                color: a.color.as_ref().map(|s| s.to_string()),
                emoji: a.emoji.as_ref().map(|s| s.to_string()),
                can_read_user_memory: a.can_read_user_memory,
                scope: check_scope(a.scope.as_ref())?,
            },
        };
        let answer = idempotent::run(
            &self.state,
            ctx.caller()?,
            op::IMPORT_AGENT,
            h.idempotency_key,
            &body,
            201,
            |state, caller| async move {
                agents::import_agent(&state.store, &caller, exported)
                    .await
                    .map(|v| convert::agent(&v))
            },
        )
        .await?;
        let (agent, replayed) = replayed(answer);
        Ok(wire::ImportAgentResponse::Created(
            agent,
            wire::ImportAgentResponseHeaders {
                idempotent_replayed: replayed,
            },
        ))
    }

    async fn get_agent(&self, ctx: Ctx, path: wire::GetAgentPath) -> Res<wire::GetAgentResponse> {
        let view = agents::get_agent(&self.state.store, ctx.caller()?, &path.name).await?;
        Ok(wire::GetAgentResponse::Ok(convert::agent(&view)))
    }

    async fn update_agent(
        &self,
        ctx: Ctx,
        path: wire::UpdateAgentPath,
        body: types::AgentUpdate,
    ) -> Res<wire::UpdateAgentResponse> {
        let update = agents::Update {
            host: body.host.map(|s| s.to_string()),
            qmd_index: body.qmd_index.map(|s| s.to_string()),
            color: body.color.map(|s| s.to_string()),
            emoji: body.emoji.map(|s| s.to_string()),
            can_read_user_memory: body.can_read_user_memory,
            scope: check_scope(body.scope.as_ref())?,
        };
        let view = agents::update_agent(&self.state.store, ctx.caller()?, &path.name, update).await?;
        Ok(wire::UpdateAgentResponse::Ok(convert::agent(&view)))
    }

    async fn delete_agent(&self, ctx: Ctx, path: wire::DeleteAgentPath) -> Res<wire::DeleteAgentResponse> {
        let agent = agents::delete_agent(&self.state.store, ctx.caller()?, &path.name).await?;
        Ok(wire::DeleteAgentResponse::Ok(convert::archived(&agent)))
    }

    async fn set_agent_permissions(
        &self,
        ctx: Ctx,
        path: wire::SetAgentPermissionsPath,
        body: types::AgentPermissions,
    ) -> Res<wire::SetAgentPermissionsResponse> {
        let view = agents::set_agent_permissions(
            &self.state.store,
            ctx.caller()?,
            &path.name,
            body.can_read_user_memory,
        )
        .await?;
        Ok(wire::SetAgentPermissionsResponse::Ok(convert::agent(&view)))
    }

    async fn export_agent(&self, ctx: Ctx, path: wire::ExportAgentPath) -> Res<wire::ExportAgentResponse> {
        let view = agents::export_agent(&self.state.store, ctx.caller()?, &path.name).await?;
        let a = &view.agent;
        let doc = serde_json::json!({
            "version": 1,
            "exported_at": chrono::Utc::now(),
            "agent": {
                "name": a.slug,
                "display_name": a.display_name,
                "host": a.host,
                "qmd_index": a.qmd_index,
                "color": a.color,
                "emoji": a.emoji,
                "can_read_user_memory": a.can_read_user_memory,
                "scope": a.scope,
            }
        });
        // Built as JSON and checked against the contract's own type, so an export is always
        // a document import accepts.
        let doc: types::AgentExport =
            serde_json::from_value(doc).map_err(|e| Error::internal("building an export", e))?;
        Ok(wire::ExportAgentResponse::Ok(doc))
    }

    async fn issue_agent_token(
        &self,
        ctx: Ctx,
        path: wire::IssueAgentTokenPath,
        body: Option<types::TokenIssueRequest>,
    ) -> Res<wire::IssueAgentTokenResponse> {
        let body = body.unwrap_or_default();
        let scope = check_scope(body.scope.as_ref())?;
        let days = check_days(body.expires_in_days.as_ref())?;
        let (view, token, secret) =
            agent_tokens::issue_agent_token(&self.state.store, ctx.caller()?, &path.name, scope, days)
                .await?;
        Ok(wire::IssueAgentTokenResponse::Ok(types::IssuedAgentToken {
            token: secret,
            agent: view.agent.slug,
            issued_at: token.created_at,
            scope: token.scope,
            expires_at: token.expires_at,
        }))
    }

    async fn revoke_agent_token(
        &self,
        ctx: Ctx,
        path: wire::RevokeAgentTokenPath,
    ) -> Res<wire::RevokeAgentTokenResponse> {
        agent_tokens::revoke_agent_token(&self.state.store, ctx.caller()?, &path.name).await?;
        Ok(wire::RevokeAgentTokenResponse::NoContent)
    }

    // ---- notifications ----

    async fn notify_user(&self, ctx: Ctx, body: types::NotifyRequest) -> Res<wire::NotifyUserResponse> {
        let n = notify::notify_user(
            &self.state.store,
            ctx.caller()?,
            notify::Notify {
                title: body.title.to_string(),
                body: body.body.to_string(),
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

    // ---- knowledge ----

    async fn list_knowledge_items(
        &self,
        ctx: Ctx,
        q: wire::ListKnowledgeItemsQuery,
    ) -> Res<wire::ListKnowledgeItemsResponse> {
        knowledge::list(self, ctx, q).await
    }

    async fn search_knowledge(
        &self,
        ctx: Ctx,
        q: wire::SearchKnowledgeQuery,
    ) -> Res<wire::SearchKnowledgeResponse> {
        knowledge::search(self, ctx, q).await
    }

    async fn get_knowledge_item(
        &self,
        ctx: Ctx,
        path: wire::GetKnowledgeItemPath,
    ) -> Res<wire::GetKnowledgeItemResponse> {
        knowledge::get(self, ctx, path).await
    }

    async fn get_system_prompt(&self, ctx: Ctx) -> Res<wire::GetSystemPromptResponse> {
        knowledge::system_prompt(self, ctx).await
    }
}

fn replayed<T>(answer: Answer<T>) -> (T, Option<String>) {
    match answer {
        Answer::Fresh(v) => (v, None),
        Answer::Replayed(v) => (v, Some("true".into())),
    }
}

/// The longest run of path segments all paths share.
fn common_prefix<'a>(paths: impl Iterator<Item = &'a str>) -> String {
    let paths: Vec<Vec<&str>> = paths.map(|p| p.split('/').collect()).collect();
    let Some(first) = paths.first() else {
        return "/".into();
    };
    let mut shared = Vec::new();
    for (i, seg) in first.iter().enumerate() {
        if !paths.iter().all(|p| p.get(i) == Some(seg)) {
            break;
        }
        shared.push(*seg);
    }
    let prefix = shared.join("/");
    if prefix.is_empty() { "/".into() } else { prefix }
}

#[cfg(test)]
mod tests {
    use super::common_prefix;

    #[test]
    fn prefixes() {
        assert_eq!(
            common_prefix(["/api/agents", "/api/agents/{name}"].into_iter()),
            "/api/agents"
        );
        assert_eq!(
            common_prefix(["/api/agents/{name}/token/issue", "/api/agents/{name}/token"].into_iter()),
            "/api/agents/{name}/token"
        );
        assert_eq!(common_prefix(["/api/health", "/api"].into_iter()), "/api");
        assert_eq!(common_prefix(["/auth/setup", "/auth/login"].into_iter()), "/auth");
    }
}
