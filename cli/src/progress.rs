//! A progress line on stderr while a slow request runs (`waiting for research-bot to be
//! running… 12s`), only when stderr is a terminal: pipes and logs get no control characters.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Runs `work`, showing `label` and the seconds elapsed on stderr meanwhile when stderr is a
/// terminal; the line is cleared when `work` ends.
pub async fn while_running<T>(label: &str, work: impl Future<Output = T>) -> T {
    if !std::io::stderr().is_terminal() {
        return work.await;
    }
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tokio::pin!(work);
    let out = loop {
        tokio::select! {
            out = &mut work => break out,
            _ = tick.tick() => {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K{label}… {}s", started.elapsed().as_secs());
                let _ = err.flush();
            }
        }
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K");
    let _ = err.flush();
    out
}
