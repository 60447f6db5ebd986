//! Work kept off the request path: recording token use (coalesced), and sweeping expired
//! idempotency keys and sessions.

use std::collections::HashSet;
use std::time::Duration;

use tokio::sync::mpsc;
use uuid::Uuid;

use crate::store::Store;

/// Hands token ids to the flusher. Never blocks a request: when the queue is full the touch is
/// dropped (the next use a minute later records it).
#[derive(Clone)]
pub struct Toucher(mpsc::Sender<Uuid>);

impl Toucher {
    pub fn touch(&self, token_id: Uuid) {
        let _ = self.0.try_send(token_id);
    }
}

/// Starts the flusher and the sweeper; they end when the returned toucher is dropped or the
/// runtime stops.
pub fn start(store: Store) -> Toucher {
    let (tx, mut rx) = mpsc::channel::<Uuid>(4096);
    let flush_store = store.clone();
    tokio::spawn(async move {
        let mut pending = HashSet::new();
        loop {
            // Collect for up to a second, then write the batch in one statement.
            let first = match rx.recv().await {
                Some(id) => id,
                None => break,
            };
            pending.insert(first);
            let deadline = tokio::time::sleep(Duration::from_secs(1));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    _ = &mut deadline => break,
                    next = rx.recv() => match next {
                        Some(id) => { pending.insert(id); }
                        None => break,
                    },
                }
            }
            let ids: Vec<Uuid> = pending.drain().collect();
            if let Err(e) = flush_store.touch_tokens(&ids, chrono::Utc::now()).await {
                tracing::warn!(error = %e, "could not record token use");
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let now = chrono::Utc::now();
            if let Err(e) = store.idem_purge_expired(now).await {
                tracing::warn!(error = %e, "could not purge expired idempotency keys");
            }
            if let Err(e) = store.purge_expired_sessions(now).await {
                tracing::warn!(error = %e, "could not purge expired sessions");
            }
        }
    });
    Toucher(tx)
}
