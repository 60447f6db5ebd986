//! An agent's processes: its process group (leader = the agent, pgid = its pid), and its
//! cgroup where there is one (which also holds children that left the group).

use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::time::Instant;

use super::cgroup::AgentCgroup;
use super::procfs;

const POLL: Duration = Duration::from_millis(10);
/// How long processes get to vanish after SIGKILL (they may be in uninterruptible I/O).
pub const KILL_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Group {
    pub pgid: u32,
    pub cgroup: Option<Arc<AgentCgroup>>,
}

impl Group {
    pub fn signal(&self, sig: Signal) {
        // ESRCH (nobody left) is the normal end of a stop.
        let _ = killpg(Pid::from_raw(self.pgid as i32), sig);
    }

    /// Every live process of the agent.
    pub fn members(&self) -> Vec<u32> {
        let mut pids = procfs::group_members(self.pgid);
        if let Some(cg) = &self.cgroup {
            for pid in cg.members() {
                if !pids.contains(&pid) && procfs::stat(pid).is_some_and(|s| s.alive()) {
                    pids.push(pid);
                }
            }
        }
        pids
    }

    pub fn is_empty(&self) -> bool {
        self.members().is_empty()
    }

    pub fn kill(&self) {
        self.signal(Signal::SIGKILL);
        if let Some(cg) = &self.cgroup {
            cg.kill_all();
        }
    }

    /// Waits until no process is left or `deadline`; whether none is left.
    pub async fn wait_empty(&self, deadline: Instant) -> bool {
        loop {
            if self.is_empty() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// After the leader exited: what is left of the agent gets SIGTERM (unless a stop sent
    /// it already), until `deadline`, then SIGKILL — nothing outlives its agent.
    pub async fn drain(&self, deadline: Instant, termed: bool) {
        if self.is_empty() {
            return;
        }
        if !termed {
            self.signal(Signal::SIGTERM);
        }
        self.thaw_signals();
        if self.wait_empty(deadline).await {
            return;
        }
        self.kill();
        if !self.wait_empty(Instant::now() + KILL_WAIT).await {
            tracing::warn!(pgid = self.pgid, "an agent's processes outlived SIGKILL");
        }
    }

    /// A group stopped with SIGSTOP keeps its signals pending: continue it.
    pub fn thaw_signals(&self) {
        self.signal(Signal::SIGCONT);
    }
}
