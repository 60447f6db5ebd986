//! What every request to `/mcp` passes before the MCP transport sees it, and what it answers
//! in the transport's place.
//!
//! - A valid bearer token, checked here so a missing, unknown or expired one gets HTTP 401
//!   with the RFC 6750 challenge (an MCP client's cue to get a token), not a tool error. The
//!   session cookie is not taken: MCP clients are programs, and a browser's cookie would make
//!   `/mcp` reachable from other sites' pages.
//! - An `Origin`, when a browser sends one, must be this server's own (the MCP transport spec
//!   asks servers to check it against DNS rebinding; the `Host` check runs before this).
//! - rmcp answers some malformed requests with a bare text body (a wrong `Accept` or
//!   `Content-Type`, an unsupported method); those get the canonical error body.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{self, Authenticated, Credentials};
use crate::errors::{self, Error};
use crate::state::SharedState;

/// The longest bare refusal of the transport that is quoted in the error's detail.
const MAX_QUOTED: usize = 4096;

pub async fn guard(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    if request.headers().contains_key(header::ORIGIN) && !auth::same_origin(request.headers()) {
        return Error::new(
            &errors::CROSS_ORIGIN_REQUEST,
            "A request to /mcp came from another origin (a web page of another site).",
        )
        .into_response();
    }
    let (mut parts, body) = request.into_parts();
    let credentials = Credentials::from_parts(&parts);
    if !credentials.has_authorization() {
        return Error::new(
            &errors::AUTH_REQUIRED,
            "/mcp needs `Authorization: Bearer <token>` on every request (the session cookie is not taken here).",
        )
        .into_response();
    }
    match credentials.resolve(&state).await {
        // Handed to the tool calls of this request, so they do not look the token up again.
        Ok(Some(principal)) => {
            parts.extensions.insert(Authenticated(principal));
        }
        Ok(None) => {
            return Error::new(&errors::AUTH_REQUIRED, "/mcp needs a bearer token.").into_response();
        }
        Err(e) => return e.into_response(),
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    canonical(response).await
}

/// A refusal of the transport with a text body, as the canonical error.
async fn canonical(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("text/event-stream"));
    if status.is_success() || is_json {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let said = match axum::body::to_bytes(response.into_body(), MAX_QUOTED).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let said = if said.is_empty() { status.to_string() } else { said };
    let error = match status {
        StatusCode::METHOD_NOT_ALLOWED => Error::method_not_allowed(super::PATH, "POST"),
        StatusCode::NOT_ACCEPTABLE => Error::new(&errors::MCP_NOT_ACCEPTABLE, format!("{said}.")),
        // rmcp answers 415 both for another media type and for a body that is not one
        // JSON-RPC message (malformed JSON, a batch, which MCP no longer has).
        StatusCode::UNSUPPORTED_MEDIA_TYPE if said.starts_with("fail to deserialize") => Error::new(
            &errors::MALFORMED_JSON,
            format!(
                "The body is not one JSON-RPC 2.0 message (one object per POST; MCP has no batches): {}.",
                said.trim_start_matches("fail to deserialize request body").trim()
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::new(
            &errors::UNSUPPORTED_MEDIA_TYPE,
            "A request to /mcp must be a JSON-RPC message sent as `application/json`.",
        ),
        // The body stopped coming (the client went away, or the body timeout): not a fault of
        // the server.
        StatusCode::INTERNAL_SERVER_ERROR if said.starts_with("Failed to read request body") => {
            Error::new(&errors::MALFORMED_JSON, "The request body could not be read.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => Error::new(
            &errors::PAYLOAD_TOO_LARGE,
            "The request body is larger than 1 MiB.",
        ),
        s if s.is_client_error() => Error::new(&errors::MCP_BAD_REQUEST, format!("{said}.")),
        _ => Error::internal("the MCP transport", said),
    };
    let mut out = error.into_response();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        out.headers_mut()
            .insert(header::ALLOW, allow.unwrap_or(HeaderValue::from_static("POST")));
    }
    out
}
