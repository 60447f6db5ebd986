//! Control groups for agents, where taosd may write them: the freezer (v2 `cgroup.freeze`
//! or v1 `freezer.state`, whichever is writable) and memory / CPU / pids limits (v2 where
//! its controllers are delegated, else the v1 hierarchies). Probed once: each feature comes
//! from the first hierarchy where a test directory could be made under taosd's own cgroup.
//!
//! Layout: `<taosd's cgroup>/taos-<pid>-<n>/<agent id>` in each hierarchy used; `<pid>` is
//! taosd's, so a later taosd can sweep what a dead one left (and kill its orphans).

use std::ffi::CString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use uuid::Uuid;

use self::mounts::{mounts, own_dir};

use crate::runtime::LimitsApplied;
use crate::runtime::spec::Resources;

mod mounts;

const PREFIX: &str = "taos-";
const CPU_PERIOD_US: u64 = 100_000;

#[derive(Debug, Clone)]
struct Hierarchy {
    /// This runtime's directory in the hierarchy.
    base: PathBuf,
    v2: bool,
    freeze: bool,
    memory: bool,
    cpu: bool,
    pids: bool,
}

/// What this runtime can do with cgroups here.
#[derive(Debug)]
pub struct Cgroups {
    hierarchies: Vec<Hierarchy>,
}

/// One agent's run: a directory in each hierarchy used.
#[derive(Debug)]
pub struct AgentCgroup {
    dirs: Vec<(PathBuf, Hierarchy)>,
}

static INSTANCES: AtomicU32 = AtomicU32::new(0);

impl Cgroups {
    /// Probes and makes this runtime's directories; None when nothing is writable.
    pub fn probe() -> Option<Self> {
        let cgroups = fs::read_to_string("/proc/self/cgroup").ok()?;
        let name = format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            INSTANCES.fetch_add(1, Ordering::Relaxed)
        );
        let mut found: Vec<Hierarchy> = Vec::new();
        let has = |found: &[Hierarchy], f: fn(&Hierarchy) -> bool| found.iter().any(f);
        let mounts = mounts();
        // v2 first: its freezer is invisible to the agent and its kill is atomic.
        for m in mounts
            .iter()
            .filter(|m| m.v2)
            .chain(mounts.iter().filter(|m| !m.v2))
        {
            let Some(own) = own_dir(m, &cgroups) else { continue };
            sweep(&own);
            let wants = |ctl: &str| !m.v2 && m.options.iter().any(|o| o == ctl);
            let mut h = Hierarchy {
                base: own.join(&name),
                v2: m.v2,
                freeze: if m.v2 {
                    !has(&found, |h| h.freeze)
                } else {
                    wants("freezer") && !has(&found, |h| h.freeze)
                },
                memory: wants("memory") && !has(&found, |h| h.memory),
                cpu: wants("cpu") && !has(&found, |h| h.cpu),
                pids: wants("pids") && !has(&found, |h| h.pids),
            };
            if !(h.v2 || h.freeze || h.memory || h.cpu || h.pids) || fs::create_dir(&h.base).is_err() {
                continue;
            }
            if h.v2 {
                h.freeze = h.freeze && h.base.join("cgroup.freeze").exists();
                let delegated = fs::read_to_string(h.base.join("cgroup.controllers")).unwrap_or_default();
                for (ctl, flag) in [
                    ("memory", &mut h.memory),
                    ("cpu", &mut h.cpu),
                    ("pids", &mut h.pids),
                ] {
                    *flag = delegated.split_whitespace().any(|c| c == ctl)
                        && fs::write(h.base.join("cgroup.subtree_control"), format!("+{ctl}")).is_ok();
                }
            }
            found.push(h);
        }
        if found.is_empty() {
            return None;
        }
        Some(Self { hierarchies: found })
    }

    /// Which hierarchy gives what, for the start-up log.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .hierarchies
            .iter()
            .map(|h| {
                let features = [
                    ("freezer", h.freeze),
                    ("memory", h.memory),
                    ("cpu", h.cpu),
                    ("pids", h.pids),
                ];
                let on: Vec<&str> = features.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
                format!(
                    "{} {} ({})",
                    if h.v2 { "v2" } else { "v1" },
                    h.base.display(),
                    on.join(", ")
                )
            })
            .collect();
        parts.join("; ")
    }

    pub fn freezer(&self) -> bool {
        self.hierarchies.iter().any(|h| h.freeze)
    }

    pub fn limits(&self) -> LimitsApplied {
        LimitsApplied {
            memory: self.hierarchies.iter().any(|h| h.memory),
            cpus: self.hierarchies.iter().any(|h| h.cpu),
            pids: self.hierarchies.iter().any(|h| h.pids),
        }
    }

    /// Makes the agent's directories with its limits; processes join them at exec.
    pub fn create(&self, agent_id: Uuid, r: &Resources) -> io::Result<AgentCgroup> {
        let mut cg = AgentCgroup { dirs: Vec::new() };
        for h in &self.hierarchies {
            let dir = h.base.join(agent_id.to_string());
            if dir.exists() {
                // A previous run's directory: empty it, or it cannot go.
                AgentCgroup {
                    dirs: vec![(dir.clone(), h.clone())],
                }
                .remove();
            }
            fs::create_dir(&dir)?;
            cg.dirs.push((dir.clone(), h.clone()));
            limit(&dir, h, r)?;
        }
        Ok(cg)
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        for h in &self.hierarchies {
            let _ = fs::remove_dir(&h.base);
        }
    }
}

