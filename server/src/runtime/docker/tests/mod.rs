//! The docker runtime against a real dockerd (`tests/runtimes/docker.sh` sets one up, with
//! the image `localhost/taos-busybox:latest`): no mocks. With `TAOS_TEST_DOCKER=1` a
//! missing daemon fails every case; without it they print SKIPPED and return. The cases
//! about an unreachable daemon need none and always run.

mod adopt;
mod crash;
mod env;
mod flood;
mod lifecycle;
mod pause;
mod reconnect;
mod unavailable;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;
use uuid::Uuid;

use super::{DockerConfig, DockerRuntime};
use crate::runtime::logs::{LogLimits, LogLine, LogQuery, Logs};
use crate::runtime::{Events, InstanceSpec, InstanceStatus, LifecycleEvent, LifecycleKind, Runtime, State};

pub const IMAGE: &str = "localhost/taos-busybox:latest";
const WAIT: Duration = Duration::from_secs(15);

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub rt: DockerRuntime,
    pub logs: Arc<Logs>,
    pub events: broadcast::Receiver<LifecycleEvent>,
    /// Containers this test made, removed when the fixture drops (even after a panic).
    made: Arc<Made>,
}

#[derive(Default)]
pub struct Made(Mutex<Vec<String>>);

fn required() -> bool {
    std::env::var("TAOS_TEST_DOCKER").is_ok_and(|v| v == "1")
}

/// A runtime over the local dockerd, or None (after a loud SKIPPED) when there is none
/// and none is required.
pub async fn fixture(test: &str) -> Option<Fixture> {
    fixture_with(test, |_| {}, LogLimits::default()).await
}

pub async fn fixture_with(
    test: &str,
    tune: impl FnOnce(&mut DockerConfig),
    limits: LogLimits,
) -> Option<Fixture> {
    let f = open(tempfile::tempdir().unwrap(), tune, limits, Arc::default());
    let probe = f.rt.probe().await;
    if !probe.available {
        let why = probe.reason.unwrap_or_default();
        assert!(
            !required(),
            "TAOS_TEST_DOCKER=1 but no Docker engine: {why} (run tests/runtimes/docker.sh)"
        );
        eprintln!("SKIPPED: {test}: no Docker engine ({why}); set TAOS_TEST_DOCKER=1 to require one");
        return None;
    }
    let image = std::process::Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", IMAGE])
        .output();
    let have_image = image.is_ok_and(|o| o.status.success());
    if !have_image {
        assert!(!required(), "no image {IMAGE}: run tests/runtimes/docker.sh");
        eprintln!("SKIPPED: {test}: no image {IMAGE} (run tests/runtimes/docker.sh)");
        return None;
    }
    Some(f)
}

/// A runtime over an existing directory: what taosd finds after a restart.
pub fn open(
    dir: tempfile::TempDir,
    tune: impl FnOnce(&mut DockerConfig),
    limits: LogLimits,
    made: Arc<Made>,
) -> Fixture {
    let mut config = DockerConfig::default();
    tune(&mut config);
    let logs = Arc::new(Logs::new(dir.path(), limits));
    let events = Events::new();
    let rx = events.subscribe();
    let rt = DockerRuntime::new(config, logs.clone(), events);
    Fixture {
        dir,
        rt,
        logs,
        events: rx,
        made,
    }
}

/// A spec running `script` in the busybox image, under a name no other test uses.
pub fn bb(f: &Fixture, script: &str) -> InstanceSpec {
    let id = Uuid::new_v4();
    let name = format!("t-{}", &id.simple().to_string()[..12]);
    f.made.0.lock().unwrap().push(super::container_name(&name));
    InstanceSpec {
        image: Some(IMAGE.into()),
        ..InstanceSpec::process(id, &name, &["sh", "-c", script])
    }
}

/// What the docker CLI says (the tests' independent view of the daemon).
pub fn docker(args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("docker").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Drop for Made {
    fn drop(&mut self) {
        let names = self.0.lock().map(|m| m.clone()).unwrap_or_default();
        if !names.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(names.iter().map(String::as_str));
            let _ = std::process::Command::new("docker")
                .args(&args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

impl Fixture {
    /// Another runtime (and log store) over this one's directory, as after a taosd restart;
    /// this one is dropped first.
    pub fn restart_taosd(self) -> Fixture {
        let made = self.made.clone();
        let Fixture {
            dir,
            rt,
            logs,
            events,
            ..
        } = self;
        drop((rt, logs, events));
        open(dir, |_| {}, LogLimits::default(), made)
    }

    pub async fn wait_state(&self, id: Uuid, want: State) -> InstanceStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            let status = self.rt.state(id).await.unwrap();
            if status.state == want {
                return status;
            }
            assert!(Instant::now() < deadline, "never {want}: {status:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn lines(&self, id: Uuid) -> Vec<LogLine> {
        self.logs.agent(id).unwrap().query(&LogQuery::default())
    }

    pub fn texts(&self, id: Uuid) -> Vec<String> {
        self.lines(id).into_iter().map(|l| l.line).collect()
    }

    pub async fn wait_line(&self, id: Uuid, pred: impl Fn(&str) -> bool) -> LogLine {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(l) = self.lines(id).into_iter().find(|l| pred(&l.line)) {
                return l;
            }
            assert!(Instant::now() < deadline, "no such line in {:?}", self.texts(id));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

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

    /// No further event of this agent within `quiet`.
    pub async fn no_event(&mut self, id: Uuid, quiet: Duration) {
        let deadline = Instant::now() + quiet;
        while let Ok(Ok(e)) = tokio::time::timeout_at(deadline, self.events.recv()).await {
            assert_ne!(e.agent_id, id, "unexpected event {:?}", e.kind);
        }
    }
}
