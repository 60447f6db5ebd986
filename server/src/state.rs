//! What every request handler shares.

use std::sync::Arc;

use crate::background::Toucher;
use crate::domain::fleet::Fleet;
use crate::store::Store;

pub struct AppState {
    pub store: Store,
    /// Records token use off the request path.
    pub toucher: Toucher,
    /// Whether cookies get the `Secure` attribute (set when served over https).
    pub secure_cookies: bool,
    /// When an unanswered `Idempotency-Key` request is presumed dead (`TAOS_IDEMPOTENCY_TAKEOVER`).
    pub idempotency_takeover: std::time::Duration,
    /// Where agents run, and what taosd hands them; process agents stop when taosd stops.
    pub fleet: Arc<Fleet>,
}

pub type SharedState = Arc<AppState>;
