//! Enrichment: turns decoded kernel records into [`Event`]s attributed to processes.
//!
//! Keeps the process tree (pid → parent, comm, exe, argv) and each process's table of the fds
//! it is known to hold, updated by fork, exec, exit, socket, connect, accept, open, dup and
//! close. Fd tables are copied on fork, so a socket inherited by a child is still known as a
//! socket when the child dups it onto stdio. What was never seen (fds inherited from before
//! capture) is looked up in /proc at the moment it matters, as are the directories relative
//! paths are resolved against; all /proc reads go through [`ProcIo`] so they can be recorded
//! and replayed.

use std::{borrow::Cow, collections::HashMap};

use vigil_ebpf_common::{EventKind as K, CWD_EPOCH_ARG};

use crate::{
    bpf,
    decode::{self, c_str, Record},
    event::{Event, EventData, Family, FdTarget, SockAddr},
    procfs::{self, ProcIo},
};

/// What Vigil knows of one process.
#[derive(Clone, Debug, Default)]
pub struct Process {
    pub pid: u32,
    pub ppid: u32,
    pub comm: String,
    pub exe: String,
    pub argv: Vec<String>,
    /// Mount namespace, as the kernel last reported it in one of this process's records (a
    /// child starts with its parent's); 0 while unknown.
    pub mnt_ns: u64,
    /// The workflow step named by this process's last exec that named one, or inherited from
    /// its parent at fork (see `steps`).
    pub step: Option<std::sync::Arc<crate::steps::Step>>,
    /// Current directory: from /proc when first seen, then kept by chdir/fchdir.
    cwd: Option<String>,
    fds: HashMap<i32, Fd>,
}

#[derive(Clone, Debug)]
struct Fd {
    target: FdTarget,
    cloexec: bool,
}

/// A magic link of /proc: a directory entry that leads to a process's root, cwd or open fd.
enum MagicLink {
    Root,
    Cwd,
    Fd(i32),
}

#[derive(Clone, Debug)]
struct PendingExec {
    filename: String,
    argv: Vec<String>,
    truncated: bool,
    execveat: bool,
    env: Vec<(String, String)>,
}

pub struct Tracker {
    processes: HashMap<u32, Process>,
    pending_exec: HashMap<u32, PendingExec>,
    /// Selected environment of the exec being entered, per pid.
    pending_env: HashMap<u32, Vec<(String, String)>>,
    /// Added to kernel CLOCK_MONOTONIC timestamps to get Unix-epoch nanoseconds.
    epoch_offset_ns: i128,
    /// Who created each BPF map seen being created.
    bpf_maps: bpf::MapCreators,
    /// Vigil's own mount namespace, once asked (see [`Tracker::own_mnt_ns`]).
    own_mnt_ns: Option<Option<u64>>,
    /// Where /proc answers come from (live, recorded, or replayed).
    pub io: ProcIo,
    /// Whether read-only opens' fds go into the tables (see [`Tracker::keep_read_only_fds`]).
    read_only_fds: bool,
    /// Cwd epochs from applied chdir and fchdir records, with the cwd each names (see
    /// [`Tracker::take_cwd_epochs`]).
    cwd_epochs: Vec<(u64, String)>,
}

const MAX_ANCESTRY: usize = 64;

impl Default for Tracker {
    fn default() -> Self {
        Self::new()
    }
}

impl Tracker {
    pub fn new() -> Self {
        Self::with_io(ProcIo::Live, epoch_offset_ns())
    }

    /// A tracker reading /proc through `io`, with a given monotonic-to-epoch clock offset
    /// (a replay uses the recording's).
    pub fn with_io(io: ProcIo, epoch_offset_ns: i128) -> Self {
        Tracker {
            processes: HashMap::new(),
            pending_exec: HashMap::new(),
            pending_env: HashMap::new(),
            epoch_offset_ns,
            own_mnt_ns: None,
            bpf_maps: bpf::MapCreators::default(),
            io,
            read_only_fds: true,
            cwd_epochs: Vec::new(),
        }
    }

    pub fn epoch_offset_ns(&self) -> i128 {
        self.epoch_offset_ns
    }

    /// Registers the watched root before it runs.
    pub fn add_root(&mut self, pid: u32, ppid: u32, argv: Vec<String>) {
        let info = procfs::process(&mut self.io, pid);
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
        p.cwd = procfs::cwd(&mut self.io, pid);
        self.processes.insert(pid, p);
        self.add_ancestors(ppid);
    }

