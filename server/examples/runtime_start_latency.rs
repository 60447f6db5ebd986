//! `start` → `running` latency of the process runtime, by hand (not a test: timings are
//! never asserted):
//!
//!     cargo run --release -p taos-server --example runtime_start_latency [-- RUNS]
//!
//! Starts `sleep 100` RUNS times (default 200) with cgroups (where writable) and without,
//! timing each `Runtime::start` until it answers `running`, stopping each agent after, and
//! prints p50 / p90 / p99 / max. Everything lives in a temporary directory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use taos_server::runtime::logs::{LogLimits, Logs};
use taos_server::runtime::process::{ProcessConfig, ProcessRuntime};
use taos_server::runtime::{Events, InstanceSpec, Runtime, State};
use uuid::Uuid;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn measure(cgroups: bool, runs: usize) -> Vec<Duration> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut config = ProcessConfig::new(dir.path());
    config.cgroups = cgroups;
    let logs = Arc::new(Logs::new(dir.path(), LogLimits::default()));
    let rt = ProcessRuntime::new(config, logs, Events::new());
    println!(
        "cgroups requested: {cgroups}; capabilities: {:?}",
        rt.capabilities()
    );
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let spec = InstanceSpec::process(Uuid::new_v4(), "bench", &["sleep", "100"]);
        let t0 = Instant::now();
        let t = rt.start(&spec).await.expect("start");
        times.push(t0.elapsed());
        assert_eq!(t.status.state, State::Running);
        rt.remove(spec.agent_id, Duration::from_secs(2))
            .await
            .expect("remove");
    }
    times.sort();
    times
}

fn main() {
    let runs = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    for cgroups in [true, false] {
        let times = tokio.block_on(measure(cgroups, runs));
        println!(
            "start -> running over {runs} runs: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.9).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        );
    }
}
