//! `tools/call` answered without rmcp's per-request service, for the requests where the answer
//! is known to be the one rmcp would give.
//!
//! In stateless mode rmcp serves every POST by building a whole MCP service for it: a spawned
//! serve loop, a second task that waits on it, a third for the handler, channels between them
//! and cancellation tokens. For a tool call that is more than the operation itself costs (half
//! of a `get_agent` call's CPU, measured). A plain tool call needs none of it: its answer is one
//! JSON-RPC response made of the handler's result, written by rmcp's own model types.
//!
//! So a POST is answered here only when it is, plainly, a `tools/call` of a known tool that
//! rmcp would hand to the handler unchanged: the media types rmcp requires, a known
//! `MCP-Protocol-Version` older than the versions with per-request metadata and standard
//! headers, a body of one request whose only params are `name` and `arguments` (an object).
//! Anything else, every malformed request and every refusal included, goes to rmcp as it came
//! (its body buffered here is handed on), so there is one place that decides what is wrong with
//! a request; `a_plain_tool_call_is_answered_as_rmcp_answers_it` (tests/tests/mcp.rs) sends the
//! same calls through both and compares the answers. One exception: a `tools/call` whose params
//! are not a call's gets JSON-RPC's "invalid params" here, where rmcp would answer "method not
//! found" ([`malformed_call`]).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, JsonRpcMessage, JsonRpcVersion2_0, ProtocolVersion, RequestId,
    ServerJsonRpcMessage, ServerResult,
};
use rmcp::transport::common::http_header::HEADER_MCP_PROTOCOL_VERSION;
use serde::Deserialize;
use serde_json::Value;

use super::tools::Tools;
use crate::api::Api;
use crate::errors::{self, Error};

/// The largest body read here; a longer one (no tool call is near it) goes to rmcp unread.
const MAX_DIRECT_BODY: u64 = 64 * 1024;

/// One JSON-RPC request, as far as a plain tool call has fields: any other member (a request
/// `_meta` at the top, a batch, a response) makes it not one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolCall {
    #[allow(dead_code)] // checked by its type: "2.0"
    jsonrpc: JsonRpcVersion2_0,
    id: RequestId,
    method: String,
    params: CallToolRequestParams,
}

/// What the direct path made of a request.
pub enum Direct {
    /// The answer to a plain tool call.
    Answered(Response),
    /// Not one: the request, whole again, for rmcp.
    Pass(Request),
}

/// Answers `request` if it is a plain tool call (see the module's text).
pub async fn answer(api: &Arc<Api>, request: Request) -> Direct {
    if !plain_headers(request.method(), request.headers()) {
        return Direct::Pass(request);
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_DIRECT_BODY as usize).await {
        Ok(b) => b,
        // The body stopped coming (the client went away, or the body timeout): what rmcp's
        // own read failure becomes at the guard.
        Err(_) => {
            return Direct::Answered(
                Error::new(&errors::MALFORMED_JSON, "The request body could not be read.").into_response(),
            );
        }
    };
    if let Some(call) = plain_call(&bytes) {
        return Direct::Answered(run(api, &parts, call).await);
    }
    if let Some((id, why)) = malformed_call(&bytes) {
        return Direct::Answered(invalid_params(id, why));
    }
    Direct::Pass(Request::from_parts(parts, Body::from(bytes)))
}

/// Whether the headers are ones rmcp takes as they are, with nothing to negotiate.
fn plain_headers(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::POST
        && content_length(headers).is_some_and(|n| n <= MAX_DIRECT_BODY)
        && single(headers, header::CONTENT_TYPE).is_some_and(|ct| {
            let essence = ct.split_once(';').map_or(ct, |(e, _)| e);
            essence.trim().eq_ignore_ascii_case("application/json")
        })
        && accepts_json_and_sse(headers)
        && single(headers, HEADER_MCP_PROTOCOL_VERSION).is_some_and(|v| {
            v < ProtocolVersion::STANDARD_HEADERS.as_str()
                && ProtocolVersion::KNOWN_VERSIONS.iter().any(|k| k.as_str() == v)
        })
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    single(headers, header::CONTENT_LENGTH)?.parse().ok()
}

/// A header given once, as text.
fn single(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok()
}

/// `Accept` names both media types plainly (no parameters, which rmcp would weigh).
fn accepts_json_and_sse(headers: &HeaderMap) -> bool {
    let (mut json, mut sse) = (false, false);
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else {
            return false;
        };
        for entry in value.split(',') {
            let entry = entry.trim();
            if entry.contains(['"', ';']) {
                return false;
            }
            json |= entry.eq_ignore_ascii_case("application/json");
            sse |= entry.eq_ignore_ascii_case("text/event-stream");
        }
    }
    json && sse
}

