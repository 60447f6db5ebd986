//! Logs: bounded NDJSON reads, and a live follow over server-sent events that resumes with
//! `Last-Event-ID` and ends when the agent does.

use std::time::Duration;

use serde_json::json;
use taos_conformance::*;

use super::*;

e2e!(logs_are_ndjson_lines_with_secrets_masked);
/// Each line is `{seq, ts, stream, line}` with growing `seq`; `tail` and `stream` filter; the
/// agent's token and secret-named env values never appear.
async fn logs_are_ndjson_lines_with_secrets_masked(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Talker").await;
    configure(
        s,
        t,
        "talker",
        &["sh", "-c", "echo one; echo two >&2; echo \"key=$API_KEY\"; echo \"tok=$TAOS_TOKEN\"; echo done; exec sleep 60"],
        json!({"env": {"API_KEY": "sekrit-value-123"}}),
    )
    .await;
    verb(s, t, "talker", "start").await;
    let lines = await_line(s, t, "talker", |l| l == "done").await;
    let text: Vec<&str> = lines.iter().map(|l| l.line.as_str()).collect();
    // stdout and stderr are two pipes: their lines interleave as they are read.
    let out: Vec<&str> = lines
        .iter()
        .filter(|l| l.stream == types::LogLineStream::Stdout)
        .map(|l| l.line.as_str())
        .collect();
    assert_eq!(
        out,
        ["one", "key=[REDACTED]", "tok=[REDACTED]", "done"],
        "{text:?}"
    );
    assert!(
        lines.windows(2).all(|w| w[1].seq > w[0].seq),
        "seq grows: {lines:?}"
    );
    assert!(lines.iter().all(|l| l.ts.is_some()));
    let two = lines.iter().find(|l| l.line == "two").expect("stderr line");
    assert_eq!(two.stream, types::LogLineStream::Stderr);
    let all = text.join("\n");
    assert!(
        !all.contains("sekrit-value-123"),
        "a secret env value leaked: {all}"
    );
    assert!(!all.contains("taos_agent_"), "the agent's token leaked: {all}");
    assert!(
        all.contains("key=[REDACTED]") && all.contains("tok=[REDACTED]"),
        "{all}"
    );

    let last = log_lines(s, t, "talker", "tail=1&stream=stdout").await;
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].line, "done");
    let errs = log_lines(s, t, "talker", "stream=stderr").await;
    assert!(
        errs.iter().all(|l| l.stream == types::LogLineStream::Stderr) && errs.len() == 1,
        "{errs:?}"
    );
    let bare = log_lines(s, t, "talker", "timestamps=false&tail=1").await;
    assert!(bare[0].ts.is_none());
    let future =
        (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(
        log_lines(s, t, "talker", &format!("since={future}"))
            .await
            .is_empty()
    );
    s.get("/api/agents/talker/logs?since=yesterday")
        .bearer(t)
        .send()
        .await
        .expect_error(422, "invalid_parameter");
    s.get("/api/agents/talker/logs?tail=0")
        .bearer(t)
        .send()
        .await
        .expect_error(422, "invalid_parameter");
    verb(s, t, "talker", "stop").await;
    // Logs outlive the run.
    assert!(
        log_lines(s, t, "talker", "tail=100")
            .await
            .iter()
            .any(|l| l.line == "done")
    );
}

/// One server-sent event.
#[derive(Debug)]
struct Sse {
    event: String,
    id: Option<u64>,
    data: String,
}

/// Reads events off a streaming response until `want` of them or the stream ends.
async fn read_events(resp: &mut reqwest::Response, buf: &mut String, want: usize) -> Vec<Sse> {
    let mut out = Vec::new();
    while out.len() < want {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut ev = Sse {
                event: "message".into(),
                id: None,
                data: String::new(),
            };
            let mut any = false;
            for line in block.lines() {
                if let Some(v) = line
                    .strip_prefix("event: ")
                    .or_else(|| line.strip_prefix("event:"))
                {
                    ev.event = v.into();
                    any = true;
                } else if let Some(v) = line.strip_prefix("id: ").or_else(|| line.strip_prefix("id:")) {
                    ev.id = v.parse().ok();
                } else if let Some(v) = line.strip_prefix("data: ").or_else(|| line.strip_prefix("data:")) {
                    ev.data.push_str(v);
                    any = true;
                }
            }
            if any {
                out.push(ev);
                if out.len() == want {
                    return out;
                }
            }
        }
        match tokio::time::timeout(Duration::from_secs(20), resp.chunk()).await {
            Ok(Ok(Some(chunk))) => buf.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Ok(None)) => break,
            Ok(Err(e)) => panic!("the stream broke: {e}"),
            Err(_) => panic!("no event within 20 s; got {out:?}"),
        }
    }
    out
}

