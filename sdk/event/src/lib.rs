//! The events Vigil captures, as one set of types shared by the host (which builds them from
//! kernel records, owning its strings) and signatures (which read them from a batch of bytes,
//! borrowing every string from it: `Event<&str>`).
//!
//! The string storage is a type parameter so both sides use the same definitions: the wire
//! form (bincode 2, standard configuration, these types' field order) cannot drift between
//! the encoder and the decoder. JSON (findings, `vigil events`) uses the serde attributes.

use std::{collections::BTreeMap, net::IpAddr};

use bincode::{BorrowDecode, Decode, Encode};
use serde::Serialize;

/// One event, attributed to a process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Encode, BorrowDecode)]
// `env` is a map: its keys must be ordered on both sides.
#[bincode(
    encode_bounds = "S: bincode::Encode + Ord",
    borrow_decode_bounds = "S: bincode::de::BorrowDecode<'__de, __Context> + Ord"
)]
pub struct Event<S = String> {
    /// Nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub uid: u32,
    pub gid: u32,
    /// The task's cgroup v2 id.
    pub cgroup_id: u64,
    /// The inode number of the task's mount namespace (0 when unknown).
    pub mnt_ns: u64,
    pub comm: S,
    #[serde(flatten)]
    pub data: EventData<S>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Encode, BorrowDecode)]
#[serde(tag = "kind", rename_all = "snake_case")]
// `env` is a map: its keys must be ordered on both sides.
#[bincode(
    encode_bounds = "S: bincode::Encode + Ord",
    borrow_decode_bounds = "S: bincode::de::BorrowDecode<'__de, __Context> + Ord"
)]
pub enum EventData<S = String> {
    Exec {
        filename: S,
        argv: Vec<S>,
        argv_truncated: bool,
        /// The fixed set of variables Vigil may see (`LD_PRELOAD`, `LD_LIBRARY_PATH`, the CI
        /// step identifiers) that were set; never any other environment value.
        env: BTreeMap<S, S>,
        /// For a `#!` script, the interpreter the kernel ran it with.
        interpreter: Option<S>,
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
        address: SockAddr<S>,
        result: i64,
    },
    Dup {
        old_fd: i32,
        new_fd: i32,
        target: FdTarget<S>,
        result: i64,
    },
    Close {
        fd: i32,
        target: FdTarget<S>,
        result: i64,
    },
    /// open, openat, openat2.
    Open {
        syscall: S,
        /// Absolute when the directory it was relative to could be resolved.
        path: S,
        flags: u64,
        mode: u32,
        /// openat2's `resolve` flags.
        resolve: Option<u64>,
        result: i64,
    },
    /// rename, renameat, renameat2.
    Rename {
        syscall: S,
        old_path: S,
        new_path: S,
        flags: u32,
        result: i64,
    },
    /// unlink, unlinkat.
    Unlink {
        syscall: S,
        path: S,
        flags: u32,
        result: i64,
    },
    /// chmod, fchmod, fchmodat, fchmodat2.
    Chmod {
        syscall: S,
        path: S,
        mode: u32,
        result: i64,
    },
    /// link, linkat, symlink, symlinkat: `path` is the new name; `target` what it points to
    /// (for symbolic links, the text stored in the link, as given).
    Link {
        syscall: S,
        target: S,
        path: S,
        symbolic: bool,
        result: i64,
    },
    /// truncate, ftruncate.
    Truncate {
        syscall: S,
        path: S,
        length: u64,
        result: i64,
    },
    Mount {
        source: S,
        target: S,
        fstype: S,
        flags: u64,
        result: i64,
    },
    MemfdCreate {
        name: S,
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
        syscall: S,
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
        syscall: S,
        target_pid: i32,
        target_tid: Option<i32>,
        signal: i32,
        result: i64,
    },
    Bind {
        fd: i32,
        family: Family,
        address: SockAddr<S>,
        result: i64,
    },
    Listen {
        fd: i32,
        backlog: i32,
        result: i64,
    },
    /// accept, accept4: `result` is the new fd, `address` the peer.
    Accept {
        syscall: S,
        fd: i32,
        family: Family,
        address: SockAddr<S>,
        flags: u32,
        result: i64,
    },
    /// A DNS query sent (sendto, sendmsg, sendmmsg) to port 53.
    DnsQuery {
        syscall: S,
        fd: i32,
        server: SockAddr<S>,
        id: u16,
        name: S,
        query_type: u16,
        query_type_name: S,
        result: i64,
    },
    /// setuid, setreuid, setresuid: ids the call asked for (`None`: unchanged).
    Setuid {
        syscall: S,
        real: Option<u32>,
        effective: Option<u32>,
        saved: Option<u32>,
        result: i64,
    },
    /// setgid, setregid, setresgid.
    Setgid {
        syscall: S,
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
        name: S,
        result: i64,
    },
    /// init_module, finit_module.
    LoadModule {
        syscall: S,
        fd: Option<i32>,
        params: S,
        result: i64,
    },
    Bpf {
        cmd: u32,
        cmd_name: S,
        /// For BPF_PROG_LOAD: the program type; for map commands: the map fd.
        attr_head: Option<u32>,
        /// The map a map command worked on, or that BPF_MAP_CREATE / BPF_MAP_GET_FD_BY_ID
        /// returned.
        map: Option<BpfMap>,
        /// The path of BPF_OBJ_PIN / BPF_OBJ_GET.
        path: Option<S>,
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

impl<S> EventData<S> {
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Encode, Decode)]
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

/// A set of event kinds, one bit each: what the dispatcher checks once per batch and per
/// signature, so a signature that wants none of a batch's kinds costs next to nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindSet(u32);

// One bit per kind.
const _: () = assert!(Kind::ALL.len() <= u32::BITS as usize);

impl KindSet {
    pub fn insert(&mut self, kind: Kind) {
        self.0 |= 1 << kind as u32;
    }

