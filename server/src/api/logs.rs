//! Agents' logs: NDJSON for reading, server-sent events for following. HTTP ↔ domain for the
//! operations tagged `logs`.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use bytes::{BufMut, Bytes, BytesMut};
use taos_api::server::{self as wire, LogsApi};
use tokio::time::Instant;

use super::{Api, Res, convert};
use crate::auth::Ctx;
use crate::domain::logs::{self, Followed};
use crate::errors::{self, Error};
use crate::runtime::logs::{LogLine, LogQuery, Stream};

/// A comment goes out after this long without an event, so proxies keep the stream open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A burst of events goes out as one write of about this many bytes at most.
const WRITE_BYTES: usize = 64 * 1024;

fn stream(s: Option<&str>) -> Option<Stream> {
    match s {
        Some("stdout") => Some(Stream::Stdout),
        Some("stderr") => Some(Stream::Stderr),
        _ => None,
    }
}

fn time(name: &str, v: Option<&str>) -> Res<Option<chrono::DateTime<chrono::Utc>>> {
    v.map(|v| {
        chrono::DateTime::parse_from_rfc3339(v)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| {
                Error::new(
                    &errors::INVALID_PARAMETER,
                    format!("{name} must be an RFC 3339 time, like 2026-11-22T10:00:00Z."),
                )
                .with("parameter", name)
            })
    })
    .transpose()
}

fn line_json(l: &LogLine, timestamps: bool) -> String {
    let mut wire = convert::log_line(l);
    if !timestamps {
        wire.ts = None;
    }
    serde_json::to_string(&wire).unwrap_or_default()
}

/// One line's server-sent event; rendered once per line and shared by all its followers.
fn log_event(l: &LogLine) -> Bytes {
    let data = line_json(l, true);
    let mut event = BytesMut::with_capacity(data.len() + 40);
    event.put_slice(b"event: log\nid: ");
    event.put_slice(l.seq.to_string().as_bytes());
    event.put_slice(b"\ndata: ");
    // Compact JSON has no raw newline, so the data is one `data:` line.
    event.put_slice(data.as_bytes());
    event.put_slice(b"\n\n");
    event.freeze()
}

/// Appends `followed` to a write; whether it was the end.
fn put_event(write: &mut BytesMut, followed: Followed) -> bool {
    match followed {
        Followed::Line(l) => {
            write.put_slice(&l.wire(log_event));
            false
        }
        Followed::End(state) => {
            let data = serde_json::to_string(&convert::agent_state(&state)).unwrap_or_default();
            write.put_slice(b"event: end\ndata: ");
            write.put_slice(data.as_bytes());
            write.put_slice(b"\n\n");
            true
        }
    }
}

/// A follower's stream. Each wake-up sends everything ready as one body chunk (100 followers
/// of a flood made a chunk, a frame and a keep-alive timer reset per line and per follower,
/// two cores' worth); the keep-alive timer is re-armed only when it fires.
struct Feed {
    following: logs::Following,
    keep_alive: std::pin::Pin<Box<tokio::time::Sleep>>,
    last_write: Instant,
    ended: bool,
}

impl Feed {
    async fn next_write(&mut self) -> Option<Bytes> {
        if self.ended {
            return None;
        }
        let first = loop {
            tokio::select! {
                followed = self.following.next() => break followed?,
                () = &mut self.keep_alive => {
                    let due = self.last_write + KEEP_ALIVE;
                    if Instant::now() >= due {
                        self.last_write = Instant::now();
                        self.keep_alive.as_mut().reset(self.last_write + KEEP_ALIVE);
                        return Some(Bytes::from_static(b": keep-alive\n\n"));
                    }
                    self.keep_alive.as_mut().reset(due);
                }
            }
        };
        let mut write = BytesMut::with_capacity(4096);
        self.ended = put_event(&mut write, first);
        while !self.ended && write.len() < WRITE_BYTES {
            match self.following.ready() {
                Some(followed) => self.ended = put_event(&mut write, followed),
                None => break,
            }
        }
        self.last_write = Instant::now();
        Some(write.freeze())
    }
}

impl LogsApi for Api {
    async fn get_agent_logs(
        &self,
        ctx: Ctx,
        path: wire::GetAgentLogsPath,
        query: wire::GetAgentLogsQuery,
    ) -> Res<wire::GetAgentLogsResponse> {
        let q = LogQuery {
            tail: Some(usize::try_from(query.tail).unwrap_or(1)),
            since: time("since", query.since.as_deref())?,
            until: time("until", query.until.as_deref())?,
            stream: stream(query.stream.as_deref()),
            ..LogQuery::default()
        };
        let lines =
            logs::get_agent_logs(&self.state.store, &self.state.fleet, ctx.caller()?, &path.name, q).await?;
        let timestamps = query.timestamps;
        let mut body = String::with_capacity(lines.len() * 96);
        for l in &lines {
            body.push_str(&line_json(l, timestamps));
            body.push('\n');
        }
        let mut response = body.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        Ok(wire::GetAgentLogsResponse::Ok(response))
    }

    async fn follow_agent_logs(
        &self,
        ctx: Ctx,
        path: wire::FollowAgentLogsPath,
        query: wire::FollowAgentLogsQuery,
        headers: wire::FollowAgentLogsHeaders,
    ) -> Res<wire::FollowAgentLogsResponse> {
        // The contract's pattern allows only digits; a number past any line (even past a u64)
        // goes on from the newest line, as a seq just past it does.
        let after = headers
            .last_event_id
            .as_deref()
            .map(|id| id.parse::<u64>().unwrap_or(u64::MAX));
        let following = logs::follow_agent_logs(
            &self.state.store,
            &self.state.fleet,
            ctx.caller()?,
            &path.name,
            usize::try_from(query.tail).unwrap_or(0),
            after,
            stream(query.stream.as_deref()),
        )
        .await?;
        let feed = Feed {
            following,
            keep_alive: Box::pin(tokio::time::sleep(KEEP_ALIVE)),
            last_write: Instant::now(),
            ended: false,
        };
        let writes = futures::stream::unfold(feed, |mut feed| async move {
            let write = feed.next_write().await?;
            Some((Ok::<_, Infallible>(write), feed))
        });
        let mut response = Body::from_stream(writes).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        Ok(wire::FollowAgentLogsResponse::Ok(response))
    }
}
