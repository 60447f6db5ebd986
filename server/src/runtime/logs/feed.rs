//! Reading an agent's output stream into its log, line by line, in bounded memory: a line
//! longer than the bound is cut and the rest of it dropped, however long it goes on.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use super::{AgentLog, Stream};

const READ_BUFFER: usize = 64 * 1024;

/// Feeds `reader` into `log` until end of file (or a read error), then returns the
/// number of lines stored. Buffered lines reach the file whenever the reader has nothing
/// more for the moment, so a quiet agent's lines are on disk at once.
pub async fn feed(reader: impl AsyncRead + Unpin, stream: Stream, log: Arc<AgentLog>) -> u64 {
    let max = log.limits.max_line_bytes.max(1);
    let mut reader = BufReader::with_capacity(READ_BUFFER, reader);
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let mut truncated = false;
    let mut stored = 0u64;
    let mut unflushed = false;
    loop {
        let buf = match reader.fill_buf().await {
            Ok([]) | Err(_) => break,
            Ok(buf) => buf,
        };
        let (chunk, end_of_line) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        let room = max.saturating_sub(line.len());
        if chunk.len() > room {
            truncated = true;
        }
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = end_of_line.unwrap_or(buf.len());
        reader.consume(used);
        if end_of_line.is_some() {
            log.append(stream, &line, truncated);
            stored += 1;
            unflushed = true;
            line.clear();
            truncated = false;
        }
        if unflushed && reader.buffer().is_empty() {
            log.flush();
            unflushed = false;
        }
    }
    if !line.is_empty() || truncated {
        log.append(stream, &line, truncated);
        stored += 1;
    }
    log.flush();
    stored
}
