//! One accepted TCP connection as hyper sees it, with the timeouts hyper does not have:
//! the head of a request must arrive within the header timeout, a kept-alive connection may
//! wait the idle timeout for its next request. While a request is being served (from its head
//! to the end of its answer, see [`ConnState`]) no read deadline applies: the body has its own
//! ([`super::body`]) and a handler may take its time.
//!
//! It also gives hyper's own rejections the canonical body: hyper answers a request it cannot
//! parse (400, 414, 431) by itself with an empty body, before any of our code sees it. Those
//! answers are recognised by their shape (one of those statuses, `content-length: 0`, no
//! `content-type`: every answer of ours is canonical JSON) and replaced on the way out; the
//! connection then closes lingering, reading what the client still sends for a moment, so that
//! the client gets the answer instead of a reset. So does a connection whose last request was
//! answered before its body was read to the end (a `413` for a body over the limit): a client
//! still sending would otherwise see a reset instead of the answer.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use crate::errors::{self, Error};

/// How long a closing connection keeps reading (and discarding) what the client still sends.
const LINGER: Duration = Duration::from_secs(2);
/// At most this much is read while lingering: a client sending more than this past an answer
/// sees a reset.
const LINGER_BYTES: usize = 8 << 20;

const WAITING: u8 = 0;
const BUSY: u8 = 1;
const ANSWERED: u8 = 2;

/// Whether a connection is serving a request, shared between its IO and its service.
#[derive(Debug, Default)]
pub struct ConnState {
    phase: AtomicU8,
    /// hyper's read of this connection, waiting while a request is served: woken when the
    /// answer is done, so that the idle timeout starts then, not at the next wake-up.
    reader: AtomicWaker,
    /// A request was answered before its body was read to the end: close by lingering.
    unread_body: AtomicBool,
}

impl ConnState {
    /// A request's head has arrived: no read deadline until it is answered.
    pub fn request_started(&self) {
        self.phase.store(BUSY, Ordering::Release);
        // hyper reads the rest of an earlier body before it takes the next request.
        self.unread_body.store(false, Ordering::Release);
    }

    /// The answer's last byte went to hyper: the idle timeout starts.
    pub fn request_answered(&self) {
        self.phase.store(ANSWERED, Ordering::Release);
        self.reader.wake();
    }

    /// The request being answered was not read to its end: the client may still be sending.
    pub fn body_left_unread(&self) {
        self.unread_body.store(true, Ordering::Release);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deadline {
    /// Serving a request (or closing): none.
    None,
    /// Waiting for the first byte of the next request.
    Idle,
    /// Waiting for the rest of a request's head.
    Head,
}

/// The IO half of a connection; see the module docs.
pub struct TimedIo {
    stream: TcpStream,
    state: Arc<ConnState>,
    header_timeout: Duration,
    idle_timeout: Duration,
    deadline: Deadline,
    timer: Pin<Box<Sleep>>,
    /// A replacement answer still to be written, and how much of it was.
    pending: Vec<u8>,
    pending_written: usize,
    /// Close by lingering (see the module docs).
    linger: bool,
    /// Lingering: our side is shut, the client's is being read to its end.
    fin_sent: bool,
    /// Bytes read and dropped while lingering, over every poll of it.
    discarded: usize,
}

impl TimedIo {
    /// A connection just accepted: its first request's head is due within `header_timeout`.
    pub fn new(
        stream: TcpStream,
        state: Arc<ConnState>,
        header_timeout: Duration,
        idle_timeout: Duration,
    ) -> Self {
        TimedIo {
            stream,
            state,
            header_timeout,
            idle_timeout,
            deadline: Deadline::Head,
            timer: Box::pin(tokio::time::sleep(header_timeout)),
            pending: Vec::new(),
            pending_written: 0,
            linger: false,
            fin_sent: false,
            discarded: 0,
        }
    }

    /// Close by lingering even without a replaced answer (an answer sent without reading the
    /// request, as to a connection over the cap).
    pub fn lingering(mut self) -> Self {
        self.linger = true;
        self
    }

    fn arm(&mut self, deadline: Deadline, after: Duration) {
        self.deadline = deadline;
        self.timer.as_mut().reset(Instant::now() + after);
    }

    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pending_written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.stream).poll_write(cx, &self.pending[self.pending_written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending_written += n;
        }
        Poll::Ready(Ok(()))
    }

    /// When `buf` starts with one of hyper's own rejections: replaces it, returning how many
    /// bytes of `buf` it was.
    fn replace_rejection(&mut self, buf: &[u8]) -> Option<usize> {
        let kind = rejection(buf)?;
        let head_len = find(buf, b"\r\n\r\n")? + 4;
        let detail = match kind.status {
            400 => "The request is not valid HTTP/1.1.",
            414 => "The request's path and query are too long.",
            _ => "The request line and headers are too large.",
        };
        self.pending = answer(kind.status, &Error::new(kind, detail));
        self.pending_written = 0;
        self.linger = true;
        Some(head_len)
    }
}

/// The catalog entry for hyper's automatic answer at the start of `buf`, if it is one.
fn rejection(buf: &[u8]) -> Option<&'static errors::Kind> {
    let kind = match buf.get(..13)? {
        b"HTTP/1.1 400 " => &errors::MALFORMED_REQUEST,
        b"HTTP/1.1 414 " => &errors::URI_TOO_LONG,
        b"HTTP/1.1 431 " => &errors::HEADERS_TOO_LARGE,
        _ => return None,
    };
    let head = &buf[..find(buf, b"\r\n\r\n")?];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    (head.contains("\r\ncontent-length: 0") && !head.contains("\r\ncontent-type:")).then_some(kind)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A whole HTTP/1.1 answer with the canonical body, closing the connection.
pub fn answer(status: u16, error: &Error) -> Vec<u8> {
    let body = errors::error_body(error).to_string();
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-request-id: {}\r\nconnection: close\r\n\r\n{body}",
        body.len(),
        uuid::Uuid::new_v4()
    )
    .into_bytes()
}

