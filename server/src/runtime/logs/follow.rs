//! Following one agent's log: every line in `seq` order, none twice, none missed while it
//! is still on disk — a follower that falls behind the broadcast reads back from the ring
//! or the files instead of losing lines.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::{AgentLog, LogLine, LogQuery, SharedLine, Stream};

/// Lines read back per catch-up.
const CATCH_UP: usize = 1000;

pub struct Follower {
    log: Arc<AgentLog>,
    rx: Receiver<Arc<SharedLine>>,
    /// The `seq` this follower needs next.
    next: u64,
    stream: Option<Stream>,
    backlog: VecDeque<Arc<SharedLine>>,
    /// Lines from `next` on may be missing from `rx` (a resume, a lag): compare with the
    /// log's next `seq` and read back. Checked only then, not per line: that takes the
    /// log's lock, which the writer holds for each line (100 followers of a flood made it a
    /// million lock round trips a second).
    behind: bool,
}

impl Follower {
    pub(super) fn new(
        log: Arc<AgentLog>,
        rx: Receiver<Arc<SharedLine>>,
        next: u64,
        stream: Option<Stream>,
    ) -> Self {
        Self {
            log,
            rx,
            next,
            stream,
            backlog: VecDeque::new(),
            behind: true,
        }
    }

    /// The `seq` of the next line this follower will return (or skip, if filtered out).
    pub fn position(&self) -> u64 {
        self.next
    }

    /// The next line; waits for the agent to write one. Lines gone from disk before this
    /// follower read them (rotated away) are skipped: it continues from the oldest kept.
    /// Cancel-safe: a line is taken from the broadcast or the backlog only when returned.
    pub async fn next(&mut self) -> Option<Arc<SharedLine>> {
        loop {
            if let Some(line) = self.backlog.pop_front() {
                self.next = line.seq + 1;
                if self.wanted(&line) {
                    return Some(line);
                }
                continue;
            }
            if self.behind {
                if self.next < self.log.next_seq() {
                    self.catch_up();
                    continue;
                }
                // Every line from `next` on is still to come through `rx` (subscribed
                // before `next` was taken), unless it lags, which it says.
                self.behind = false;
            }
            match self.rx.recv().await {
                Ok(line) if line.seq == self.next => {
                    self.next += 1;
                    if self.wanted(&line) {
                        return Some(line);
                    }
                }
                // Already read back from the ring or the files.
                Ok(line) if line.seq < self.next => {}
                // A gap, or too slow for the broadcast: the loop reads back what is missing.
                Ok(_) | Err(RecvError::Lagged(_)) => self.behind = true,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    fn wanted(&self, line: &LogLine) -> bool {
        self.stream.is_none_or(|s| s == line.stream)
    }

    fn catch_up(&mut self) {
        let q = LogQuery {
            after_seq: self.next.checked_sub(1),
            limit: Some(CATCH_UP),
            ..LogQuery::default()
        };
        let lines = self.log.query(&q);
        match lines.first() {
            Some(_) => self.backlog.extend(lines.into_iter().map(SharedLine::alone)),
            // Nothing kept from `next` up to now: continue from the present.
            None => self.next = self.log.next_seq(),
        }
    }
}
