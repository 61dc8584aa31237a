//! What the daemon watches: a process tree that is already running (the runner's), so its
//! root and every existing descendant go into the kernel's scope map; forks from then on are
//! followed by the kernel itself.

use anyhow::{bail, Result};

use crate::{
    capture::Capture,
    procfs::{self, ProcIo},
};

/// The runner's process: every step of a GitHub Actions job runs under it.
const RUNNER_WORKER: &str = "Runner.Worker";

/// The nearest ancestor of this process named Runner.Worker, else this process's parent.
pub fn default_root() -> u32 {
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() } as u32;
    let mut io = ProcIo::Live;
    let mut pid = parent;
    for _ in 0..64 {
        match procfs::process(&mut io, pid) {
            Some(p) if p.comm == RUNNER_WORKER => return pid,
            Some(p) if p.ppid > 1 => pid = p.ppid,
            _ => break,
        }
    }
    parent
}

/// Checks that `pid` is a live process that can be watched.
pub fn check_root(pid: u32) -> Result<()> {
    if pid <= 1 {
        bail!("--watch-pid {pid}: refusing to watch pid {pid} (use a job's process tree)");
    }
    if procfs::process(&mut ProcIo::Live, pid).is_none() {
        bail!("--watch-pid {pid}: no such process");
    }
    Ok(())
}

/// Puts `root` and all its current descendants except `exclude`'s subtree (the daemon itself)
/// in scope; returns how many processes that was. The tree is read again until a pass finds
/// nothing new, since processes can fork while it is being read (a fork of a process already
/// in scope is followed by the kernel).
pub fn seed(capture: &mut Capture, root: u32, exclude: u32) -> Result<usize> {
    capture.watch(root)?;
    let mut watched = vec![root];
    for _ in 0..8 {
        let fresh: Vec<u32> = descendants(root, exclude)
            .into_iter()
            .filter(|p| !watched.contains(p))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for pid in fresh {
            // It may have exited since it was listed; that is no failure.
            if capture.watch(pid).is_ok() {
                watched.push(pid);
            }
        }
    }
    Ok(watched.len())
}

/// Every live descendant of `root`, skipping the subtree of `exclude`.
fn descendants(root: u32, exclude: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    let mut io = ProcIo::Live;
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            if let Some(p) = procfs::process(&mut io, pid) {
                parents.push((pid, p.ppid));
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, _) in parents
            .iter()
            .filter(|(pid, ppid)| *ppid == parent && *pid != exclude)
        {
            if !out.contains(&pid) && pid != root {
                out.push(pid);
                frontier.push(pid);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_live_subtree_and_skips_the_excluded_one() {
        let mut a = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let mut b = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let me = std::process::id();
        let found = descendants(me, b.id());
        assert!(found.contains(&a.id()), "{found:?}");
        assert!(!found.contains(&b.id()), "{found:?}");
        assert!(!found.contains(&me));
        a.kill().unwrap();
        b.kill().unwrap();
        a.wait().unwrap();
        b.wait().unwrap();
    }
}
