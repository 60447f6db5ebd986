//! Agents' logs: NDJSON for reading, server-sent events for following. HTTP ↔ domain for the
//! operations tagged `logs`.

use std::convert::Infallible;
use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use taos_api::server::{self as wire, LogsApi};

use super::{Api, Res, convert};
use crate::auth::Ctx;
use crate::domain::logs::{self, Followed};
use crate::errors::{self, Error};
use crate::runtime::logs::{LogLine, LogQuery, Stream};

const KEEP_ALIVE: Duration = Duration::from_secs(15);

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
        let events = futures::stream::unfold(following, |mut f| async move {
            let event = match f.next().await? {
                Followed::Line(l) => Event::default()
                    .event("log")
                    .id(l.seq.to_string())
                    .data(line_json(&l, true)),
                Followed::End(state) => Event::default()
                    .event("end")
                    .data(serde_json::to_string(&convert::agent_state(&state)).unwrap_or_default()),
            };
            Some((Ok::<_, Infallible>(event), f))
        });
        let response: Response = Sse::new(events)
            .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
            .into_response();
        Ok(wire::FollowAgentLogsResponse::Ok(response))
    }
}
