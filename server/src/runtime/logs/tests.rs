use std::time::Duration;

use super::*;

fn small() -> LogLimits {
    LogLimits {
        ring_lines: 10,
        ring_bytes: 64 * 1024,
        max_line_bytes: 100,
        file_bytes: 4 * 1024,
        files: 3,
        follow_buffer: 4,
    }
}

fn write(log: &AgentLog, n: usize, prefix: &str) {
    for i in 0..n {
        let stream = if i % 2 == 0 {
            Stream::Stdout
        } else {
            Stream::Stderr
        };
        log.append(stream, format!("{prefix} {i}").as_bytes(), false);
    }
}

fn seqs(lines: &[LogLine]) -> Vec<u64> {
    lines.iter().map(|l| l.seq).collect()
}

#[test]
fn seq_keeps_growing_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let log = AgentLog::open(dir.path(), small()).unwrap();
    write(&log, 5, "first run");
    log.flush();
    drop(log);
    let log = AgentLog::open(dir.path(), small()).unwrap();
    assert_eq!(log.next_seq(), 5);
    write(&log, 2, "second run");
    let all = log.query(&LogQuery::default());
    assert_eq!(seqs(&all), [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(all[5].line, "second run 0");
}

#[test]
fn a_line_cut_short_by_a_crash_is_skipped_and_the_next_starts_clean() {
    let dir = tempfile::tempdir().unwrap();
    let log = AgentLog::open(dir.path(), small()).unwrap();
    write(&log, 3, "x");
    log.flush();
    drop(log);
    let path = dir.path().join("agent.ndjson");
    let mut text = std::fs::read(&path).unwrap();
    text.extend_from_slice(br#"{"seq":3,"ts":"2026-"#);
    std::fs::write(&path, text).unwrap();

    let log = AgentLog::open(dir.path(), small()).unwrap();
    assert_eq!(log.next_seq(), 3, "the torn line does not count");
    write(&log, 1, "after");
    let all = log.query(&LogQuery::default());
    assert_eq!(seqs(&all), [0, 1, 2, 3]);
    assert_eq!(all[3].line, "after 0");
}

#[test]
fn a_flood_is_bounded_in_files_and_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let limits = small();
    let log = AgentLog::open(dir.path(), limits).unwrap();
    for i in 0..20_000 {
        log.append(
            Stream::Stdout,
            format!("{i} {}", "x".repeat(500)).as_bytes(),
            false,
        );
    }
    log.flush();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["agent.ndjson", "agent.ndjson.1", "agent.ndjson.2"]);
    for name in &names {
        let len = std::fs::metadata(dir.path().join(name)).unwrap().len();
        assert!(len <= limits.file_bytes, "{name}: {len} bytes");
    }
    assert!(log.ring_bytes() <= limits.ring_bytes);
    // Cut at the bound, marked.
    let last = log.query(&LogQuery {
        tail: Some(1),
        ..Default::default()
    });
    assert_eq!(last[0].seq, 19_999);
    assert!(last[0].line.len() <= limits.max_line_bytes && last[0].line.ends_with('…'));
    // Reopened, it still knows where it was.
    drop(log);
    assert_eq!(AgentLog::open(dir.path(), limits).unwrap().next_seq(), 20_000);
}

