//! A real `taosd` process for one test: spawned on `127.0.0.1:0` with a temp data dir (and, for
//! PostgreSQL, a database of its own), found through the one line it prints on stdout, stopped
//! with SIGTERM on [`Server::stop`] or on drop.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

use crate::db;

mod clients;
mod log;

/// How long taosd may take to bind and migrate before the start counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long taosd may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
const READY_PREFIX: &str = "taosd listening on ";

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

/// `TAOS_BIN`, else `taosd` next to the test binary's target profile dir.
fn taosd_path() -> PathBuf {
    if let Some(bin) = std::env::var_os("TAOS_BIN").filter(|v| !v.is_empty()) {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("current_exe");
    // <target>/<profile>/deps/<test binary>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in <target>/<profile>/deps");
    profile_dir.join(format!("taosd{}", std::env::consts::EXE_SUFFIX))
}

fn find_taosd() -> PathBuf {
    let path = taosd_path();
    if !path.is_file() {
        panic!(
            "taosd not found at {}: build it first: cargo build -p taos-server (or point TAOS_BIN at it)",
            path.display()
        );
    }
    path
}

fn spawn_line_reader<R>(reader: R, sink: impl Fn(String) + Send + 'static) -> tokio::task::JoinHandle<()>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut lines = BufReader::new(reader).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            sink(line);
        }
    })
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

    async fn spawn(
        data_dir: &Path,
        backend: &Backend,
        stderr_buf: &Arc<Mutex<String>>,
        env: &[(String, String)],
    ) -> Running {
        let bin = find_taosd();
        let mut cmd = Command::new(&bin);
        cmd.env("TAOS_BIND", "127.0.0.1:0")
            .env("TAOS_DATA_DIR", data_dir)
            .env(
                "TAOS_LOG",
                std::env::var("TAOS_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("TAOS_DATABASE_URL")
            .env_remove("TAOS_GUIDES_DIR")
            // The text format: what `log` reads for failures.
            .env_remove("TAOS_LOG_FORMAT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Backend::Postgres { url, .. } | Backend::Replica { url } = backend {
            cmd.env("TAOS_DATABASE_URL", url);
        }
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));

        let err_sink = stderr_buf.clone();
        spawn_line_reader(child.stderr.take().expect("stderr"), move |line| {
            let mut buf = err_sink.lock().unwrap();
            buf.push_str(&line);
            buf.push('\n');
        });

        let stdout_lines = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
        let out_sink = stdout_lines.clone();
        spawn_line_reader(child.stdout.take().expect("stdout"), move |line| {
            out_sink.lock().unwrap().push(line.clone());
            let _ = ready_tx.send(line);
        });

        let started = Instant::now();
        let url = loop {
            let remaining = START_TIMEOUT.saturating_sub(started.elapsed());
            match tokio::time::timeout(remaining, ready_rx.recv()).await {
                Ok(Some(line)) => {
                    if let Some(url) = line.strip_prefix(READY_PREFIX) {
                        break url.trim().to_string();
                    }
                }
                Ok(None) => {
                    // stdout closed: taosd exited (or closed it) without announcing itself.
                    let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    panic!(
                        "taosd exited before printing `{READY_PREFIX}…` (status {status:?})\n--- stdout ---\n{}\n--- stderr ---\n{}",
                        stdout_lines.lock().unwrap().join("\n"),
                        stderr_buf.lock().unwrap()
                    );
                }
                Err(_) => {
                    let _ = child.start_kill();
                    panic!(
                        "taosd did not print `{READY_PREFIX}…` within {START_TIMEOUT:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                        stdout_lines.lock().unwrap().join("\n"),
                        stderr_buf.lock().unwrap()
                    );
                }
            }
        };
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "taosd announced an unexpected URL: {url}"
        );
        Running {
            url,
            child: Some(child),
            stdout: stdout_lines,
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

fn sigterm(child: &Child) {
    if let Some(pid) = child.id() {
        // SAFETY: kill(2) on a pid we spawned and have not reaped yet.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
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
