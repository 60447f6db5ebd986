//! The process runtime against real processes (`sh`, `sleep`, `yes`, `env`): no mocks.
//! Cases that need a writable cgroup fail, rather than pass quietly, where there is none,
//! unless `TAOS_TEST_NO_CGROUPS=1` says the machine has none.

mod hostile;
mod lifecycle;
mod pause;
mod restart;
mod stop;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;
use uuid::Uuid;

use super::{ProcessConfig, ProcessRuntime, procfs};
use crate::runtime::logs::{LogLimits, LogLine, LogQuery, Logs};
use crate::runtime::{
    Events, InstanceSpec, InstanceStatus, LifecycleEvent, LifecycleKind, PauseKind, Runtime, State,
};

const WAIT: Duration = Duration::from_secs(10);

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub rt: ProcessRuntime,
    pub logs: Arc<Logs>,
    pub events: broadcast::Receiver<LifecycleEvent>,
}

pub fn fixture() -> Fixture {
    fixture_with(|_| {}, LogLimits::default())
}

pub fn fixture_with(tune: impl FnOnce(&mut ProcessConfig), limits: LogLimits) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    reopen(dir, tune, limits)
}

/// A runtime over an existing directory: what taosd finds after a restart.
pub fn reopen(dir: tempfile::TempDir, tune: impl FnOnce(&mut ProcessConfig), limits: LogLimits) -> Fixture {
    let mut config = ProcessConfig::new(dir.path());
    config.orphan_grace = Duration::from_millis(300);
    tune(&mut config);
    let logs = Arc::new(Logs::new(dir.path(), limits));
    let events = Events::new();
    let rx = events.subscribe();
    let rt = ProcessRuntime::new(config, logs.clone(), events);
    Fixture {
        dir,
        rt,
        logs,
        events: rx,
    }
}

/// No cgroups: the signal-only paths (SIGSTOP pause, process-group kill).
pub fn without_cgroups(c: &mut ProcessConfig) {
    c.cgroups = false;
}

pub fn sh(script: &str) -> InstanceSpec {
    InstanceSpec::process(Uuid::new_v4(), "agent", &["sh", "-c", script])
}

/// Whether the cgroup cases can run; false only where the machine is declared to have
/// no writable cgroup (otherwise their absence is a failure).
pub fn cgroups_expected(f: &Fixture) -> bool {
    let have = f.rt.capabilities().pause == PauseKind::CgroupFreezer;
    let none_here = std::env::var("TAOS_TEST_NO_CGROUPS").is_ok_and(|v| v == "1");
    assert!(
        have || none_here,
        "no writable cgroup found; set TAOS_TEST_NO_CGROUPS=1 on a machine without one"
    );
    if !have {
        eprintln!("NOTE: cgroup cases did not run (TAOS_TEST_NO_CGROUPS=1)");
    }
    have
}

impl Fixture {
    pub async fn wait_state(&self, id: Uuid, want: State) -> InstanceStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            let status = self.rt.state(id).await.unwrap();
            if status.state == want {
                return status;
            }
            assert!(Instant::now() < deadline, "never {want}: {status:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn lines(&self, id: Uuid) -> Vec<LogLine> {
        self.logs.agent(id).unwrap().query(&LogQuery::default())
    }

    pub fn texts(&self, id: Uuid) -> Vec<String> {
        self.lines(id).into_iter().map(|l| l.line).collect()
    }

    /// Waits until a line satisfies `pred`.
    pub async fn wait_line(&self, id: Uuid, pred: impl Fn(&str) -> bool) -> LogLine {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(l) = self.lines(id).into_iter().find(|l| pred(&l.line)) {
                return l;
            }
            assert!(Instant::now() < deadline, "no such line in {:?}", self.texts(id));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The next event of this agent (others skipped).
    pub async fn next_event(&mut self, id: Uuid) -> LifecycleEvent {
        loop {
            let e = tokio::time::timeout(WAIT, self.events.recv())
                .await
                .expect("no event in time")
                .expect("events channel");
            if e.agent_id == id {
                return e;
            }
        }
    }

    pub async fn expect_events(&mut self, id: Uuid, kinds: &[LifecycleKind]) -> Vec<LifecycleEvent> {
        let mut got = Vec::new();
        for want in kinds {
            let e = self.next_event(id).await;
            assert_eq!(
                &e.kind,
                want,
                "after {:?}",
                got.iter().map(|e: &LifecycleEvent| e.kind).collect::<Vec<_>>()
            );
            got.push(e);
        }
        got
    }

    /// The agent's home (its default working directory).
    pub fn home(&self, id: Uuid) -> std::path::PathBuf {
        self.dir
            .path()
            .join(id.to_string())
            .join("work")
            .canonicalize()
            .unwrap()
    }
}

pub fn alive(pid: u32) -> bool {
    procfs::stat(pid).is_some_and(|s| s.alive())
}

/// The pid a test agent wrote into `file` in its home.
pub async fn read_pid(f: &Fixture, id: Uuid, file: &str) -> u32 {
    let path = f.home(id).join(file);
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(pid) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            return pid;
        }
        assert!(Instant::now() < deadline, "{} never written", path.display());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