fn limit(dir: &Path, h: &Hierarchy, r: &Resources) -> io::Result<()> {
    if let (true, Some(mb)) = (h.memory, r.memory_mb) {
        let bytes = (mb.max(0) as u64) << 20;
        if h.v2 {
            fs::write(dir.join("memory.max"), bytes.to_string())?;
            let _ = fs::write(dir.join("memory.swap.max"), "0");
        } else {
            fs::write(dir.join("memory.limit_in_bytes"), bytes.to_string())?;
            let _ = fs::write(dir.join("memory.memsw.limit_in_bytes"), bytes.to_string());
        }
    }
    if let (true, Some(cpus)) = (h.cpu, r.cpus) {
        let quota = ((cpus * CPU_PERIOD_US as f64) as u64).max(1000);
        if h.v2 {
            fs::write(dir.join("cpu.max"), format!("{quota} {CPU_PERIOD_US}"))?;
        } else {
            fs::write(dir.join("cpu.cfs_period_us"), CPU_PERIOD_US.to_string())?;
            fs::write(dir.join("cpu.cfs_quota_us"), quota.to_string())?;
        }
    }
    if let (true, Some(pids)) = (h.pids, r.pids) {
        fs::write(dir.join("pids.max"), pids.to_string())?;
    }
    Ok(())
}

impl AgentCgroup {
    /// `cgroup.procs` of each directory, for the child to join before exec.
    pub fn procs_files(&self) -> Vec<CString> {
        self.dirs
            .iter()
            .filter_map(|(d, _)| {
                CString::new(d.join("cgroup.procs").into_os_string().into_encoded_bytes()).ok()
            })
            .collect()
    }

    /// Processes in the cgroup (a cgroup cannot be left by `setsid`, unlike a group).
    pub fn members(&self) -> Vec<u32> {
        let Some((dir, _)) = self.dirs.first() else {
            return Vec::new();
        };
        fs::read_to_string(dir.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    pub fn can_freeze(&self) -> bool {
        self.dirs.iter().any(|(_, h)| h.freeze)
    }

    /// Freezes (or thaws) every process, and waits (briefly) until the kernel says so.
    pub async fn set_frozen(&self, frozen: bool) -> io::Result<()> {
        let Some((dir, h)) = self.dirs.iter().find(|(_, h)| h.freeze) else {
            return Err(io::Error::other("no freezer"));
        };
        let (file, value, done) = if h.v2 {
            (
                "cgroup.freeze",
                if frozen { "1" } else { "0" },
                if frozen { "frozen 1" } else { "frozen 0" },
            )
        } else {
            (
                "freezer.state",
                if frozen { "FROZEN" } else { "THAWED" },
                if frozen { "FROZEN" } else { "THAWED" },
            )
        };
        fs::write(dir.join(file), value)?;
        let check = if h.v2 { "cgroup.events" } else { "freezer.state" };
        for _ in 0..200 {
            if fs::read_to_string(dir.join(check)).is_ok_and(|s| s.lines().any(|l| l.trim() == done)) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Err(io::Error::other(format!("the cgroup did not reach '{done}'")))
    }

    /// SIGKILL to every process in the cgroup, escapees of the process group included.
    pub fn kill_all(&self) {
        if let Some((dir, _)) = self.dirs.iter().find(|(_, h)| h.v2)
            && fs::write(dir.join("cgroup.kill"), "1").is_ok()
        {
            return;
        }
        // v1: freeze so nothing forks while we go through the list, kill, thaw.
        let freezer = self.dirs.iter().find(|(_, h)| h.freeze && !h.v2).map(|(d, _)| d);
        for _ in 0..10 {
            let pids = self.members();
            if pids.is_empty() {
                return;
            }
            if let Some(d) = freezer {
                let _ = fs::write(d.join("freezer.state"), "FROZEN");
            }
            for pid in pids {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            if let Some(d) = freezer {
                let _ = fs::write(d.join("freezer.state"), "THAWED");
            }
        }
    }

    /// Resident memory charged to the cgroup.
    pub fn memory_bytes(&self) -> Option<u64> {
        let (dir, h) = self.dirs.iter().find(|(_, h)| h.memory)?;
        let file = if h.v2 {
            "memory.current"
        } else {
            "memory.usage_in_bytes"
        };
        fs::read_to_string(dir.join(file)).ok()?.trim().parse().ok()
    }

    /// Kills what is left and removes the directories (the kernel may take a moment to
    /// let an emptied cgroup go).
    pub fn remove(&self) {
        self.kill_all();
        for (dir, _) in &self.dirs {
            for _ in 0..50 {
                if fs::remove_dir(dir).is_ok() || !dir.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

/// Removes what a dead taosd left under `own`: its agents' processes are killed.
fn sweep(own: &Path) {
    let Ok(entries) = fs::read_dir(own) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let base = entry.path();
        let agents = fs::read_dir(&base)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir());
        for agent in agents {
            let v2 = agent.path().join("cgroup.kill").exists();
            let h = Hierarchy {
                base: base.clone(),
                v2,
                freeze: false,
                memory: false,
                cpu: false,
                pids: false,
            };
            AgentCgroup {
                dirs: vec![(agent.path(), h)],
            }
            .remove();
        }
        let _ = fs::remove_dir(&base);
    }
}
