//! What a running container uses, read cheaply from its cgroup (found through its init
//! process's /proc entry: taosd runs on the same host) rather than `docker stats`, which
//! takes a second or more per container.

use std::path::PathBuf;

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The cgroup directory of `pid` for a v1 `controller`, or its v2 (unified) one.
fn cgroup_dir(pid: u32, controller: &str) -> Option<PathBuf> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let mut unified = None;
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let path = path.trim_start_matches('/');
        if controllers.split(',').any(|c| c == controller) {
            let dir = PathBuf::from(CGROUP_ROOT).join(controller).join(path);
            if dir.is_dir() {
                return Some(dir);
            }
        }
        if controllers.is_empty() {
            unified = Some(path.to_string());
        }
    }
    let path = unified?;
    [
        PathBuf::from(CGROUP_ROOT).join(&path),
        PathBuf::from(CGROUP_ROOT).join("unified").join(&path),
    ]
    .into_iter()
    .find(|d| d.join("cgroup.procs").is_file())
}

fn read_u64(path: PathBuf) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The container's memory (its cgroup's usage), or None when the cgroup is not readable.
pub fn memory_bytes(pid: u32) -> Option<u64> {
    let dir = cgroup_dir(pid, "memory")?;
    read_u64(dir.join("memory.current")).or_else(|| read_u64(dir.join("memory.usage_in_bytes")))
}

/// CPU time of the container's cgroup (user + system).
pub fn cpu_time_ms(pid: u32) -> Option<u64> {
    if let Some(dir) = cgroup_dir(pid, "cpuacct")
        && let Some(ns) = read_u64(dir.join("cpuacct.usage"))
    {
        return Some(ns / 1_000_000);
    }
    let dir = cgroup_dir(pid, "cpu")?;
    let stat = std::fs::read_to_string(dir.join("cpu.stat")).ok()?;
    stat.lines()
        .find_map(|l| l.strip_prefix("usage_usec "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|us| us / 1000)
}
