//! One agent's NDJSON files: `agent.ndjson` (being written) and `agent.ndjson.1` …
//! `agent.ndjson.{count-1}` (older), rotated by size so a flood cannot fill the disk.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::{LogLine, LogQuery};

const CURRENT: &str = "agent.ndjson";
/// Small: every agent's log keeps its buffer while open, which is for as long as taosd runs
/// (64 KiB was 13 MB for 200 agents), and a flood is flushed after each pipe read anyway.
const WRITE_BUFFER: usize = 8 * 1024;
/// Enough to hold the last whole line: a line's JSON is at most ~6× its text (`\u00XX`).
const TAIL_WINDOW: u64 = 256 * 1024;
/// A stored line longer than this is not ours (tampered or corrupt): skipped when reading.
const MAX_STORED_LINE: usize = 1024 * 1024;

pub(super) struct LogFiles {
    dir: PathBuf,
    max_bytes: u64,
    count: usize,
    writer: Option<BufWriter<File>>,
    /// Bytes in the current file, buffered ones included.
    size: u64,
    /// The current file ends without a newline (a write cut short): start with one.
    needs_newline: bool,
    warned: bool,
}

fn private_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .mode(0o600)
        .open(path)
}

impl LogFiles {
    /// Opens (creating) the agent's log directory and current file; also answers the
    /// last `seq` written there by an earlier run.
    pub fn open(dir: &Path, max_bytes: u64, count: usize) -> io::Result<(Self, Option<u64>)> {
        fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let current = dir.join(CURRENT);
        let mut file = private_file(&current)?;
        let size = file.metadata()?.len();
        let needs_newline = size > 0 && last_byte(&mut file)? != Some(b'\n');
        let mut last_seq = last_seq_in(&mut file)?;
        if last_seq.is_none() {
            for i in 1..count {
                if let Ok(mut older) = File::open(rotated(dir, i)) {
                    last_seq = last_seq_in(&mut older)?;
                    break;
                }
            }
        }
        let files = Self {
            dir: dir.to_path_buf(),
            max_bytes,
            count,
            writer: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            size,
            needs_newline,
            warned: false,
        };
        Ok((files, last_seq))
    }

    pub fn write(&mut self, line: &LogLine) {
        let mut json = match serde_json::to_vec(line) {
            Ok(json) => json,
            Err(_) => return,
        };
        json.push(b'\n');
        if self.size > 0 && self.size + json.len() as u64 > self.max_bytes {
            let rotated = self.rotate();
            self.report(rotated);
        }
        let written = match self.writer.as_mut() {
            Some(w) => {
                let nl: &[u8] = if self.needs_newline { b"\n" } else { b"" };
                w.write_all(nl).and_then(|()| w.write_all(&json))
            }
            None => Err(io::Error::other("the log file could not be reopened")),
        };
        if written.is_ok() {
            self.size += json.len() as u64 + u64::from(self.needs_newline);
            self.needs_newline = false;
        }
        self.report(written);
    }

    pub fn flush(&mut self) {
        let flushed = self.writer.as_mut().map_or(Ok(()), |w| w.flush());
        self.report(flushed);
    }

    /// The files as they are now, oldest first, open for reading (a rotation that renames
    /// them meanwhile does not disturb the reader).
    pub fn snapshot(&self) -> Vec<File> {
        (1..self.count)
            .rev()
            .map(|i| rotated(&self.dir, i))
            .chain([self.dir.join(CURRENT)])
            .filter_map(|p| File::open(p).ok())
            .collect()
    }

    fn rotate(&mut self) -> io::Result<()> {
        if let Some(mut w) = self.writer.take() {
            w.flush()?;
        }
        let oldest = rotated(&self.dir, self.count.saturating_sub(1).max(1));
        let _ = fs::remove_file(&oldest);
        for i in (1..self.count.saturating_sub(1)).rev() {
            let _ = fs::rename(rotated(&self.dir, i), rotated(&self.dir, i + 1));
        }
        let current = self.dir.join(CURRENT);
        if self.count > 1 {
            fs::rename(&current, rotated(&self.dir, 1))?;
        } else {
            fs::remove_file(&current)?;
        }
        self.writer = Some(BufWriter::with_capacity(WRITE_BUFFER, private_file(&current)?));
        self.size = 0;
        self.needs_newline = false;
        Ok(())
    }

    /// A disk error is said once per log (a flood would repeat it per line); the ring and
    /// followers go on working.
    fn report(&mut self, result: io::Result<()>) {
        if let Err(e) = result
            && !self.warned
        {
            self.warned = true;
            tracing::warn!(dir = %self.dir.display(), "cannot write an agent's log file: {e}");
        }
    }
}

fn rotated(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("{CURRENT}.{i}"))
}

