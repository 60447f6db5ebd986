//! `taosctl agents logs NAME [-f]`: an agent's output lines, read (`getAgentLogs`, NDJSON) or
//! followed as they are written (`followAgentLogs`, server-sent events), resuming after the
//! last line seen when the connection drops.

use std::time::Duration;

use clap::Args;
use futures::StreamExt;
use taos_client::types;

use crate::cmd_agents_lifecycle::describe;
use crate::context::{Context, RunCmd};
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::sse;

#[derive(Args, Debug)]
pub struct Logs {
    /// The agent's name (slug), as `taosctl agents list` shows it
    name: String,
    /// The last N lines (1 to 10000, default 100; with -f 0 to 1000, default 10)
    #[arg(long, short = 'n', value_name = "N")]
    tail: Option<u64>,
    /// Only lines at or after T: RFC 3339 (2026-11-22T10:00:00Z) or an age (90s, 10m, 2h, 1d)
    #[arg(long, value_name = "T", conflicts_with = "follow")]
    since: Option<String>,
    /// Only lines before T (as --since)
    #[arg(long, value_name = "T", conflicts_with = "follow")]
    until: Option<String>,
    /// Only this stream's lines
    #[arg(long, value_name = "STREAM", value_parser = ["stdout", "stderr"])]
    stream: Option<String>,
    /// Print new lines as they are written, until the agent stops (or Ctrl-C)
    #[arg(long, short = 'f')]
    follow: bool,
    /// Start each line with its time and stream
    #[arg(long, short = 't')]
    timestamps: bool,
}

impl RunCmd for Logs {
    async fn run(&self, ctx: &Context) -> Result<()> {
        if self.follow {
            return self.follow_stream(ctx).await;
        }
        let tail = self
            .tail
            .map(|n| {
                std::num::NonZeroU64::new(n)
                    .filter(|n| n.get() <= 10_000)
                    .ok_or_else(|| Failure::usage("invalid value for --tail: 1 to 10000"))
            })
            .transpose()?;
        let now = chrono::Utc::now();
        let since = self
            .since
            .as_deref()
            .map(|t| time("--since", t, now))
            .transpose()?;
        let until = self
            .until
            .as_deref()
            .map(|t| time("--until", t, now))
            .transpose()?;
        let client = ctx.client()?;
        let mut request = client.get_agent_logs().name(self.name.as_str());
        if let Some(n) = tail {
            request = request.tail(n);
        }
        if let Some(t) = since {
            request = request.since(t);
        }
        if let Some(t) = until {
            request = request.until(t);
        }
        if let Some(s) = &self.stream {
            request = request.stream(s.as_str());
        }
        let mut body = request.send().await.map_err(|e| ctx.fail(e))?.into_inner();
        let mut text = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                Failure::new(
                    EXIT_ERROR,
                    format!("reading the logs from {} failed: {e}", ctx.url()),
                )
            })?;
            text.extend_from_slice(&chunk);
        }
        for line in String::from_utf8_lossy(&text).lines() {
            if line.trim().is_empty() {
                continue;
            }
            let parsed: types::LogLine = serde_json::from_str(line).map_err(|e| {
                Failure::new(
                    EXIT_ERROR,
                    format!("the server sent a log line that is not a LogLine ({e}): {line}"),
                )
            })?;
            self.print(ctx, &parsed);
        }
        Ok(())
    }
}

/// How long a followed stream may stay silent before it counts as dropped (taosd sends a
/// keep-alive every 15 s).
const FOLLOW_READ_TIMEOUT: Duration = Duration::from_secs(45);
/// Reconnections in a row that may fail before `-f` gives up.
const FOLLOW_RETRIES: u32 = 6;

/// How a followed connection ended.
enum Ended {
    /// `event: end`: the agent stopped; its state.
    Agent(Option<types::AgentState>),
    /// The connection dropped (or the server closed it without an end): resume.
    Dropped(String),
}

