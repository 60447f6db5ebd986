use super::*;
use crate::runtime::{RestartPolicy, StopCause};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_runs_again_and_a_changed_spec_makes_a_new_container() {
    let Some(mut f) = fixture("restart").await else {
        return;
    };
    let mut spec = f.spec(Some("echo run $ROUND; sleep 600"));
    spec.env.insert("ROUND", "one");
    let id = spec.agent_id;
    let first = f.rt.start(&spec).await.unwrap().status.pid;
    f.wait_line(id, |l| l == "run one").await;

    let t = f.rt.restart(&spec, Duration::from_secs(1)).await.unwrap();
    assert_eq!(
        (t.changed, t.from, t.status.state),
        (true, State::Running, State::Running)
    );
    assert_ne!(t.status.pid, first);
    f.expect_events(
        id,
        &[
            LifecycleKind::Started,
            LifecycleKind::Stopped {
                cause: StopCause::Verb,
            },
            LifecycleKind::Started,
        ],
    )
    .await;

    let created = |f: &Fixture| {
        let name = format!("taos-agent-{}", spec.name);
        let rest = f.rt.inner.rest.clone();
        async move {
            let inst = rest.get(&format!("/1.0/instances/{name}")).await.unwrap();
            inst["created_at"].as_str().unwrap().to_string()
        }
    };
    let made_at = created(&f).await;
    let mut changed = spec.clone();
    changed.env.insert("ROUND", "two");
    f.rt.restart(&changed, Duration::from_secs(1)).await.unwrap();
    f.wait_line(id, |l| l == "run two").await;
    assert_ne!(created(&f).await, made_at, "made again from the new spec");
    assert!(f.rt.remove(id, GRACE).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_is_an_exit_and_the_policy_restarts_then_gives_up() {
    let Some(mut f) = fixture("crash").await else {
        return;
    };
    let mut spec = f.spec(Some("echo run; sleep 0.5; exit 3"));
    spec.restart = RestartPolicy::OnFailure;
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.expect_events(id, &[LifecycleKind::Started]).await;
    let exited = f.next_event(id).await;
    assert_eq!(exited.kind, LifecycleKind::Exited);
    assert_eq!(exited.status.state, State::Failed);
    assert_eq!(exited.status.exit_code, None, "incus does not give it");
    let e = f.next_event(id).await;
    assert!(matches!(e.kind, LifecycleKind::RestartScheduled { .. }), "{e:?}");
    f.expect_events(id, &[LifecycleKind::Started, LifecycleKind::Exited])
        .await;
    assert!(matches!(
        f.next_event(id).await.kind,
        LifecycleKind::RestartScheduled { .. }
    ));
    f.expect_events(
        id,
        &[
            LifecycleKind::Started,
            LifecycleKind::Exited,
            LifecycleKind::GaveUp,
        ],
    )
    .await;
    let status = f.rt.state(id).await.unwrap();
    assert_eq!((status.state, status.restart_count), (State::Failed, 2));
    // Each run's output, the last line included.
    assert!(
        f.texts(id).iter().filter(|l| *l == "run").count() >= 2,
        "{:?}",
        f.texts(id)
    );
    assert!(f.rt.remove(id, GRACE).await.unwrap());
}
