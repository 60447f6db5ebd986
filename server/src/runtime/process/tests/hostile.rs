use super::*;
use crate::runtime::Resources;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_token_never_reaches_its_logs() {
    let f = fixture();
    let token = "taos_agent_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1u";
    let mut spec = sh("echo \"my token: $TAOS_TOKEN\"; echo \"Bearer $TAOS_TOKEN\" >&2; echo done");
    spec.env.insert("TAOS_TOKEN", token);
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_state(id, State::Stopped).await;
    let mut lines = f.texts(id);
    lines.sort();
    assert_eq!(lines, ["Bearer [REDACTED]", "done", "my token: [REDACTED]"]);
    let file = f
        .dir
        .path()
        .join(id.to_string())
        .join("logs")
        .join("agent.ndjson");
    let stored = std::fs::read_to_string(file).unwrap();
    assert!(!stored.contains(token) && !stored.contains(&token[11..40]));
}

/// ~100 MB of output, far more than the ring and the files may hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stdout_flood_is_bounded_in_memory_and_on_disk() {
    let limits = LogLimits {
        file_bytes: 1024 * 1024,
        files: 3,
        ..LogLimits::default()
    };
    let f = fixture_with(|_| {}, limits);
    let spec = sh("exec yes \"$(head -c 1000 /dev/zero | tr '\\0' x)\"");
    let id = spec.agent_id;
    let rss_before = procfs::rss_bytes(std::process::id()).unwrap();
    f.rt.start(&spec).await.unwrap();
    let log = f.logs.agent(id).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut rss_peak = rss_before;
    while log.next_seq() < 100_000 {
        assert!(Instant::now() < deadline, "only {} lines", log.next_seq());
        rss_peak = rss_peak.max(procfs::rss_bytes(std::process::id()).unwrap());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f.rt.stop(id, Duration::from_secs(2)).await.unwrap();
    let grown = rss_peak.saturating_sub(rss_before);
    eprintln!(
        "flood: {} lines, RSS before {} MB, peak {} MB",
        log.next_seq(),
        rss_before >> 20,
        rss_peak >> 20
    );
    assert!(grown < 40 * 1024 * 1024, "taosd grew by {} MB", grown >> 20);
    assert!(log.ring_bytes() <= limits.ring_bytes);
    let dir = f.dir.path().join(id.to_string()).join("logs");
    let files: Vec<u64> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files.iter().all(|&len| len <= limits.file_bytes), "{files:?}");
    // Still a usable log: the newest lines, in order.
    let tail = log.query(&LogQuery {
        tail: Some(3),
        ..Default::default()
    });
    assert!(tail.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    assert!(tail[0].line.starts_with("xxxx"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_bomb_is_held_by_the_pids_limit() {
    let f = fixture();
    if !cgroups_expected(&f) {
        return;
    }
    assert!(f.rt.capabilities().limits.pids);
    // Bounded (2^10 shells), in case the limit failed: it must not take the machine down.
    // Each shell forks two more, then becomes a `sleep` (exec: no fork, so a failed fork
    // only ends the shell that tried); the leader forks once and does the same.
    let mut spec = sh(
        "b() { if [ $1 -gt 0 ]; then b $(($1-1)) & b $(($1-1)) & fi; exec sleep 3; }; b 10 & exec sleep 5",
    );
    spec.resources = Resources {
        pids: Some(16),
        ..Resources::default()
    };
    let id = spec.agent_id;
    let pgid = f.rt.start(&spec).await.unwrap().status.pid.unwrap();
    let mut most = 0;
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        most = most.max(procfs::group_members(pgid).len());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(most > 1 && most <= 16, "{most} processes");
    // The shells said why they could not fork.
    f.wait_line(id, |l| {
        l.contains("fork") || l.contains("Resource temporarily unavailable")
    })
    .await;
    f.rt.stop(id, Duration::from_millis(200)).await.unwrap();
    assert!(procfs::group_members(pgid).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_limit_is_enforced() {
    let f = fixture();
    if !cgroups_expected(&f) {
        return;
    }
    let mut spec = sh("x=$(head -c 100000000 /dev/zero | tr '\\0' x); echo ${#x}");
    spec.resources = Resources {
        memory_mb: Some(16),
        ..Resources::default()
    };
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    let status = f.wait_state(id, State::Failed).await;
    // The kernel's OOM killer, inside the agent's cgroup only.
    assert_eq!(status.signal, Some(9), "{status:?}");
    assert!(!f.texts(id).contains(&"100000000".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cpu_limit_is_enforced() {
    let f = fixture();
    if !cgroups_expected(&f) {
        return;
    }
    let mut spec = sh("while :; do :; done");
    spec.resources = Resources {
        cpus: Some(0.1),
        ..Resources::default()
    };
    let id = spec.agent_id;
    let pid = f.rt.start(&spec).await.unwrap().status.pid.unwrap();
    let start = procfs::stat(pid).unwrap().cpu_time();
    let wall = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let used = procfs::stat(pid).unwrap().cpu_time() - start;
    let elapsed = wall.elapsed();
    f.rt.stop(id, Duration::from_millis(200)).await.unwrap();
    // A tenth of a core, with room for the scheduler's accounting: never half of one.
    assert!(used < elapsed / 3, "used {used:?} of CPU in {elapsed:?}");
}
