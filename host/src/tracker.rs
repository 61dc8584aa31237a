//! Enrichment: turns decoded kernel records into [`Event`]s attributed to processes.
//!
//! Keeps the process tree (pid → parent, comm, exe, argv) and each process's table of the fds
//! it is known to hold, updated by fork, exec, exit, socket, connect, accept, open, dup and
//! close. Fd tables are copied on fork, so a socket inherited by a child is still known as a
//! socket when the child dups it onto stdio. What was never seen (fds inherited from before
//! capture) is looked up in /proc at the moment it matters, as are the directories relative
//! paths are resolved against; all /proc reads go through [`ProcIo`] so they can be recorded
//! and replayed.

use std::collections::HashMap;

use vigil_ebpf_common::EventKind as K;

use crate::{
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
    /// Current directory: from /proc when first seen, then kept by chdir/fchdir.
    cwd: Option<String>,
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
    env: Vec<(String, String)>,
}

pub struct Tracker {
    processes: HashMap<u32, Process>,
    pending_exec: HashMap<u32, PendingExec>,
    /// Selected environment of the exec being entered, per pid.
    pending_env: HashMap<u32, Vec<(String, String)>>,
    /// Added to kernel CLOCK_MONOTONIC timestamps to get Unix-epoch nanoseconds.
    epoch_offset_ns: i128,
    /// Where /proc answers come from (live, recorded, or replayed).
    pub io: ProcIo,
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
            io,
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
        let data = match record {
            Record::Exec {
                filename,
                argv,
                truncated,
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
                let exe =
                    procfs::exe(&mut self.io, pid).unwrap_or_else(|| pending.filename.clone());
                let p = self.processes.get_mut(&pid)?;
                p.exe = exe;
                p.argv = pending.argv.clone();
                p.comm = c_str(&header.comm);
                p.fds.retain(|_, fd| !fd.cloexec);
                EventData::Exec {
                    filename: pending.filename,
                    argv: pending.argv,
                    argv_truncated: pending.truncated,
                    env: pending.env.into_iter().collect(),
                    interpreter: None,
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
                if ret == 0 {
                    let dir = self.fd_path(pid, args[0] as i32);
                    if dir.starts_with('/') {
                        self.set_cwd(pid, dir);
                    }
                }
                return None;
            }
            Record::Body {
                kind: K::Chdir,
                ret,
                paths,
                ..
            } => {
                if ret == 0 {
                    let dir = self.resolve(pid, None, &paths[0]);
                    self.set_cwd(pid, dir);
                }
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
            mnt_ns: 0,
            comm,
            data,
        })
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
                if ret >= 0 {
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
                    path: self.resolve(pid, dir, &p0),
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
                EventData::Bpf {
                    cmd,
                    cmd_name: bpf_cmd_name(cmd).into(),
                    attr_head: data
                        .get(..4)
                        .map(|b| u32::from_ne_bytes(b.try_into().unwrap_or([0; 4]))),
                    result: ret,
                }
            }
        })
    }

    fn set_cwd(&mut self, pid: u32, dir: String) {
        if let Some(p) = self.processes.get_mut(&pid) {
            p.cwd = Some(dir);
        }
    }

    /// `path` made absolute: relative to `dirfd` when given (and not `AT_FDCWD`), else to the
    /// process's cwd. Left as given when neither the tracker nor /proc knows the directory.
    fn resolve(&mut self, pid: u32, dirfd: Option<i32>, path: &str) -> String {
        if path.starts_with('/') || path.is_empty() {
            return path.to_string();
        }
        let base = match dirfd {
            Some(fd) if fd != libc::AT_FDCWD => Some(self.fd_path(pid, fd)),
            _ => match self.processes.get(&pid).and_then(|p| p.cwd.clone()) {
                Some(cwd) => Some(cwd),
                None => {
                    let cwd = procfs::cwd(&mut self.io, pid);
                    if let Some(cwd) = &cwd {
                        self.set_cwd(pid, cwd.clone());
                    }
                    cwd
                }
            },
        };
        match base {
            Some(base) if base.starts_with('/') => procfs::join(&base, path),
            _ => path.to_string(),
        }
    }

    /// The path `fd` refers to, from the tracked table or /proc; `fd:N` when neither knows.
    fn fd_path(&mut self, pid: u32, fd: i32) -> String {
        match self.fd_target(pid, fd) {
            FdTarget::File { path } => path,
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

/// Names of bpf(2) commands.
fn bpf_cmd_name(cmd: u32) -> &'static str {
    const NAMES: [&str; 37] = [
        "BPF_MAP_CREATE",
        "BPF_MAP_LOOKUP_ELEM",
        "BPF_MAP_UPDATE_ELEM",
        "BPF_MAP_DELETE_ELEM",
        "BPF_MAP_GET_NEXT_KEY",
        "BPF_PROG_LOAD",
        "BPF_OBJ_PIN",
        "BPF_OBJ_GET",
        "BPF_PROG_ATTACH",
        "BPF_PROG_DETACH",
        "BPF_PROG_TEST_RUN",
        "BPF_PROG_GET_NEXT_ID",
        "BPF_MAP_GET_NEXT_ID",
        "BPF_PROG_GET_FD_BY_ID",
        "BPF_MAP_GET_FD_BY_ID",
        "BPF_OBJ_GET_INFO_BY_FD",
        "BPF_PROG_QUERY",
        "BPF_RAW_TRACEPOINT_OPEN",
        "BPF_BTF_LOAD",
        "BPF_BTF_GET_FD_BY_ID",
        "BPF_TASK_FD_QUERY",
        "BPF_MAP_LOOKUP_AND_DELETE_ELEM",
        "BPF_MAP_FREEZE",
        "BPF_BTF_GET_NEXT_ID",
        "BPF_MAP_LOOKUP_BATCH",
        "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
        "BPF_MAP_UPDATE_BATCH",
        "BPF_MAP_DELETE_BATCH",
        "BPF_LINK_CREATE",
        "BPF_LINK_UPDATE",
        "BPF_LINK_GET_FD_BY_ID",
        "BPF_LINK_GET_NEXT_ID",
        "BPF_ENABLE_STATS",
        "BPF_ITER_CREATE",
        "BPF_LINK_DETACH",
        "BPF_PROG_BIND_MAP",
        "BPF_TOKEN_CREATE",
    ];
    NAMES.get(cmd as usize).copied().unwrap_or("BPF_UNKNOWN")
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
        let open = |t: &mut Tracker, pid: u32, dirfd: u64, path: &str, ret: i64| match t
            .apply(body(
                pid,
                EventKind::OpenAt,
                [dirfd, 0, 0o101, 0o644, 0, 0],
                ret,
                path,
            ))
            .unwrap()
            .data
        {
            EventData::Open { path, .. } => path,
            other => panic!("{other:?}"),
        };
        assert_eq!(open(&mut t, PARENT, at, "a.txt", 3), "/work/a.txt");
        t.apply(body(PARENT, EventKind::Chdir, [0; 6], 0, "src/../build"));
        assert_eq!(open(&mut t, PARENT, at, "./o.txt", 4), "/work/build/o.txt");
        // A failed chdir changes nothing.
        t.apply(body(PARENT, EventKind::Chdir, [0; 6], -2, "/nope"));
        t.apply(Record::Fork {
            header: header(PARENT),
            child_tid: CHILD,
        });
        assert_eq!(open(&mut t, CHILD, at, "c", 3), "/work/build/c");
        // A directory opened by path, then used as a dirfd.
        open(&mut t, CHILD, at, "/etc", 9);
        assert_eq!(open(&mut t, CHILD, 9, "passwd", 10), "/etc/passwd");
        t.apply(Record::Args {
            header: header(CHILD),
            kind: EventKind::Fchdir,
            args: [9, 0, 0, 0, 0, 0],
            ret: 0,
        });
        assert_eq!(open(&mut t, CHILD, at, "hosts", 11), "/etc/hosts");
        assert_eq!(open(&mut t, PARENT, at, "p", 5), "/work/build/p");
        assert_eq!(t.io.mismatches(), 0, "no /proc question beyond the root's");
    }
}