#[test]
fn queries_filter_by_tail_stream_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = AgentLog::open(dir.path(), small()).unwrap();
    write(&log, 6, "early");
    std::thread::sleep(Duration::from_millis(20));
    let middle = Utc::now();
    std::thread::sleep(Duration::from_millis(20));
    write(&log, 30, "late");

    // Beyond the ring (10 lines): answered from the files.
    let all = log.query(&LogQuery::default());
    assert_eq!(seqs(&all), (0..36).collect::<Vec<_>>());
    let tail = log.query(&LogQuery {
        tail: Some(3),
        ..Default::default()
    });
    assert_eq!(seqs(&tail), [33, 34, 35]);
    let stderr = log.query(&LogQuery {
        tail: Some(2),
        stream: Some(Stream::Stderr),
        ..Default::default()
    });
    assert_eq!(seqs(&stderr), [33, 35]);
    let early = log.query(&LogQuery {
        until: Some(middle),
        ..Default::default()
    });
    assert_eq!(seqs(&early), [0, 1, 2, 3, 4, 5]);
    let late = log.query(&LogQuery {
        since: Some(middle),
        limit: Some(2),
        ..Default::default()
    });
    assert_eq!(seqs(&late), [6, 7]);
    let after = log.query(&LogQuery {
        after_seq: Some(33),
        ..Default::default()
    });
    assert_eq!(seqs(&after), [34, 35]);
    let huge = log.query(&LogQuery {
        tail: Some(usize::MAX),
        ..Default::default()
    });
    assert_eq!(huge.len(), 36);
}

#[test]
fn the_agents_secrets_never_reach_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let log = AgentLog::open(dir.path(), small()).unwrap();
    let token = "taos_agent_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcXYZ12";
    let old_token = "taos_agent_0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld";
    log.add_secrets([old_token.to_string(), "ab".to_string()]);
    // Re-issued: the new token is added, the old one stays masked.
    log.add_secrets([token.to_string()]);
    log.append(Stream::Stdout, format!("old {old_token}").as_bytes(), false);
    log.append(Stream::Stdout, format!("my token is {token}").as_bytes(), false);
    log.append(
        Stream::Stderr,
        format!("Authorization: Bearer {token}\r").as_bytes(),
        false,
    );
    log.append(Stream::Stdout, b"abc", false);
    log.flush();
    let stored = std::fs::read_to_string(dir.path().join("agent.ndjson")).unwrap();
    assert!(!stored.contains(token), "{stored}");
    let lines = log.query(&LogQuery::default());
    assert_eq!(lines[0].line, "old [REDACTED]");
    assert_eq!(lines[1].line, "my token is [REDACTED]");
    assert_eq!(lines[2].line, "Authorization: Bearer [REDACTED]");
    assert_eq!(
        lines[3].line, "abc",
        "values too short to be secrets are not masked"
    );
    // Bounded: the oldest secrets give way.
    log.add_secrets((0..MAX_SECRETS - 1).map(|i| format!("secret-{i:04}")));
    log.append(Stream::Stdout, format!("{token} {old_token}").as_bytes(), false);
    let last = log.query(&LogQuery {
        tail: Some(1),
        ..Default::default()
    });
    assert_eq!(last[0].line, format!("[REDACTED] {old_token}"));
}

#[tokio::test]
async fn a_follower_resumes_from_a_seq_the_ring_no_longer_holds() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(AgentLog::open(dir.path(), small()).unwrap());
    write(&log, 25, "before");
    let mut f = log.follow(Some(4), None);
    for want in 5..25 {
        assert_eq!(f.next().await.unwrap().seq, want);
    }
    write(&log, 1, "live");
    assert_eq!(f.next().await.unwrap().line, "live 0");
    // From now: only new lines; a stream filter applies.
    let mut g = log.follow(None, Some(Stream::Stderr));
    write(&log, 4, "new");
    let got = [g.next().await.unwrap(), g.next().await.unwrap()];
    assert_eq!(got.map(|l| l.line.clone()), ["new 1", "new 3"]);
}