    pub fn contains(self, kind: Kind) -> bool {
        self.0 & (1 << kind as u32) != 0
    }

    /// Whether the two sets share a kind.
    pub fn intersects(self, other: KindSet) -> bool {
        self.0 & other.0 != 0
    }
}

impl FromIterator<Kind> for KindSet {
    fn from_iter<I: IntoIterator<Item = Kind>>(kinds: I) -> Self {
        let mut set = KindSet::default();
        for kind in kinds {
            set.insert(kind);
        }
        set
    }
}

/// Socket address families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Encode, Decode)]
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
        // AF_* numbers are the same on every Linux architecture.
        match af {
            2 => Family::Inet,
            10 => Family::Inet6,
            1 => Family::Unix,
            16 => Family::Netlink,
            _ => Family::Other(af),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Encode, BorrowDecode)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SockAddr<S = String> {
    Inet { ip: IpAddr, port: u16 },
    Unix { path: S },
    Unknown,
}

impl<S: std::fmt::Display> std::fmt::Display for SockAddr<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SockAddr::Inet { ip, port } => write!(f, "{}", std::net::SocketAddr::new(*ip, *port)),
            SockAddr::Unix { path } => write!(f, "unix:{path}"),
            SockAddr::Unknown => f.write_str("unknown"),
        }
    }
}

/// A BPF map as a bpf(2) command named it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Encode, Decode)]
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

/// What an fd referred to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Encode, BorrowDecode)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FdTarget<S = String> {
    Socket {
        family: Family,
        socket_type: u32,
        remote: Option<SockAddr<S>>,
    },
    Pipe,
    File {
        path: S,
    },
    Unknown,
}

/// A process as Vigil's process tree knows it when an event happens.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Encode, BorrowDecode)]
pub struct Process<S = String> {
    pub pid: u32,
    pub ppid: u32,
    pub comm: S,
    /// The executable's absolute path (empty when unknown).
    pub exe: S,
    pub argv: Vec<S>,
}

