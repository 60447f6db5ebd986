//! Agents' logs, the same for every backend: each line gets a `seq` (growing across agent
//! and taosd restarts), a timestamp and its stream; it is redacted of the agent's secrets,
//! cut at a bound, appended to the agent's size-rotated NDJSON files, kept in a bounded
//! in-memory ring for `tail`, and broadcast to followers, who resume from a `seq` (reading
//! the files when the ring no longer holds it).

mod feed;
mod files;
mod follow;
mod redact;
mod ring;

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

pub use feed::feed;
pub use follow::Follower;
pub use redact::REDACTED;

use files::LogFiles;
use ring::Ring;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub seq: u64,
    pub ts: DateTime<Utc>,
    pub stream: Stream,
    pub line: String,
}

/// A line as its followers get it: one allocation shared by all of them, with a slot for the
/// line's wire form, made by the first follower that sends the line and reused by the others
/// (100 followers of an agent writing 10 000 lines a second rendered a million lines a
/// second). What the wire form is, is the follower's business, not the log's.
#[derive(Debug)]
pub struct SharedLine {
    bare: Arc<LogLine>,
    wire: OnceLock<bytes::Bytes>,
}

impl SharedLine {
    fn new(bare: Arc<LogLine>) -> Self {
        Self {
            bare,
            wire: OnceLock::new(),
        }
    }

    /// A line read back (from the ring or the files) for one follower: its wire form is
    /// not shared.
    pub fn alone(line: LogLine) -> Arc<Self> {
        Arc::new(Self::new(Arc::new(line)))
    }

    /// The line's wire form: `render`'s answer, rendered once for every follower.
    pub fn wire(&self, render: impl FnOnce(&LogLine) -> bytes::Bytes) -> bytes::Bytes {
        self.wire.get_or_init(|| render(&self.bare)).clone()
    }
}

impl std::ops::Deref for SharedLine {
    type Target = LogLine;

    fn deref(&self) -> &LogLine {
        &self.bare
    }
}

/// Bounds on what one agent's logs may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLimits {
    /// Lines kept in memory for `tail` and followers…
    pub ring_lines: usize,
    /// …and the bytes they may hold in all.
    pub ring_bytes: usize,
    /// A longer line is cut here (and marked with `…`).
    pub max_line_bytes: usize,
    /// A file is rotated before it grows past this.
    pub file_bytes: u64,
    /// Files kept: the current one and `files - 1` rotated ones; the oldest is deleted.
    pub files: usize,
    /// Lines a slow follower may fall behind before it re-reads from the ring or files.
    pub follow_buffer: usize,
}

impl Default for LogLimits {
    fn default() -> Self {
        Self {
            ring_lines: 1000,
            ring_bytes: 256 * 1024,
            max_line_bytes: 16 * 1024,
            file_bytes: 8 * 1024 * 1024,
            files: 4,
            follow_buffer: 256,
        }
    }
}

/// Most secrets masked per agent.
pub const MAX_SECRETS: usize = 64;

/// Most lines one query answers.
pub const MAX_QUERY_LINES: usize = 10_000;

/// Which lines a query wants; every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    /// The last `tail` matching lines (without it: the first matching ones).
    pub tail: Option<usize>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub stream: Option<Stream>,
    /// Only lines after this `seq` (a follower's resume point).
    pub after_seq: Option<u64>,
    /// At most this many lines (capped at [`MAX_QUERY_LINES`]).
    pub limit: Option<usize>,
}

impl LogQuery {
    fn matches(&self, line: &LogLine) -> bool {
        self.stream.is_none_or(|s| s == line.stream)
            && self.since.is_none_or(|t| line.ts >= t)
            && self.until.is_none_or(|t| line.ts <= t)
            && self.after_seq.is_none_or(|s| line.seq > s)
    }

    fn cap(&self) -> usize {
        self.limit
            .unwrap_or(MAX_QUERY_LINES)
            .min(self.tail.unwrap_or(MAX_QUERY_LINES))
            .min(MAX_QUERY_LINES)
    }
}

/// The log stores of every agent, under `<dir>/<agent id>/logs/`.
pub struct Logs {
    dir: PathBuf,
    limits: LogLimits,
    open: Mutex<HashMap<Uuid, Arc<AgentLog>>>,
}

