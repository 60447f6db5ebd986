//! Turning a spec into a child process: argv as given (no shell), a clean environment, a
//! working directory inside the agent's own directory, its own process group, and its
//! cgroup joined before exec (so not even its first fork escapes the limits).

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

use crate::runtime::error::{Error, Result};
use crate::runtime::spec::InstanceSpec;

/// What a clean environment holds besides the spec's variables (which may override it).
pub const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The agent's directories under `base`: `<base>/<id>` (0700) and, in it, `work/` (its
/// home and default working directory); logs live beside it in `logs/`.
pub fn agent_home(base: &Path, spec: &InstanceSpec) -> Result<(PathBuf, PathBuf)> {
    let failed = |what: &str, e: io::Error| Error::failed(format!("cannot create the agent's {what}: {e}"));
    let home = base.join(spec.agent_id.to_string()).join("work");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&home)
        .map_err(|e| failed("directory", e))?;
    let home = home.canonicalize().map_err(|e| failed("directory", e))?;
    let Some(rel) = spec.working_dir.as_deref() else {
        return Ok((home.clone(), home));
    };
    let cwd = home.join(rel);
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&cwd)
        .map_err(|e| Error::spec("working_dir", format!("cannot be created: {e}")))?;
    // The checks on the spec's text cannot see symlinks the agent made in its directory.
    let cwd = cwd
        .canonicalize()
        .map_err(|e| Error::spec("working_dir", e.to_string()))?;
    if !cwd.starts_with(&home) {
        return Err(Error::spec("working_dir", "leads outside the agent's directory"));
    }
    Ok((home, cwd))
}

pub fn command(spec: &InstanceSpec, home: &Path, cwd: &Path, cgroup_procs: Vec<CString>) -> Command {
    let mut cmd = Command::new(&spec.command[0]);
    cmd.args(&spec.command[1..])
        .env_clear()
        .env("PATH", DEFAULT_PATH)
        .env("HOME", home)
        .envs(spec.env.iter())
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    if !cgroup_procs.is_empty() {
        // SAFETY: runs in the forked child before exec; it only calls open/write/close
        // (async-signal-safe) on paths allocated before the fork, and allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                for path in &cgroup_procs {
                    join_cgroup(path)?;
                }
                Ok(())
            });
        }
    }
    cmd
}

/// Moves the calling process into the cgroup whose `cgroup.procs` is `path`.
fn join_cgroup(path: &CString) -> io::Result<()> {
    // SAFETY: plain syscalls on a valid NUL-terminated path and a local buffer.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let written = libc::write(fd, b"0".as_ptr().cast(), 1);
        let err = io::Error::last_os_error();
        libc::close(fd);
        if written != 1 {
            return Err(err);
        }
    }
    Ok(())
}

/// A spawn error as the caller should see it: a program that is not there (or not
/// executable) is the spec's fault; anything else is the backend's.
pub fn spawn_error(spec: &InstanceSpec, e: &io::Error) -> Error {
    let program = spec.command[0].escape_debug();
    match e.kind() {
        io::ErrorKind::NotFound => Error::spec(
            "command",
            format!(
                "no program '{program}' (looked in the agent's directory and on PATH {})",
                spec.env.get("PATH").unwrap_or(DEFAULT_PATH)
            ),
        ),
        io::ErrorKind::PermissionDenied => Error::spec("command", format!("'{program}' is not executable")),
        _ => Error::failed(format!("cannot start '{program}': {e}")),
    }
}
