//! Enrichment: turns decoded kernel records into [`Event`]s attributed to processes.
//!
//! Keeps the process tree (pid → parent, comm, exe, argv) and each process's table of the fds
//! it is known to hold, updated by fork, exec, exit, socket, connect, dup and close. Fd tables
//! are copied on fork, so a socket inherited by a child is still known as a socket when the
//! child dups it onto stdio. What was never seen (fds inherited from before capture) is looked
//! up in /proc at the moment it matters.

use std::collections::HashMap;

use crate::{
    decode::{c_str, Record},
    event::{Event, EventData, Family, FdTarget},
    procfs,
};

/// What Vigil knows of one process.
#[derive(Clone, Debug, Default)]
pub struct Process {
    pub pid: u32,
    pub ppid: u32,
    pub comm: String,
    pub exe: String,
    pub argv: Vec<String>,
    fds: HashMap<i32, Fd>,
}

#[derive(Clone, Debug)]
struct Fd {
    target: FdTarget,
    cloexec: bool,
}

#[derive(Clone, Debug)]
struct PendingExec {
    filename: String,
    argv: Vec<String>,
    truncated: bool,
}

pub struct Tracker {
    processes: HashMap<u32, Process>,
    pending_exec: HashMap<u32, PendingExec>,
    /// Added to kernel CLOCK_MONOTONIC timestamps to get Unix-epoch nanoseconds.
    epoch_offset_ns: i128,
}

const MAX_ANCESTRY: usize = 64;

impl Default for Tracker {
    fn default() -> Self {
        Self::new()
    }
}

impl Tracker {
    pub fn new() -> Self {
        Tracker {
            processes: HashMap::new(),
            pending_exec: HashMap::new(),
            epoch_offset_ns: epoch_offset_ns(),
        }
    }

    /// Registers the watched root before it runs.
    pub fn add_root(&mut self, pid: u32, ppid: u32, argv: Vec<String>) {
        let info = procfs::process(pid);
        let mut p = Process {
            pid,
            ppid,
            argv,
            ..Process::default()
        };
        if let Some(info) = info {
            p.comm = info.comm;
            p.exe = info.exe;
        }
        self.processes.insert(pid, p);
    }

    pub fn process(&self, pid: u32) -> Option<&Process> {
        self.processes.get(&pid)
    }

    /// Parent, grandparent, ... of `pid`, as far as known.
    pub fn ancestry(&self, pid: u32) -> Vec<&Process> {
        let mut out = Vec::new();
        let mut cur = self.processes.get(&pid).map(|p| p.ppid);
        while let Some(ppid) = cur {
            if out.len() >= MAX_ANCESTRY || ppid == 0 {
                break;
            }
            match self.processes.get(&ppid) {
                Some(p) => {
                    out.push(p);
                    cur = Some(p.ppid);
                }
                None => break,
            }
        }
        out
    }

