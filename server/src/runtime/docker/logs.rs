//! Following a running container's output into the agent's log: `docker logs --follow
//! --timestamps` from just after the last line already fed, each line with its stream.
//! Memory stays bounded: frames are taken one at a time from the daemon (it waits when
//! taosd reads slowly), and the log store bounds what it keeps.

use std::sync::Arc;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::Inner;
use super::agent::Agent;
use crate::runtime::logs::{AgentLog, LogQuery, Stream};

/// A quiet stream's buffered lines are written to the file after this.
const FLUSH_AFTER: Duration = Duration::from_millis(200);

/// Starts following `container` unless a live follower already does.
pub(super) fn ensure_follower(inner: &Arc<Inner>, agent: &Arc<Agent>, container: &str) {
    if inner.stopping() {
        return;
    }
    let mut l = agent.lock();
    if let Some((id, task)) = &l.follower
        && id == container
        && !task.is_finished()
    {
        return;
    }
    if let Some((_, old)) = l.follower.take() {
        old.abort();
    }
    let task = tokio::spawn(follow(inner.clone(), agent.clone(), container.to_string()));
    l.follower = Some((container.to_string(), task));
}

/// Splits a `timestamps=1` line: Docker's RFC 3339 time, a space, the text.
fn split_ts(line: &[u8]) -> (Option<DateTime<Utc>>, &[u8]) {
    let Some(space) = line.iter().position(|&b| b == b' ') else {
        return (None, line);
    };
    let ts = std::str::from_utf8(&line[..space])
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc));
    match ts {
        Some(ts) => (Some(ts), &line[space + 1..]),
        None => (None, line),
    }
}

/// Where to resume: the last fed line's daemon time (this taosd), else the time of the
/// log's last line (an earlier taosd fed it; it is no earlier than the daemon's).
fn resume_point(agent: &Agent, log: &AgentLog) -> Option<DateTime<Utc>> {
    if let Some(t) = agent.lock().fed_until {
        return Some(t);
    }
    log.query(&LogQuery {
        tail: Some(1),
        ..Default::default()
    })
    .last()
    .map(|l| l.ts)
}

async fn follow(inner: Arc<Inner>, agent: Arc<Agent>, container: String) {
    let log = match inner.logs.agent(agent.agent_id) {
        Ok(log) => log,
        Err(e) => {
            tracing::warn!(agent_id = %agent.agent_id, "cannot open the agent's log: {e}");
            return;
        }
    };
    if let Some(spec) = agent.lock().spec.clone() {
        log.add_secrets(spec.env.secret_values());
    }
    let after = resume_point(&agent, &log);
    let since = after.map_or(0, |t| i32::try_from(t.timestamp()).unwrap_or(0));
    let Ok(docker) = inner.conn.client().await else {
        return;
    };
    let opts = LogsOptionsBuilder::new()
        .follow(true)
        .stdout(true)
        .stderr(true)
        .timestamps(true)
        .since(since)
        .build();
    let mut frames = docker.logs(&container, Some(opts));
    let mut dirty = false;
    loop {
        let frame = match tokio::time::timeout(FLUSH_AFTER, frames.next()).await {
            Err(_) => {
                if dirty {
                    log.flush();
                    dirty = false;
                }
                continue;
            }
            Ok(None) | Ok(Some(Err(_))) => break,
            Ok(Some(Ok(frame))) => frame,
        };
        let (stream, bytes) = match frame {
            LogOutput::StdOut { message } | LogOutput::Console { message } => (Stream::Stdout, message),
            LogOutput::StdErr { message } => (Stream::Stderr, message),
            LogOutput::StdIn { .. } => continue,
        };
        let mut last = None;
        for line in bytes.strip_suffix(b"\n").unwrap_or(&bytes).split(|&b| b == b'\n') {
            let (ts, text) = split_ts(line);
            // Docker's `since` is whole seconds: skip what the log already has.
            if let (Some(ts), Some(after)) = (ts, after)
                && ts <= after
            {
                continue;
            }
            log.append(stream, text, false);
            dirty = true;
            last = ts.or(last);
        }
        if let Some(ts) = last {
            agent.lock().fed_until = Some(ts);
        }
    }
    log.flush();
}