#[tokio::test]
async fn a_slow_follower_misses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let limits = LogLimits {
        file_bytes: 1024 * 1024,
        ..small()
    };
    let log = Arc::new(AgentLog::open(dir.path(), limits).unwrap());
    let mut f = log.follow(None, None);
    let writer = {
        let log = log.clone();
        tokio::spawn(async move {
            for i in 0..3000 {
                log.append(Stream::Stdout, format!("line {i}").as_bytes(), false);
                if i % 500 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    for want in 0..3000u64 {
        let line = tokio::time::timeout(Duration::from_secs(10), f.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((line.seq, line.line.clone()), (want, format!("line {want}")));
    }
    writer.await.unwrap();
}

#[tokio::test]
async fn feeding_cuts_long_lines_and_keeps_a_last_line_without_newline() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(AgentLog::open(dir.path(), small()).unwrap());
    let mut input = Vec::new();
    input.extend_from_slice(b"short\n");
    input.extend(std::iter::repeat_n(b'y', 1_000_000));
    input.extend_from_slice(b"\nlast words");
    let stored = feed(&input[..], Stream::Stdout, log.clone()).await;
    assert_eq!(stored, 3);
    let lines = log.query(&LogQuery::default());
    assert_eq!(lines[0].line, "short");
    assert!(lines[1].line.len() <= 100 && lines[1].line.starts_with("yyy") && lines[1].line.ends_with('…'));
    assert_eq!(lines[2].line, "last words");
}

#[test]
fn logs_of_every_agent_live_under_their_own_dir() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::new(dir.path(), small());
    let a = Uuid::new_v4();
    let log = logs.agent(a).unwrap();
    assert!(Arc::ptr_eq(&log, &logs.agent(a).unwrap()));
    log.append(Stream::Stdout, b"hi", false);
    logs.close(a);
    let path = dir.path().join(a.to_string()).join("logs").join("agent.ndjson");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);
    assert_eq!(logs.agent(a).unwrap().next_seq(), 1);
}

#[tokio::test]
async fn a_catch_up_finds_its_place_in_large_files_by_bisecting() {
    let dir = tempfile::tempdir().unwrap();
    let limits = LogLimits {
        file_bytes: 512 * 1024,
        files: 4,
        ..small()
    };
    let log = Arc::new(AgentLog::open(dir.path(), limits).unwrap());
    // About 1.4 MB of NDJSON: three files, each past the 64 KiB below which it scans.
    write(&log, 15_000, "a line long enough to fill the files quickly");
    for after in [0u64, 1, 4_999, 5_000, 7_777, 10_001, 14_990, 14_998] {
        let got = log.query(&LogQuery {
            after_seq: Some(after),
            limit: Some(5),
            ..Default::default()
        });
        let want: Vec<u64> = (after + 1..(after + 6).min(15_000)).collect();
        assert_eq!(seqs(&got), want, "after {after}");
    }
    let none = log.query(&LogQuery {
        after_seq: Some(14_999),
        ..Default::default()
    });
    assert!(none.is_empty());
    let mut f = log.follow(Some(3_210), None);
    for want in 3_211..5_300 {
        assert_eq!(f.next().await.unwrap().seq, want);
    }
}

#[tokio::test]
async fn followers_share_one_rendering_of_each_live_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(AgentLog::open(dir.path(), small()).unwrap());
    let (mut f, mut g) = (log.follow(None, None), log.follow(None, None));
    // Both wait before the lines are written, as live followers do.
    let (a, b, ()) = tokio::join!(f.next(), g.next(), async {
        tokio::task::yield_now().await;
        write(&log, 2, "shared");
    });
    let renders = std::sync::atomic::AtomicUsize::new(0);
    let render = |l: &LogLine| {
        renders.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes::Bytes::from(l.line.clone())
    };
    let (a, b) = (a.unwrap().wire(render), b.unwrap().wire(render));
    assert_eq!((a.as_ptr(), &a[..]), (b.as_ptr(), &b"shared 0"[..]));
    assert_eq!(renders.load(std::sync::atomic::Ordering::Relaxed), 1);
    // A line read back for one follower (a resume) is rendered for it alone.
    let mut h = log.follow(Some(0), None);
    let c = h.next().await.unwrap().wire(render);
    assert_eq!(
        (&c[..], renders.load(std::sync::atomic::Ordering::Relaxed)),
        (&b"shared 1"[..], 2)
    );
}