    /// Applies one record and returns the event signatures should see, if any.
    pub fn apply(&mut self, record: Record) -> Option<Event> {
        let header = *record.header();
        let pid = header.pid;
        self.ensure(pid);
        let data = match record {
            Record::Exec {
                filename,
                argv,
                truncated,
                ..
            } => {
                self.pending_exec.insert(
                    pid,
                    PendingExec {
                        filename,
                        argv,
                        truncated,
                    },
                );
                return None;
            }
            Record::ExecResult { ret, .. } => {
                let pending = self.pending_exec.remove(&pid)?;
                if ret != 0 {
                    return None;
                }
                let exe = procfs::exe(pid).unwrap_or_else(|| pending.filename.clone());
                let p = self.processes.get_mut(&pid)?;
                p.exe = exe;
                p.argv = pending.argv.clone();
                p.comm = c_str(&header.comm);
                p.fds.retain(|_, fd| !fd.cloexec);
                EventData::Exec {
                    filename: pending.filename,
                    argv: pending.argv,
                    argv_truncated: pending.truncated,
                }
            }
            Record::Fork { child_tid, .. } => {
                // Threads share their parent's tables: only record real processes. A new
                // thread's tid never shows up as an event's pid.
                let mut child = self.processes.get(&pid).cloned().unwrap_or_default();
                child.pid = child_tid;
                child.ppid = pid;
                self.processes.insert(child_tid, child);
                EventData::Fork {
                    child_pid: child_tid,
                }
            }
            Record::Exit { code, .. } => {
                // Kept until the end of the run: findings and ancestry may still name it.
                if let Some(p) = self.processes.get_mut(&pid) {
                    p.fds.clear();
                }
                EventData::Exit { code }
            }
            Record::Socket {
                family,
                socket_type,
                protocol,
                ret,
                ..
            } => {
                let family = Family::from_raw(family);
                if ret >= 0 {
                    self.set_fd(
                        pid,
                        ret as i32,
                        Fd {
                            target: FdTarget::Socket {
                                family,
                                socket_type: socket_type & 0xf,
                                remote: None,
                            },
                            cloexec: socket_type & libc::SOCK_CLOEXEC as u32 != 0,
                        },
                    );
                }
                EventData::Socket {
                    family,
                    socket_type: socket_type & 0xf,
                    protocol,
                    result: ret,
                }
            }
            Record::Connect {
                fd,
                address,
                family,
                ret,
                ..
            } => {
                if ret == 0 || ret == -(libc::EINPROGRESS as i64) {
                    let known = self.fd_target(pid, fd);
                    let socket_type = match known {
                        FdTarget::Socket { socket_type, .. } => socket_type,
                        _ => 0,
                    };
                    let cloexec = self.fd_cloexec(pid, fd);
                    self.set_fd(
                        pid,
                        fd,
                        Fd {
                            target: FdTarget::Socket {
                                family,
                                socket_type,
                                remote: Some(address.clone()),
                            },
                            cloexec,
                        },
                    );
                }
                EventData::Connect {
                    fd,
                    family,
                    address,
                    result: ret,
                }
            }
            Record::Dup {
                old_fd,
                new_fd,
                flags,
                ret,
                ..
            } => {
                let mut target = self.fd_target(pid, old_fd);
                if target == FdTarget::Unknown && ret >= 0 {
                    // The old fd may be closed by now; the new one is the same open file. Only
                    // /proc can say so: the table's entry for it is what the dup replaced.
                    target = procfs::fd_target(pid, ret as i32).unwrap_or(FdTarget::Unknown);
                }
                if ret >= 0 {
                    self.set_fd(
                        pid,
                        ret as i32,
                        Fd {
                            target: target.clone(),
                            cloexec: flags & libc::O_CLOEXEC as u64 != 0,
                        },
                    );
                }
                EventData::Dup {
                    old_fd,
                    new_fd: new_fd.unwrap_or(ret as i32),
                    target,
                    result: ret,
                }
            }
            Record::Close { fd, ret, .. } => {
                let target = self
                    .processes
                    .get_mut(&pid)
                    .and_then(|p| p.fds.remove(&fd))
                    .map(|f| f.target)
                    .unwrap_or(FdTarget::Unknown);
                EventData::Close {
                    fd,
                    target,
                    result: ret,
                }
            }
        };
        let comm = c_str(&header.comm);
        if let Some(p) = self.processes.get_mut(&pid) {
            if !comm.is_empty() {
                p.comm.clone_from(&comm);
            }
        }
        Some(Event {
            timestamp_ns: (header.ts_ns as i128 + self.epoch_offset_ns).max(0) as u64,
            pid,
            tid: header.tid,
            uid: header.uid,
            gid: header.gid,
            comm,
            data,
        })
    }

    /// Makes sure `pid` is in the tree, from /proc if it was never seen.
    fn ensure(&mut self, pid: u32) {
        if self.processes.contains_key(&pid) {
            return;
        }
        let mut p = Process {
            pid,
            ..Process::default()
        };
        if let Some(info) = procfs::process(pid) {
            p.ppid = info.ppid;
            p.comm = info.comm;
            p.exe = info.exe;
            p.argv = info.argv;
        }
        self.processes.insert(pid, p);
    }

    fn set_fd(&mut self, pid: u32, fd: i32, entry: Fd) {
        if let Some(p) = self.processes.get_mut(&pid) {
            p.fds.insert(fd, entry);
        }
    }

    fn fd_cloexec(&self, pid: u32, fd: i32) -> bool {
        self.processes
            .get(&pid)
            .and_then(|p| p.fds.get(&fd))
            .is_some_and(|f| f.cloexec)
    }

