//! `Api::idempotent`: what the generated handler of every operation that takes an
//! `Idempotency-Key` calls. The operation itself never sees the key.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use taos_api::operations::Operation;
use taos_api::server::Work;

use crate::auth::Ctx;
use crate::domain::idempotency::{self, Claim};
use crate::errors::Error;
use crate::state::SharedState;

/// Runs `work` at most once per (caller, operation, key) and answers retries with the first
/// answer, which commits together with what the work wrote. The work runs in a task of its
/// own, so a client hanging up mid-request cannot leave the key claimed but unanswered.
pub async fn run(
    state: &SharedState,
    op: &'static Operation,
    ctx: Ctx,
    key: Option<String>,
    request: serde_json::Value,
    work: Work<Ctx>,
) -> Response {
    let Some(key) = key else {
        return spawn(work(ctx)).await;
    };
    let scope = match ctx.caller() {
        Ok(caller) => caller.idempotency_scope(),
        Err(e) => return e.into_response(),
    };
    let fingerprint = idempotency::fingerprint(op.id, &request);
    let takeover = state.idempotency_takeover;
    match idempotency::claim(&state.store, &scope, op.id, &key, &fingerprint, takeover).await {
        Err(e) => e.into_response(),
        Ok(Claim::Replay { status, body }) => replay(status, body),
        Ok(Claim::Run(ticket)) => {
            let state = state.clone();
            spawn(async move {
                let (response, done) = idempotency::run(&state.store, ticket, work(ctx)).await;
                let (parts, body) = response.into_parts();
                // Answers are small JSON documents the server rendered itself.
                let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                // The answer goes out only once it is stored with what the work wrote.
                match idempotency::finish(&state.store, done, parts.status.as_u16(), text).await {
                    Ok(()) => Response::from_parts(parts, Body::from(bytes)),
                    Err(e) => e.into_response(),
                }
            })
            .await
        }
    }
}

/// A stored answer, sent again.
fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

async fn spawn(work: impl Future<Output = Response> + Send + 'static) -> Response {
    match tokio::spawn(work).await {
        Ok(response) => response,
        Err(e) => Error::internal("request task", e).into_response(),
    }
}
