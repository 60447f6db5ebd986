//! Where the cgroup hierarchies are mounted, and taosd's own cgroup in each.

use std::fs;
use std::path::PathBuf;

pub(super) struct Mount {
    pub point: PathBuf,
    pub root: String,
    pub v2: bool,
    /// Its super options: for v1, the controllers it holds.
    pub options: Vec<String>,
}

pub(super) fn mounts() -> Vec<Mount> {
    parse(&fs::read_to_string("/proc/self/mountinfo").unwrap_or_default())
}

/// The cgroup mounts of a `mountinfo` text (proc(5): fields, ` - `, fstype, source, options).
fn parse(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let left: Vec<&str> = left.split(' ').collect();
            let mut right = right.split(' ');
            let fstype = right.next()?;
            let options = right
                .nth(1)
                .unwrap_or("")
                .split(',')
                .map(str::to_string)
                .collect();
            let v2 = match fstype {
                "cgroup2" => true,
                "cgroup" => false,
                _ => return None,
            };
            Some(Mount {
                point: PathBuf::from(left.get(4)?),
                root: left.get(3)?.to_string(),
                v2,
                options,
            })
        })
        .collect()
}

/// taosd's own cgroup path in the hierarchy mounted as `m`.
pub(super) fn own_dir(m: &Mount, cgroups: &str) -> Option<PathBuf> {
    let path = cgroups.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_id, ctrls, path) = (parts.next()?, parts.next()?, parts.next()?);
        let wanted = if m.v2 {
            ctrls.is_empty()
        } else {
            ctrls.split(',').any(|c| m.options.iter().any(|o| o == c))
        };
        wanted.then_some(path)
    })?;
    let inside = path.strip_prefix(m.root.as_str()).unwrap_or(path);
    Some(m.point.join(inside.trim_start_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This machine's kind: v1 controllers plus a cgroup2 hierarchy at `unified`.
    const MOUNTINFO: &str = "\
30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
33 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
34 30 0:30 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
38 30 0:34 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
39 30 0:35 /docker/abc /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids";
    const CGROUP: &str = "8:pids:/docker/abc/svc\n4:memory:/process_api/c64\n1:cpu:/\n0::/\n";

    #[test]
    fn own_cgroups_are_found_in_each_hierarchy() {
        let mounts = parse(MOUNTINFO);
        assert_eq!(mounts.len(), 4, "tmpfs is not a cgroup");
        let dirs: Vec<PathBuf> = mounts.iter().filter_map(|m| own_dir(m, CGROUP)).collect();
        assert_eq!(
            dirs,
            [
                PathBuf::from("/sys/fs/cgroup/memory/process_api/c64"),
                PathBuf::from("/sys/fs/cgroup/cpu"),
                PathBuf::from("/sys/fs/cgroup/unified"),
                // Mounted from inside a container: its root is stripped from the path.
                PathBuf::from("/sys/fs/cgroup/pids/svc"),
            ]
        );
        assert!(!mounts[3].v2 && mounts[2].v2);
    }
}
