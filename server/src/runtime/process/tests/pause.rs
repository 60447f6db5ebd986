use super::*;
use crate::runtime::process::ProcessConfig;
use crate::runtime::{Error, Verb};

/// Busy in the shell itself (the leader), printing as it goes.
const BUSY: &str = "while :; do i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; echo tick; done";

fn cpu(pid: u32) -> Duration {
    procfs::stat(pid).unwrap().cpu_time()
}

/// Pause freezes for real: CPU time (utime + stime) and output do not advance while
/// paused, and both go on after resume.
async fn freezes(tune: impl FnOnce(&mut ProcessConfig), kind: PauseKind) {
    let mut f = fixture_with(tune, LogLimits::default());
    assert_eq!(f.rt.capabilities().pause, kind);
    let spec = sh(BUSY);
    let id = spec.agent_id;
    let pid = f.rt.start(&spec).await.unwrap().status.pid.unwrap();
    f.wait_line(id, |l| l == "tick").await;
    let log = f.logs.agent(id).unwrap();

    let t = f.rt.pause(id).await.unwrap();
    assert!(t.changed);
    assert_eq!((t.from, t.status.state), (State::Running, State::Paused));
    assert_eq!(f.rt.state(id).await.unwrap().state, State::Paused);
    // Anything already in the pipe is read; then nothing more comes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (cpu_paused, seq_paused) = (cpu(pid), log.next_seq());
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(cpu(pid), cpu_paused, "CPU time advanced while paused");
    assert_eq!(log.next_seq(), seq_paused, "output while paused");

    let again = f.rt.pause(id).await.unwrap();
    assert!(!again.changed);
    let err = f.rt.start(&spec).await.unwrap_err();
    assert_eq!(
        err,
        Error::InvalidTransition {
            verb: Verb::Start,
            from: State::Paused,
            allowed: vec![Verb::Stop, Verb::Resume, Verb::Restart],
        }
    );

    let t = f.rt.resume(id).await.unwrap();
    assert_eq!((t.changed, t.status.state), (true, State::Running));
    let deadline = Instant::now() + WAIT;
    while cpu(pid) == cpu_paused || log.next_seq() == seq_paused {
        assert!(Instant::now() < deadline, "it did not go on after resume");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!f.rt.resume(id).await.unwrap().changed);
    f.expect_events(
        id,
        &[
            LifecycleKind::Started,
            LifecycleKind::Paused,
            LifecycleKind::Resumed,
        ],
    )
    .await;
    f.rt.remove(id, Duration::from_secs(1)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_freezes_with_the_cgroup_freezer() {
    let f = fixture();
    if !cgroups_expected(&f) {
        return;
    }
    freezes(|_| {}, PauseKind::CgroupFreezer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_freezes_with_sigstop_without_cgroups() {
    freezes(without_cgroups, PauseKind::Sigstop).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_of_a_stopped_agent_name_the_verbs_that_work() {
    let f = fixture();
    let spec = sh("exit 0");
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_state(id, State::Stopped).await;
    for verb in [Verb::Pause, Verb::Resume] {
        let result = match verb {
            Verb::Pause => f.rt.pause(id).await,
            _ => f.rt.resume(id).await,
        };
        assert_eq!(
            result.unwrap_err(),
            Error::InvalidTransition {
                verb,
                from: State::Stopped,
                allowed: vec![Verb::Start, Verb::Restart],
            }
        );
    }
    assert_eq!(
        f.rt.pause(uuid::Uuid::new_v4()).await.unwrap_err(),
        Error::NotFound
    );
}
