//! What `/proc` says about a process: enough to find an agent's process group (zombies
//! excluded: this machine's PID 1 does not reap orphans), its CPU time and memory.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    pub state: char,
    pub pgrp: i32,
    /// Clock ticks in user and system mode.
    pub utime: u64,
    pub stime: u64,
    /// Clock ticks after boot when the process started (identifies it across pid reuse).
    pub starttime: u64,
}

impl ProcStat {
    pub fn alive(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }

    pub fn cpu_time(&self) -> Duration {
        ticks(self.utime + self.stime)
    }
}

fn ticks(n: u64) -> Duration {
    // SAFETY: sysconf only reads a constant of the running system.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = u64::try_from(hz).ok().filter(|&h| h > 0).unwrap_or(100);
    Duration::from_millis(n * 1000 / hz)
}

/// `/proc/<pid>/stat`, or None when the process is gone.
pub fn stat(pid: u32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// The fields after the command name, which is in parentheses and may hold anything
/// (spaces, parentheses): split after the last `)`.
fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field numbers of proc(5), minus the two before the split.
    let field = |n: usize| fields.get(n - 3).copied();
    Some(ProcStat {
        state: field(3)?.chars().next()?,
        pgrp: field(5)?.parse().ok()?,
        utime: field(14)?.parse().ok()?,
        stime: field(15)?.parse().ok()?,
        starttime: field(22)?.parse().ok()?,
    })
}

/// Resident memory of `pid`, in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let pages: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a constant of the running system.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).unwrap_or(4096))
}

/// The live (not zombie) processes of process group `pgid`.
pub fn group_members(pgid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| stat(pid).is_some_and(|s| s.alive() && s.pgrp as u32 == pgid))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_spaces_and_parentheses_do_not_shift_fields() {
        let line = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 987654 1000 100";
        let s = parse_stat(line).unwrap();
        assert_eq!(
            (s.state, s.pgrp, s.utime, s.stime, s.starttime),
            ('S', 4242, 7, 3, 987654)
        );
    }

    #[test]
    fn our_own_process_is_readable() {
        let me = stat(std::process::id()).unwrap();
        assert!(me.alive());
        assert!(rss_bytes(std::process::id()).unwrap() > 0);
        assert!(group_members(me.pgrp as u32).contains(&std::process::id()));
    }
}