/// What a signature receives: an event and the process it happened in. Derefs to the event,
/// so `seen.pid` and `seen.data` read the event and `seen.process` its process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Encode, BorrowDecode)]
// `env` is a map: its keys must be ordered on both sides.
#[bincode(
    encode_bounds = "S: bincode::Encode + Ord",
    borrow_decode_bounds = "S: bincode::de::BorrowDecode<'__de, __Context> + Ord"
)]
pub struct Observed<S = String> {
    pub event: Event<S>,
    pub process: Process<S>,
}

impl<S> std::ops::Deref for Observed<S> {
    type Target = Event<S>;

    fn deref(&self) -> &Event<S> {
        &self.event
    }
}

/// Batches: the bytes a batched signature receives in one call are the encodings of
/// [`Observed`] values laid end to end, in event order; a finding names its event by position.
pub mod open_flags;
pub mod open_interest;
mod wire;

pub mod batch {
    use super::{
        wire::{self, Wire},
        Event, Observed, Process,
    };

    fn config() -> impl bincode::config::Config {
        bincode::config::standard()
    }

    /// Appends one event, as seen in `process`, to `buf`. Encodes exactly like an
    /// [`Observed`] without building one (the host's strings are owned, the process's borrowed).
    pub fn push(
        buf: &mut Vec<u8>,
        event: &Event<String>,
        process: &Process<&str>,
    ) -> Result<(), bincode::error::EncodeError> {
        bincode::encode_into_std_write((event, process), buf, config())?;
        Ok(())
    }

    /// The events in `bytes`, borrowing their strings from it.
    pub fn read(bytes: &[u8]) -> Reader<'_> {
        Reader {
            wire: Wire::new(bytes),
            current: wire::blank(),
        }
    }

    /// Iterator over a batch; stops at the first malformed event (after yielding its error).
    pub struct Reader<'a> {
        wire: Wire<'a>,
        /// The event [`Reader::next_in_place`] reads over.
        current: Observed<&'a str>,
    }

    impl<'a> Reader<'a> {
        /// Bytes not read yet: with the batch's length, where the next event starts.
        pub fn remaining(&self) -> usize {
            self.wire.rest.len()
        }

        /// The next event, read over the previous one: what a signature's loop over its batch
        /// uses, as nothing is moved or allocated per event once the argv vectors have grown.
        /// Stops at the first malformed event, as [`Iterator::next`] does.
        pub fn next_in_place(
            &mut self,
        ) -> Option<Result<&Observed<&'a str>, bincode::error::DecodeError>> {
            if self.wire.rest.is_empty() {
                return None;
            }
            match self.wire.observed_into(&mut self.current) {
                Ok(()) => Some(Ok(&self.current)),
                Err(e) => {
                    self.wire.rest = &[];
                    Some(Err(e))
                }
            }
        }
    }

    impl<'a> Iterator for Reader<'a> {
        type Item = Result<Observed<&'a str>, bincode::error::DecodeError>;

        fn next(&mut self) -> Option<Self::Item> {
            if self.wire.rest.is_empty() {
                return None;
            }
            let seen = self.wire.observed();
            if seen.is_err() {
                self.wire.rest = &[];
            }
            Some(seen)
        }
    }
}

impl Family {
    /// AF_INET or AF_INET6.
    pub fn is_inet(&self) -> bool {
        matches!(self, Family::Inet | Family::Inet6)
    }
}

impl<S> SockAddr<S> {
    /// The port of an internet address (0 otherwise).
    pub fn port(&self) -> u16 {
        match self {
            SockAddr::Inet { port, .. } => *port,
            _ => 0,
        }
    }

    /// The IP of an internet address.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            SockAddr::Inet { ip, .. } => Some(*ip),
            _ => None,
        }
    }
}

impl<S> FdTarget<S> {
    /// The peer of an internet socket that is connected (has a non-zero peer port).
    pub fn inet_peer(&self) -> Option<&SockAddr<S>> {
        match self {
            FdTarget::Socket {
                family,
                remote: Some(peer),
                ..
            } if family.is_inet() && peer.port() != 0 => Some(peer),
            _ => None,
        }
    }
}

