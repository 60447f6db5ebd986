//! Running a creating operation under its `Idempotency-Key`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use taos_api::operations::Operation;

use super::halt::{Halt, error_body};
use crate::domain::idempotency::{self, Claim};
use crate::domain::principal::Principal;
use crate::errors::{Error, Result};
use crate::state::SharedState;

/// The answer of a creating operation, fresh or replayed.
pub enum Answer<T> {
    Fresh(T),
    Replayed(T),
}

/// Runs `work` at most once per (caller, operation, key). The work runs in its own task so
/// that a client hanging up mid-request cannot leave the key claimed but unanswered.
pub async fn run<T, F>(
    state: &SharedState,
    caller: &Principal,
    op: &'static Operation,
    key: Option<String>,
    input: &impl Serialize,
    success_status: u16,
    work: impl FnOnce(SharedState, Principal) -> F,
) -> std::result::Result<Answer<T>, Halt>
where
    T: Serialize + DeserializeOwned + Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    let fut = work(state.clone(), caller.clone());
    let Some(key) = key else {
        return Ok(Answer::Fresh(spawn(fut).await?));
    };
    let scope = caller.idempotency_scope();
    let input = serde_json::to_value(input).map_err(|e| Error::internal("fingerprinting a request", e))?;
    let fingerprint = idempotency::fingerprint(op.id, &input);
    match idempotency::claim(&state.store, &scope, op.id, &key, &fingerprint).await? {
        Claim::Replay { status, body } if (200..300).contains(&status) => match serde_json::from_str(&body) {
            Ok(value) => Ok(Answer::Replayed(value)),
            Err(_) => Err(Halt::Replay { status, body }),
        },
        Claim::Replay { status, body } => Err(Halt::Replay { status, body }),
        Claim::Run => {
            let state = state.clone();
            let outcome = spawn(async move {
                let result = fut.await;
                let (status, body) = match &result {
                    Ok(value) => (success_status, serde_json::to_string(value).unwrap_or_default()),
                    Err(e) => (e.kind.status, error_body(e).to_string()),
                };
                idempotency::finish(&state.store, &scope, op.id, &key, status, body).await;
                result
            })
            .await?;
            Ok(Answer::Fresh(outcome))
        }
    }
}

async fn spawn<T: Send + 'static>(fut: impl Future<Output = Result<T>> + Send + 'static) -> Result<T> {
    tokio::spawn(fut)
        .await
        .map_err(|e| Error::internal("request task", e))?
}
