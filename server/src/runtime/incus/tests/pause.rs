use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_freezes_the_output_and_a_paused_agent_still_stops() {
    let Some(mut f) = fixture("pause").await else {
        return;
    };
    let spec = f.spec(Some(
        "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done",
    ));
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_line(id, |l| l == "tick 3").await;

    let t = f.rt.pause(id).await.unwrap();
    assert!(t.changed);
    assert_eq!(t.status.state, State::Paused);
    assert_eq!(f.daemon_code(&spec).await, Some(110));
    assert!(!f.rt.pause(id).await.unwrap().changed);
    // Whatever was written before the freeze arrives; then nothing more.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let frozen = f.texts(id).len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(f.texts(id).len(), frozen, "output while paused");

    let t = f.rt.resume(id).await.unwrap();
    assert_eq!((t.changed, t.status.state), (true, State::Running));
    f.wait_line(id, |l| l == format!("tick {}", frozen + 3)).await;

    // The trap: a graceful stop of a frozen container wedges it unless it is thawed first.
    f.rt.pause(id).await.unwrap();
    let t = f.rt.stop(id, Duration::from_secs(1)).await.unwrap();
    assert_eq!((t.from, t.status.state), (State::Paused, State::Stopped));
    assert_eq!(f.daemon_code(&spec).await, Some(102));
    // And it starts again.
    assert_eq!(f.rt.start(&spec).await.unwrap().status.state, State::Running);
    assert!(f.rt.remove(id, GRACE).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_that_busybox_init_ignores_is_forced_after_the_grace() {
    let Some(mut f) = fixture("stop_force").await else {
        return;
    };
    // The image's own init: busybox, which ignores LXC's halt signal.
    let spec = f.spec(None);
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    let begun = Instant::now();
    let t = f.rt.stop(id, Duration::from_secs(1)).await.unwrap();
    let took = begun.elapsed();
    assert_eq!(t.status.state, State::Stopped);
    assert_eq!(f.daemon_code(&spec).await, Some(102));
    assert!(took >= Duration::from_secs(1), "the grace was given: {took:?}");
    assert!(took < Duration::from_secs(15), "then forced: {took:?}");
    assert!(f.rt.remove(id, GRACE).await.unwrap());
}
