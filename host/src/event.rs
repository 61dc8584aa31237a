//! Vigil's enriched events: what signatures see (converted to WIT types in `sandbox`) and what
//! findings carry in JSON.

use std::{collections::BTreeMap, net::IpAddr};

use serde::Serialize;

/// One event, attributed to a process.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// Nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub uid: u32,
    pub gid: u32,
    /// The task's cgroup v2 id.
    pub cgroup_id: u64,
    /// The task's mount namespace when the kernel wrote the record (the inode number
    /// `/proc/PID/ns/mnt` names); 0 when unknown (a kernel without BTF).
    pub mnt_ns: u64,
    pub comm: String,
    #[serde(flatten)]
    pub data: EventData,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventData {
    Exec {
        filename: String,
        argv: Vec<String>,
        argv_truncated: bool,
        /// The fixed set of variables Vigil may see (`LD_PRELOAD`, `LD_LIBRARY_PATH`, the CI
        /// step identifiers) that were set; never any other environment value.
        env: BTreeMap<String, String>,
        /// For a `#!` script: the interpreter the kernel ran, as the script's first line names it.
        interpreter: Option<String>,
    },
    Fork {
        child_pid: u32,
    },
    Exit {
        code: Option<i32>,
    },
    Socket {
        family: Family,
        socket_type: u32,
        protocol: u32,
        result: i64,
    },
    Connect {
        fd: i32,
        family: Family,
        address: SockAddr,
        result: i64,
    },
    Dup {
        old_fd: i32,
        new_fd: i32,
        target: FdTarget,
        result: i64,
    },
    Close {
        fd: i32,
        target: FdTarget,
        result: i64,
    },
    /// open, openat, openat2.
    Open {
        syscall: &'static str,
        /// Absolute when the directory it was relative to could be resolved.
        path: String,
        flags: u64,
        mode: u32,
        /// openat2's `resolve` flags.
        resolve: Option<u64>,
        result: i64,
    },
    /// rename, renameat, renameat2.
    Rename {
        syscall: &'static str,
        old_path: String,
        new_path: String,
        flags: u32,
        result: i64,
    },
    /// unlink, unlinkat.
    Unlink {
        syscall: &'static str,
        path: String,
        flags: u32,
        result: i64,
    },
    /// chmod, fchmod, fchmodat, fchmodat2.
    Chmod {
        syscall: &'static str,
        path: String,
        mode: u32,
        result: i64,
    },
    /// link, linkat, symlink, symlinkat: `path` is the new name; `target` what it points to
    /// (for symbolic links, the text stored in the link, as given).
    Link {
        syscall: &'static str,
        target: String,
        path: String,
        symbolic: bool,
        result: i64,
    },
    /// truncate, ftruncate.
    Truncate {
        syscall: &'static str,
        path: String,
        length: u64,
        result: i64,
    },
    Mount {
        source: String,
        target: String,
        fstype: String,
        flags: u64,
        result: i64,
    },
    MemfdCreate {
        name: String,
        flags: u32,
        result: i64,
    },
    Ptrace {
        request: i64,
        target_pid: i32,
        result: i64,
    },
    /// process_vm_readv, process_vm_writev.
    ProcessVm {
        syscall: &'static str,
        target_pid: i32,
        write: bool,
        result: i64,
    },
    /// mmap of memory that is executable and writable or anonymous.
    Mmap {
        address: u64,
        length: u64,
        prot: u32,
        flags: u32,
        fd: i32,
        writable: bool,
        anonymous: bool,
        result: i64,
    },
    /// mprotect adding PROT_EXEC.
    Mprotect {
        address: u64,
        length: u64,
        prot: u32,
        writable: bool,
        /// Whether the region is anonymous memory, when /proc could still say.
        anonymous: Option<bool>,
        result: i64,
    },
    /// kill, tkill, tgkill.
    Kill {
        syscall: &'static str,
        target_pid: i32,
        target_tid: Option<i32>,
        signal: i32,
        result: i64,
    },
    Bind {
        fd: i32,
        family: Family,
        address: SockAddr,
        result: i64,
    },
    Listen {
        fd: i32,
        backlog: i32,
        result: i64,
    },
    /// accept, accept4: `result` is the new fd, `address` the peer.
    Accept {
        syscall: &'static str,
        fd: i32,
        family: Family,
        address: SockAddr,
        flags: u32,
        result: i64,
    },
    /// A DNS query sent (sendto, sendmsg, sendmmsg) to port 53.
    DnsQuery {
        syscall: &'static str,
        fd: i32,
        server: SockAddr,
        id: u16,
        name: String,
        query_type: u16,
        query_type_name: String,
        result: i64,
    },
    /// setuid, setreuid, setresuid: ids the call asked for (`None`: unchanged).
    Setuid {
        syscall: &'static str,
        real: Option<u32>,
        effective: Option<u32>,
        saved: Option<u32>,
        result: i64,
    },
    /// setgid, setregid, setresgid.
    Setgid {
        syscall: &'static str,
        real: Option<u32>,
        effective: Option<u32>,
        saved: Option<u32>,
        result: i64,
    },
    Capset {
        effective: u64,
        permitted: u64,
        inheritable: u64,
        result: i64,
    },
    /// prctl(PR_SET_NAME).
    PrctlSetName {
        name: String,
        result: i64,
    },
    /// init_module, finit_module.
    LoadModule {
        syscall: &'static str,
        fd: Option<i32>,
        params: String,
        result: i64,
    },
    Bpf {
        cmd: u32,
        cmd_name: &'static str,
        /// For BPF_PROG_LOAD: the program type; for map commands: the map fd.
        attr_head: Option<u32>,
        /// The map a map command worked on, or that BPF_MAP_CREATE / BPF_MAP_GET_FD_BY_ID
        /// returned.
        map: Option<BpfMap>,
        /// The path of BPF_OBJ_PIN / BPF_OBJ_GET.
        path: Option<String>,
        result: i64,
    },
    Unshare {
        flags: u64,
        result: i64,
    },
    Setns {
        fd: i32,
        nstype: u64,
        result: i64,
    },
}