impl AsyncRead for TimedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.state.phase.load(Ordering::Acquire) {
            BUSY => {
                this.deadline = Deadline::None;
                this.state.reader.register(cx.waker());
                if this.state.phase.load(Ordering::Acquire) != BUSY {
                    // Answered meanwhile: read again, as the answered connection it now is.
                    cx.waker().wake_by_ref();
                }
            }
            ANSWERED => {
                this.state.phase.store(WAITING, Ordering::Release);
                this.arm(Deadline::Idle, this.idle_timeout);
            }
            _ => {}
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if this.deadline == Deadline::Idle && buf.filled().len() > before {
                    this.arm(Deadline::Head, this.header_timeout);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if this.deadline == Deadline::None || this.timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let late = std::mem::replace(&mut this.deadline, Deadline::None);
                match late {
                    // An idle connection ends as if the client had closed it.
                    Deadline::Idle => Poll::Ready(Ok(())),
                    _ => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the request's head did not arrive in time",
                    ))),
                }
            }
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(n) = self.replace_rejection(buf) {
            return Poll::Ready(Ok(n));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(first) = bufs.iter().find(|b| !b.is_empty())
            && let Some(n) = self.replace_rejection(first)
        {
            return Poll::Ready(Ok(n));
        }
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        let this = &mut *self;
        if !this.linger && !this.state.unread_body.load(Ordering::Acquire) {
            return Pin::new(&mut this.stream).poll_shutdown(cx);
        }
        if !this.fin_sent {
            // Send FIN, then read until the client closes too, or LINGER.
            ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
            this.arm(Deadline::None, LINGER);
            this.fin_sent = true;
        }
        let mut scratch = [0u8; 16 * 1024];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() && this.discarded < LINGER_BYTES => {
                    this.discarded += buf.filled().len();
                }
                Poll::Pending if this.timer.as_mut().poll(cx).is_pending() => return Poll::Pending,
                _ => return Poll::Ready(Ok(())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_bare_rejections_are_replaced() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(rejection(bare), Some(&errors::HEADERS_TOO_LARGE));
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(rejection(bare), Some(&errors::MALFORMED_REQUEST));
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(rejection(ours), None);
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 90\r\n\r\n{}";
        assert_eq!(rejection(ours), None);
        assert_eq!(rejection(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"), None);
        assert_eq!(rejection(b"HTTP/1.1 431 "), None);
    }

    #[test]
    fn answers_are_whole_and_canonical() {
        let text =
            String::from_utf8(answer(503, &Error::new(&errors::TOO_MANY_CONNECTIONS, "busy"))).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"], "too_many_connections");
    }
}
