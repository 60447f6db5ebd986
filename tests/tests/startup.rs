//! taosd started by hand, where the harness's `Server` cannot be used: in a data directory
//! others may read, and with a database that is not there yet.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use taos_conformance::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// `taosd` next to this test binary (as the harness finds it), or `TAOS_BIN`.
fn taosd() -> PathBuf {
    if let Some(bin) = std::env::var_os("TAOS_BIN").filter(|v| !v.is_empty()) {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("<target>/<profile>/deps/<test>");
    profile.join("taosd")
}

/// A taosd of this test, and what it wrote so far.
struct Taosd {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

impl Taosd {
    fn start(data_dir: &Path, database_url: Option<&str>) -> Taosd {
        Taosd::start_with(data_dir, database_url, &[])
    }

    /// Started with `env` set over the defaults above.
    fn start_with(data_dir: &Path, database_url: Option<&str>, env: &[(&str, &str)]) -> Taosd {
        let mut cmd = Command::new(taosd());
        cmd.env("TAOS_BIND", "127.0.0.1:0")
            .env("TAOS_DATA_DIR", data_dir)
            .env("TAOS_LOG", "warn")
            .env_remove("TAOS_DATABASE_URL")
            .env_remove("TAOS_LOG_FORMAT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(url) = database_url {
            cmd.env("TAOS_DATABASE_URL", url);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .expect("start taosd (cargo build -p taos-server first)");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (out, err) = (stdout.clone(), stderr.clone());
        let mut out_lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out_lines.next_line().await {
                out.lock().unwrap().push(line);
            }
        });
        let mut err_lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = err_lines.next_line().await {
                let mut err = err.lock().unwrap();
                err.push_str(&line);
                err.push('\n');
            }
        });
        Taosd {
            child,
            stdout,
            stderr,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits up to `limit` for stderr to contain `text`.
    async fn wait_for_stderr(&self, text: &str, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.stderr().contains(text) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// The base URL taosd printed, waiting up to `limit` for it.
    async fn url(&self, limit: Duration) -> Option<String> {
        let start = Instant::now();
        while start.elapsed() < limit {
            let printed = self.stdout.lock().unwrap().first().cloned();
            if let Some(line) = printed {
                return line.strip_prefix("taosd listening on ").map(str::to_string);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// Waits up to `limit` for taosd to exit by itself: its exit code, and its stderr once
    /// it is all read.
    async fn exit(mut self, limit: Duration) -> (Option<i32>, String) {
        let status = tokio::time::timeout(limit, self.child.wait()).await;
        let code = match status {
            Ok(Ok(s)) => s.code(),
            _ => {
                let _ = self.child.kill().await;
                panic!("taosd did not exit within {limit:?}:\n{}", self.stderr());
            }
        };
        // The reader may still be on the last line.
        tokio::time::sleep(Duration::from_millis(200)).await;
        (code, self.stderr())
    }

    /// SIGTERM, and the exit status (None when it had to be killed).
    async fn stop(mut self) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().expect("taosd still running") as libc::pid_t;
        // SAFETY: kill(2) on the pid of a child not yet reaped.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        match tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await {
            Ok(status) => status.ok(),
            Err(_) => {
                let _ = self.child.kill().await;
                None
            }
        }
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// In a data directory that already exists with mode 0755 (and whatever the umask), the
/// SQLite database and its `-wal` and `-shm` files are 0600, from the first byte and after
/// writes; a file left world-readable by an older taosd is closed up at the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_files_are_private_in_an_open_data_dir() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let files = ["taos.db", "taos.db-wal", "taos.db-shm"].map(|f| dir.path().join(f));

    for run in 0..2 {
        let taosd = Taosd::start(dir.path(), None);
        let url = taosd.url(Duration::from_secs(30)).await;
        let url = url.unwrap_or_else(|| panic!("taosd did not start:\n{}", taosd.stderr()));
        let http = reqwest::Client::new();
        let answer = http
            .post(format!("{url}/auth/setup"))
            .json(&serde_json::json!({"username": "admin", "password": "correct-horse-battery", "full_name": "A"}))
            .send()
            .await
            .expect("setup");
        if run == 0 {
            assert_eq!(answer.status().as_u16(), 201);
        }
        for f in &files {
            let m = mode(f);
            assert_eq!(m, 0o600, "run {run}: {} has mode {m:o}, not 600", f.display());
        }
        let status = taosd.stop().await;
        assert!(
            status.is_some_and(|s| s.success()),
            "taosd did not stop cleanly: {status:?}"
        );
        assert_eq!(mode(&files[0]), 0o600);
        // As an older taosd (or a restored backup) may have left it.
        std::fs::set_permissions(&files[0], std::fs::Permissions::from_mode(0o644)).unwrap();
    }
}

/// A PostgreSQL server that is not there: taosd says so on stderr within seconds (the URL's
/// password hidden), keeps running and retrying, and serves once the server answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(pg_tests),
    ignore = "TAOS_TEST_DATABASE_URL not set at build time: the PostgreSQL variant did not run"
)]
async fn an_unreachable_database_is_reported_and_retried() {
    // A fresh database of the harness's, reached through a port that is closed for now.
    let pg = Server::start_postgres().await;
    let Backend::Postgres { url, .. } = pg.backend().clone() else {
        unreachable!()
    };
    pg.stop().await;
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let (_, rest) = url.split_once("://").unwrap();
    let (user, host_and_db) = rest.split_once('@').unwrap();
    let (real_host, db) = host_and_db.split_once('/').unwrap();
    let closed = format!("postgres://{user}:secret@127.0.0.1:{port}/{db}");

    let dir = tempfile::tempdir().expect("temp dir");
    let mut taosd = Taosd::start(dir.path(), Some(&closed));
    let said = taosd
        .wait_for_stderr("cannot reach the database", Duration::from_secs(5))
        .await;
    assert!(said, "no word about the database within 5 s:\n{}", taosd.stderr());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        taosd.child.try_wait().unwrap().is_none(),
        "taosd gave up:\n{}",
        taosd.stderr()
    );
    assert!(
        taosd.stdout.lock().unwrap().is_empty(),
        "it listens without a database"
    );

    // The database comes up on that port (a relay to the real server).
    let relay = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("rebind the port");
    let real_host = real_host.to_string();
    let relaying = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = relay.accept().await {
            let real_host = real_host.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(real_host.as_str()).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let served = taosd.url(Duration::from_secs(40)).await;
    let served = served.unwrap_or_else(|| panic!("taosd never started serving:\n{}", taosd.stderr()));
    let health = reqwest::get(format!("{served}/api/health"))
        .await
        .expect("health");
    assert_eq!(health.status().as_u16(), 200);
    let log = taosd.stderr();
    let status = taosd.stop().await;
    relaying.abort();
    assert!(
        status.is_some_and(|s| s.success()),
        "taosd did not stop cleanly: {status:?}"
    );
    assert!(!log.contains("secret"), "the password reached the log:\n{log}");
    assert!(log.contains(":***@127.0.0.1"), "the URL is not named:\n{log}");
}

/// A port another program holds: taosd says so on one line, naming the variable to change,
/// exits 1 at once, and has not touched the database (it binds before migrating).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_one_line_with_the_variable_to_change() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let dir = tempfile::tempdir().expect("temp dir");
    let bind = format!("127.0.0.1:{port}");
    let taosd = Taosd::start_with(dir.path(), None, &[("TAOS_BIND", &bind)]);
    let (code, stderr) = taosd.exit(Duration::from_secs(10)).await;
    let next = port.wrapping_add(1).max(1);
    assert_eq!(
        stderr,
        format!(
            "taosd: cannot listen on 127.0.0.1:{port}: the address is in use (another taosd, or another program, \
             listens there). Fix: stop that program, or set TAOS_BIND to another port, e.g. \
             TAOS_BIND=127.0.0.1:{next} (port 0 picks a free port)\n"
        )
    );
    assert_eq!(code, Some(1));
    assert!(
        !dir.path().join("taos.db").exists(),
        "it opened the database before binding"
    );
    drop(holder);
}

/// A `TAOS_LOG` that is not a filter is refused at start (exit 2), not ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_log_filter_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let taosd = Taosd::start_with(dir.path(), None, &[("TAOS_LOG", "bogus===")]);
    let (code, stderr) = taosd.exit(Duration::from_secs(10)).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("taosd: TAOS_LOG (--log) is `bogus===`, which is not a log filter: ")
            && stderr.contains("Fix: give a level (error, warn, info, debug, trace)"),
        "{stderr}"
    );
}