    /// Registers the processes above the root as they are now (Vigil, the shell that started
    /// it, the CI runner...), so ancestry answers reach past the watched tree: a signature can
    /// tell a step reading its runner's memory from one reading a stranger's.
    fn add_ancestors(&mut self, mut pid: u32) {
        for _ in 0..MAX_ANCESTRY {
            if pid == 0 || self.processes.contains_key(&pid) {
                return;
            }
            let Some(info) = procfs::process(&mut self.io, pid) else {
                return;
            };
            let ppid = info.ppid;
            self.processes.insert(
                pid,
                Process {
                    pid,
                    ppid,
                    comm: info.comm,
                    exe: info.exe,
                    argv: info.argv,
                    ..Process::default()
                },
            );
            pid = ppid;
        }
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
        let mnt_ns = self.note_mnt_ns(pid, header.mnt_ns);
        let data = match record {
            Record::Exec {
                filename,
                argv,
                truncated,
                execveat,
                ..
            } => {
                // Both exec programs run on entry, in either order; the env may come first.
                let env = self.pending_env.remove(&pid).unwrap_or_default();
                self.pending_exec.insert(
                    pid,
                    PendingExec {
                        filename,
                        argv,
                        truncated,
                        execveat,
                        env,
                    },
                );
                return None;
            }
            Record::ExecEnv { env, .. } => {
                match self.pending_exec.get_mut(&pid) {
                    Some(p) if p.env.is_empty() => p.env = env,
                    _ => {
                        self.pending_env.insert(pid, env);
                    }
                }
                return None;
            }
            Record::ExecResult { ret, .. } => {
                self.pending_env.remove(&pid);
                let pending = self.pending_exec.remove(&pid)?;
                if ret != 0 {
                    return None;
                }
                let live_exe = procfs::exe(&mut self.io, pid);
                let interpreter = self.interpreter(pid, &pending, live_exe.as_deref());
                // A program that exited before /proc could be asked: what it was exec'd as,
                // made absolute (`exe` is always an absolute path or empty).
                let exe = match live_exe {
                    Some(exe) => exe,
                    None => self.resolve_as_written(pid, None, &pending.filename),
                };
                let p = self.processes.get_mut(&pid)?;
                p.exe = exe;
                p.argv = pending.argv.clone();
                p.comm = c_str(&header.comm);
                p.fds.retain(|_, fd| !fd.cloexec);
                let env = pending.env.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                if let Some(step) = crate::steps::Step::from_env(env) {
                    p.step = Some(step);
                }
                EventData::Exec {
                    filename: pending.filename,
                    argv: pending.argv,
                    argv_truncated: pending.truncated,
                    env: pending.env.into_iter().collect(),
                    interpreter,
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
                    target = procfs::fd_target(&mut self.io, pid, ret as i32)
                        .unwrap_or(FdTarget::Unknown);
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
            Record::Args {
                kind: K::Fchdir,
                args,
                ret,
                ..
            } => {
                let mut known = ret != 0;
                if ret == 0 {
                    let dir = self.fd_path(pid, args[0] as i32);
                    if dir.starts_with('/') {
                        self.set_cwd(pid, dir);
                        known = true;
                    }
                }
                if known {
                    self.cwd_epoch(pid, args[CWD_EPOCH_ARG]);
                }
                return None;
            }
            Record::Body {
                kind: K::Chdir,
                args,
                ret,
                paths,
                ..
            } => {
                if ret == 0 {
                    let dir = self.resolve_as_written(pid, None, &paths[0]);
                    self.set_cwd(pid, dir);
                }
                self.cwd_epoch(pid, args[CWD_EPOCH_ARG]);
                return None;
            }
            Record::Args {
                kind, args, ret, ..
            } => self.args_event(pid, kind, args, ret),
            Record::Body {
                kind,
                args,
                ret,
                paths,
                addr,
                data,
                ..
            } => self.body_event(pid, kind, args, ret, paths, &addr, &data)?,
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
            cgroup_id: header.cgroup_id,
            mnt_ns,
            comm,
            data,
        })
    }

    /// Keeps the mount namespace a record reports for `pid` and returns the one its event
    /// carries: an exiting task has dropped its namespaces (the record says 0), but it is still
    /// where it last was.
    fn note_mnt_ns(&mut self, pid: u32, reported: u32) -> u64 {
        let Some(p) = self.processes.get_mut(&pid) else {
            return u64::from(reported);
        };
        if reported != 0 {
            p.mnt_ns = u64::from(reported);
        }
        p.mnt_ns
    }

    /// Vigil's own mount namespace, asked once (through `io`, so a replay has the recording's).
    fn own_mnt_ns(&mut self) -> Option<u64> {
        if self.own_mnt_ns.is_none() {
            self.own_mnt_ns = Some(procfs::own_mnt_ns(&mut self.io));
        }
        self.own_mnt_ns.flatten()
    }

    /// The interpreter of a successful exec of a `#!` script, from the script's first line.
    /// When the file can no longer be read (a dropper deleting its script right after exec),
    /// the running executable (`live_exe`) stands in if it is not the file that was named.
    fn interpreter(
        &mut self,
        pid: u32,
        exec: &PendingExec,
        live_exe: Option<&str>,
    ) -> Option<String> {
        // An execveat path may be relative to a directory fd the record does not carry.
        if exec.execveat && !exec.filename.starts_with('/') {
            return None;
        }
        let path = self.resolve_as_written(pid, None, &exec.filename);
        if !path.starts_with('/') {
            return None;
        }
        let mnt_ns = self.processes.get(&pid).map_or(0, |p| p.mnt_ns);
        let same_namespace = mnt_ns != 0 && Some(mnt_ns) == self.own_mnt_ns();
        match procfs::script_interpreter(&mut self.io, pid, &path, same_namespace) {
            Ok(interpreter) => interpreter,
            Err(()) => {
                let exe = live_exe?.trim_end_matches(" (deleted)");
                let name = |p: &str| p.rsplit('/').next().unwrap_or("").to_string();
                (name(exe) != name(&path)).then(|| exe.to_string())
            }
        }
    }

    /// Events of argument-only syscalls.
    fn args_event(&mut self, pid: u32, kind: K, a: [u64; 6], ret: i64) -> EventData {
        let name = syscall_name(kind);
        // -1 (as the kernel sees a u32 id argument) means "leave unchanged".
        let id = |v: u64| (v as u32 != u32::MAX).then_some(v as u32);
        match kind {
            K::Fchmod => EventData::Chmod {
                syscall: name.into(),
                path: self.fd_path(pid, a[0] as i32),
                mode: a[1] as u32,
                result: ret,
            },
            K::Ftruncate => EventData::Truncate {
                syscall: name.into(),
                path: self.fd_path(pid, a[0] as i32),
                length: a[1],
                result: ret,
            },
            K::Ptrace => EventData::Ptrace {
                request: a[0] as i64,
                target_pid: a[1] as i32,
                result: ret,
            },
            K::ProcessVmReadv | K::ProcessVmWritev => EventData::ProcessVm {
                syscall: name.into(),
                target_pid: a[0] as i32,
                write: kind == K::ProcessVmWritev,
                result: ret,
            },
            K::Mprotect => EventData::Mprotect {
                address: a[0],
                length: a[1],
                prot: a[2] as u32,
                writable: a[2] & libc::PROT_WRITE as u64 != 0,
                anonymous: procfs::mapping_is_anonymous(&mut self.io, pid, a[0]),
                result: ret,
            },
            K::Mmap => EventData::Mmap {
                address: a[0],
                length: a[1],
                prot: a[2] as u32,
                flags: a[3] as u32,
                fd: a[4] as i32,
                writable: a[2] & libc::PROT_WRITE as u64 != 0,
                anonymous: a[3] & libc::MAP_ANONYMOUS as u64 != 0,
                result: ret,
            },
            K::Kill => EventData::Kill {
                syscall: name.into(),
                target_pid: a[0] as i32,
                target_tid: None,
                signal: a[1] as i32,
                result: ret,
            },
            K::Tkill => EventData::Kill {
                syscall: name.into(),
                target_pid: 0,
                target_tid: Some(a[0] as i32),
                signal: a[1] as i32,
                result: ret,
            },
            K::Tgkill => EventData::Kill {
                syscall: name.into(),
                target_pid: a[0] as i32,
                target_tid: Some(a[1] as i32),
                signal: a[2] as i32,
                result: ret,
            },
            K::Listen => EventData::Listen {
                fd: a[0] as i32,
                backlog: a[1] as i32,
                result: ret,
            },
            K::Setuid | K::Setreuid | K::Setresuid | K::Setgid | K::Setregid | K::Setresgid => {
                let (real, effective, saved) = match kind {
                    K::Setuid | K::Setgid => (None, id(a[0]), None),
                    K::Setreuid | K::Setregid => (id(a[0]), id(a[1]), None),
                    _ => (id(a[0]), id(a[1]), id(a[2])),
                };
                if matches!(kind, K::Setuid | K::Setreuid | K::Setresuid) {
                    EventData::Setuid {
                        syscall: name.into(),
                        real,
                        effective,
                        saved,
                        result: ret,
                    }
                } else {
                    EventData::Setgid {
                        syscall: name.into(),
                        real,
                        effective,
                        saved,
                        result: ret,
                    }
                }
            }
            K::Unshare => EventData::Unshare {
                flags: a[0],
                result: ret,
            },
            _ => EventData::Setns {
                fd: a[0] as i32,
                nstype: a[1],
                result: ret,
            },
        }
    }

    /// Events of syscalls with copied strings and buffers; `None` for a send to port 53 that
    /// is not a DNS query.
    #[allow(clippy::too_many_arguments)]
    fn body_event(
        &mut self,
        pid: u32,
        kind: K,
        a: [u64; 6],
        ret: i64,
        paths: [String; 2],
        addr: &[u8],
        data: &[u8],
    ) -> Option<EventData> {
        let name = syscall_name(kind);
        let [p0, p1] = paths;
        let dirfd = |v: u64| Some(v as i32);
        Some(match kind {
            K::Open | K::OpenAt | K::OpenAt2 => {
                let (dir, flags, mode, resolve) = match kind {
                    K::Open => (None, a[1], a[2] as u32, None),
                    K::OpenAt => (dirfd(a[0]), a[2], a[3] as u32, None),
                    _ => {
                        let word = |i: usize| {
                            data.get(i * 8..i * 8 + 8)
                                .map(|b| u64::from_ne_bytes(b.try_into().unwrap_or([0; 8])))
                        };
                        (
                            dirfd(a[0]),
                            word(0).unwrap_or(0),
                            word(1).unwrap_or(0) as u32,
                            Some(word(2).unwrap_or(0)),
                        )
                    }
                };
                let path = self.resolve(pid, dir, &p0);
                if ret >= 0 && (self.read_only_fds || vigil_ebpf_common::open_fd_kept(flags)) {
                    self.set_fd(
                        pid,
                        ret as i32,
                        Fd {
                            target: FdTarget::File { path: path.clone() },
                            cloexec: flags & libc::O_CLOEXEC as u64 != 0,
                        },
                    );
                }
                EventData::Open {
                    syscall: name.into(),
                    path,
                    flags,
                    mode,
                    resolve,
                    result: ret,
                }
            }
            K::Rename | K::RenameAt | K::RenameAt2 => {
                let (od, nd) = if kind == K::Rename {
                    (None, None)
                } else {
                    (dirfd(a[0]), dirfd(a[2]))
                };
                EventData::Rename {
                    syscall: name.into(),
                    old_path: self.resolve(pid, od, &p0),
                    new_path: self.resolve(pid, nd, &p1),
                    flags: if kind == K::RenameAt2 { a[4] as u32 } else { 0 },
                    result: ret,
                }
            }
            K::Unlink | K::UnlinkAt => {
                let (dir, flags) = if kind == K::Unlink {
                    (None, 0)
                } else {
                    (dirfd(a[0]), a[2] as u32)
                };
                EventData::Unlink {
                    syscall: name.into(),
                    path: self.resolve(pid, dir, &p0),
                    flags,
                    result: ret,
                }
            }
            K::Chmod | K::FchmodAt | K::FchmodAt2 => {
                let (dir, mode) = if kind == K::Chmod {
                    (None, a[1])
                } else {
                    (dirfd(a[0]), a[2])
                };
                EventData::Chmod {
                    syscall: name.into(),
                    path: self.resolve_as_written(pid, dir, &p0),
                    mode: mode as u32,
                    result: ret,
                }
            }
            K::Link | K::LinkAt => {
                let (od, nd) = if kind == K::Link {
                    (None, None)
                } else {
                    (dirfd(a[0]), dirfd(a[2]))
                };
                EventData::Link {
                    syscall: name.into(),
                    target: self.resolve(pid, od, &p0),
                    path: self.resolve(pid, nd, &p1),
                    symbolic: false,
                    result: ret,
                }
            }
            K::Symlink | K::SymlinkAt => {
                let nd = if kind == K::Symlink {
                    None
                } else {
                    dirfd(a[1])
                };
                EventData::Link {
                    syscall: name.into(),
                    target: p0,
                    path: self.resolve(pid, nd, &p1),
                    symbolic: true,
                    result: ret,
                }
            }
            K::Truncate => EventData::Truncate {
                syscall: name.into(),
                path: self.resolve(pid, None, &p0),
                length: a[1],
                result: ret,
            },
            K::Mount => EventData::Mount {
                source: p0,
                target: self.resolve(pid, None, &p1),
                fstype: c_str(data),
                flags: a[3],
                result: ret,
            },
            K::MemfdCreate => EventData::MemfdCreate {
                name: p0,
                flags: a[1] as u32,
                result: ret,
            },
            K::Bind => {
                let (family, address) = decode::sockaddr(addr);
                EventData::Bind {
                    fd: a[0] as i32,
                    family,
                    address,
                    result: ret,
                }
            }
            K::Accept | K::Accept4 => {
                let fd = a[0] as i32;
                let (mut family, address) = decode::sockaddr(addr);
                let flags = if kind == K::Accept4 { a[3] as u32 } else { 0 };
                let listener = self.fd_target(pid, fd);
                let socket_type = match listener {
                    FdTarget::Socket {
                        family: f,
                        socket_type,
                        ..
                    } => {
                        if addr.is_empty() {
                            family = f;
                        }
                        socket_type
                    }
                    _ => libc::SOCK_STREAM as u32,
                };
                if ret >= 0 {
                    self.set_fd(
                        pid,
                        ret as i32,
                        Fd {
                            target: FdTarget::Socket {
                                family,
                                socket_type,
                                remote: (address != SockAddr::Unknown).then(|| address.clone()),
                            },
                            cloexec: flags & libc::SOCK_CLOEXEC as u32 != 0,
                        },
                    );
                }
                EventData::Accept {
                    syscall: name.into(),
                    fd,
                    family,
                    address,
                    flags,
                    result: ret,
                }
            }
            K::SendTo | K::SendMsg | K::SendMmsg => {
                let fd = a[0] as i32;
                let (id, qname, qtype) = decode::dns_question(data)?;
                let server = if addr.is_empty() {
                    match self.fd_target(pid, fd) {
                        FdTarget::Socket {
                            remote: Some(r), ..
                        } => r,
                        _ => SockAddr::Unknown,
                    }
                } else {
                    decode::sockaddr(addr).1
                };
                EventData::DnsQuery {
                    syscall: name.into(),
                    fd,
                    server,
                    id,
                    name: qname,
                    query_type: qtype,
                    query_type_name: decode::dns_type_name(qtype),
                    result: ret,
                }
            }
            K::Capset => {
                let word = |i: usize| {
                    data.get(i * 4..i * 4 + 4).map_or(0, |b| {
                        u32::from_ne_bytes(b.try_into().unwrap_or([0; 4])) as u64
                    })
                };
                // Two `cap_user_data` structs {effective, permitted, inheritable}: low, high.
                EventData::Capset {
                    effective: word(0) | word(3) << 32,
                    permitted: word(1) | word(4) << 32,
                    inheritable: word(2) | word(5) << 32,
                    result: ret,
                }
            }
            K::PrctlSetName => EventData::PrctlSetName {
                name: p0,
                result: ret,
            },
            K::InitModule | K::FinitModule => EventData::LoadModule {
                syscall: name.into(),
                fd: (kind == K::FinitModule).then_some(a[0] as i32),
                params: p0,
                result: ret,
            },
            _ => {
                let cmd = a[0] as u32;
                let attr_u32 = |at: usize| {
                    data.get(at..at + 4)
                        .map(|b| u32::from_ne_bytes(b.try_into().unwrap_or([0; 4])))
                };
                EventData::Bpf {
                    cmd,
                    cmd_name: bpf::cmd_name(cmd).into(),
                    attr_head: attr_u32(0),
                    map: self.bpf_maps.map(pid, cmd, a[3] as u32, ret, attr_u32),
                    path: bpf::names_a_path(cmd).then_some(p0),
                    result: ret,
                }
            }
        })
    }

    /// The kernel gave `pid` the cwd `epoch` (see `CWD_EPOCH_ARG`); noted with the cwd the
    /// tracker now has for it, when that is an absolute path.
    fn cwd_epoch(&mut self, pid: u32, epoch: u64) {
        if epoch == 0 {
            return;
        }
        if let Some(cwd) = self.cwd(pid) {
            self.cwd_epochs.push((epoch, cwd.to_string()));
        }
    }

    /// `pid`'s cwd as relative paths are resolved against it, when known and absolute.
    pub fn cwd(&self, pid: u32) -> Option<&str> {
        let cwd = self.processes.get(&pid)?.cwd.as_deref()?;
        cwd.starts_with('/').then_some(cwd)
    }

    /// The cwd epochs of the chdir and fchdir records applied since the last call, each with
    /// the cwd this tracker resolves that process's relative paths against from then on:
    /// what the kernel's open filter may judge them with (see `cwd_tails`).
    pub fn take_cwd_epochs(&mut self) -> Vec<(u64, String)> {
        std::mem::take(&mut self.cwd_epochs)
    }

    fn set_cwd(&mut self, pid: u32, dir: String) {
        if let Some(p) = self.processes.get_mut(&pid) {
            p.cwd = Some(dir);
        }
    }

    /// `path` made absolute: relative to `dirfd` when given (and not `AT_FDCWD`), else to the
    /// process's cwd, with `.`, `..` and repeated slashes resolved lexically (signatures match
    /// `/proc/*/environ`, not `/proc//1/./environ`) and the magic links of /proc followed
    /// (see [`Self::walk`]). Left as given when neither the tracker nor /proc knows the
    /// directory.
    fn resolve(&mut self, pid: u32, dirfd: Option<i32>, path: &str) -> String {
        self.absolute(pid, dirfd, path, true)
    }

    /// [`Self::resolve`] without following magic links, for what is kept as the process named
    /// it: an exec's filename (`/proc/self/fd/3` is how a memfd is run; the executable itself
    /// is in `exe`), a new cwd (judged again at each use) and a chmod's target. glibc routes
    /// every `fchmodat(..., AT_SYMLINK_NOFOLLOW)`, directories' included, through
    /// `/proc/self/fd/N`, and a chmod record does not say its target is a directory:
    /// followed, `tar` setting a hidden directory's mode would read as a hidden executable.
    fn resolve_as_written(&mut self, pid: u32, dirfd: Option<i32>, path: &str) -> String {
        self.absolute(pid, dirfd, path, false)
    }

    fn absolute(&mut self, pid: u32, dirfd: Option<i32>, path: &str, links: bool) -> String {
        if path.starts_with('/') {
            let bytes = path.as_bytes();
            return if vigil_ebpf_common::plain_absolute(bytes)
                && !vigil_ebpf_common::path_under_magic_links(bytes)
            {
                path.to_string()
            } else {
                self.walk(pid, path, links)
            };
        }
        if path.is_empty() {
            return String::new();
        }
        let base = match dirfd {
            Some(fd) if fd != libc::AT_FDCWD => Some(self.fd_path(pid, fd)),
            _ => self.cwd_of(pid),
        };
        match base {
            Some(base) if base.starts_with('/') => self.walk(pid, &format!("{base}/{path}"), links),
            _ => path.to_string(),
        }
    }

    /// The absolute `path` walked as the kernel walks it, as far as the tracker can: `.`, `..`
    /// and repeated slashes resolved lexically, and, if `links`, each magic link of /proc
    /// replaced by where it leads for the process it names (`self` is `pid`): `/proc/PID/root`
    /// by `/` (chroots are not followed), `/proc/PID/cwd` by its cwd, `/proc/PID/fd/N` (and
    /// `/dev/fd/N`, `/dev/stdin`...) by the file open there. `/proc/self/root/etc/sudoers` is
    /// written as `/etc/sudoers`; a link the tracker cannot follow is left as written.
    fn walk(&mut self, pid: u32, path: &str, links: bool) -> String {
        procfs::walk(path, |parts| {
            if links {
                self.magic_link(pid, parts)
            } else {
                None
            }
        })
    }

    /// Where the path of `parts` leads when it is a magic link of /proc, from `pid`'s view.
    fn magic_link(&mut self, pid: u32, parts: &[Cow<str>]) -> Option<String> {
        // The longest is `proc/PID/task/TID/fd/N`.
        const MOST: usize = 6;
        if parts.len() > MOST || !matches!(parts.first().map(|p| p.as_ref()), Some("proc" | "dev"))
        {
            return None;
        }
        let mut names = [""; MOST];
        for (name, part) in names.iter_mut().zip(parts) {
            *name = part.as_ref();
        }
        let fd = |n: &str| n.parse::<i32>().ok();
        let (owner, link) = match &names[..parts.len()] {
            ["dev", "fd", n] => (pid, MagicLink::Fd(fd(n)?)),
            ["dev", "stdin"] => (pid, MagicLink::Fd(0)),
            ["dev", "stdout"] => (pid, MagicLink::Fd(1)),
            ["dev", "stderr"] => (pid, MagicLink::Fd(2)),
            ["proc", owner, rest @ ..] => {
                let owner = match *owner {
                    "self" | "thread-self" => pid,
                    n => n.parse().ok()?,
                };
                let link = match rest {
                    ["root"] | ["task", _, "root"] => MagicLink::Root,
                    ["cwd"] | ["task", _, "cwd"] => MagicLink::Cwd,
                    ["fd", n] | ["task", _, "fd", n] => MagicLink::Fd(fd(n)?),
                    _ => return None,
                };
                (owner, link)
            }
            _ => return None,
        };
        let target = match link {
            MagicLink::Root => "/".to_string(),
            MagicLink::Cwd => self.cwd_of(owner)?,
            MagicLink::Fd(n) => self.fd_path(owner, n),
        };
        target.starts_with('/').then_some(target)
    }

    /// `pid`'s cwd, from the tracker or else /proc (then remembered).
    fn cwd_of(&mut self, pid: u32) -> Option<String> {
        if let Some(cwd) = self.processes.get(&pid).and_then(|p| p.cwd.clone()) {
            return Some(cwd);
        }
        let cwd = procfs::cwd(&mut self.io, pid)?;
        self.set_cwd(pid, cwd.clone());
        Some(cwd)
    }

    /// The path `fd` refers to, from the tracked table or /proc; `fd:N` when neither knows.
    fn fd_path(&mut self, pid: u32, fd: i32) -> String {
        match self.processes.get(&pid).and_then(|p| p.fds.get(&fd)) {
            Some(Fd {
                target: FdTarget::File { path },
                ..
            }) => path.clone(),
            // One question to /proc: the link is all a path needs.
            _ => procfs::fd_link(&mut self.io, pid, fd).unwrap_or_else(|| format!("fd:{fd}")),
        }
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
        if let Some(info) = procfs::process(&mut self.io, pid) {
            p.ppid = info.ppid;
            p.comm = info.comm;
            p.exe = info.exe;
            p.argv = info.argv;
        }
        self.processes.insert(pid, p);
    }

    /// Whether the fds of read-only opens (not of a directory, not `O_PATH`) go into the fd
    /// tables; on by default. Off when the kernel reports only the closes of fds the tables
    /// hold, as it does when no signature selected closes (`CLOSE_ON_ENTRY`): the kernel then
    /// leaves such opens' fds out of its own sets by the same rule, which both call
    /// ([`vigil_ebpf_common::open_fd_kept`]). What an event later says of such an fd is looked
    /// up in /proc.
    pub fn keep_read_only_fds(&mut self, keep: bool) {
        self.read_only_fds = keep;
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
    fn fd_target(&mut self, pid: u32, fd: i32) -> FdTarget {
        if let Some(f) = self.processes.get(&pid).and_then(|p| p.fds.get(&fd)) {
            return f.target.clone();
        }
        procfs::fd_target(&mut self.io, pid, fd).unwrap_or(FdTarget::Unknown)
    }
}

/// The syscall a wire kind stands for.
pub fn syscall_name(kind: K) -> &'static str {
    match kind {
        K::Exec | K::ExecEnv | K::ExecResult => "execve",
        K::Fork => "fork",
        K::Exit => "exit",
        K::Socket => "socket",
        K::Connect => "connect",
        K::Dup => "dup",
        K::Dup2 => "dup2",
        K::Dup3 => "dup3",
        K::Close => "close",
        K::Open => "open",
        K::OpenAt => "openat",
        K::OpenAt2 => "openat2",
        K::Rename => "rename",
        K::RenameAt => "renameat",
        K::RenameAt2 => "renameat2",
        K::Unlink => "unlink",
        K::UnlinkAt => "unlinkat",
        K::Chmod => "chmod",
        K::Fchmod => "fchmod",
        K::FchmodAt => "fchmodat",
        K::FchmodAt2 => "fchmodat2",
        K::Link => "link",
        K::LinkAt => "linkat",
        K::Symlink => "symlink",
        K::SymlinkAt => "symlinkat",
        K::Truncate => "truncate",
        K::Ftruncate => "ftruncate",
        K::Mount => "mount",
        K::MemfdCreate => "memfd_create",
        K::Ptrace => "ptrace",
        K::ProcessVmReadv => "process_vm_readv",
        K::ProcessVmWritev => "process_vm_writev",
        K::Mprotect => "mprotect",
        K::Mmap => "mmap",
        K::Kill => "kill",
        K::Tkill => "tkill",
        K::Tgkill => "tgkill",
        K::Bind => "bind",
        K::Listen => "listen",
        K::Accept => "accept",
        K::Accept4 => "accept4",
        K::SendTo => "sendto",
        K::SendMsg => "sendmsg",
        K::SendMmsg => "sendmmsg",
        K::Setuid => "setuid",
        K::Setgid => "setgid",
        K::Setreuid => "setreuid",
        K::Setregid => "setregid",
        K::Setresuid => "setresuid",
        K::Setresgid => "setresgid",
        K::Capset => "capset",
        K::PrctlSetName => "prctl",
        K::InitModule => "init_module",
        K::FinitModule => "finit_module",
        K::Bpf => "bpf",
        K::Unshare => "unshare",
        K::Setns => "setns",
        K::Chdir => "chdir",
        K::Fchdir => "fchdir",
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
            mnt_ns: 0,
            ts_ns: 0,
            cgroup_id: 0,
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
    fn ancestry_reaches_above_the_root() {
        let mut t = Tracker::new();
        let me = std::process::id();
        t.add_root(CHILD, me, vec!["sh".into()]);
        let ancestry = t.ancestry(CHILD);
        assert_eq!(ancestry[0].pid, me, "the process that started the root");
        let exe = std::env::current_exe().unwrap();
        assert_eq!(ancestry[0].exe, exe.display().to_string());
        assert_eq!(ancestry.last().unwrap().pid, 1, "up to init");
    }

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
            execveat: false,
        });
        let exec = t.apply(Record::ExecResult {
            header: header(PARENT),
            ret: 0,
        });
        assert!(matches!(exec.unwrap().data, EventData::Exec { .. }));
        assert_eq!(t.fd_target(PARENT, 3), FdTarget::Unknown);
        assert_eq!(t.process(PARENT).unwrap().argv, ["true"]);
    }

    /// When the kernel reports only the closes of fds in its sets, read-only opens' fds stay
    /// out of the tables (the kernel leaves them out of its sets by the same rule); writers',
    /// directories' and bare paths' go in.
    #[test]
    fn read_only_opens_are_tracked_only_when_every_close_is_reported() {
        for keep in [true, false] {
            let mut t = Tracker::new();
            t.keep_read_only_fds(keep);
            t.add_root(PARENT, 1, vec![]);
            let flags = [
                libc::O_RDONLY,
                libc::O_WRONLY | libc::O_CREAT,
                libc::O_RDONLY | libc::O_DIRECTORY,
                libc::O_PATH,
            ];
            for (fd, flags) in (3..).zip(flags) {
                let args = [libc::AT_FDCWD as u64, 0, flags as u64, 0, 0, 0];
                t.apply(body(PARENT, EventKind::OpenAt, args, fd, "/etc"));
            }
            let file = FdTarget::File {
                path: "/etc".into(),
            };
            assert_eq!(t.fd_target(PARENT, 3) == file, keep, "keep = {keep}");
            for fd in 4..=6 {
                assert_eq!(t.fd_target(PARENT, fd), file, "fd {fd}, keep = {keep}");
            }
        }
    }

    #[test]
    fn steps_follow_the_process_tree() {
        let mut t = Tracker::new();
        t.add_root(PARENT, 1, vec![]);
        let exec = |t: &mut Tracker, pid: u32, env: Vec<(String, String)>| {
            t.apply(Record::ExecEnv {
                header: header(pid),
                env,
            });
            t.apply(Record::Exec {
                header: header(pid),
                filename: "/bin/sh".into(),
                argv: vec!["sh".into()],
                truncated: false,
                execveat: false,
            });
            t.apply(Record::ExecResult {
                header: header(pid),
                ret: 0,
            });
        };
        let step = |action: &str| vec![("GITHUB_ACTION".to_string(), action.to_string())];
        exec(&mut t, PARENT, step("__run_1"));
        t.apply(Record::Fork {
            header: header(PARENT),
            child_tid: CHILD,
        });
        // A child that execs with its environment cleared still belongs to its parent's step.
        exec(&mut t, CHILD, vec![]);
        let of = |t: &Tracker, pid| crate::steps::step_of(t, pid).map(|s| s.action.clone());
        assert_eq!(of(&t, CHILD).as_deref(), Some("__run_1"));
        // One that names another step belongs to that one.
        exec(&mut t, CHILD, step("__run_2"));
        assert_eq!(of(&t, CHILD).as_deref(), Some("__run_2"));
        assert_eq!(of(&t, PARENT).as_deref(), Some("__run_1"));
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
            execveat: false,
        });
        assert!(t
            .apply(Record::ExecResult {
                header: header(PARENT),
                ret: -2
            })
            .is_none());
    }

    /// The interpreter of a script comes from its `#!` line; when the script is gone by the
    /// time Vigil looks, the running executable stands in unless it is the named file itself.
    #[test]
    fn exec_of_a_script_names_its_interpreter() {
        use crate::procfs::ProcOp;
        let mut io = ProcIo::replay();
        let proc = |what: &str| format!("/proc/{PARENT}/{what}");
        io.feed([
            answer(ProcOp::Read, proc("stat"), None),
            answer(ProcOp::ReadLink, proc("cwd"), Some("/work")),
            // The root's parent, asked about once (`add_ancestors`).
            answer(ProcOp::Read, "/proc/1/stat".into(), None),
            // ./build.sh: a script, still there.
            answer(ProcOp::ReadLink, proc("exe"), Some("/usr/bin/dash")),
            answer(
                ProcOp::ReadHead,
                proc("root/work/build.sh"),
                Some("#! /bin/sh -e\n"),
            ),
            // /tmp/x: a script that deleted itself; python runs.
            answer(ProcOp::ReadLink, proc("exe"), Some("/usr/bin/python3.11")),
            answer(ProcOp::ReadHead, proc("root/tmp/x"), None),
            // /tmp/y: a binary that deleted itself.
            answer(ProcOp::ReadLink, proc("exe"), Some("/tmp/y (deleted)")),
            answer(ProcOp::ReadHead, proc("root/tmp/y"), None),
            // /bin/true: no script.
            answer(ProcOp::ReadLink, proc("exe"), Some("/usr/bin/true")),
            answer(ProcOp::ReadHead, proc("root/bin/true"), Some("\u{7f}ELF")),
        ]);
        let mut t = Tracker::with_io(io, 0);
        t.add_root(PARENT, 1, vec![]);
        let mut exec = |filename: &str| {
            t.apply(Record::Exec {
                header: header(PARENT),
                filename: filename.into(),
                argv: vec![filename.into()],
                truncated: false,
                execveat: false,
            });
            match t.apply(Record::ExecResult {
                header: header(PARENT),
                ret: 0,
            }) {
                Some(Event {
                    data: EventData::Exec { interpreter, .. },
                    ..
                }) => interpreter,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(exec("./build.sh").as_deref(), Some("/bin/sh"));
        assert_eq!(exec("/tmp/x").as_deref(), Some("/usr/bin/python3.11"));
        assert_eq!(exec("/tmp/y"), None);
        assert_eq!(exec("/bin/true"), None);
        assert_eq!(t.io.mismatches(), 0);
    }

    /// The path an `openat` of `path` from `dirfd`, returning `ret`, is reported with.
    fn opened(t: &mut Tracker, pid: u32, dirfd: u64, path: &str, ret: i64) -> String {
        let open = body(
            pid,
            EventKind::OpenAt,
            [dirfd, 0, 0o101, 0o644, 0, 0],
            ret,
            path,
        );
        match t.apply(open).unwrap().data {
            EventData::Open { path, .. } => path,
            other => panic!("{other:?}"),
        }
    }

    /// A recorded answer from /proc, for a replay.
    fn answer(
        op: crate::procfs::ProcOp,
        path: String,
        data: Option<&str>,
    ) -> crate::procfs::ProcAnswer {
        crate::procfs::ProcAnswer {
            op,
            path,
            data: data.map(|d| d.as_bytes().to_vec()),
        }
    }

    fn body(pid: u32, kind: EventKind, args: [u64; 6], ret: i64, p0: &str) -> Record {
        Record::Body {
            header: header(pid),
            kind,
            args,
            ret,
            paths: [p0.to_string(), String::new()],
            addr: Vec::new(),
            data: Vec::new(),
        }
    }

    #[test]
    fn exe_of_a_program_gone_before_proc_is_its_filename_made_absolute() {
        use crate::procfs::ProcOp;
        let mut io = ProcIo::replay();
        io.feed([
            answer(ProcOp::Read, format!("/proc/{PARENT}/stat"), None),
            answer(ProcOp::ReadLink, format!("/proc/{PARENT}/exe"), None),
            answer(
                ProcOp::ReadLink,
                format!("/proc/{PARENT}/cwd"),
                Some("/work"),
            ),
        ]);
        let mut t = Tracker::with_io(io, 0);
        t.add_root(PARENT, 1, vec!["sh".into()]);
        t.apply(Record::Exec {
            header: header(PARENT),
            filename: "./.tool".into(),
            argv: vec!["./.tool".into()],
            truncated: false,
            execveat: false,
        });
        t.apply(Record::ExecResult {
            header: header(PARENT),
            ret: 0,
        })
        .unwrap();
        assert_eq!(t.process(PARENT).unwrap().exe, "/work/.tool");
    }

    /// Relative paths follow the cwd through chdir and fork, and directory fds through the
    /// open that made them, without asking /proc again (a replay answers nothing else).
    #[test]
    fn relative_paths_follow_chdir_fork_and_dirfds() {
        use crate::procfs::{ProcAnswer, ProcOp};
        let mut io = ProcIo::replay();
        let answer = |path: String, data: Option<&str>| ProcAnswer {
            op: if path.ends_with("stat") || path.ends_with("cmdline") {
                ProcOp::Read
            } else {
                ProcOp::ReadLink
            },
            path,
            data: data.map(|d| d.as_bytes().to_vec()),
        };
        io.feed([
            answer(format!("/proc/{PARENT}/stat"), None),
            answer(format!("/proc/{PARENT}/cwd"), Some("/work")),
            // The root's parent, asked about once (`add_ancestors`).
            answer("/proc/1/stat".into(), None),
        ]);
        let mut t = Tracker::with_io(io, 0);
        t.add_root(PARENT, 1, vec!["sh".into()]);
        let at = libc::AT_FDCWD as i64 as u64;
        assert_eq!(opened(&mut t, PARENT, at, "a.txt", 3), "/work/a.txt");
        t.apply(body(PARENT, EventKind::Chdir, [0; 6], 0, "src/../build"));
        assert_eq!(
            opened(&mut t, PARENT, at, "./o.txt", 4),
            "/work/build/o.txt"
        );
        // A failed chdir changes nothing.
        t.apply(body(PARENT, EventKind::Chdir, [0; 6], -2, "/nope"));
        t.apply(Record::Fork {
            header: header(PARENT),
            child_tid: CHILD,
        });
        assert_eq!(opened(&mut t, CHILD, at, "c", 3), "/work/build/c");
        // A directory opened by path, then used as a dirfd.
        opened(&mut t, CHILD, at, "/etc", 9);
        assert_eq!(opened(&mut t, CHILD, 9, "passwd", 10), "/etc/passwd");
        t.apply(Record::Args {
            header: header(CHILD),
            kind: EventKind::Fchdir,
            args: [9, 0, 0, 0, 0, 0],
            ret: 0,
        });
        assert_eq!(opened(&mut t, CHILD, at, "hosts", 11), "/etc/hosts");
        assert_eq!(opened(&mut t, PARENT, at, "p", 5), "/work/build/p");
        assert_eq!(t.io.mismatches(), 0, "no /proc question beyond the root's");
    }

    /// The magic links of /proc lead where the kernel takes them: `/proc/self/root/etc/sudoers`
    /// is written to `/etc/sudoers`, and `..` after a link leaves its target, not /proc.
    #[test]
    fn magic_links_of_proc_are_followed() {
        use crate::procfs::ProcOp;
        let mut io = ProcIo::replay();
        io.feed([
            answer(ProcOp::Read, format!("/proc/{PARENT}/stat"), None),
            answer(
                ProcOp::ReadLink,
                format!("/proc/{PARENT}/cwd"),
                Some("/work"),
            ),
            answer(ProcOp::Read, "/proc/1/stat".into(), None),
            // The file on stdin, which the tracker never saw opened.
            answer(
                ProcOp::ReadLink,
                format!("/proc/{PARENT}/fd/0"),
                Some("/etc/sudoers"),
            ),
            answer(ProcOp::ReadLink, format!("/proc/{PARENT}/fd/7"), None),
        ]);
        let mut t = Tracker::with_io(io, 0);
        t.add_root(PARENT, 1, vec!["sh".into()]);
        let at = libc::AT_FDCWD as i64 as u64;
        let parent_root = format!("/proc/{PARENT}/root/../etc/hosts");
        let task_fd = format!("/proc/self/task/{PARENT}/fd/9/gshadow");
        // Opened in this order: (path, fd returned, path reported).
        let opens = [
            ("/proc/self/root/etc/sudoers", 3, "/etc/sudoers"),
            ("/proc//thread-self/./root/etc/shadow", 3, "/etc/shadow"),
            (&parent_root, 3, "/etc/hosts"),
            ("/proc/self/cwd/../.ssh/id_rsa", 3, "/.ssh/id_rsa"),
            ("/proc/self/cwd/src/main.rs", 3, "/work/src/main.rs"),
            // Through an fd: a directory the tracker saw opened, then one it asks /proc for.
            ("/etc", 9, "/etc"),
            ("/dev/fd/9/passwd", 10, "/etc/passwd"),
            ("/proc/self/fd/9/group", 10, "/etc/group"),
            (&task_fd, 10, "/etc/gshadow"),
            ("/dev/stdin", 11, "/etc/sudoers"),
            // What the tracker cannot follow, and what is no link, stays as written.
            ("/proc/self/fd/7/x", 12, "/proc/self/fd/7/x"),
            ("/proc/self/environ", 12, "/proc/self/environ"),
            ("/proc/1/root2/x", 12, "/proc/1/root2/x"),
            ("/dev/null", 12, "/dev/null"),
        ];
        for (path, fd, reported) in opens {
            assert_eq!(opened(&mut t, PARENT, at, path, fd), reported, "{path}");
        }
        // A chmod keeps the path it was given (see `resolve_as_written`).
        let chmod = t.apply(body(
            PARENT,
            EventKind::FchmodAt,
            [at, 0, 0o755, 0, 0, 0],
            0,
            "/proc/self/fd/9",
        ));
        match chmod.unwrap().data {
            EventData::Chmod { path, .. } => assert_eq!(path, "/proc/self/fd/9"),
            other => panic!("{other:?}"),
        }
        // Relative to a cwd in /proc.
        t.apply(body(PARENT, EventKind::Chdir, [0; 6], 0, "/proc"));
        assert_eq!(
            opened(&mut t, PARENT, at, "self/root/etc/sudoers", 3),
            "/etc/sudoers"
        );
        // `..` after a link leaves its target, however far that is from /proc.
        t.apply(body(PARENT, EventKind::Chdir, [0; 6], 0, "/a/b/c/d"));
        assert_eq!(
            opened(&mut t, PARENT, at, "/proc/self/cwd/../../../x", 3),
            "/a/x"
        );
        assert_eq!(
            opened(&mut t, PARENT, at, "../../../../proc/self/cwd/y", 3),
            "/a/b/c/d/y"
        );
        assert_eq!(t.io.mismatches(), 0);
    }

    /// Each chdir and fchdir record's cwd epoch comes out with the cwd the tracker resolves
    /// relative paths against from then on; none when that cwd is not known.
    #[test]
    fn cwd_epochs_name_the_cwd_relative_paths_resolve_against() {
        use crate::procfs::{ProcAnswer, ProcOp};
        let mut io = ProcIo::replay();
        io.feed([
            ProcAnswer {
                op: ProcOp::Read,
                path: format!("/proc/{PARENT}/stat"),
                data: None,
            },
            ProcAnswer {
                op: ProcOp::ReadLink,
                path: format!("/proc/{PARENT}/cwd"),
                data: Some(b"/work".to_vec()),
            },
            ProcAnswer {
                op: ProcOp::Read,
                path: "/proc/1/stat".into(),
                data: None,
            },
            // fd 7 of the fchdir below: nobody knows it.
            ProcAnswer {
                op: ProcOp::ReadLink,
                path: format!("/proc/{PARENT}/fd/7"),
                data: None,
            },
        ]);
        let mut t = Tracker::with_io(io, 0);
        t.add_root(PARENT, 1, vec!["sh".into()]);
        let epoch = |e: u64| {
            let mut args = [0; 6];
            args[CWD_EPOCH_ARG] = e;
            args
        };
        t.apply(body(PARENT, EventKind::Chdir, epoch(11), 0, "src/../build"));
        // A failed chdir leaves the cwd, under the new epoch.
        t.apply(body(PARENT, EventKind::Chdir, epoch(12), -2, "/nope"));
        // No epoch (an old recording): nothing to say.
        t.apply(body(PARENT, EventKind::Chdir, epoch(0), 0, "/tmp"));
        assert_eq!(
            t.take_cwd_epochs(),
            [
                (11, "/work/build".to_string()),
                (12, "/work/build".to_string())
            ]
        );
        assert!(t.take_cwd_epochs().is_empty());
        // An fchdir to an fd nobody can name leaves the cwd unknown to the kernel.
        t.apply(Record::Args {
            header: header(PARENT),
            kind: EventKind::Fchdir,
            args: {
                let mut args = epoch(13);
                args[0] = 7;
                args
            },
            ret: 0,
        });
        assert!(t.take_cwd_epochs().is_empty());
    }
}
