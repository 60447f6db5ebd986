//! The `taosctl` binary of this build and what a run of it printed, for the suites that drive
//! the real CLI: a [`Terminal`] per person or agent, the [`Output`] of a run with its checks
//! (`ok`, `api_err`, `usage_err`), the set-up those suites share (`set_up_ada`, `with_token`,
//! `assert_examples`) and [`sqlite_e2e!`](crate::sqlite_e2e) for cases that do not depend on
//! the database. Cases on both backends use [`e2e!`](crate::e2e).

use std::path::{Path, PathBuf};

/// `TAOSCTL_BIN`, else `taosctl` next to the test binary's profile dir (built by `cargo build
/// -p taosctl`; panics with that advice when it is missing).
#[track_caller]
pub fn path() -> PathBuf {
    if let Some(bin) = std::env::var_os("TAOSCTL_BIN").filter(|v| !v.is_empty()) {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in <target>/<profile>/deps");
    let path = profile.join(format!("taosctl{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "taosctl not found at {}: build it first: cargo build -p taosctl",
        path.display()
    );
    path
}

/// The directory holding [`path`], for a `PATH` that finds this build's `taosctl` first.
#[track_caller]
pub fn dir() -> PathBuf {
    let bin = path();
    bin.parent()
        .unwrap_or_else(|| panic!("{} has no parent directory", bin.display()))
        .to_path_buf()
}

/// What one run of `taosctl` left.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn from_process(out: &std::process::Output) -> Output {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Itself, after checking that the run exited 0.
    #[track_caller]
    pub fn ok(self) -> Output {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Stdout without the line break: one value such as a token or an id.
    pub fn text(&self) -> String {
        self.stdout.trim().to_string()
    }

    /// Itself, after checking that the run failed with exit `code` and the API error `slug`,
    /// shown on stderr with its fix and doc link (`error: SLUG: …`, `fix:`, `docs: http…`).
    #[track_caller]
    pub fn api_err(self, code: i32, slug: &str) -> Output {
        assert_eq!(
            self.code, code,
            "expected exit {code} ({slug})\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(&format!("error: {slug}:"))
                && self.stderr.contains("fix:")
                && self.stderr.contains("docs: http"),
            "stderr names {slug} with its fix and docs:\n{}",
            self.stderr
        );
        self
    }

    /// Itself, after checking that the run was refused as a usage error (exit 2) whose message
    /// mentions `hint` (e.g. the flag that is missing).
    #[track_caller]
    pub fn usage_err(self, hint: &str) -> Output {
        assert_eq!(
            self.code, 2,
            "expected a usage error (exit 2)\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(hint),
            "the usage error mentions {hint}:\n{}",
            self.stderr
        );
        self
    }

    /// Stdout as JSON (panics when it is not).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// One person's (or agent's) terminal for `taosctl`: a config directory of its own (also its
/// `HOME`, so no real credentials leak in), the server's URL in `TAOS_URL` (empty = unset), and
/// any extra environment such as `TAOS_TOKEN`. Nothing else of the test's environment but
/// `PATH` reaches taosctl.
pub struct Terminal {
    pub config: tempfile::TempDir,
    pub url: String,
    pub env: Vec<(String, String)>,
}

impl Terminal {
    /// A fresh terminal pointed at `server`, with no token at all (not even a saved one).
    pub fn new(server: &crate::Server) -> Terminal {
        Terminal {
            config: tempfile::tempdir().expect("tempdir"),
            url: server.url(),
            env: Vec::new(),
        }
    }

    /// A fresh terminal with `token` in `TAOS_TOKEN`, as an agent's container has it.
    pub fn with_token(server: &crate::Server, token: &str) -> Terminal {
        Terminal::new(server).with_env("TAOS_TOKEN", token)
    }

    /// `taosctl auth setup` as the docs' `ada` (password [`crate::people::PASSWORD`]) on a fresh
    /// server; returns the token it saved on this terminal.
    pub async fn set_up_ada(&self) -> String {
        let pw = format!("{}\n", crate::people::PASSWORD);
        self.run(
            &["auth", "setup", "--username", "ada", "--password-stdin"],
            Some(&pw),
        )
        .await
        .ok();
        self.run(&["auth", "token"], None).await.ok().text()
    }

    /// Checks that `taosctl CMD --help` exits 0 and shows an example, for every `CMD`.
    pub async fn assert_examples(&self, commands: &[&[&str]]) {
        for cmd in commands {
            let mut args = cmd.to_vec();
            args.push("--help");
            let help = self.run(&args, None).await.ok();
            assert!(
                help.stdout.contains("Example"),
                "`taosctl {}` has no example:\n{}",
                cmd.join(" "),
                help.stdout
            );
        }
    }

    pub fn with_env(mut self, key: &str, value: &str) -> Terminal {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Where taosctl saves its credentials on this terminal.
    pub fn credentials(&self) -> PathBuf {
        self.config.path().join("taos").join("credentials")
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> tokio::process::Command {
        use std::process::Stdio;
        let mut cmd = tokio::process::Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.config.path())
            .env("XDG_CONFIG_HOME", self.config.path())
            .env("TAOS_URL", &self.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `taosctl ARGS`, with `stdin` piped in when given (stdin is never a terminal).
    pub async fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        use std::process::Stdio;
        let mut cmd = self.command(path());
        cmd.args(args).stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd.spawn().expect("spawn taosctl");
        if let Some(input) = stdin {
            type_into(&mut child, input).await;
        }
        let out = child.wait_with_output().await.expect("taosctl runs");
        Output::from_process(&out)
    }

    /// Runs `taosctl ARGS` on a terminal (util-linux `script` gives it a pseudo-terminal),
    /// typing `typed` at it. What it printed on stdout and stderr comes back as one text.
    pub async fn run_on_tty(&self, args: &[&str], typed: &str) -> Output {
        let mut line = path().display().to_string();
        for a in args {
            assert!(
                a.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
                "no quoting needed: {a}"
            );
            line.push(' ');
            line.push_str(a);
        }
        let mut cmd = self.command("script");
        cmd.args(["--quiet", "--return", "--command", &line, "/dev/null"])
            .env("SHELL", "/bin/sh")
            .env("TERM", "dumb")
            .stdin(std::process::Stdio::piped());
        let mut child = cmd
            .spawn()
            .expect("util-linux `script` runs (it gives taosctl a terminal)");
        type_into(&mut child, typed).await;
        let out = child.wait_with_output().await.expect("script runs");
        Output::from_process(&out)
    }
}

/// Writes `input` to the child's stdin and closes it. taosctl may rightly exit before reading
/// stdin (a usage error comes first), so a broken pipe is not a failure.
async fn type_into(child: &mut tokio::process::Child, input: &str) {
    use tokio::io::AsyncWriteExt;
    let mut pipe = child.stdin.take().expect("stdin is piped");
    match pipe.write_all(input.as_bytes()).await {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
        _ => {}
    }
}

/// Runs a case on SQLite only, for what cannot depend on the database (the CLI's parsing,
/// configuration, prompts and output), with the time limit of [`e2e!`](crate::e2e):
///
/// ```ignore
/// sqlite_e2e!(version_and_help);
/// async fn version_and_help(s: &Server) { … }
/// ```
///
/// adds a module of the case's name with one test, `sqlite`.
#[macro_export]
macro_rules! sqlite_e2e {
    ($name:ident) => {
        mod $name {
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let server = $crate::Server::start_sqlite().await;
                server.run_case(super::$name(&server)).await;
                server.stop().await;
            }
        }
    };
}
