//! The `taosctl` binary of this build and what a run of it printed, for the suites that drive
//! the real CLI.

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

    /// Stdout as JSON (panics when it is not).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}
