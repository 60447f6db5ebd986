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
//! found" ([`tool_call`]).

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

/// One JSON-RPC request with nothing beside `jsonrpc`, `id`, `method` and `params` (a request
/// `_meta` at the top, a batch or a response is not one).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    #[allow(dead_code)] // checked by its type: "2.0"
    jsonrpc: JsonRpcVersion2_0,
    id: RequestId,
    method: String,
    #[serde(default)]
    params: Value,
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
    match tool_call(&bytes) {
        Some((id, Ok(params))) => Direct::Answered(run(api, &parts, id, params).await),
        Some((id, Err(why))) => Direct::Answered(invalid_params(id, why)),
        None => Direct::Pass(Request::from_parts(parts, Body::from(bytes))),
    }
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

/// The body as a `tools/call`: its id and either the params of a plain call of a known tool
/// (no request metadata, input responses or request state: the multi-round-trip fields rmcp
/// keeps for itself), or, for params that are not a call's (no `name`, `arguments` not an
/// object…), what is wrong with them. rmcp answers those "method not found: tools/call", which
/// sends a client looking for a method it has right; JSON-RPC's answer is "invalid params".
/// `None`: anything else, for rmcp.
fn tool_call(body: &Bytes) -> Option<(RequestId, Result<CallToolRequestParams, String>)> {
    let message: Message = serde_json::from_slice(body).ok()?;
    if message.method != "tools/call" {
        return None;
    }
    match CallToolRequestParams::deserialize(message.params) {
        Err(why) => Some((
            message.id,
            Err(format!(
                "Invalid params of tools/call: {why}. They are {{\"name\": \"<tool>\", \"arguments\": {{…}}}}, \
                 `arguments` an object of the tool's input schema (`tools/list`)."
            )),
        )),
        Ok(p)
            if p.meta.is_none()
                && p.input_responses.is_none()
                && p.request_state.is_none()
                && Tools::get().entry(&p.name).is_some() =>
        {
            Some((message.id, Ok(p)))
        }
        Ok(_) => None,
    }
}

/// A JSON-RPC "invalid params" error, answered 200 as rmcp answers JSON-RPC errors.
fn invalid_params(id: RequestId, message: String) -> Response {
    let message: ServerJsonRpcMessage =
        JsonRpcMessage::error(McpError::invalid_params(message, None), Some(id));
    json_response(&message)
}

/// The call run, and its result as rmcp writes a JSON-RPC response.
async fn run(api: &Arc<Api>, caller: &Parts, id: RequestId, params: CallToolRequestParams) -> Response {
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
        let read = |body: &str| tool_call(&Bytes::copy_from_slice(body.as_bytes()));
        let call = |body: &str| matches!(read(body), Some((_, Ok(_))));
        assert!(call(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}"#
        ));
        assert!(call(
            r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"whoami"}}"#
        ));
        // Not a call: rmcp's to answer.
        for body in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"drop_tables"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"name":"whoami"}}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"whoami"}}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"whoami"}}"#,
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"whoami"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","_meta":{}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"},"x":1}"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}]"#,
        ] {
            assert!(read(body).is_none(), "{body}");
        }
        // A call with params that are not a call's: invalid params, saying why.
        for (body, why) in [
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":[]}}"#,
                "expected a map",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}"#,
                "missing field `name`",
            ),
            (r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#, "tools/call"),
        ] {
            match read(body) {
                Some((_, Err(message))) => assert!(message.contains(why), "{body}: {message}"),
                _ => panic!("{body} is a malformed call"),
            }
        }
    }
}
