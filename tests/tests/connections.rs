//! Connections a hostile or broken client holds: idle sockets, heads never finished, bodies
//! half sent, more sockets than the server serves at once, heads too large to parse. Each case
//! sets short limits through taosd's environment (see `docs/agents/concepts/errors.md`,
//! "Connections and hosts") and watches what a raw socket sees.

use std::time::{Duration, Instant};

use taos_conformance::serde_json::{self, Value};
use taos_conformance::tokio::io::{AsyncReadExt, AsyncWriteExt};
use taos_conformance::tokio::net::TcpStream;
use taos_conformance::tokio::time::timeout;
use taos_conformance::{Server, e2e};

/// Restarts `s` with these limits (the harness applies environment on restart).
async fn limit(s: &Server, env: &[(&str, &str)]) {
    for (name, value) in env {
        s.set_env(name, value);
    }
    s.restart().await;
}

async fn connect(s: &Server) -> TcpStream {
    let addr = s.url().trim_start_matches("http://").to_string();
    TcpStream::connect(&addr).await.expect("connect to taosd")
}

const HEALTH: &[u8] = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// One answer: status, lower-case head, body (by `content-length`).
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} answered a body that is not JSON ({e}): {:?}",
                self.status, self.head
            )
        })
    }

    /// The canonical error `slug` with `status`, with an `x-request-id` like every answer.
    #[track_caller]
    fn expect_error(&self, status: u16, slug: &str) -> Value {
        let body = self.json();
        assert_eq!(
            (self.status, body["error"].as_str()),
            (status, Some(slug)),
            "{body}"
        );
        for key in ["detail", "fix", "doc_url"] {
            assert!(
                body[key].as_str().is_some_and(|v| !v.is_empty()),
                "no {key}: {body}"
            );
        }
        assert!(
            self.head.contains("content-type: application/json"),
            "{}",
            self.head
        );
        assert!(self.head.contains("\r\nx-request-id: "), "{}", self.head);
        body
    }
}

/// Reads one whole answer within `within` (panics when there is none).
async fn read_answer(stream: &mut TcpStream, within: Duration) -> Answer {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    let status = head[9..12].parse().expect("a status code");
                    let body = buf[end + 4..end + 4 + len].to_vec();
                    return Answer { status, head, body };
                }
            }
            let n = stream.read(&mut chunk).await.expect("read the answer");
            assert!(
                n > 0,
                "the connection closed before a whole answer: {:?}",
                String::from_utf8_lossy(&buf)
            );
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    timeout(within, read).await.expect("an answer in time")
}

/// How long until the server closes `stream` (EOF or reset), or `None` within `within`.
async fn closed_after(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut chunk = [0u8; 8192];
    let wait = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    timeout(within, wait).await.ok().map(|()| started.elapsed())
}

e2e!(an_idle_connection_is_closed_after_the_idle_timeout);
/// A kept-alive connection lives past the header timeout while idle, serves its next request,
/// and is closed once it has been idle for the idle timeout.
async fn an_idle_connection_is_closed_after_the_idle_timeout(s: &Server) {
    limit(s, &[("TAOS_HEADER_TIMEOUT", "1s"), ("TAOS_IDLE_TIMEOUT", "3s")]).await;
    let mut c = connect(s).await;
    c.write_all(HEALTH).await.unwrap();
    assert_eq!(read_answer(&mut c, Duration::from_secs(10)).await.status, 200);
    // Idle longer than the header timeout: still open, and it answers.
    assert_eq!(closed_after(&mut c, Duration::from_millis(1500)).await, None);
    c.write_all(HEALTH).await.unwrap();
    assert_eq!(read_answer(&mut c, Duration::from_secs(10)).await.status, 200);
    let closed = closed_after(&mut c, Duration::from_secs(8)).await;
    let closed = closed.expect("an idle connection is closed after TAOS_IDLE_TIMEOUT");
    assert!(
        closed >= Duration::from_millis(2500),
        "closed too early: {closed:?}"
    );
}

e2e!(a_head_never_finished_is_closed_after_the_header_timeout);
/// Slowloris: a request line and a header, then nothing; the connection is closed after the
/// header timeout (well before the idle timeout), and the API keeps answering.
async fn a_head_never_finished_is_closed_after_the_header_timeout(s: &Server) {
    limit(s, &[("TAOS_HEADER_TIMEOUT", "1s"), ("TAOS_IDLE_TIMEOUT", "60s")]).await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut c = connect(s).await;
        c.write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(c);
    }
    // A new connection that sends nothing at all is due within the header timeout too.
    slow.push(connect(s).await);
    for c in &mut slow {
        let closed = closed_after(c, Duration::from_secs(6)).await;
        assert!(
            closed.is_some(),
            "a head never finished must be closed after TAOS_HEADER_TIMEOUT"
        );
    }
    s.get("/api/health").send().await.expect_status(200);
}