impl<S> EventData<S> {
    /// The syscall's return value (a negative errno on failure), for kinds that have one.
    pub fn result(&self) -> Option<i64> {
        use EventData::*;
        match self {
            Exec { .. } | Fork { .. } | Exit { .. } => None,
            Socket { result, .. }
            | Connect { result, .. }
            | Dup { result, .. }
            | Close { result, .. }
            | Open { result, .. }
            | Rename { result, .. }
            | Unlink { result, .. }
            | Chmod { result, .. }
            | Link { result, .. }
            | Truncate { result, .. }
            | Mount { result, .. }
            | MemfdCreate { result, .. }
            | Ptrace { result, .. }
            | ProcessVm { result, .. }
            | Mmap { result, .. }
            | Mprotect { result, .. }
            | Kill { result, .. }
            | Bind { result, .. }
            | Listen { result, .. }
            | Accept { result, .. }
            | DnsQuery { result, .. }
            | Setuid { result, .. }
            | Setgid { result, .. }
            | Capset { result, .. }
            | PrctlSetName { result, .. }
            | LoadModule { result, .. }
            | Bpf { result, .. }
            | Unshare { result, .. }
            | Setns { result, .. } => Some(*result),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Event {
        Event {
            timestamp_ns: 7,
            pid: 10,
            tid: 11,
            uid: 1000,
            gid: 1000,
            cgroup_id: 5,
            mnt_ns: 4026531841,
            comm: "curl".into(),
            data: EventData::Exec {
                filename: "/usr/bin/curl".into(),
                argv: vec!["curl".into(), "-s".into()],
                argv_truncated: false,
                env: [("LD_PRELOAD".to_string(), "/tmp/x.so".to_string())].into(),
                interpreter: None,
            },
        }
    }

    #[test]
    fn a_batch_reads_back_borrowed_and_equal() {
        let owned = sample();
        let process = Process {
            pid: 10,
            ppid: 1,
            comm: "curl",
            exe: "/usr/bin/curl",
            argv: vec!["curl", "-s"],
        };
        let mut second = owned.clone();
        second.data = EventData::Connect {
            fd: 3,
            family: Family::Inet6,
            address: SockAddr::Inet {
                ip: "::1".parse().unwrap(),
                port: 443,
            },
            result: -115,
        };
        let mut buf = Vec::new();
        batch::push(&mut buf, &owned, &process).unwrap();
        batch::push(&mut buf, &second, &process).unwrap();
        let read: Vec<Observed<&str>> = batch::read(&buf).map(Result::unwrap).collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].process, process);
        assert_eq!(read[0].pid, 10);
        assert_eq!(read[0].mnt_ns, 4026531841);
        match &read[0].data {
            EventData::Exec { filename, env, .. } => {
                assert_eq!(*filename, "/usr/bin/curl");
                assert_eq!(env.get("LD_PRELOAD"), Some(&"/tmp/x.so"));
                // Borrowed from the batch, not copied.
                let range = buf.as_ptr_range();
                assert!(range.contains(&filename.as_ptr()));
            }
            other => panic!("not an exec: {other:?}"),
        }
        assert_eq!(read[1].data.result(), Some(-115));
    }

    #[test]
    fn kind_sets_hold_every_kind_apart() {
        for kind in Kind::ALL {
            let set: KindSet = [kind].into_iter().collect();
            for other in Kind::ALL {
                assert_eq!(set.contains(other), other == kind, "{kind:?} {other:?}");
                let single: KindSet = [other].into_iter().collect();
                assert_eq!(set.intersects(single), other == kind);
            }
        }
        assert!(!KindSet::default().intersects(Kind::ALL.into_iter().collect()));
    }

    #[test]
    fn a_truncated_batch_is_an_error_not_a_panic() {
        let mut buf = Vec::new();
        batch::push(&mut buf, &sample(), &Process::<&str>::default()).unwrap();
        buf.truncate(buf.len() - 3);
        let read: Vec<_> = batch::read(&buf).collect();
        assert_eq!(read.len(), 1);
        assert!(read[0].is_err());
    }
}
