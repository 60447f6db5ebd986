//! `--debug` (or `TAOS_DEBUG=1`): one line on stderr per request, `debug: GET
//! http://…/api/agents → 200 OK (12 ms)`. Only the method, the URL and the answer's status
//! are shown: never a header (the token is in `Authorization`) and never a body (tokens are
//! issued in bodies).
//!
//! The line is written by a `reqwest` retry classifier that never retries: the one hook the
//! HTTP client gives that sees each request's method, URL and status. The time is measured
//! from [`mark`], which the context calls as it sends each request (requests are sent one at
//! a time), or else from the previous answer.

use std::sync::Mutex;
use std::time::Instant;

use taos_client::reqwest;

static SINCE: Mutex<Option<Instant>> = Mutex::new(None);

/// Whether `TAOS_DEBUG` asks for the request log (`1`, `true`, `yes` or `on`).
pub fn from_env() -> bool {
    std::env::var("TAOS_DEBUG").is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// A request is about to be sent: its time counts from now.
pub fn mark() {
    if let Ok(mut since) = SINCE.lock() {
        *since = Some(Instant::now());
    }
}

fn elapsed_ms() -> u128 {
    let Ok(mut since) = SINCE.lock() else {
        return 0;
    };
    let now = Instant::now();
    let ms = since.map_or(0, |t| now.duration_since(t).as_millis());
    *since = Some(now);
    ms
}

/// The HTTP client's builder with the request log added.
pub fn log_requests(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    let policy = reqwest::retry::never().classify_fn(|rr| {
        let ms = elapsed_ms();
        let outcome = match (rr.status(), rr.error()) {
            (Some(status), _) => status.to_string(),
            (None, Some(e)) => format!("failed: {}", root_cause(e)),
            (None, None) => "failed".to_string(),
        };
        eprintln!("debug: {} {} → {outcome} ({ms} ms)", rr.method(), rr.uri());
        rr.success()
    });
    builder.retry(policy)
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
