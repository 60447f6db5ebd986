//! A real `taosd` process for one test: spawned on `127.0.0.1:0` with a temp data dir (and, for
//! PostgreSQL, a database of its own), found through the one line it prints on stdout, stopped
//! with SIGTERM on [`Server::stop`] or on drop.

use std::future::Future;
use std::path::Path;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::process::Child;

use crate::db;

mod clients;
mod log;
mod process;

use process::sigterm;

/// How long taosd may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Which database a [`Server`] runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `<data dir>/taos.db`, taosd's default.
    Sqlite,
    /// A fresh database `taos_e2e_<uuid>` on the server named by `TAOS_TEST_DATABASE_URL`,
    /// dropped when the [`Server`] is.
    Postgres {
        /// The URL taosd gets as `TAOS_DATABASE_URL`.
        url: String,
        /// The URL the database was created from (and is dropped through).
        admin_url: String,
        name: String,
    },
    /// Another taosd's PostgreSQL database, shared as a replica would (not dropped by this one).
    Replica { url: String },
}

/// One running taosd.
pub struct Server {
    data_dir: TempDir,
    backend: Backend,
    http: reqwest::Client,
    running: Mutex<Running>,
    /// Everything taosd wrote on stderr, over all its runs.
    stderr: Arc<Mutex<String>>,
    /// Extra environment for taosd, applied from the next (re)start on; see [`Server::set_env`].
    env: Mutex<Vec<(String, String)>>,
    /// Failures taosd may log in this case; see [`Server::expect_server_errors`].
    expected_failures: Mutex<Vec<String>>,
}

struct Running {
    url: String,
    child: Option<Child>,
    /// What taosd printed on stdout, line by line, over this run.
    stdout: Arc<Mutex<Vec<String>>>,
}

/// What [`Server::stop`] observed.
#[derive(Debug)]
pub struct Stopped {
    pub status: Option<ExitStatus>,
    /// How long taosd took to exit after SIGTERM.
    pub took: Duration,
    /// Every line taosd printed on stdout during the run that was stopped.
    pub stdout: Vec<String>,
}

impl Server {
    /// A taosd on SQLite in a fresh temp data dir.
    pub async fn start_sqlite() -> Server {
        Server::start(Backend::Sqlite, Vec::new()).await
    }

