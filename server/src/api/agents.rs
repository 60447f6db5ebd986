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
        let spec = agents::AgentSpec {
            display_name: body.name.to_string(),
            host: body.host.as_ref().map(|s| s.to_string()),
            qmd_index: body.qmd_index.as_ref().map(|s| s.to_string()),
            color: body.color.as_ref().map(|s| s.to_string()),
            emoji: body.emoji.as_ref().map(|s| s.to_string()),
            can_read_user_memory: body.can_read_user_memory.unwrap_or(false),
            scope: scope(body.scope.as_ref()),
        };
        let view = agents::create_agent(&self.state.store, ctx.caller()?, spec).await?;
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
        };
        let view = agents::update_agent(&self.state.store, ctx.caller()?, &path.name, update).await?;
        Ok(wire::UpdateAgentResponse::Ok(convert::agent(&view)))
    }

    async fn delete_agent(&self, ctx: Ctx, path: wire::DeleteAgentPath) -> Res<wire::DeleteAgentResponse> {
        let agent = agents::delete_agent(&self.state.store, ctx.caller()?, &path.name).await?;
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
            }
        });
        // Built as JSON and checked against the contract's own type, so an export is always
        // a document import accepts.
        let doc: types::AgentExport =
            serde_json::from_value(doc).map_err(|e| Error::internal("building an export", e))?;
        Ok(wire::ExportAgentResponse::Ok(doc))
    }
}