impl Logs {
    pub fn new(dir: impl Into<PathBuf>, limits: LogLimits) -> Self {
        Self {
            dir: dir.into(),
            limits,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The agent's log, opened (and its last `seq` read back from its files) on first use.
    pub fn agent(&self, agent_id: Uuid) -> io::Result<Arc<AgentLog>> {
        let mut open = lock(&self.open);
        if let Some(log) = open.get(&agent_id) {
            return Ok(log.clone());
        }
        let dir = self.dir.join(agent_id.to_string()).join("logs");
        let log = Arc::new(AgentLog::open(&dir, self.limits)?);
        open.insert(agent_id, log.clone());
        Ok(log)
    }

    /// Closes the agent's files (they stay on disk); the next use opens them again.
    pub fn close(&self, agent_id: Uuid) {
        if let Some(log) = lock(&self.open).remove(&agent_id) {
            log.flush();
        }
    }
}

/// One agent's log.
pub struct AgentLog {
    limits: LogLimits,
    inner: Mutex<Inner>,
    /// The ring keeps the bare lines and the broadcast the shared ones, so a rendered wire
    /// form lives only as long as the broadcast's buffer holds its line.
    followers: broadcast::Sender<Arc<SharedLine>>,
}

struct Inner {
    next_seq: u64,
    files: LogFiles,
    ring: Ring,
    /// Secrets in the order they were added (oldest first)…
    added: Vec<String>,
    /// …and longest first, as they are masked.
    secrets: Vec<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a log lock leaves consistent data (each step completes or not).
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AgentLog {
    pub fn open(dir: &Path, limits: LogLimits) -> io::Result<Self> {
        let (files, last_seq) = LogFiles::open(dir, limits.file_bytes, limits.files.max(1))?;
        let next_seq = last_seq.map_or(0, |s| s + 1);
        Ok(Self {
            limits,
            inner: Mutex::new(Inner {
                next_seq,
                files,
                ring: Ring::new(limits.ring_lines, limits.ring_bytes, next_seq),
                added: Vec::new(),
                secrets: Vec::new(),
            }),
            followers: broadcast::channel(limits.follow_buffer.max(1)).0,
        })
    }

    /// Adds values to redact from every line stored from now on (an agent's token, its
    /// other credentials). Secrets are kept when a token is re-issued, so an old one is
    /// masked too; the most recent [`MAX_SECRETS`] count. Values shorter than 4 characters
    /// are ignored: masking those would garble every line and protect nothing.
    pub fn add_secrets(&self, secrets: impl IntoIterator<Item = String>) {
        let mut inner = lock(&self.inner);
        for secret in secrets.into_iter().filter(|s| s.len() >= redact::MIN_SECRET) {
            inner.added.retain(|s| *s != secret);
            inner.added.push(secret);
        }
        let excess = inner.added.len().saturating_sub(MAX_SECRETS);
        inner.added.drain(..excess);
        let mut masks = inner.added.clone();
        // Longest first, so a secret containing another is masked whole.
        masks.sort_by_key(|s| std::cmp::Reverse(s.len()));
        inner.secrets = masks;
    }

    /// Stores one line (without its newline). `truncated`: the reader already cut it.
    pub fn append(&self, stream: Stream, raw: &[u8], truncated: bool) -> u64 {
        let text = String::from_utf8_lossy(raw.strip_suffix(b"\r").unwrap_or(raw));
        let mut inner = lock(&self.inner);
        let line = redact::clean(&text, truncated, &inner.secrets, self.limits.max_line_bytes);
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let line = Arc::new(LogLine {
            seq,
            ts: Utc::now(),
            stream,
            line,
        });
        inner.files.write(&line);
        inner.ring.push(line.clone());
        // Sent under the lock, so followers see lines in `seq` order; none listening is fine.
        if self.followers.receiver_count() > 0 {
            let _ = self.followers.send(Arc::new(SharedLine::new(line)));
        }
        seq
    }

    /// Writes buffered lines to the file (after a burst; readers flush for themselves).
    pub fn flush(&self) {
        lock(&self.inner).files.flush();
    }

    /// The `seq` the next line will get.
    pub fn next_seq(&self) -> u64 {
        lock(&self.inner).next_seq
    }

    /// The lines `q` asks for, oldest first: from the ring when it holds them all, else
    /// from the files.
    pub fn query(&self, q: &LogQuery) -> Vec<LogLine> {
        let cap = q.cap();
        let (files, end) = {
            let mut inner = lock(&self.inner);
            if let Some(lines) = inner.ring.answer(q, cap) {
                return lines;
            }
            inner.files.flush();
            (inner.files.snapshot(), inner.next_seq)
        };
        files::read(files, q, cap, end)
    }

    /// Follows the log from after `after_seq` (every line still on disk since then), or
    /// from the next line when None.
    pub fn follow(self: &Arc<Self>, after_seq: Option<u64>, stream: Option<Stream>) -> Follower {
        let inner = lock(&self.inner);
        let rx = self.followers.subscribe();
        let next = after_seq.map_or(inner.next_seq, |s| s.saturating_add(1).min(inner.next_seq));
        drop(inner);
        Follower::new(self.clone(), rx, next, stream)
    }

    /// Bytes of lines held in memory (for tests and metrics).
    pub fn ring_bytes(&self) -> usize {
        lock(&self.inner).ring.bytes()
    }
}

#[cfg(test)]
mod tests;
