//! Agents: the registry, archive and restore, export and import. HTTP ↔ domain for the operations tagged `agents`.

use taos_api::server::{self as wire, AgentsApi};
use taos_api::types;

use super::{Api, Res, convert, limit, scope};
use crate::auth::Ctx;
use crate::domain::agents;
use crate::errors::Error;

impl AgentsApi for Api {
    async fn list_agents(&self, ctx: Ctx, q: wire::ListAgentsQuery) -> Res<wire::ListAgentsResponse> {
        let page = agents::list_agents(&self.state.store, ctx.caller()?, q.cursor, limit(q.limit)).await?;
        let (items, next_cursor) = convert::page(page, convert::agent);
        Ok(wire::ListAgentsResponse::Ok(types::AgentList {
            items,
            next_cursor,
        }))
    }

    async fn create_agent(&self, ctx: Ctx, body: types::AgentCreate) -> Res<wire::CreateAgentResponse> {
        let view = agents::create_agent(
            &self.state.store,
            &self.state.fleet,
            ctx.caller()?,
            agent_spec(body),
        )
        .await?;
        Ok(wire::CreateAgentResponse::Created(convert::agent(&view)))
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

    async fn import_agent(&self, ctx: Ctx, body: types::AgentExport) -> Res<wire::ImportAgentResponse> {
        // The contract bounds `version` to 1, so the router already refused any other.
        let a = &body.agent;
        let exported = agents::Exported {
            slug: a.name.to_string(),
            spec: agents::AgentSpec {
                display_name: a.display_name.to_string(),
                host: a.host.as_ref().map(|s| s.to_string()),
                qmd_index: a.qmd_index.as_ref().map(|s| s.to_string()),
                color: a.color.as_ref().map(|s| s.to_string()),
                emoji: a.emoji.as_ref().map(|s| s.to_string()),
                can_read_user_memory: a.can_read_user_memory.unwrap_or(false),
                scope: scope(a.scope.as_ref()),
                persona: agents::persona(
                    text(&a.model),
                    text(&a.soul_md),
                    text(&a.agent_md),
                    text(&a.memory_plugin),
                ),
                runtime: None,
            },
        };
        let view = agents::import_agent(&self.state.store, ctx.caller()?, exported).await?;
        Ok(wire::ImportAgentResponse::Created(convert::agent(&view)))
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
            scope: scope(body.scope.as_ref()),
            model: text(&body.model),
            soul_md: text(&body.soul_md),
            agent_md: text(&body.agent_md),
            memory_plugin: text(&body.memory_plugin),
            runtime: body.spec.map(convert::runtime_request),
        };
        let view = agents::update_agent(
            &self.state.store,
            &self.state.fleet,
            ctx.caller()?,
            &path.name,
            update,
        )
        .await?;
        Ok(wire::UpdateAgentResponse::Ok(convert::agent(&view)))
    }

    async fn delete_agent(&self, ctx: Ctx, path: wire::DeleteAgentPath) -> Res<wire::DeleteAgentResponse> {
        let agent =
            agents::delete_agent(&self.state.store, &self.state.fleet, ctx.caller()?, &path.name).await?;
        self.state.fleet.agent_deleted(&self.state.store, agent.id).await;
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
            &self.state.fleet,
            ctx.caller()?,
            &path.name,
            body.can_read_user_memory,
        )
        .await?;
        Ok(wire::SetAgentPermissionsResponse::Ok(convert::agent(&view)))
    }

    async fn export_agent(&self, ctx: Ctx, path: wire::ExportAgentPath) -> Res<wire::ExportAgentResponse> {
        let export = agents::export_agent(&self.state.store, ctx.caller()?, &path.name).await?;
        let a = &export.agent;
        let doc = serde_json::json!({
            "version": export.version,
            "exported_at": export.exported_at,
            "agent": {
                "name": a.slug,
                "display_name": a.display_name,
                "host": a.host,
                "qmd_index": a.qmd_index,
                "color": a.color,
                "emoji": a.emoji,
                "can_read_user_memory": a.can_read_user_memory,
                "scope": a.scope,
                "model": a.persona.model,
                "soul_md": a.persona.soul_md,
                "agent_md": a.persona.agent_md,
                "memory_plugin": a.persona.memory_plugin,
            }
        });
        // Built as JSON and checked against the contract's own type, so an export is always
        // a document import accepts.
        let doc: types::AgentExport =
            serde_json::from_value(doc).map_err(|e| Error::internal("building an export", e))?;
        Ok(wire::ExportAgentResponse::Ok(doc))
    }
}

/// A create's body as the domain takes it (a deploy's too).
pub(super) fn agent_spec(body: types::AgentCreate) -> agents::AgentSpec {
    agents::AgentSpec {
        display_name: body.name.to_string(),
        host: text(&body.host),
        qmd_index: text(&body.qmd_index),
        color: text(&body.color),
        emoji: text(&body.emoji),
        can_read_user_memory: body.can_read_user_memory.unwrap_or(false),
        scope: scope(body.scope.as_ref()),
        persona: agents::persona(
            text(&body.model),
            text(&body.soul_md),
            text(&body.agent_md),
            text(&body.memory_plugin),
        ),
        runtime: body.spec.map(convert::runtime_request),
    }
}

/// An optional string field of the contract, as a plain string.
fn text<T: std::ops::Deref<Target = String>>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|s| s.to_string())
}
