use super::*;
use crate::runtime::logs::Stream;
use crate::runtime::{Backoff, RestartPolicy};

fn quick(c: &mut DockerConfig) {
    c.backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(200),
        healthy_after: Duration::from_secs(60),
        max_fast_failures: 3,
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_is_exited_failed_and_restarted_with_backoff_until_the_policy_gives_up() {
    let Some(mut f) = fixture_with("crash", quick, LogLimits::default()).await else {
        return;
    };
    let mut spec = bb(&f, "echo 'cannot reach the model' >&2; exit 3");
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
    let exited = &events[1].status;
    assert_eq!(
        (exited.state, exited.exit_code, exited.signal),
        (State::Failed, Some(3), None)
    );
    assert_eq!(exited.last_error.as_deref(), Some("exited with status 3"));
    assert!(exited.finished_at.is_some() && exited.pid.is_none());
    assert_eq!(events[3].status.restart_count, 1);
    assert_eq!(events[6].status.restart_count, 2);
    let last = &events[8].status;
    assert_eq!(last.state, State::Failed);
    assert!(
        last.last_error.as_deref().unwrap().starts_with("gave up after 3"),
        "{last:?}"
    );
    // The crash's last words are in the log, on stderr.
    let lines = f.lines(id);
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|l| (l.stream, l.line.as_str()) == (Stream::Stderr, "cannot reach the model"))
    );
    let status = f.rt.state(id).await.unwrap();
    assert_eq!((status.state, status.exit_code), (State::Failed, Some(3)));
    f.no_event(id, Duration::from_millis(500)).await;
    assert!(f.rt.remove(id, Duration::from_secs(1)).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_exit_is_stopped_and_not_restarted_on_failure() {
    let Some(mut f) = fixture_with("clean exit", quick, LogLimits::default()).await else {
        return;
    };
    let mut spec = bb(&f, "echo bye");
    spec.restart = RestartPolicy::OnFailure;
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.expect_events(id, &[LifecycleKind::Started, LifecycleKind::Exited])
        .await;
    let status = f.wait_state(id, State::Stopped).await;
    assert_eq!(status.exit_code, Some(0));
    f.no_event(id, Duration::from_millis(500)).await;
    assert_eq!(f.texts(id), ["bye"]);
    assert!(f.rt.remove(id, Duration::from_secs(1)).await.unwrap());
}
