//! Running agents on the `process` runtime, end to end: a real taosd runs real child
//! processes; every answer is checked against what the processes really do (their pid, their
//! CPU time, the files they write, the API calls they make with their injected token).

mod backends;
mod deploy;
mod incus_units;
mod injection;
mod lifecycle;
mod logs;
mod races;
mod restarts;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taos_conformance::*;

/// Sets `name`'s runtime spec: `command` on the process runtime, plus `extra` fields.
pub async fn configure(s: &Server, token: &str, name: &str, command: &[&str], extra: Value) -> Value {
    let mut body = json!({ "runtime": "process", "command": command });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    s.put(&format!("/api/agents/{name}/runtime"))
        .bearer(token)
        .json(&body)
        .send()
        .await
        .expect_json(200)
}

/// `POST /api/agents/{name}/{verb}` that must answer 200: the new state.
pub async fn verb(s: &Server, token: &str, name: &str, verb: &str) -> types::AgentState {
    from_json(
        s.post(&format!("/api/agents/{name}/{verb}"))
            .bearer(token)
            .send()
            .await
            .expect_json(200),
    )
}

/// Waits (server side) until `name` is in `state`.
pub async fn wait_for(s: &Server, token: &str, name: &str, state: &str) -> types::AgentState {
    from_json(
        s.get(&format!("/api/agents/{name}/wait?state={state}&timeout_s=20"))
            .bearer(token)
            .send()
            .await
            .expect_json(200),
    )
}

pub async fn runtime_of(s: &Server, token: &str, name: &str) -> types::AgentRuntime {
    from_json(
        s.get(&format!("/api/agents/{name}/runtime"))
            .bearer(token)
            .send()
            .await
            .expect_json(200),
    )
}

/// The agent's log lines (NDJSON), with `query` (e.g. `tail=5&stream=stderr`).
pub async fn log_lines(s: &Server, token: &str, name: &str, query: &str) -> Vec<types::LogLine> {
    let resp = s
        .get(&format!("/api/agents/{name}/logs?{query}"))
        .bearer(token)
        .send()
        .await;
    assert_eq!(resp.status().as_u16(), 200, "logs: {}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/x-ndjson"));
    resp.text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a LogLine: {l}: {e}")))
        .collect()
}

/// Polls the logs until a line satisfies `pred` (agents write asynchronously).
pub async fn await_line(
    s: &Server,
    token: &str,
    name: &str,
    pred: impl Fn(&str) -> bool,
) -> Vec<types::LogLine> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let lines = log_lines(s, token, name, "tail=1000").await;
        if lines.iter().any(|l| pred(&l.line)) {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "no such line in {name}'s logs: {lines:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether process `pid` exists (and is not a zombie).
pub fn alive(pid: i64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.split(' ').next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Waits until `pid` is gone.
pub async fn await_gone(pid: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(Instant::now() < deadline, "process {pid} is still alive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// User + system CPU time of `pid` and its children so far, in clock ticks.
pub fn cpu_ticks(pid: i64) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the process exists");
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split(' ').collect();
    // After the state (field 3): utime is field 14, stime 15 (1-based in proc(5)).
    let utime: u64 = fields[11].parse().unwrap_or(0);
    let stime: u64 = fields[12].parse().unwrap_or(0);
    utime + stime
}

/// The agent's own directory (its cwd), where test agents leave files.
pub fn work_dir(s: &Server, agent: &types::Agent) -> std::path::PathBuf {
    s.data_dir()
        .join("agents")
        .join(agent.id.to_string())
        .join("work")
}
