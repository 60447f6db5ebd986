//! Idempotency keys (Stripe and the IETF draft, reference/standards.md §1): the first answer to
//! a key is stored in the database, so a retry — after a timeout, a crash or a restart, on any
//! replica — gets that answer back instead of doing the work twice. The work's writes and the
//! answer commit together (`Store::sealed`): a crash keeps both or neither.

use std::future::Future;

use chrono::{Duration, Utc};

use crate::digest::sha256_hex;
use crate::domain::store_errors::conflict;
use crate::errors::{self, Error, Result};
use crate::store::{IdemClaim, IdemOutcome, IdemPolicy, Sealed, Store};

/// How long an answer is kept.
pub const TTL: Duration = Duration::hours(24);

/// What to do with a request that carries a key.
pub enum Claim {
    /// First time: do the work with `run`, then `finish`.
    Run(Ticket),
    /// Answered before: send this status and body again.
    Replay { status: u16, body: String },
}

/// The request's fingerprint: the operation and its canonical JSON input.
pub fn fingerprint(operation: &str, input: &serde_json::Value) -> String {
    // Operation ids contain no newline, so the pair is unambiguous.
    sha256_hex(&format!("{operation}\n{input}"))
}

/// The key of a first request, claimed for it.
pub struct Ticket(IdemClaim);

/// Work that ran for a [`Ticket`], its writes not yet committed.
pub struct Done(Sealed);

/// Claims the key. `takeover`: how long a claim may go unanswered before it is presumed dead.
pub async fn claim(
    store: &Store,
    scope: &str,
    operation: &str,
    key: &str,
    fingerprint: &str,
    takeover: std::time::Duration,
) -> Result<Claim> {
    let policy = IdemPolicy {
        ttl: TTL,
        takeover: Duration::from_std(takeover).unwrap_or(Duration::MAX),
    };
    match store
        .idem_reserve(scope, operation, key, fingerprint, Utc::now(), policy)
        .await?
    {
        IdemOutcome::Reserved(claim) => Ok(Claim::Run(Ticket(claim))),
        IdemOutcome::InFlight { fingerprint: first } if first != fingerprint => Err(reused()),
        IdemOutcome::InFlight { .. } => Err(in_use()),
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

fn in_use() -> Error {
    Error::new(
        &errors::IDEMPOTENCY_KEY_IN_USE,
        "A request with this Idempotency-Key is still being processed.",
    )
    .with("retry_after", "1")
}

/// Runs the work of a claimed key; what it writes is held until [`finish`].
pub async fn run<F: Future>(store: &Store, ticket: Ticket, work: F) -> (F::Output, Done) {
    let (output, sealed) = store.sealed(ticket.0, work).await;
    (output, Done(sealed))
}

/// Commits the work's writes with its answer, so retries replay it. A server error (5xx)
/// keeps neither and releases the key, so a retry runs again. `Err` when nothing could be
/// kept: the work is undone and its answer must not be sent.
pub async fn finish(store: &Store, done: Done, status: u16, body: String) -> Result<()> {
    if status >= 500 {
        release(store, done.0).await;
        return Ok(());
    }
    // A `Conflict`: presumed dead and taken over by a retry, which runs the request now.
    store
        .idem_complete(done.0, status, body)
        .await
        .map_err(conflict(in_use))
}

async fn release(store: &Store, sealed: Sealed) {
    if let Err(e) = store.idem_release(sealed).await {
        // The key stays claimed until the takeover window lets a retry have it.
        tracing::warn!(error = %e, "could not release an idempotency key");
    }
}
