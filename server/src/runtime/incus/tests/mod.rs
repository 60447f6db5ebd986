//! The incus runtime against a real incusd (set up by `tests/runtimes/incus.sh`): no mocks.
//! With `TAOS_TEST_INCUS=1` a missing daemon or image fails every case; without it, such
//! cases print SKIPPED and return. The unavailable-daemon cases need no daemon and always run.

mod env;
mod lifecycle;
mod pause;
mod restart;
mod unavailable;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;
use uuid::Uuid;

use super::{IncusConfig, IncusRuntime};
use crate::runtime::logs::{LogLimits, LogLine, LogQuery, Logs};
use crate::runtime::restart::Backoff;
use crate::runtime::{Events, InstanceSpec, LifecycleEvent, LifecycleKind, Runtime, State};

pub const IMAGE: &str = "taos-busybox";
const WAIT: Duration = Duration::from_secs(20);

pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// Each fixture works in its own incus project: every runtime watches (and reads the
    /// console of) all the labelled containers of its project, and console reads consume.
    pub project: String,
    pub rt: IncusRuntime,
    pub logs: Arc<Logs>,
    pub events: broadcast::Receiver<LifecycleEvent>,
    /// Containers to delete at the end, whatever happens.
    made: Vec<String>,
}

pub fn config(project: &str) -> IncusConfig {
    IncusConfig {
        project: project.into(),
        poll: Duration::from_millis(200),
        backoff: Backoff {
            initial: Duration::from_millis(300),
            max: Duration::from_secs(2),
            healthy_after: Duration::from_secs(60),
            max_fast_failures: 3,
        },
        ..IncusConfig::default()
    }
}

/// A runtime on the real daemon, or None (SKIPPED printed) when there is none and
/// `TAOS_TEST_INCUS=1` does not require one.
pub async fn fixture(case: &str) -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let project = format!("taos-test-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let f = reopen(dir, &project);
    let required = std::env::var("TAOS_TEST_INCUS").is_ok_and(|v| v == "1");
    let probe = f.rt.probe().await;
    let missing = match &probe.reason {
        Some(reason) => Some(format!("incusd is not available: {reason}")),
        None => {
            make_project(&project).await;
            let image = f.rt.inner.rest.get(&format!("/1.0/images/aliases/{IMAGE}")).await;
            image
                .err()
                .map(|e| format!("no image {IMAGE}: {e} (run tests/runtimes/incus.sh)"))
        }
    };
    match missing {
        None => Some(f),
        Some(why) if required => panic!("TAOS_TEST_INCUS=1 but {why}"),
        Some(why) => {
            eprintln!("SKIPPED: runtime::incus::{case}: {why}; set TAOS_TEST_INCUS=1 to require it");
            None
        }
    }
}

/// A project sharing the default project's images and profiles (its root disk).
async fn make_project(name: &str) {
    let rest = super::rest::Rest::new(
        super::DEFAULT_SOCKET.into(),
        "default".into(),
        Duration::from_secs(10),
    );
    let body = serde_json::json!({
        "name": name,
        "config": {"features.images": "false", "features.profiles": "false", "features.storage.volumes": "false"},
    });
    rest.run(
        http::Method::POST,
        "/1.0/projects",
        Some(&body),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
}

/// A runtime over existing logs: what taosd makes after a restart.
pub fn reopen(dir: tempfile::TempDir, project: &str) -> Fixture {
    let logs = Arc::new(Logs::new(dir.path(), LogLimits::default()));
    let events = Events::new();
    let rx = events.subscribe();
    let rt = IncusRuntime::new(config(project), logs.clone(), events);
    Fixture {
        dir,
        project: project.into(),
        rt,
        logs,
        events: rx,
        made: Vec::new(),
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // Cleanup only (the backend itself never uses the CLI).
        let incus = |args: &[&str]| {
            let _ = std::process::Command::new("incus")
                .args(args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        };
        for name in &self.made {
            incus(&["delete", "--force", "--project", &self.project, name]);
        }
        if !self.project.is_empty() {
            incus(&["project", "delete", &self.project]);
        }
    }
}

/// A busybox spec with a random name; `script` is run by `sh -c` as the container's init
/// (None: the image's own busybox init).
impl Fixture {
    pub fn spec(&mut self, script: Option<&str>) -> InstanceSpec {
        let name = format!("t-{}", &Uuid::new_v4().simple().to_string()[..10]);
        let command: Vec<&str> = match script {
            Some(s) => vec!["sh", "-c", s],
            None => vec![],
        };
        let mut spec = InstanceSpec::process(Uuid::new_v4(), &name, &command);
        spec.image = Some(IMAGE.into());
        self.made.push(format!("taos-agent-{name}"));
        spec
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
            tokio::time::sleep(Duration::from_millis(50)).await;
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
                "after {:?}; status {:?}",
                got.iter().map(|e: &LifecycleEvent| e.kind).collect::<Vec<_>>(),
                e.status
            );
            got.push(e);
        }
        got
    }

    /// The container's status code as incusd reports it (None: no container).
    pub async fn daemon_code(&self, spec: &InstanceSpec) -> Option<u64> {
        let name = format!("taos-agent-{}", spec.name);
        self.rt.inner.observe(&name).await.unwrap().map(|o| o.code)
    }
}

pub const GRACE: Duration = Duration::from_secs(2);