/// The body as a plain call of a known tool: no request metadata, no input responses or
/// request state (the multi-round-trip fields rmcp keeps for itself).
fn plain_call(body: &Bytes) -> Option<ToolCall> {
    let call: ToolCall = serde_json::from_slice(body).ok()?;
    let p = &call.params;
    let plain = call.method == "tools/call"
        && p.meta.is_none()
        && p.input_responses.is_none()
        && p.request_state.is_none()
        && Tools::get().entry(&p.name).is_some();
    plain.then_some(call)
}

/// A request as far as JSON-RPC goes, its params unread.
#[derive(Deserialize)]
struct AnyRequest {
    #[allow(dead_code)] // checked by its type: "2.0"
    jsonrpc: JsonRpcVersion2_0,
    id: RequestId,
    method: String,
    #[serde(default)]
    params: Value,
}

/// A `tools/call` whose params are not a call (no `name`, `arguments` not an object…): rmcp
/// answers those "method not found: tools/call", which sends a client looking for a method
/// it has right. JSON-RPC's answer is "invalid params", with what is wrong.
fn malformed_call(body: &Bytes) -> Option<(RequestId, String)> {
    let request: AnyRequest = serde_json::from_slice(body).ok()?;
    if request.method != "tools/call" {
        return None;
    }
    let why = CallToolRequestParams::deserialize(&request.params).err()?;
    Some((
        request.id,
        format!(
            "Invalid params of tools/call: {why}. They are {{\"name\": \"<tool>\", \"arguments\": {{…}}}}, \
             `arguments` an object of the tool's input schema (`tools/list`)."
        ),
    ))
}

/// A JSON-RPC "invalid params" error, answered 200 as rmcp answers JSON-RPC errors.
fn invalid_params(id: RequestId, message: String) -> Response {
    let message: ServerJsonRpcMessage =
        JsonRpcMessage::error(McpError::invalid_params(message, None), Some(id));
    json_response(&message)
}

/// The call run, and its result as rmcp writes a JSON-RPC response.
async fn run(api: &Arc<Api>, caller: &Parts, call: ToolCall) -> Response {
    let ToolCall { id, params, .. } = call;
    tracing::debug!(tool = %params.name, "tools/call answered directly");
    let message: ServerJsonRpcMessage = match Tools::get().call(api, params, caller).await {
        Ok(result) => {
            let mut result = ServerResult::from(CallToolResponse::from(result));
            // What rmcp's handler does for every version the direct path takes (those before
            // 2026-07-28): the wire shape of those versions.
            result.strip_result_type_for_legacy_peer();
            result.strip_non_object_output_for_legacy_peer();
            JsonRpcMessage::response(result, id)
        }
        Err(error) => JsonRpcMessage::error(error, Some(id)),
    };
    json_response(&message)
}

fn json_response(message: &ServerJsonRpcMessage) -> Response {
    match serde_json::to_vec(message) {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body,
        )
            .into_response(),
        Err(e) => Error::internal("the MCP tool result", e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::headers;

    const PLAIN: [(&str, &str); 4] = [
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("mcp-protocol-version", "2025-11-25"),
        ("content-length", "80"),
    ];

    #[test]
    fn plain_headers_are_the_ones_rmcp_takes_unweighed() {
        assert!(plain_headers(&Method::POST, &headers(&PLAIN)));
        assert!(!plain_headers(&Method::GET, &headers(&PLAIN)));
        for (drop, _) in PLAIN {
            let rest: Vec<_> = PLAIN.iter().copied().filter(|(k, _)| *k != drop).collect();
            assert!(!plain_headers(&Method::POST, &headers(&rest)), "without {drop}");
        }
        for (name, value) in [
            ("accept", "application/json;q=1, text/event-stream"),
            ("accept", "application/json"),
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-protocol-version", "1999-01-01"),
            ("content-length", "65537"),
            ("content-type", "text/plain"),
        ] {
            let mut h = headers(&PLAIN);
            h.insert(name, HeaderValue::from_static(value));
            assert!(!plain_headers(&Method::POST, &h), "{name}: {value}");
        }
    }

    #[test]
    fn only_a_plain_call_of_a_known_tool_is_taken() {
        let call = |body: &str| plain_call(&Bytes::copy_from_slice(body.as_bytes())).is_some();
        assert!(call(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}"#
        ));
        assert!(call(
            r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"whoami"}}"#
        ));
        for body in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"drop_tables"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"name":"whoami"}}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"whoami"}}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"whoami"}}"#,
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"whoami"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","_meta":{}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":[]}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"},"x":1}"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}]"#,
        ] {
            assert!(!call(body), "{body}");
        }
    }
}
