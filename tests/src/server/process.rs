//! Starting taosd: finding the binary, spawning it with the harness's environment, waiting for
//! the one line it prints when it listens; and the SIGTERM that stops it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

use super::{Backend, Running, Server};

/// How long taosd may take to bind and migrate before the start counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(30);
const READY_PREFIX: &str = "taosd listening on ";

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
    pub(super) async fn spawn(
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
}

pub(super) fn sigterm(child: &Child) {
    if let Some(pid) = child.id() {
        // SAFETY: kill(2) on a pid we spawned and have not reaped yet.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
    }
}