e2e!(follow_streams_every_line_once_across_a_reconnect_and_ends);
/// A follower gets new lines as they are written; reconnecting with `Last-Event-ID` goes on
/// exactly after the last line it got; when the agent exits the stream ends with `end`.
async fn follow_streams_every_line_once_across_a_reconnect_and_ends(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Counter").await;
    configure(
        s,
        t,
        "counter",
        &[
            "sh",
            "-c",
            "sleep 0.5; i=0; while [ $i -lt 30 ]; do echo line$i; i=$((i+1)); sleep 0.05; done",
        ],
        json!({}),
    )
    .await;
    let http = reqwest::Client::new();
    let url = s.at("/api/agents/counter/logs/stream?tail=0");
    verb(s, t, "counter", "start").await;
    let mut first = http.get(&url).bearer_auth(t).send().await.expect("follow");
    assert_eq!(first.status().as_u16(), 200);
    assert!(
        first.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/event-stream"),
        "{:?}",
        first.headers()
    );
    let mut buf = String::new();
    let got = read_events(&mut first, &mut buf, 5).await;
    drop(first);
    let last_id = got.last().and_then(|e| e.id).expect("log events carry their seq");
    let mut second = http
        .get(&url)
        .bearer_auth(t)
        .header("last-event-id", last_id.to_string())
        .send()
        .await
        .expect("resume");
    let mut buf = String::new();
    let rest = read_events(&mut second, &mut buf, 1000).await;
    let (logs, ends): (Vec<&Sse>, Vec<&Sse>) = got.iter().chain(rest.iter()).partition(|e| e.event == "log");
    let lines: Vec<String> = logs
        .iter()
        .map(|e| {
            serde_json::from_str::<types::LogLine>(&e.data)
                .expect("a LogLine")
                .line
        })
        .collect();
    let expected: Vec<String> = (0..30).map(|i| format!("line{i}")).collect();
    assert_eq!(lines, expected, "every line once, in order");
    assert_eq!(ends.len(), 1, "one end event: {ends:?}");
    assert!(
        rest.last().is_some_and(|e| e.event == "end"),
        "the stream ends with `end`"
    );
    let end: types::AgentState = serde_json::from_str(&ends[0].data).expect("end carries the AgentState");
    assert_eq!(end.state, types::InstanceState::Stopped);
    assert_eq!(end.exit_code, Some(0));

    // Following a stopped agent: the tail, then the end at once.
    let mut again = http
        .get(s.at("/api/agents/counter/logs/stream?tail=3"))
        .bearer_auth(t)
        .send()
        .await
        .expect("follow");
    let mut buf = String::new();
    let evs = read_events(&mut again, &mut buf, 10).await;
    let names: Vec<&str> = evs.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["log", "log", "log", "end"], "{evs:?}");
    s.get("/api/agents/counter/logs/stream")
        .bearer(t)
        .header("last-event-id", "not-a-number")
        .send()
        .await
        .expect_error(422, "invalid_parameter");
    // A seq past every line (even past a u64) follows from the newest line: here, the end.
    let mut far = http
        .get(s.at("/api/agents/counter/logs/stream"))
        .bearer_auth(t)
        .header("last-event-id", "99960496116980393752")
        .send()
        .await
        .expect("follow");
    assert_eq!(far.status().as_u16(), 200);
    let mut buf = String::new();
    let evs = read_events(&mut far, &mut buf, 10).await;
    let names: Vec<&str> = evs.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["end"], "{evs:?}");
}

e2e!(a_flooding_agent_cannot_grow_taosd);
/// An agent writing as fast as it can for two seconds leaves taosd's memory bounded.
async fn a_flooding_agent_cannot_grow_taosd(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Flood").await;
    configure(
        s,
        t,
        "flood",
        &[
            "sh",
            "-c",
            "yes 'flooding the log with a fairly long line of text'",
        ],
        json!({}),
    )
    .await;
    let rss = |pid: u32| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|st| st.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
            .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
            .unwrap_or(0)
    };
    let pid = s.pid().expect("taosd runs");
    let before = rss(pid);
    verb(s, t, "flood", "start").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = rss(pid);
    verb(s, t, "flood", "stop").await;
    assert!(
        during < before + 64 * 1024,
        "taosd grew from {before} kB to {during} kB while an agent flooded its log"
    );
    let log_dir = s.data_dir().join("agents");
    let total: u64 = walk(&log_dir);
    assert!(total < 64 * 1024 * 1024, "the logs take {total} bytes on disk");
}

fn walk(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            total += walk(&p);
        } else if let Ok(m) = e.metadata() {
            total += m.len();
        }
    }
    total
}

e2e!(a_quiet_follow_gets_a_keep_alive_comment);
/// An agent that says nothing for a while: its followers get the contract's `: keep-alive`
/// comment every 15 s (so proxies keep the stream open), and nothing else.
async fn a_quiet_follow_gets_a_keep_alive_comment(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Quiet").await;
    configure(
        s,
        t,
        "quiet",
        &["sh", "-c", "echo hello; exec sleep 60"],
        json!({}),
    )
    .await;
    verb(s, t, "quiet", "start").await;
    let mut follow = reqwest::Client::new()
        .get(s.at("/api/agents/quiet/logs/stream?tail=5"))
        .bearer_auth(t)
        .send()
        .await
        .expect("follow");
    let started = std::time::Instant::now();
    let mut got = String::new();
    while !got.contains(": keep-alive\n\n") {
        match tokio::time::timeout(Duration::from_secs(20), follow.chunk()).await {
            Ok(Ok(Some(chunk))) => got.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("no keep-alive within 20 s ({other:?}); got {got:?}"),
        }
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(14) && waited < Duration::from_secs(20),
        "the keep-alive came after {waited:?}"
    );
    let (event, rest) = got.split_once("\n\n").expect("an event first");
    assert!(event.starts_with("event: log\nid: 0\ndata: {"), "{got:?}");
    assert!(event.contains("\"line\":\"hello\""), "{got:?}");
    assert_eq!(rest, ": keep-alive\n\n", "{got:?}");
    verb(s, t, "quiet", "stop").await;
}
