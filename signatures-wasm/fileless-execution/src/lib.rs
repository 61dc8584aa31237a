//! VGL-0006 — fileless execution: a program run from memory rather than from a file on disk,
//! so nothing is left for a scanner to find. Fires on an exec whose program is
//!
//! - a memfd (`/proc/<pid>/exe` reads `/memfd:NAME (deleted)`; Tracee's `memfd:` prefix);
//! - under `/dev/shm/` or `/run/shm/` (RAM-backed, world-writable);
//! - an fd path (`/proc/self/fd/N`, `/proc/<pid>/fd/N`, `/dev/fd/N`) or an `execveat` on an fd
//!   (empty filename), when that fd is a memfd this process or one of its ancestors created.
//!   This case does not depend on Vigil reading `/proc/<pid>/exe` before a short-lived
//!   program exits: the `memfd_create` itself was seen.
//!
//! Ports Tracee's TRC-105, on the host.

use std::collections::{HashMap, HashSet};

use vigil_sdk::{allowlist::Allowlist, host, prelude::*, proc_paths};

const RAM_DIRS: [&str; 2] = ["/dev/shm/", "/run/shm/"];

#[derive(Default)]
pub struct FilelessExecution {
    allow: Allowlist,
    /// Per process, the fds `memfd_create` returned in it (inherited by its children).
    memfds: HashMap<u32, HashSet<i32>>,
}

/// The fd an exec of `filename` runs, when it names one: `None` for ordinary paths,
/// `Some(None)` for an `execveat` on an fd the event does not name.
fn exec_fd(filename: &str) -> Option<Option<i32>> {
    if filename.is_empty() {
        return Some(None);
    }
    let fd = match filename.strip_prefix("/dev/fd/") {
        Some(n) => n,
        None => proc_paths::parse(filename)?.file.strip_prefix("fd/")?,
    };
    fd.parse().ok().map(Some)
}

impl FilelessExecution {
    /// Whether `fd` (any memfd, for `None`) was created by `pid` or an ancestor of it.
    fn is_memfd(&self, pid: u32, fd: Option<i32>) -> bool {
        if self.memfds.is_empty() {
            return false;
        }
        let created = |p: u32| {
            self.memfds
                .get(&p)
                .is_some_and(|fds| fd.map_or(!fds.is_empty(), |fd| fds.contains(&fd)))
        };
        created(pid) || host::ancestry(pid).iter().any(|a| created(a.pid))
    }

    /// Why the exec of `filename` (now running `exe`) is fileless, if it is.
    fn fileless(&self, pid: u32, filename: &str, exe: &str) -> Option<&'static str> {
        if exe.starts_with("/memfd:") || filename.starts_with("memfd:") {
            return Some("memfd");
        }
        if RAM_DIRS
            .iter()
            .any(|d| filename.starts_with(d) || exe.starts_with(d))
        {
            return Some("shared memory");
        }
        // An fd exec whose program Vigil did resolve to a real file is not fileless.
        let unresolved = exe.is_empty() || exe == filename;
        match exec_fd(filename) {
            Some(fd) if unresolved && self.is_memfd(pid, fd) => Some("memfd"),
            _ => None,
        }
    }
}

impl Signature for FilelessExecution {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0006".into(),
            name: "Fileless execution".into(),
            version: "1.0.0".into(),
            description: "A program was executed from memory (a memfd, /dev/shm or /run/shm) \
                          instead of from a file on disk."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1620".into()],
            tags: vec!["defense-evasion".into(), "tracee:TRC-105".into()],
            events: vec![EventKind::Exec, EventKind::MemfdCreate, EventKind::Exit],
            config_keys: Allowlist::config_keys(),
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        self.allow.configure(settings)
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        match event.data {
            EventData::MemfdCreate { result, .. } if result >= 0 => {
                self.memfds
                    .entry(event.pid)
                    .or_default()
                    .insert(result as i32);
                Vec::new()
            }
            EventData::Exit { .. } => {
                self.memfds.remove(&event.pid);
                Vec::new()
            }
            EventData::Exec { filename, .. } => {
                let exe = event.process.exe;
                match self.fileless(event.pid, filename, exe) {
                    Some(from) if !self.allow.allows(event, filename) => {
                        vec![Finding::new(format!("executed {filename:?} from {from}"))
                            .with("filename", filename)
                            .with("exe", exe)
                            .with("from", from)]
                    }
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(FilelessExecution);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{ancestor, event, set_ancestry, Harness};

    fn exec(pid: u32, filename: &'static str, exe: &'static str) -> Event<'static> {
        let mut e = vigil_sdk::testing::exec(pid, filename);
        e.process.exe = exe;
        e
    }

    fn memfd(pid: u32, fd: i64) -> Event<'static> {
        event(
            pid,
            "/usr/bin/python3",
            EventData::MemfdCreate {
                name: "x",
                flags: 0,
                result: fd,
            },
        )
    }

    #[test]
    fn memfd_and_shared_memory_programs_fire() {
        let mut sig = Harness::<FilelessExecution>::new();
        let f = sig.feed(&exec(10, "/proc/self/fd/3", "/memfd:payload (deleted)"));
        assert_eq!(f[0].evidence("from"), Some("memfd"));
        let f = sig.feed(&exec(11, "/dev/shm/x", "/dev/shm/x"));
        assert_eq!(f[0].evidence("from"), Some("shared memory"));
        assert_eq!(sig.feed(&exec(12, "/run/shm/.a/b", "")).len(), 1);
    }

    #[test]
    fn exec_of_a_memfd_seen_created_fires_without_the_exe() {
        let mut sig = Harness::<FilelessExecution>::new();
        sig.feed(&memfd(20, 5));
        // In the creating process, and in a child that inherited the fd.
        assert_eq!(
            sig.feed(&exec(20, "/proc/self/fd/5", "/proc/self/fd/5"))
                .len(),
            1
        );
        set_ancestry(21, vec![ancestor(20, "/usr/bin/python3", &["python3"])]);
        assert_eq!(sig.feed(&exec(21, "/dev/fd/5", "")).len(), 1);
        assert_eq!(sig.feed(&exec(21, "", "")).len(), 1);
        // Another fd, or an fd that turned out to be a real file, is not.
        assert!(sig.feed(&exec(20, "/proc/self/fd/6", "")).is_empty());
        assert!(sig
            .feed(&exec(20, "/proc/self/fd/5", "/usr/bin/true"))
            .is_empty());
        // Once the creator exits, its fds are gone.
        sig.feed(&event(
            20,
            "/usr/bin/python3",
            EventData::Exit { code: None },
        ));
        assert!(sig.feed(&exec(20, "/proc/self/fd/5", "")).is_empty());
    }

    #[test]
    fn programs_on_disk_are_quiet() {
        let mut sig = Harness::<FilelessExecution>::new();
        assert!(sig.feed(&exec(30, "/usr/bin/cc", "/usr/bin/cc")).is_empty());
        assert!(sig
            .feed(&exec(30, "/proc/self/fd/3", "/proc/self/fd/3"))
            .is_empty());
        assert!(sig
            .feed(&exec(30, "/tmp/dev/shm/x", "/tmp/dev/shm/x"))
            .is_empty());
    }
}
