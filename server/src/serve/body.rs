//! The bodies of a served request: the request's, which must arrive within the body timeout
//! (else reading it fails, the handler drops what it buffered, and the answer becomes
//! `408 request_timeout`), and the answer's, whose end tells the connection it is idle.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::{Instant, Sleep};

use super::io::ConnState;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body with a deadline for its last byte.
pub struct TimedBody {
    inner: Incoming,
    deadline: Instant,
    /// Made on the first wait only: most bodies are already there.
    timer: Option<Pin<Box<Sleep>>>,
    seen: Arc<BodySeen>,
}

/// What became of a request's body, for the service once the answer is made.
#[derive(Debug, Default)]
pub struct BodySeen {
    /// It did not arrive in full by its deadline.
    pub timed_out: AtomicBool,
    /// It was read to its end (at once for a request without one).
    pub ended: AtomicBool,
}

impl TimedBody {
    /// `inner`, due by `deadline`; `seen` records whether it was late or read to its end.
    pub fn new(inner: Incoming, deadline: Instant, seen: Arc<BodySeen>) -> Self {
        if inner.is_end_stream() {
            seen.ended.store(true, Ordering::Release);
        }
        TimedBody {
            inner,
            deadline,
            timer: None,
            seen,
        }
    }
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            if frame.is_none() || this.inner.is_end_stream() {
                this.seen.ended.store(true, Ordering::Release);
            }
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.seen.timed_out.store(true, Ordering::Release);
        Poll::Ready(Some(Err("the request body did not arrive in time".into())))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// An answer's body that marks its connection idle when it is done (dropped by hyper).
pub struct AnswerBody {
    inner: Body,
    state: Arc<ConnState>,
}

impl AnswerBody {
    pub fn new(inner: Body, state: Arc<ConnState>) -> Self {
        AnswerBody { inner, state }
    }
}

impl Drop for AnswerBody {
    fn drop(&mut self) {
        self.state.request_answered();
    }
}

impl http_body::Body for AnswerBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
