//! The last lines of one agent, bounded by count and by bytes, whatever the agent writes.

use std::collections::VecDeque;
use std::sync::Arc;

use super::{LogLine, LogQuery};

/// Per-line bookkeeping counted against the byte bound besides the text.
const LINE_OVERHEAD: usize = 64;

pub(super) struct Ring {
    lines: VecDeque<Arc<LogLine>>,
    max_lines: usize,
    max_bytes: usize,
    bytes: usize,
    /// Every line from this `seq` on is here (older ones, if any, only on disk).
    covered_from: u64,
}

fn cost(line: &LogLine) -> usize {
    line.line.len() + LINE_OVERHEAD
}

impl Ring {
    pub fn new(max_lines: usize, max_bytes: usize, next_seq: u64) -> Self {
        Self {
            lines: VecDeque::new(),
            max_lines: max_lines.max(1),
            max_bytes,
            bytes: 0,
            covered_from: next_seq,
        }
    }

    pub fn push(&mut self, line: Arc<LogLine>) {
        self.bytes += cost(&line);
        self.lines.push_back(line);
        while self.lines.len() > self.max_lines || (self.bytes > self.max_bytes && self.lines.len() > 1) {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= cost(&old);
                self.covered_from = old.seq + 1;
            }
        }
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The answer to `q` (at most `cap` lines) if the ring alone can give it: no line it
    /// lacks could match.
    pub fn answer(&self, q: &LogQuery, cap: usize) -> Option<Vec<LogLine>> {
        // The ring's `seq`s run on by one: a follower's catch-up starts at its place at once
        // (it filtered all 1000 lines, under the log's lock, per catch-up).
        let skip = match (q.after_seq, self.lines.front()) {
            (Some(after), Some(first)) => usize::try_from(after.saturating_add(1).saturating_sub(first.seq))
                .unwrap_or(usize::MAX)
                .min(self.lines.len()),
            _ => 0,
        };
        let matching = self.lines.range(skip..).filter(|l| q.matches(l));
        if q.tail.is_some() {
            let mut last: Vec<LogLine> = matching.rev().take(cap).map(|l| (**l).clone()).collect();
            if last.len() < cap && !self.holds_all_candidates(q) {
                return None;
            }
            last.reverse();
            return Some(last);
        }
        if !self.holds_all_candidates(q) {
            return None;
        }
        Some(matching.take(cap).map(|l| (**l).clone()).collect())
    }

    /// Whether every line older than the ring is excluded by `q`'s lower bounds.
    fn holds_all_candidates(&self, q: &LogQuery) -> bool {
        if self.covered_from == 0 {
            return true;
        }
        let after_covered = q
            .after_seq
            .is_some_and(|s| s.saturating_add(1) >= self.covered_from);
        // Older lines are no later than the ring's first one (timestamps grow with seq).
        let since_covered = match (q.since, self.lines.front()) {
            (Some(since), Some(first)) => since > first.ts,
            _ => false,
        };
        after_covered || since_covered
    }
}
