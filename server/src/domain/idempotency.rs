//! Idempotency keys (Stripe and the IETF draft, reference/standards.md §1): the first answer to
//! a key is stored in the database, so a retry — after a timeout, a crash or a restart, on any
//! replica — gets that answer back instead of doing the work twice.

use chrono::{Duration, Utc};

use crate::digest::sha256_hex;
use crate::errors::{self, Error, Result};
use crate::store::{IdemOutcome, Store};

/// How long an answer is kept.
pub const TTL: Duration = Duration::hours(24);

/// What to do with a request that carries a key.
pub enum Claim {
    /// First time: do the work, then `finish`.
    Run,
    /// Answered before: send this status and body again.
    Replay { status: u16, body: String },
}

/// The request's fingerprint: the operation and its canonical JSON input.
pub fn fingerprint(operation: &str, input: &serde_json::Value) -> String {
    // Operation ids contain no newline, so the pair is unambiguous.
    sha256_hex(&format!("{operation}\n{input}"))
}

pub async fn claim(
    store: &Store,
    scope: &str,
    operation: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Claim> {
    match store
        .idem_reserve(scope, operation, key, fingerprint, Utc::now(), TTL)
        .await?
    {
        IdemOutcome::Reserved => Ok(Claim::Run),
        IdemOutcome::InFlight { fingerprint: first } if first != fingerprint => Err(reused()),
        IdemOutcome::InFlight { .. } => Err(Error::new(
            &errors::IDEMPOTENCY_KEY_IN_USE,
            "A request with this Idempotency-Key is still being processed.",
        )
        .with("retry_after", "1")),
        IdemOutcome::Done {
            fingerprint: first, ..
        } if first != fingerprint => Err(reused()),
        IdemOutcome::Done { status, body, .. } => Ok(Claim::Replay { status, body }),
    }
}

fn reused() -> Error {
    Error::new(
        &errors::IDEMPOTENCY_KEY_REUSED,
        "This Idempotency-Key was first used with a different request body.",
    )
}

/// Stores the answer; a server error releases the key instead, so a retry runs again.
pub async fn finish(store: &Store, scope: &str, operation: &str, key: &str, status: u16, body: String) {
    let result = if status >= 500 {
        store.idem_release(scope, operation, key).await
    } else {
        store.idem_complete(scope, operation, key, status, body).await
    };
    if let Err(e) = result {
        // The work is done and answered; a retry will find the key in flight until it is taken over.
        tracing::error!(error = %e, "could not record the idempotent answer");
    }
}
