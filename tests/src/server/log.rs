//! What taosd's own log says about its failures. Every case fails when its taosd logged one,
//! unless the case declared it ([`Server::expect_server_errors`]): a 500 the caller
//! sees as a canonical body is still a bug, and it is only visible here.
//!
//! taosd logs (text format, `TAOS_LOG=warn` or more verbose):
//! - `Error::internal` (an `internal_error` answer) and every other failure of its own at
//!   `ERROR`;
//! - every 5xx answer, through tower-http's `TraceLayer` (`response failed
//!   classification=Status code: 500 …`), at `ERROR`;
//! - a panic in a handler (answered 500 by `CatchPanicLayer`) as Rust's `… panicked at …`.

use super::Server;

impl Server {
    /// Declares that this case makes taosd fail on purpose (e.g. it stops the database under
    /// it): failure lines of its log containing `matching` do not fail the case. Every other
    /// failure taosd logs (a 5xx, an internal error, a panic; see the `log` module) fails
    /// the case when the server is dropped.
    pub fn expect_server_errors(&self, matching: &str) {
        self.expected_failures.lock().unwrap().push(matching.to_string());
    }

    /// The failures taosd logged so far that the case did not declare.
    pub fn unexpected_server_errors(&self) -> Vec<String> {
        let expected = self
            .expected_failures
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default();
        failures(&self.stderr.lock().map(|s| s.clone()).unwrap_or_default())
            .into_iter()
            .filter(|line| !expected.iter().any(|e| line.contains(e.as_str())))
            .collect()
    }
}

/// The lines of `stderr` that report a failure of taosd itself, ANSI colours removed.
pub(crate) fn failures(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .map(strip_ansi)
        .filter(|line| is_failure(line))
        .collect()
}

fn is_failure(line: &str) -> bool {
    // `<timestamp> <LEVEL> <spans>: <target>: <message>`: the level is the second word.
    line.split_whitespace().nth(1) == Some("ERROR") || line.contains(" panicked at ")
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters… final byte in @..~
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_errors_and_panics_and_nothing_else() {
        let log = "\
\u{1b}[2m2025-01-02T03:04:05.000006Z\u{1b}[0m \u{1b}[31mERROR\u{1b}[0m \u{1b}[1mrequest\u{1b}[0m: taos_server::errors: database error error=boom
2025-01-02T03:04:05.000007Z ERROR request{method=POST path=/api/agents}: tower_http::trace::on_failure: response failed classification=Status code: 500 Internal Server Error latency=1 ms
2025-01-02T03:04:05.000008Z  WARN taos_server: slow ERROR in a message
2025-01-02T03:04:05.000009Z  INFO taosd ready
thread 'tokio-runtime-worker' panicked at server/src/api/agents.rs:10:5:
";
        let found = failures(log);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].starts_with("2025-01-02T03:04:05.000006Z ERROR request: taos_server::errors"));
        assert!(found[1].contains("Status code: 500"));
        assert!(found[2].contains("panicked at"));
    }
}