impl EventData {
    pub fn kind(&self) -> Kind {
        match self {
            EventData::Exec { .. } => Kind::Exec,
            EventData::Fork { .. } => Kind::Fork,
            EventData::Exit { .. } => Kind::Exit,
            EventData::Socket { .. } => Kind::Socket,
            EventData::Connect { .. } => Kind::Connect,
            EventData::Dup { .. } => Kind::Dup,
            EventData::Close { .. } => Kind::Close,
            EventData::Open { .. } => Kind::Open,
            EventData::Rename { .. } => Kind::Rename,
            EventData::Unlink { .. } => Kind::Unlink,
            EventData::Chmod { .. } => Kind::Chmod,
            EventData::Link { .. } => Kind::Link,
            EventData::Truncate { .. } => Kind::Truncate,
            EventData::Mount { .. } => Kind::Mount,
            EventData::MemfdCreate { .. } => Kind::MemfdCreate,
            EventData::Ptrace { .. } => Kind::Ptrace,
            EventData::ProcessVm { .. } => Kind::ProcessVm,
            EventData::Mmap { .. } => Kind::Mmap,
            EventData::Mprotect { .. } => Kind::Mprotect,
            EventData::Kill { .. } => Kind::Kill,
            EventData::Bind { .. } => Kind::Bind,
            EventData::Listen { .. } => Kind::Listen,
            EventData::Accept { .. } => Kind::Accept,
            EventData::DnsQuery { .. } => Kind::DnsQuery,
            EventData::Setuid { .. } => Kind::Setuid,
            EventData::Setgid { .. } => Kind::Setgid,
            EventData::Capset { .. } => Kind::Capset,
            EventData::PrctlSetName { .. } => Kind::PrctlSetName,
            EventData::LoadModule { .. } => Kind::LoadModule,
            EventData::Bpf { .. } => Kind::Bpf,
            EventData::Unshare { .. } => Kind::Unshare,
            EventData::Setns { .. } => Kind::Setns,
        }
    }
}