fn last_byte(file: &mut File) -> io::Result<Option<u8>> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(None);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut b = [0u8];
    file.read_exact(&mut b)?;
    Ok(Some(b[0]))
}

/// The `seq` of the last complete, parseable line of `file`.
fn last_seq_in(file: &mut File) -> io::Result<Option<u64>> {
    let len = file.metadata()?.len();
    let start = len.saturating_sub(TAIL_WINDOW);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.take(TAIL_WINDOW).read_to_end(&mut tail)?;
    Ok(tail
        .split(|&b| b == b'\n')
        .rev()
        .filter_map(|l| serde_json::from_slice::<LogLine>(l).ok())
        .map(|l| l.seq)
        .next())
}

/// Reads the lines `q` asks for from `files` (oldest first), at most `cap` of them, none
/// from `end` on (written after the query began).
pub(super) fn read(files: Vec<File>, q: &LogQuery, cap: usize, end: u64) -> Vec<LogLine> {
    let mut out = VecDeque::new();
    let mut buf = Vec::new();
    for mut file in files {
        // A follower's catch-up: a file that ends before the lines it wants is not read.
        if let Some(after) = q.after_seq
            && last_seq_in(&mut file)
                .ok()
                .flatten()
                .is_some_and(|last| last <= after)
        {
            continue;
        }
        let from = q.after_seq.map_or(0, |after| seek_point(&mut file, after));
        if file.seek(SeekFrom::Start(from)).is_err() {
            continue;
        }
        let mut reader = BufReader::new(file);
        if from > 0 {
            // The rest of a line older than the wanted ones.
            skip_line(&mut reader);
        }
        loop {
            buf.clear();
            match (&mut reader)
                .take(MAX_STORED_LINE as u64 + 1)
                .read_until(b'\n', &mut buf)
            {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if buf.last() != Some(&b'\n') && buf.len() > MAX_STORED_LINE {
                skip_line(&mut reader);
                continue;
            }
            // Lines are in `seq` order: those before the wanted ones are skipped by their
            // `seq` alone (a full parse of each, timestamp and all, made a follower's
            // catch-up cost the whole file's parse every 1000 lines).
            match leading_seq(&buf) {
                Some(seq) if seq >= end => return out.into(),
                Some(seq) if q.after_seq.is_some_and(|after| seq <= after) => continue,
                _ => {}
            }
            let Ok(line) = serde_json::from_slice::<LogLine>(&buf) else {
                continue;
            };
            if line.seq >= end {
                return out.into();
            }
            if !q.matches(&line) {
                continue;
            }
            out.push_back(line);
            if out.len() > cap {
                if q.tail.is_none() {
                    out.pop_back();
                    return out.into();
                }
                out.pop_front();
            }
        }
    }
    out.into()
}

/// Below this many bytes, a search for a `seq` reads on instead of bisecting.
const SCAN: u64 = 64 * 1024;

/// A byte offset of `file` from which reading on (after the rest of the line it falls in)
/// misses no line after `after`: bisects on the `seq` of the first whole line after a point,
/// so a follower's catch-up reads about a 64 KiB stretch, not the whole file, to find its
/// place.
fn seek_point(file: &mut File, after: u64) -> u64 {
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return 0;
    };
    let (mut lo, mut hi) = (0u64, len);
    while hi - lo > SCAN {
        let mid = lo + (hi - lo) / 2;
        match seq_after(file, mid) {
            Some(seq) if seq <= after => lo = mid,
            _ => hi = mid,
        }
    }
    lo
}

/// The `seq` of the first whole line that starts after byte `pos` of `file`.
fn seq_after(file: &mut File, pos: u64) -> Option<u64> {
    file.seek(SeekFrom::Start(pos)).ok()?;
    let mut reader = BufReader::with_capacity(4096, file);
    skip_line(&mut reader);
    let mut line = Vec::new();
    (&mut reader)
        .take(MAX_STORED_LINE as u64 + 1)
        .read_until(b'\n', &mut line)
        .ok()?;
    leading_seq(&line)
}

/// The `seq` of a stored line, read from its start as this module writes it
/// (`{"seq":N,…`); None for any other shape (then the line is parsed whole).
fn leading_seq(line: &[u8]) -> Option<u64> {
    let rest = line.strip_prefix(b"{\"seq\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if rest.get(digits) != Some(&b',') {
        return None;
    }
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

fn skip_line(reader: &mut impl BufRead) {
    loop {
        let (done, used) = match reader.fill_buf() {
            Ok([]) | Err(_) => return,
            Ok(buf) => match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (true, i + 1),
                None => (false, buf.len()),
            },
        };
        reader.consume(used);
        if done {
            return;
        }
    }
}
