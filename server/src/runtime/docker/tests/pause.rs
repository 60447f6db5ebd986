use super::*;

/// Lines stored so far.
fn count(f: &Fixture, id: Uuid) -> usize {
    f.lines(id).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_freezes_the_container_and_resume_continues_it() {
    let Some(f) = fixture("pause").await else { return };
    let spec = bb(
        &f,
        "i=0; while :; do i=$((i+1)); echo tick $i; usleep 50000; done",
    );
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_line(id, |l| l == "tick 3").await;

    let p = f.rt.pause(id).await.unwrap();
    assert!(p.changed);
    assert_eq!((p.from, p.status.state), (State::Running, State::Paused));
    assert!(!f.rt.pause(id).await.unwrap().changed, "pause is idempotent");
    // Lines already written may still be on their way to taosd; then nothing more.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let frozen = count(&f, id);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(count(&f, id), frozen, "a paused container printed");
    assert_eq!(f.rt.state(id).await.unwrap().state, State::Paused);

    let r = f.rt.resume(id).await.unwrap();
    assert!(r.changed);
    assert_eq!((r.from, r.status.state), (State::Paused, State::Running));
    assert!(!f.rt.resume(id).await.unwrap().changed, "resume is idempotent");
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(&f, id) < frozen + 5 {
        assert!(Instant::now() < deadline, "no output after resume");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The counter went on from where it was: the same process, frozen, not restarted.
    let texts = f.texts(id);
    let n: Vec<u64> = texts
        .iter()
        .filter_map(|l| l.strip_prefix("tick ")?.parse().ok())
        .collect();
    assert!(n.windows(2).all(|w| w[1] == w[0] + 1), "{n:?}");
    assert!(f.rt.remove(id, Duration::from_secs(1)).await.unwrap());
}