    /// A taosd on a fresh PostgreSQL database created on the server named by
    /// `TAOS_TEST_DATABASE_URL` (panics when it is not set).
    pub async fn start_postgres() -> Server {
        let admin_url = std::env::var("TAOS_TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
            .expect("TAOS_TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)");
        let name = format!("taos_e2e_{}", uuid::Uuid::new_v4().simple());
        let url = db::create_pg_database(&admin_url, &name).await;
        Server::start(Backend::Postgres { url, admin_url, name }, Vec::new()).await
    }

    async fn start(backend: Backend, env: Vec<(String, String)>) -> Server {
        let data_dir = tempfile::Builder::new()
            .prefix("taos-e2e-")
            .tempdir()
            .expect("create a temp data dir");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("build reqwest client");
        let stderr = Arc::new(Mutex::new(String::new()));
        let running = Self::spawn(data_dir.path(), &backend, &stderr, &env).await;
        Server {
            data_dir,
            backend,
            http,
            running: Mutex::new(running),
            stderr,
            env: Mutex::new(env),
            expected_failures: Mutex::new(Vec::new()),
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (it changes on [`Server::restart`]).
    pub fn url(&self) -> String {
        self.running.lock().unwrap().url.clone()
    }

    /// `url() + path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url(), path)
    }

    /// The process id of the running taosd (`None` once stopped), e.g. to read
    /// `/proc/<pid>/status`.
    pub fn pid(&self) -> Option<u32> {
        self.running.lock().unwrap().child.as_ref().and_then(Child::id)
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// What taosd wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// taosd's stderr once it holds `text`, or `None` after `limit`: stderr is read by a task of
    /// its own, so a line taosd wrote just before its ready line may not be in [`Server::stderr`] yet.
    pub async fn stderr_once_it_holds(&self, text: &str, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            let log = self.stderr();
            if log.contains(text) {
                return Some(log);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs one case with a time limit; on failure the panic (and taosd's stderr, printed by
    /// drop) tells what happened.
    pub async fn run_case(&self, case: impl Future<Output = ()>) {
        if tokio::time::timeout(crate::CASE_TIMEOUT, case).await.is_err() {
            panic!("the case did not finish within {:?}", crate::CASE_TIMEOUT);
        }
    }

    /// Stops taosd with SIGTERM and waits for it (killing it after a grace period).
    pub async fn stop(&self) -> Stopped {
        let (child, stdout) = {
            let mut running = self.running.lock().unwrap();
            (running.child.take(), running.stdout.clone())
        };
        let started = Instant::now();
        let status = match child {
            None => None,
            Some(mut child) => {
                sigterm(&child);
                match tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
                    Ok(status) => status.ok(),
                    Err(_) => {
                        let _ = child.kill().await;
                        None
                    }
                }
            }
        };
        let took = started.elapsed();
        // Let the readers drain what was left in the pipes.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let stdout = stdout.lock().unwrap().clone();
        Stopped { status, took, stdout }
    }

    /// Stops taosd and starts it again on the same data dir / database (a new port: make new
    /// clients afterwards).
    pub async fn restart(&self) {
        let stopped = self.stop().await;
        assert!(
            stopped.status.is_some_and(|s| s.success()),
            "taosd did not exit cleanly on SIGTERM: {stopped:?}\n--- stderr ---\n{}",
            self.stderr()
        );
        let env = self.env.lock().unwrap().clone();
        let running = Self::spawn(self.data_dir.path(), &self.backend, &self.stderr, &env).await;
        *self.running.lock().unwrap() = running;
    }

    /// Kills taosd with SIGKILL (no shutdown of any kind: what a power cut or the OOM killer
    /// leaves behind) and starts it again on the same data dir / database (a new port).
    pub async fn crash_and_restart(&self) {
        let child = self.running.lock().unwrap().child.take();
        if let Some(mut child) = child {
            child.kill().await.expect("SIGKILL taosd");
        }
        let env = self.env.lock().unwrap().clone();
        let running = Self::spawn(self.data_dir.path(), &self.backend, &self.stderr, &env).await;
        *self.running.lock().unwrap() = running;
    }

    fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres { .. } => "postgres",
            Backend::Replica { .. } => "postgres replica",
        }
    }

    /// Sets an environment variable for taosd from the next [`Server::restart`] on (e.g.
    /// `TAOS_GUIDES_DIR`), replacing an earlier value of the same name.
    pub fn set_env(&self, name: &str, value: &str) {
        let mut env = self.env.lock().unwrap();
        env.retain(|(k, _)| k != name);
        env.push((name.to_string(), value.to_string()));
    }

    /// Runs `sql` (one statement) on taosd's own database and returns the rows it changed.
    /// Parameters are written `$1`, `$2`, … for both backends.
    pub async fn sql_execute(&self, sql: &str, params: &[&str]) -> u64 {
        match &self.backend {
            Backend::Sqlite => db::sqlite_execute(&self.data_dir.path().join("taos.db"), sql, params).await,
            Backend::Postgres { url, .. } | Backend::Replica { url } => {
                db::pg_execute(url, sql, params).await
            }
        }
    }

    /// A second taosd on this one's PostgreSQL database: a replica behind the same load
    /// balancer would see exactly this. It must be dropped before `self` (which drops the
    /// database).
    pub async fn start_replica(&self) -> Server {
        let url = match &self.backend {
            Backend::Postgres { url, .. } | Backend::Replica { url } => url.clone(),
            Backend::Sqlite => panic!("replicas share a PostgreSQL database; this server runs on SQLite"),
        };
        let env = self.env.lock().unwrap().clone();
        Server::start(Backend::Replica { url }, env).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let running = self.running.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(mut child) = running.child.take() {
            sigterm(&child);
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
            let _ = child.start_kill();
            // Let the reader take the last lines out of the pipe.
            std::thread::sleep(Duration::from_millis(50));
        }
        let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        let panicking = std::thread::panicking();
        if panicking && !stderr.trim().is_empty() {
            let tail: Vec<&str> = stderr.lines().rev().take(60).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            eprintln!(
                "--- taosd ({:?}) stderr, last {} lines ---\n{}",
                self.backend_name(),
                tail.len(),
                tail.join("\n")
            );
        }
        // Not while unwinding: a second panic would abort the test binary.
        let failures = if panicking {
            Vec::new()
        } else {
            self.unexpected_server_errors()
        };
        if let Backend::Postgres { admin_url, name, .. } = &self.backend {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Best effort, on a thread of its own: drop may run inside or outside a runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                if let Ok(rt) = rt {
                    rt.block_on(db::drop_pg_database(&admin_url, &name));
                }
            })
            .join();
        }
        if !failures.is_empty() {
            panic!(
                "taosd ({}) logged {} failure(s) of its own (a 5xx, an internal error or a panic): \
                 fix the server, or declare an intended one with Server::expect_server_errors\n{}",
                self.backend_name(),
                failures.len(),
                failures.join("\n")
            );
        }
    }
}
