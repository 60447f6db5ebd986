//! Following a container's console log (its init's stdout and stderr) into the shared log
//! store. `GET /1.0/instances/X/console` on a running container returns only what was
//! written since the previous read (verified), so lines are not read twice, not even by a
//! new taosd after a restart. On a stopped container it returns the log file, which holds
//! what was read of the run and more (earlier runs too), so after a stop only what follows
//! the last bytes already read is taken: the final lines written after the last poll.

use std::sync::Arc;

use super::Inner;
use super::agent::Agent;
use crate::runtime::logs::{AgentLog, Stream};
use crate::runtime::state::State;

/// The last bytes read in a run, kept to find where a stopped container's log file goes on.
const TAIL: usize = 4096;
/// A longer line is cut here while it is read (the log store cuts it again at its own bound).
const MAX_LINE: usize = 64 * 1024;

#[derive(Default)]
pub(super) struct Console {
    /// A line not ended yet (cut at the log's line bound; the rest of it is dropped).
    partial: Vec<u8>,
    truncated: bool,
    tail: Vec<u8>,
    /// Read from while running: the final read after the stop is still due.
    live: bool,
    /// This taosd started the current run and nothing of it was read yet: if it ends before
    /// the first read, the stopped container's log file is all of it (verified: a run that
    /// was not read while it ran leaves only its own output there).
    fresh: bool,
}

impl Console {
    /// This taosd has just started a run.
    pub fn run_started(&mut self) {
        self.fresh = !self.live;
    }

    /// Stores every complete line of `bytes`; memory stays bounded by the line bound however
    /// long a line goes on.
    fn feed(&mut self, log: &AgentLog, bytes: &[u8], max_line: usize) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let (chunk, ended) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            let room = max_line.saturating_sub(self.partial.len());
            if chunk.len() > room {
                self.truncated = true;
            }
            self.partial.extend_from_slice(&chunk[..chunk.len().min(room)]);
            rest = &rest[(chunk.len() + usize::from(ended)).min(rest.len())..];
            if ended {
                self.end_line(log);
            }
        }
        let keep = bytes.len().min(TAIL);
        let mut tail = std::mem::take(&mut self.tail);
        tail.extend_from_slice(&bytes[bytes.len() - keep..]);
        let excess = tail.len().saturating_sub(TAIL);
        tail.drain(..excess);
        self.tail = tail;
    }

    fn end_line(&mut self, log: &AgentLog) {
        log.append(Stream::Stdout, &self.partial, self.truncated);
        self.partial.clear();
        self.truncated = false;
    }

    /// The run ended: an unfinished last line is a line.
    fn close(&mut self, log: &AgentLog) {
        if !self.partial.is_empty() || self.truncated {
            self.end_line(log);
        }
        self.tail.clear();
        self.live = false;
        self.fresh = false;
    }
}

/// Where the log file goes on after what this run already read.
fn after_tail<'a>(file: &'a [u8], tail: &[u8]) -> Option<&'a [u8]> {
    if tail.is_empty() || tail.len() > file.len() {
        return None;
    }
    let at = file.windows(tail.len()).rposition(|w| w == tail)?;
    Some(&file[at + tail.len()..])
}

impl Inner {
    pub(super) async fn read_console(self: &Arc<Self>, agent: &Arc<Agent>, state: State) {
        let running = matches!(state, State::Running | State::Stopping | State::Starting);
        let (live, fresh) = {
            let c = agent.console();
            (c.live, c.fresh)
        };
        if !running && !live && !fresh {
            return;
        }
        let Ok(log) = self.logs.agent(agent.id) else {
            return;
        };
        let path = format!("/1.0/instances/{}/console", agent.container);
        let Ok(bytes) = self.rest.get_raw(&path).await else {
            return;
        };
        let mut console = agent.console();
        if running {
            console.live = true;
            console.fresh = false;
            console.feed(&log, &bytes, MAX_LINE);
        } else {
            let tail = std::mem::take(&mut console.tail);
            // When the last bytes read are not in it, this is not the file that follows them:
            // the container started again since the state was read, and this is the new
            // run's output (or a fresh run's whole file): all of it is new.
            match after_tail(&bytes, &tail).filter(|_| console.live) {
                Some(rest) => {
                    let rest = rest.to_vec();
                    console.feed(&log, &rest, MAX_LINE);
                    console.close(&log);
                }
                None => {
                    console.close(&log);
                    console.feed(&log, &bytes, MAX_LINE);
                }
            }
        }
        log.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::logs::{LogLimits, LogQuery};

    #[test]
    fn lines_split_across_reads_are_joined_and_floods_are_cut() {
        let dir = tempfile::tempdir().unwrap();
        let limits = LogLimits {
            max_line_bytes: 8,
            ..LogLimits::default()
        };
        let log = AgentLog::open(dir.path(), limits).unwrap();
        let mut c = Console::default();
        c.feed(&log, b"one\r\ntw", 8);
        c.feed(&log, b"o\n", 8);
        c.feed(&log, &vec![b'x'; 100_000], 8);
        assert!(c.partial.len() <= 8 && c.tail.len() <= TAIL);
        c.feed(&log, b"\nend", 8);
        c.close(&log);
        let lines: Vec<String> = log
            .query(&LogQuery::default())
            .into_iter()
            .map(|l| l.line)
            .collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(&lines[..2], ["one", "two"]);
        assert!(lines[2].starts_with("xxx"), "{lines:?}");
        assert_eq!(lines[3], "end");
    }

    #[test]
    fn after_a_stop_only_what_follows_the_last_read_is_taken() {
        assert_eq!(
            after_tail(b"old\nrun a\nrun b\nlast\n", b"run b\n"),
            Some(&b"last\n"[..])
        );
        assert_eq!(after_tail(b"abc", b""), None);
        assert_eq!(after_tail(b"abc", b"zz"), None);
    }
}
