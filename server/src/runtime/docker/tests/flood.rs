use super::*;
use crate::runtime::process::procfs;

/// `yes` for 2 s: far more than the ring may hold (Docker keeps ~20 MB of it, which taosd
/// reads as fast as it can), and taosd's memory stays flat meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stdout_flood_is_bounded_in_memory() {
    let limits = LogLimits {
        file_bytes: 1024 * 1024,
        files: 3,
        ..LogLimits::default()
    };
    let Some(f) = fixture_with("flood", |_| {}, limits).await else {
        return;
    };
    let line = "flood-line-of-some-length-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    let spec = bb(&f, &format!("yes {line} & sleep 2; kill $!; echo done; sleep 60"));
    let id = spec.agent_id;
    let rss_before = procfs::rss_bytes(std::process::id()).unwrap();
    f.rt.start(&spec).await.unwrap();
    let log = f.logs.agent(id).unwrap();
    // Reading speed depends on the machine's load: sample while taosd reads, a while.
    let began = Instant::now();
    let mut rss_peak = rss_before;
    while log.next_seq() < 60_000 && began.elapsed() < Duration::from_secs(8) {
        rss_peak = rss_peak.max(procfs::rss_bytes(std::process::id()).unwrap());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let grown = rss_peak.saturating_sub(rss_before);
    eprintln!(
        "flood: {} lines in {:?}, RSS before {} MB, peak {} MB",
        log.next_seq(),
        began.elapsed(),
        rss_before >> 20,
        rss_peak >> 20
    );
    assert!(log.next_seq() > 5_000, "not a flood: {} lines", log.next_seq());
    assert!(grown < 40 * 1024 * 1024, "taosd grew by {} MB", grown >> 20);
    assert!(log.ring_bytes() <= limits.ring_bytes);
    let tail = log.query(&LogQuery {
        tail: Some(3),
        ..Default::default()
    });
    assert!(
        tail.iter().all(|l| l.line == line || l.line == "done"),
        "{tail:?}"
    );
    assert!(f.rt.remove(id, Duration::from_secs(1)).await.unwrap());
}