/// Event kinds, as signatures select them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Exec,
    Fork,
    Exit,
    Socket,
    Connect,
    Dup,
    Close,
    Open,
    Rename,
    Unlink,
    Chmod,
    Link,
    Truncate,
    Mount,
    MemfdCreate,
    Ptrace,
    ProcessVm,
    Mmap,
    Mprotect,
    Kill,
    Bind,
    Listen,
    Accept,
    DnsQuery,
    Setuid,
    Setgid,
    Capset,
    PrctlSetName,
    LoadModule,
    Bpf,
    Unshare,
    Setns,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 32] = [
        Kind::Exec,
        Kind::Fork,
        Kind::Exit,
        Kind::Socket,
        Kind::Connect,
        Kind::Dup,
        Kind::Close,
        Kind::Open,
        Kind::Rename,
        Kind::Unlink,
        Kind::Chmod,
        Kind::Link,
        Kind::Truncate,
        Kind::Mount,
        Kind::MemfdCreate,
        Kind::Ptrace,
        Kind::ProcessVm,
        Kind::Mmap,
        Kind::Mprotect,
        Kind::Kill,
        Kind::Bind,
        Kind::Listen,
        Kind::Accept,
        Kind::DnsQuery,
        Kind::Setuid,
        Kind::Setgid,
        Kind::Capset,
        Kind::PrctlSetName,
        Kind::LoadModule,
        Kind::Bpf,
        Kind::Unshare,
        Kind::Setns,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Exec => "exec",
            Kind::Fork => "fork",
            Kind::Exit => "exit",
            Kind::Socket => "socket",
            Kind::Connect => "connect",
            Kind::Dup => "dup",
            Kind::Close => "close",
            Kind::Open => "open",
            Kind::Rename => "rename",
            Kind::Unlink => "unlink",
            Kind::Chmod => "chmod",
            Kind::Link => "link",
            Kind::Truncate => "truncate",
            Kind::Mount => "mount",
            Kind::MemfdCreate => "memfd_create",
            Kind::Ptrace => "ptrace",
            Kind::ProcessVm => "process_vm",
            Kind::Mmap => "mmap",
            Kind::Mprotect => "mprotect",
            Kind::Kill => "kill",
            Kind::Bind => "bind",
            Kind::Listen => "listen",
            Kind::Accept => "accept",
            Kind::DnsQuery => "dns_query",
            Kind::Setuid => "setuid",
            Kind::Setgid => "setgid",
            Kind::Capset => "capset",
            Kind::PrctlSetName => "prctl_set_name",
            Kind::LoadModule => "load_module",
            Kind::Bpf => "bpf",
            Kind::Unshare => "unshare",
            Kind::Setns => "setns",
        }
    }
}

/// A BPF map as a bpf(2) command named it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BpfMap {
    /// The fd the command used or returned.
    pub fd: Option<i32>,
    /// The map's system-wide id (what BPF_MAP_GET_FD_BY_ID takes), as the kernel resolved the
    /// fd; for a failed BPF_MAP_GET_FD_BY_ID, the id asked for.
    pub id: Option<u32>,
    /// The process Vigil saw create the map; `None` when it was created out of sight (before
    /// capture, or outside its scope). A map command from any other process works on
    /// someone else's map.
    pub created_by: Option<u32>,
}

/// Socket address families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Inet,
    Inet6,
    Unix,
    Netlink,
    Other(u32),
}

impl Family {
    pub fn from_raw(af: u32) -> Self {
        match af as i32 {
            libc::AF_INET => Family::Inet,
            libc::AF_INET6 => Family::Inet6,
            libc::AF_UNIX => Family::Unix,
            libc::AF_NETLINK => Family::Netlink,
            _ => Family::Other(af),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SockAddr {
    Inet { ip: IpAddr, port: u16 },
    Unix { path: String },
    Unknown,
}

impl std::fmt::Display for SockAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SockAddr::Inet { ip, port } => write!(f, "{}", std::net::SocketAddr::new(*ip, *port)),
            SockAddr::Unix { path } => write!(f, "unix:{path}"),
            SockAddr::Unknown => f.write_str("unknown"),
        }
    }
}

/// What an fd referred to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FdTarget {
    Socket {
        family: Family,
        socket_type: u32,
        remote: Option<SockAddr>,
    },
    Pipe,
    File {
        path: String,
    },
    Unknown,
}