    /// What `fd` refers to: from the tracked table, else from /proc.
    fn fd_target(&self, pid: u32, fd: i32) -> FdTarget {
        if let Some(f) = self.processes.get(&pid).and_then(|p| p.fds.get(&fd)) {
            return f.target.clone();
        }
        procfs::fd_target(pid, fd).unwrap_or(FdTarget::Unknown)
    }
}

/// CLOCK_REALTIME − CLOCK_MONOTONIC, in nanoseconds.
fn epoch_offset_ns() -> i128 {
    fn now(clock: libc::clockid_t) -> i128 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: valid clock id and out-pointer.
        unsafe { libc::clock_gettime(clock, &mut ts) };
        ts.tv_sec as i128 * 1_000_000_000 + ts.tv_nsec as i128
    }
    now(libc::CLOCK_REALTIME) - now(libc::CLOCK_MONOTONIC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SockAddr;
    use vigil_ebpf_common::{EventKind, Header};

    fn header(pid: u32) -> Header {
        Header {
            kind: EventKind::Dup2 as u32,
            pid,
            tid: pid,
            uid: 0,
            gid: 0,
            _pad: 0,
            ts_ns: 0,
            comm: [0; 16],
        }
    }

    fn tcp_peer() -> SockAddr {
        SockAddr::Inet {
            ip: "127.0.0.1".parse().unwrap(),
            port: 4444,
        }
    }

    // Pids far above pid_max so /proc never answers for them.
    const PARENT: u32 = 0x7fff_0001;
    const CHILD: u32 = 0x7fff_0002;

    #[test]
    fn socket_inherited_across_fork_is_known_at_dup() {
        let mut t = Tracker::new();
        t.add_root(PARENT, 1, vec!["python3".into()]);
        t.apply(Record::Socket {
            header: header(PARENT),
            family: libc::AF_INET as u32,
            socket_type: libc::SOCK_STREAM as u32 | libc::SOCK_CLOEXEC as u32,
            protocol: 0,
            ret: 3,
        });
        t.apply(Record::Connect {
            header: header(PARENT),
            fd: 3,
            address: tcp_peer(),
            family: Family::Inet,
            ret: 0,
        });
        t.apply(Record::Fork {
            header: header(PARENT),
            child_tid: CHILD,
        });
        let ev = t
            .apply(Record::Dup {
                header: header(CHILD),
                old_fd: 3,
                new_fd: Some(0),
                flags: 0,
                ret: 0,
            })
            .unwrap();
        match ev.data {
            EventData::Dup { target, .. } => assert_eq!(
                target,
                FdTarget::Socket {
                    family: Family::Inet,
                    socket_type: libc::SOCK_STREAM as u32,
                    remote: Some(tcp_peer())
                }
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(t.ancestry(CHILD)[0].pid, PARENT);
    }

    #[test]
    fn closed_and_cloexec_fds_are_forgotten() {
        let mut t = Tracker::new();
        t.add_root(PARENT, 1, vec![]);
        t.apply(Record::Socket {
            header: header(PARENT),
            family: libc::AF_INET as u32,
            socket_type: libc::SOCK_STREAM as u32 | libc::SOCK_CLOEXEC as u32,
            protocol: 0,
            ret: 3,
        });
        t.apply(Record::Exec {
            header: header(PARENT),
            filename: "/bin/true".into(),
            argv: vec!["true".into()],
            truncated: false,
        });
        let exec = t.apply(Record::ExecResult {
            header: header(PARENT),
            ret: 0,
        });
        assert!(matches!(exec.unwrap().data, EventData::Exec { .. }));
        assert_eq!(t.fd_target(PARENT, 3), FdTarget::Unknown);
        assert_eq!(t.process(PARENT).unwrap().argv, ["true"]);
    }

    #[test]
    fn failed_exec_is_not_an_event() {
        let mut t = Tracker::new();
        t.add_root(PARENT, 1, vec![]);
        t.apply(Record::Exec {
            header: header(PARENT),
            filename: "/nope".into(),
            argv: vec![],
            truncated: false,
        });
        assert!(t
            .apply(Record::ExecResult {
                header: header(PARENT),
                ret: -2
            })
            .is_none());
    }
}