/// `TAOS_BIND` takes a host name; one that is no address is refused naming the variable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taos_bind_takes_a_host_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let taosd = Taosd::start_with(dir.path(), None, &[("TAOS_BIND", "localhost:0")]);
    let url = taosd.url(Duration::from_secs(30)).await;
    let url = url.unwrap_or_else(|| panic!("taosd did not start:\n{}", taosd.stderr()));
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let health = reqwest::get(format!("{url}/api/health")).await.expect("health");
    assert_eq!(health.status().as_u16(), 200);
    assert!(taosd.stop().await.is_some_and(|s| s.success()));

    let taosd = Taosd::start_with(dir.path(), None, &[("TAOS_BIND", "localhost")]);
    let (code, stderr) = taosd.exit(Duration::from_secs(10)).await;
    assert_eq!(
        (code, stderr.as_str()),
        (
            Some(2),
            "taosd: TAOS_BIND (--bind) is `localhost`, which is not an address to listen on: it has no `:PORT`. \
             Fix: give HOST:PORT, e.g. TAOS_BIND=127.0.0.1:6969, TAOS_BIND=localhost:6970 or \
             TAOS_BIND=0.0.0.0:6969 (port 0 picks a free port)\n"
        )
    );
}

/// A PostgreSQL database that does not exist: one line with the `createdb` that makes it,
/// exit 1 at once (no retrying: waiting does not create it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(pg_tests),
    ignore = "TAOS_TEST_DATABASE_URL not set at build time: the PostgreSQL variant did not run"
)]
async fn a_missing_postgres_database_says_how_to_create_it() {
    let base = std::env::var("TAOS_TEST_DATABASE_URL").expect("TAOS_TEST_DATABASE_URL");
    let mut url = url::Url::parse(&base).expect("a URL");
    let name = format!("taos_missing_{}", std::process::id());
    url.set_path(&name);
    let dir = tempfile::tempdir().expect("temp dir");
    let taosd = Taosd::start(dir.path(), Some(url.as_str()));
    let (code, stderr) = taosd.exit(Duration::from_secs(15)).await;
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port().unwrap_or(5432);
    let user = url.username().to_string();
    assert_eq!(
        stderr,
        format!(
            "taosd: the PostgreSQL database `{name}` does not exist on {host}:{port}. Fix: create it with \
             `createdb -h {host} -p {port} -U {user} {name}` (taosd makes its tables itself), or point \
             TAOS_DATABASE_URL at one that exists\n"
        )
    );
    assert_eq!(code, Some(1));
}
