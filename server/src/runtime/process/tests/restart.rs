use super::*;
use crate::runtime::logs::Stream;
use crate::runtime::process::ProcessConfig;
use crate::runtime::{Backoff, RestartPolicy, StopCause};

fn quick(c: &mut ProcessConfig) {
    c.backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(200),
        healthy_after: Duration::from_secs(60),
        max_fast_failures: 3,
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_exits_at_once_is_failed_with_its_code() {
    let mut f = fixture();
    let spec = sh("echo 'cannot reach the model' >&2; exit 3");
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    let events = f
        .expect_events(id, &[LifecycleKind::Started, LifecycleKind::Exited])
        .await;
    let status = &events[1].status;
    assert_eq!(
        (status.state, status.exit_code, status.signal),
        (State::Failed, Some(3), None)
    );
    assert_eq!(status.last_error.as_deref(), Some("exited with status 3"));
    assert!(status.finished_at.is_some() && status.pid.is_none());
    // What a crash notification quotes is in the log when the event arrives.
    let last = f.logs.agent(id).unwrap().query(&LogQuery {
        tail: Some(5),
        ..Default::default()
    });
    assert_eq!(
        (last[0].stream, last[0].line.as_str()),
        (Stream::Stderr, "cannot reach the model")
    );
    assert_eq!(f.rt.state(id).await.unwrap(), *status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_failure_restarts_with_growing_pauses_then_gives_up() {
    let mut f = fixture_with(quick, LogLimits::default());
    let mut spec = sh("echo run; exit 1");
    spec.restart = RestartPolicy::OnFailure;
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    use LifecycleKind::*;
    let events = f
        .expect_events(
            id,
            &[
                Started,
                Exited,
                RestartScheduled { delay_ms: 100 },
                Started,
                Exited,
                RestartScheduled { delay_ms: 200 },
                Started,
                Exited,
                GaveUp,
            ],
        )
        .await;
    // Each restart waited at least its pause.
    for (scheduled, started, ms) in [(2, 3, 100), (5, 6, 200)] {
        let waited = events[started].at - events[scheduled].at;
        assert!(waited >= chrono::Duration::milliseconds(ms - 5), "{waited}");
    }
    let status = f.rt.state(id).await.unwrap();
    assert_eq!(
        (status.state, status.restart_count, status.exit_code),
        (State::Failed, 2, Some(1))
    );
    assert_eq!(
        status.last_error.as_deref(),
        Some("gave up after 3 failed starts in a row (last: exited with status 1)")
    );
    assert_eq!(f.texts(id), ["run", "run", "run"]);
    // The owner's start begins again from zero.
    let t = f.rt.start(&spec).await.unwrap();
    assert_eq!((t.from, t.status.restart_count), (State::Failed, 0));
    f.rt.remove(id, Duration::from_secs(1)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_failure_leaves_a_clean_exit_alone_and_always_does_not() {
    let mut f = fixture_with(quick, LogLimits::default());
    let mut spec = sh("exit 0");
    spec.restart = RestartPolicy::OnFailure;
    f.rt.start(&spec).await.unwrap();
    let e = f
        .expect_events(spec.agent_id, &[LifecycleKind::Started, LifecycleKind::Exited])
        .await;
    assert_eq!(e[1].status.state, State::Stopped);
    assert_eq!(f.rt.state(spec.agent_id).await.unwrap().next_restart_at, None);

    let mut spec = sh("exit 0");
    spec.restart = RestartPolicy::Always;
    f.rt.start(&spec).await.unwrap();
    f.expect_events(
        spec.agent_id,
        &[
            LifecycleKind::Started,
            LifecycleKind::Exited,
            LifecycleKind::RestartScheduled { delay_ms: 100 },
            LifecycleKind::Started,
        ],
    )
    .await;
    f.rt.remove(spec.agent_id, Duration::from_secs(1)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_during_the_back_off_cancels_the_restart() {
    let mut f = fixture_with(
        |c| {
            quick(c);
            c.backoff.initial = Duration::from_millis(400);
            c.backoff.max = Duration::from_millis(400);
        },
        LogLimits::default(),
    );
    let mut spec = sh("exit 2");
    spec.restart = RestartPolicy::OnFailure;
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.expect_events(
        id,
        &[
            LifecycleKind::Started,
            LifecycleKind::Exited,
            LifecycleKind::RestartScheduled { delay_ms: 400 },
        ],
    )
    .await;
    let waiting = f.rt.state(id).await.unwrap();
    assert_eq!(waiting.state, State::Failed);
    assert!(waiting.next_restart_at.is_some());

    let t = f.rt.stop(id, Duration::from_secs(1)).await.unwrap();
    assert_eq!(
        (t.changed, t.from, t.status.state),
        (true, State::Failed, State::Stopped)
    );
    assert_eq!(t.status.exit_code, Some(2), "the last exit is kept");
    f.expect_events(
        id,
        &[LifecycleKind::Stopped {
            cause: StopCause::Verb,
        }],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(f.rt.state(id).await.unwrap().state, State::Stopped);
    assert!(f.events.try_recv().is_err(), "nothing restarted it");
}