impl Logs {
    /// Follows until `event: end` or Ctrl-C (both exit 0).
    async fn follow_stream(&self, ctx: &Context) -> Result<()> {
        let tail = match self.tail {
            Some(n) if n > 1000 => {
                return Err(Failure::usage("invalid value for --tail with -f: 0 to 1000"));
            }
            other => other.map(|n| n as i64),
        };
        let client = ctx.streaming_client(FOLLOW_READ_TIMEOUT)?;
        let following = async {
            // The seq of the last line printed: a new connection goes on right after it.
            let mut last: Option<u64> = None;
            let mut failures = 0;
            loop {
                let mut request = client.follow_agent_logs().name(self.name.as_str());
                if let Some(n) = tail {
                    request = request.tail(n);
                }
                if let Some(s) = &self.stream {
                    request = request.stream(s.as_str());
                }
                if let Some(seq) = last {
                    request = request.last_event_id(seq.to_string());
                }
                let why = match request.send().await {
                    Ok(rv) => {
                        failures = 0;
                        match self.read_events(ctx, rv.into_inner(), &mut last).await? {
                            Ended::Agent(state) => {
                                if let Some(s) = state {
                                    ctx.out.note(format!("{}: {}", s.agent, describe(&s)));
                                }
                                return Ok(());
                            }
                            Ended::Dropped(why) => why,
                        }
                    }
                    Err(taos_client::Error::CommunicationError(e)) => e.to_string(),
                    Err(e) => return Err(ctx.fail(e)),
                };
                failures += 1;
                if failures > FOLLOW_RETRIES {
                    return Err(Failure::new(
                        EXIT_ERROR,
                        format!(
                            "lost the log stream from {} and could not resume: {why}",
                            ctx.url()
                        ),
                    )
                    .with_fix("check that taosd is running, then follow again"));
                }
                let delay = Duration::from_millis(500 * 2u64.pow(failures.min(5) - 1));
                ctx.out.note(match last {
                    Some(seq) => format!("connection lost ({why}); resuming after line {seq}…"),
                    None => format!("connection lost ({why}); reconnecting…"),
                });
                tokio::time::sleep(delay).await;
            }
        };
        tokio::select! {
            done = following => done,
            // Ctrl-C is how a person stops following: not an error.
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    }

    async fn read_events(
        &self,
        ctx: &Context,
        mut body: taos_client::ByteStream,
        last: &mut Option<u64>,
    ) -> Result<Ended> {
        let mut parser = sse::Parser::default();
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => return Ok(Ended::Dropped(e.to_string())),
            };
            for event in parser.push(&chunk) {
                match event.event.as_str() {
                    "log" => {
                        let line: types::LogLine = serde_json::from_str(&event.data).map_err(|e| {
                            Failure::new(
                                EXIT_ERROR,
                                format!(
                                    "the server sent a log event that is not a LogLine ({e}): {}",
                                    event.data
                                ),
                            )
                        })?;
                        // A resumed stream starts after `last`; never print a line twice.
                        if last.is_some_and(|l| line.seq <= l) {
                            continue;
                        }
                        *last = Some(line.seq);
                        self.print(ctx, &line);
                    }
                    "end" => return Ok(Ended::Agent(serde_json::from_str(&event.data).ok())),
                    _ => {}
                }
            }
        }
        Ok(Ended::Dropped("the server closed the stream".into()))
    }

    /// One line: the LogLine as one JSON line with `--json` (NDJSON), else its text.
    fn print(&self, ctx: &Context, l: &types::LogLine) {
        if ctx.out.json {
            match serde_json::to_string(l) {
                Ok(j) => ctx.out.line(j),
                Err(e) => ctx.out.note(format!("error: cannot print JSON: {e}")),
            }
        } else if self.timestamps {
            let ts =
                l.ts.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                    .unwrap_or_else(|| "-".into());
            ctx.out.line(format!("{ts} {} {}", l.stream, l.line));
        } else {
            ctx.out.line(&l.line);
        }
    }
}

/// `--since` / `--until`: an RFC 3339 time, or an age before `now` (`90s`, `10m`, `2h`, `1d`).
fn time(flag: &str, text: &str, now: chrono::DateTime<chrono::Utc>) -> Result<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    let bad = || {
        Failure::usage(format!(
            "invalid value for {flag}: {text:?} (want an RFC 3339 time like 2026-11-22T10:00:00Z, or an age like 10m)"
        ))
    };
    let unit = text.chars().last().ok_or_else(bad)?;
    let n: i64 = text[..text.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    let age = match unit {
        's' => chrono::Duration::try_seconds(n),
        'm' => chrono::Duration::try_minutes(n),
        'h' => chrono::Duration::try_hours(n),
        'd' => chrono::Duration::try_days(n),
        _ => None,
    }
    .filter(|_| n >= 0)
    .ok_or_else(bad)?;
    now.checked_sub_signed(age).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_an_age() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .expect("a time");
        let at = |s: &str| time("--since", s, now).map(|t| t.to_rfc3339()).ok();
        assert_eq!(
            at("2026-11-22T09:00:00Z").as_deref(),
            Some("2026-11-22T09:00:00+00:00")
        );
        assert_eq!(at("10m").as_deref(), Some("2026-11-22T09:50:00+00:00"));
        assert_eq!(at("1d").as_deref(), Some("2026-11-21T10:00:00+00:00"));
        assert_eq!(at("90s").as_deref(), Some("2026-11-22T09:58:30+00:00"));
        for bad in ["", "m", "10", "-1h", "tomorrow", "5y"] {
            assert!(time("--since", bad, now).is_err(), "{bad}");
        }
    }
}
