//! The tools: the generated table (`taos_api::mcp::TOOLS`) as MCP lists them, and a call's
//! answer (the operation's HTTP response, in-process) as a tool result.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};
use taos_api::mcp::TOOLS;
use taos_api::server::ApiBase;
use taos_api::server_runtime::mcp::{self as generated, Output};

use crate::api::Api;
use crate::errors::{self, Error};

/// The largest answer a tool call reads back (the largest page of any list, with room).
const MAX_ANSWER: usize = 16 << 20;

/// One tool: the generated entry and what `tools/list` shows of it.
pub struct Entry {
    pub generated: &'static generated::Tool,
    pub listed: Tool,
}

/// Every tool, built on the first MCP request (parsing 37 tools' schemas is no work for a
/// taosd that nobody talks MCP to, and none for its start-up).
static BUILT: LazyLock<Tools> = LazyLock::new(Tools::new);

pub struct Tools {
    entries: Vec<Entry>,
    by_name: HashMap<&'static str, usize>,
}

impl Tools {
    pub fn get() -> &'static Tools {
        &BUILT
    }

    fn new() -> Tools {
        let entries: Vec<Entry> = TOOLS
            .iter()
            .map(|t| Entry {
                generated: t,
                listed: listed(t),
            })
            .collect();
        let by_name = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.generated.name, i))
            .collect();
        Tools { entries, by_name }
    }

    pub fn list(&self) -> Vec<Tool> {
        self.entries.iter().map(|e| e.listed.clone()).collect()
    }

    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.by_name.get(name).map(|&i| &self.entries[i])
    }

    /// Runs a `tools/call` made by `caller` (the HTTP request that carried it). An unknown tool
    /// is a protocol error; everything the operation answers, errors included, is a tool result.
    pub async fn call(
        &self,
        api: &Arc<Api>,
        request: CallToolRequestParams,
        caller: &Parts,
    ) -> Result<CallToolResult, McpError> {
        let Some(entry) = self.entry(&request.name) else {
            return Err(McpError::invalid_params(
                format!("There is no tool `{}`; `tools/list` lists them.", request.name),
                None,
            ));
        };
        let tool = entry.generated;
        let fresh_key = || format!("mcp-{}", uuid::Uuid::new_v4());
        let (response, key) = match tool.request(caller, request.arguments, fresh_key) {
            Ok((call, key)) => (taos_api::mcp::call(Arc::clone(api), tool, call).await, key),
            Err(rejection) => (api.reject(tool.op, rejection).into_response(), None),
        };
        Ok(result(tool, response, key).await)
    }
}

/// A generated tool as `tools/list` shows it: every annotation set (the spec's defaults
/// assume the worst; ours are known).
fn listed(t: &'static generated::Tool) -> Tool {
    let mut tool = Tool::new(t.name, t.description, schema(t.input_schema));
    tool = tool.with_title(t.title).with_annotations(
        ToolAnnotations::with_title(t.title)
            .read_only(t.read_only)
            .destructive(t.destructive)
            .idempotent(t.idempotent)
            .open_world(false),
    );
    if let Some(output) = t.output_schema {
        tool = tool.with_raw_output_schema(schema(output));
    }
    tool
}

/// A schema of the generated table (JSON text the generator wrote, so it parses).
fn schema(text: &'static str) -> Arc<JsonObject> {
    Arc::new(serde_json::from_str(text).unwrap_or_default())
}

/// The operation's answer as a tool result: success → the body as structured content (and
/// as text, for clients that show only text); error → `isError` with the canonical
/// `{error, detail, fix, doc_url}`, so the model can read `fix` and call again.
async fn result(tool: &generated::Tool, response: Response, key: Option<String>) -> CallToolResult {
    let status = response.status();
    let mut meta = Map::new();
    meta.insert("http_status".into(), json!(status.as_u16()));
    if let Some(k) = key {
        meta.insert("idempotency_key".into(), json!(k));
    }
    if response.headers().contains_key("idempotent-replayed") {
        meta.insert("idempotent_replayed".into(), json!(true));
    }
    if let Some(location) = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
    {
        meta.insert("location".into(), json!(location));
    }
    let body = match axum::body::to_bytes(response.into_body(), MAX_ANSWER).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(tool = tool.name, error = %e, "a tool's answer could not be read");
            let e = Error::new(
                &errors::INTERNAL_ERROR,
                "The answer of the operation could not be read.",
            );
            return error(errors::error_body(&e), meta);
        }
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    let mut out = if status.is_success() {
        match tool.output {
            Output::Json => {
                let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let mut r = CallToolResult::success(vec![ContentBlock::text(text)]);
                r.structured_content = Some(value);
                r
            }
            Output::Empty => CallToolResult::success(vec![ContentBlock::text(format!(
                "Done ({} {}).",
                status.as_u16(),
                status.canonical_reason().unwrap_or_default()
            ))]),
            Output::Text if text.is_empty() => CallToolResult::success(vec![ContentBlock::text("(nothing)")]),
            Output::Text => CallToolResult::success(vec![ContentBlock::text(text)]),
        }
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) if v.get("error").is_some() => return error(v, meta),
            _ => CallToolResult::error(vec![ContentBlock::text(text)]),
        }
    };
    out.meta = Some(meta.into());
    out
}

fn error(body: Value, meta: Map<String, Value>) -> CallToolResult {
    let mut r = CallToolResult::error(vec![ContentBlock::text(body.to_string())]);
    r.structured_content = Some(body);
    r.meta = Some(meta.into());
    r
}
