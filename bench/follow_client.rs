//! The followers of bench/follow.py: N server-sent-event clients of one agent's log, each on
//! its own thread (std only, so `rustc -O` builds it; no crate, no network).
//!
//!   follow-client HOST:PORT TOKEN AGENT N
//!
//! Connects N followers (`GET /api/agents/AGENT/logs/stream?tail=0`, HTTP/1.0 so the body is
//! the bare event stream), prints `ready` once every one has its 200, and reads each until
//! its `event: end`. Then prints one JSON object per follower: the first and last `id` it saw,
//! how many, how many broke the run of ids by one (a gap or a repeat), whether it saw the end,
//! and the `ts` of its first line. Python would need more than this box's two cores to parse
//! a million events a second; this needs a fraction of one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;

struct Seen {
    first: Option<u64>,
    last: Option<u64>,
    count: u64,
    breaks: u64,
    ended: bool,
    first_ts: String,
    error: Option<String>,
}

fn connect(addr: &str, token: &str, agent: &str) -> Result<(TcpStream, Vec<u8>), String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    let host = addr.split(':').next().unwrap_or("127.0.0.1");
    write!(
        s,
        "GET /api/agents/{agent}/logs/stream?tail=0 HTTP/1.0\r\nHost: {host}\r\n\
         Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .map_err(|e| format!("write: {e}"))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("closed before the answer's head".into());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let status = String::from_utf8_lossy(&head[..head.len().min(32)]).into_owned();
            if !status.starts_with("HTTP/1.0 200") && !status.starts_with("HTTP/1.1 200") {
                return Err(format!("answered {status:?}"));
            }
            let rest = head.split_off(i + 4);
            return Ok((s, rest));
        }
    }
}

fn follow(mut s: TcpStream, mut pending: Vec<u8>) -> Seen {
    let mut seen = Seen {
        first: None,
        last: None,
        count: 0,
        breaks: 0,
        ended: false,
        first_ts: String::new(),
        error: None,
    };
    let mut chunk = vec![0u8; 256 * 1024];
    let mut want_ts = false;
    loop {
        // Whole lines of what has come so far.
        let mut start = 0;
        while let Some(len) = pending[start..].iter().position(|&b| b == b'\n') {
            let line = &pending[start..start + len];
            start += len + 1;
            if let Some(id) = line.strip_prefix(b"id: ") {
                let Some(id) = std::str::from_utf8(id).ok().and_then(|t| t.parse::<u64>().ok()) else {
                    seen.error = Some("an id that is not a number".into());
                    return seen;
                };
                match seen.last {
                    None => {
                        seen.first = Some(id);
                        want_ts = true;
                    }
                    Some(last) if id != last + 1 => seen.breaks += 1,
                    Some(_) => {}
                }
                seen.last = Some(id);
                seen.count += 1;
            } else if want_ts && line.starts_with(b"data: ") {
                want_ts = false;
                let text = String::from_utf8_lossy(line);
                if let Some(i) = text.find("\"ts\":\"") {
                    let rest = &text[i + 6..];
                    seen.first_ts = rest[..rest.find('"').unwrap_or(0)].to_string();
                }
            } else if line == b"event: end" {
                seen.ended = true;
                return seen;
            }
        }
        pending.drain(..start);
        match s.read(&mut chunk) {
            Ok(0) => return seen,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
            Err(e) => {
                seen.error = Some(format!("read: {e}"));
                return seen;
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: follow-client HOST:PORT TOKEN AGENT N");
        std::process::exit(2);
    }
    let (addr, token, agent) = (args[1].clone(), args[2].clone(), args[3].clone());
    let n: usize = args[4].parse().unwrap_or(0);
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (addr, token, agent, ready) = (addr.clone(), token.clone(), agent.clone(), ready_tx.clone());
            thread::spawn(move || match connect(&addr, &token, &agent) {
                Ok((s, rest)) => {
                    let _ = ready.send(Ok(()));
                    follow(s, rest)
                }
                Err(e) => {
                    let _ = ready.send(Err(e.clone()));
                    Seen {
                        first: None,
                        last: None,
                        count: 0,
                        breaks: 0,
                        ended: false,
                        first_ts: String::new(),
                        error: Some(e),
                    }
                }
            })
        })
        .collect();
    for _ in 0..n {
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                eprintln!("follow-client: a follower failed: {e}");
                std::process::exit(1);
            }
            Err(_) => std::process::exit(1),
        }
    }
    println!("ready");
    let _ = std::io::stdout().flush();
    let opt = |v: Option<u64>| v.map_or("null".to_string(), |v| v.to_string());
    let mut out = std::io::stdout().lock();
    for t in threads {
        let s = t.join().unwrap_or_else(|_| Seen {
            first: None,
            last: None,
            count: 0,
            breaks: 0,
            ended: false,
            first_ts: String::new(),
            error: Some("the thread panicked".into()),
        });
        let error = s.error.map_or("null".to_string(), |e| format!("{:?}", e));
        let _ = writeln!(
            out,
            "{{\"first\":{},\"last\":{},\"count\":{},\"breaks\":{},\"ended\":{},\"first_ts\":{:?},\"error\":{}}}",
            opt(s.first),
            opt(s.last),
            s.count,
            s.breaks,
            s.ended,
            s.first_ts,
            error
        );
    }
}
