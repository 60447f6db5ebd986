//! A progress line on stderr while a slow request runs (`- waiting for research-bot to be
//! running… 12s`), only when stderr is a terminal: pipes and logs get no control characters.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Runs `work`, showing `label` and the seconds elapsed on stderr meanwhile when stderr is a
/// terminal; the line is cleared when `work` ends.
pub async fn while_running<T>(label: &str, work: impl Future<Output = T>) -> T {
    while_showing(|| label.to_string(), work).await
}

/// Whether a progress line would be shown (stderr is a terminal).
pub fn shown() -> bool {
    std::io::stderr().is_terminal()
}

/// Like [`while_running`], with a label that can change while `work` runs (the step a deploy
/// is at): `label` is asked again at every tick.
pub async fn while_showing<T>(label: impl Fn() -> String, work: impl Future<Output = T>) -> T {
    if !shown() {
        return work.await;
    }
    const SPINNER: [char; 4] = ['-', '\\', '|', '/'];
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut frame = 0usize;
    tokio::pin!(work);
    let out = loop {
        tokio::select! {
            out = &mut work => break out,
            _ = tick.tick() => {
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[2K{} {}… {}s",
                    SPINNER[frame % SPINNER.len()],
                    label(),
                    started.elapsed().as_secs()
                );
                let _ = err.flush();
                frame += 1;
            }
        }
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K");
    let _ = err.flush();
    out
}
