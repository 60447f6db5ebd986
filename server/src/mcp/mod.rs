//! The MCP endpoint, `/mcp`: the contract's `x-mcp` operations as Model Context Protocol tools
//! and the agent docs as resources, over MCP's streamable HTTP transport (protocol 2025-11-25)
//! with the official SDK, `rmcp`.
//!
//! MCP is a second way into the same operations, not a second API: a tool call is turned into
//! the request its operation takes and handed, in-process, to the operation's generated steps
//! (`taos_api::mcp::call`), which authorize the caller from the same bearer token, check the
//! arguments against the contract and call the same [`Api`]. So a token can do over MCP
//! exactly what it can do over HTTP. Nothing is forwarded anywhere: the token is checked by
//! this server, for this server.
//!
//! - [`http`]: what every `POST /mcp` passes first (a valid bearer token, our origin) and the
//!   canonical error body for the transport's own refusals;
//! - [`tools`]: the tool list, and a call's answer as a tool result;
//! - [`resources`]: the agent docs as `taos://docs/agents/…` resources.
//!
//! The server is stateless (no `Mcp-Session-Id`; every POST is answered on its own, as JSON):
//! nothing about a client lives in one taosd, so replicas behind a load balancer and a
//! restarted taosd serve a client without it noticing.

mod direct;
mod http;
mod resources;
mod tools;

use std::borrow::Cow;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::any;
use direct::Direct;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, InitializeResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use tower_service::Service;

use crate::api::Api;
use crate::state::SharedState;

/// Where the endpoint is served.
pub const PATH: &str = "/mcp";

/// The protocol version taosd speaks (and any older one a client asks for).
const PROTOCOL: ProtocolVersion = ProtocolVersion::V_2025_11_25;

/// `/mcp`, answered for `api`.
pub fn routes(state: SharedState, api: Arc<Api>) -> Router {
    let handler = Mcp {
        api: Arc::clone(&api),
    };
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        // The app's own Host check (`host_check`, TAOS_ALLOWED_HOSTS) runs before this.
        .disable_allowed_hosts()
        .with_max_request_body_bytes(taos_api::server_runtime::MAX_BODY_BYTES);
    let rmcp = StreamableHttpService::new(
        move || Ok(handler.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route(PATH, any(endpoint))
        .with_state(Arc::new(Endpoint { api, rmcp }))
        .layer(axum::middleware::from_fn_with_state(state, http::guard))
}

/// What answers `/mcp`: the direct path for a plain tool call, rmcp for everything else.
struct Endpoint {
    api: Arc<Api>,
    rmcp: StreamableHttpService<Mcp, NeverSessionManager>,
}

async fn endpoint(State(endpoint): State<Arc<Endpoint>>, request: Request) -> Response {
    match direct::answer(&endpoint.api, request).await {
        Direct::Answered(response) => response,
        Direct::Pass(request) => {
            // rmcp's service is always ready (`poll_ready` answers at once); a clone a request,
            // as axum's `route_service` makes.
            let Ok(response) = Service::call(&mut endpoint.rmcp.clone(), request).await;
            response.map(Body::new)
        }
    }
}

/// One MCP server; cloned for every request (an `Arc`).
#[derive(Clone)]
struct Mcp {
    api: Arc<Api>,
}

impl ServerHandler for Mcp {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .build();
        let mut info = InitializeResult::new(capabilities);
        info.protocol_version = PROTOCOL;
        let mut server = Implementation::new("taosd", env!("CARGO_PKG_VERSION"));
        server.title = Some("taOS agent API".into());
        info.server_info = server;
        info.instructions = Some(INSTRUCTIONS.into());
        info
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(&PROTOCOL))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools::Tools::get().list()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::Tools::get().entry(name).map(|t| t.listed.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(caller) = context.extensions.get::<Parts>() else {
            return Err(McpError::internal_error(
                "the HTTP request of the call is missing",
                None,
            ));
        };
        tools::Tools::get()
            .call(&self.api, request, caller)
            .await
            .map(Into::into)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(resources::list()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        resources::read(&request.uri).map(Into::into)
    }
}

/// What a client is told at `initialize` (many show it to the model).
const INSTRUCTIONS: &str = "taOS agent API: manage agents (create, start, stop, deploy, logs), \
issue their tokens, notify the user and search the knowledge store. Each tool is one operation \
of the HTTP API (GET /openapi.json) with the same arguments and answers, and needs the scope its \
description names. A failed call returns isError with {error, detail, fix, doc_url}: do what \
`fix` says and call again. Call `whoami` to see who you are and what your token's scope allows; \
the docs are resources under taos://docs/agents/.";