e2e!(a_half_sent_body_is_dropped_after_the_body_timeout);
/// Bodies announced as 1 MiB and stopped half way are dropped after the body timeout: each
/// gets `408 request_timeout` and its connection is closed, so nothing it sent stays held.
async fn a_half_sent_body_is_dropped_after_the_body_timeout(s: &Server) {
    limit(s, &[("TAOS_BODY_TIMEOUT", "1s")]).await;
    let half = vec![b'a'; 512 * 1024];
    let mut held = Vec::new();
    for _ in 0..16 {
        let mut c = connect(s).await;
        let head = format!(
            "POST /auth/setup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"username\": \"",
            1024 * 1024 - 1
        );
        c.write_all(head.as_bytes()).await.unwrap();
        c.write_all(&half).await.unwrap();
        held.push(c);
    }
    let started = Instant::now();
    for c in &mut held {
        read_answer(c, Duration::from_secs(10))
            .await
            .expect_error(408, "request_timeout");
        assert!(
            closed_after(c, Duration::from_secs(5)).await.is_some(),
            "the connection of a late body is closed"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    // Nothing was created from the half bodies: setup is still open.
    s.setup_admin().await;
}

e2e!(a_half_sent_tool_call_is_dropped_after_the_body_timeout);
/// The same on `/mcp`, whose plain tool calls taosd reads itself: a `tools/call` announced
/// longer than what comes gets `408 request_timeout` and a closed connection, and runs nothing.
async fn a_half_sent_tool_call_is_dropped_after_the_body_timeout(s: &Server) {
    limit(s, &[("TAOS_BODY_TIMEOUT", "1s")]).await;
    let admin = s.setup_admin().await;
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_agent","arguments":{"name":"half"}}}"#;
    let mut c = connect(s).await;
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: {}\r\n\r\n",
        admin.token,
        call.len() + 1
    );
    c.write_all(head.as_bytes()).await.unwrap();
    c.write_all(call.as_bytes()).await.unwrap();
    read_answer(&mut c, Duration::from_secs(10))
        .await
        .expect_error(408, "request_timeout");
    assert!(
        closed_after(&mut c, Duration::from_secs(5)).await.is_some(),
        "the connection of a late body is closed"
    );
    let listed = s
        .get("/api/agents")
        .bearer(&admin.token)
        .send()
        .await
        .expect_json(200);
    assert_eq!(
        listed["items"],
        serde_json::json!([]),
        "nothing was created: {listed}"
    );
}

e2e!(more_connections_than_the_cap_are_answered_503_until_some_close);
/// With every served connection taken, a new one is answered `503 too_many_connections` with
/// `Retry-After` (not left hanging); once some close, new clients are served again.
async fn more_connections_than_the_cap_are_answered_503_until_some_close(s: &Server) {
    limit(
        s,
        &[
            ("TAOS_MAX_CONNECTIONS", "8"),
            ("TAOS_HEADER_TIMEOUT", "60s"),
            ("TAOS_IDLE_TIMEOUT", "60s"),
        ],
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut c = connect(s).await;
        c.write_all(HEALTH).await.unwrap();
        assert_eq!(read_answer(&mut c, Duration::from_secs(10)).await.status, 200);
        held.push(c);
    }
    for _ in 0..3 {
        let mut c = connect(s).await;
        c.write_all(HEALTH).await.unwrap();
        let answer = read_answer(&mut c, Duration::from_secs(10)).await;
        answer.expect_error(503, "too_many_connections");
        assert!(answer.head.contains("\r\nretry-after: 1"), "{}", answer.head);
        assert!(closed_after(&mut c, Duration::from_secs(5)).await.is_some());
    }
    held.truncate(5);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut c = connect(s).await;
        c.write_all(HEALTH).await.unwrap();
        let answer = read_answer(&mut c, Duration::from_secs(10)).await;
        if answer.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {} after connections closed",
            answer.status
        );
        taos_conformance::tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

e2e!(oversized_or_malformed_heads_get_canonical_errors);
/// What hyper rejects before any route sees it gets the canonical body too: a head over
/// 64 KiB or with too many headers (431), a path and query over 8 KiB (414), a broken request
/// line (400).
async fn oversized_or_malformed_heads_get_canonical_errors(s: &Server) {
    let big = "a".repeat(100 * 1024);
    s.get("/api/health")
        .header("x-big", &big)
        .send()
        .await
        .expect_error(431, "headers_too_large");
    let mut many = s.get("/api/health");
    for i in 0..120 {
        many = many.header(format!("x-h{i}"), "1");
    }
    many.send().await.expect_error(431, "headers_too_large");
    let long = format!("/api/health?q={}", "a".repeat(10 * 1024));
    s.get(&long).send().await.expect_error(414, "uri_too_long");

    let mut c = connect(s).await;
    c.write_all(b"NOT HTTP AT ALL\r\n\r\n").await.unwrap();
    read_answer(&mut c, Duration::from_secs(10))
        .await
        .expect_error(400, "malformed_request");
    // And the server is fine.
    s.get("/api/health").send().await.expect_status(200);
}
