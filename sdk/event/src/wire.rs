//! Reads one borrowed [`Observed`] from a batch by hand: the same bytes the derived
//! `BorrowDecode` reads (bincode 2, standard configuration: varint integers, zigzag for signed
//! ones, a varint length before strings, lists and maps, a varint tag before enum variants, one
//! byte for `bool` and for `Option`'s tag, raw octets for IP addresses), with the same errors
//! for the same malformed input. The tests hold the two readers equal on every kind of event
//! and on every corruption of a batch they try.
//!
//! Why not the derived reader: every signature decodes every event it selects, so decoding is
//! nearly all of a signature's time, and in WebAssembly the generic path costs a call per
//! string and per integer, a general UTF-8 validation per string and a fresh argv vector per
//! event. Here everything inlines into one function per type, strings that are ASCII (nearly
//! all) are checked in one pass with `is_ascii`, and a batch's loop reads each event over the
//! previous one (`Wire::observed_into`): nothing is moved, and argv vectors are reused.

use std::{
    collections::BTreeMap,
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
};

use bincode::error::{AllowedEnumVariants, DecodeError, IntegerType};

use crate::{BpfMap, Event, EventData, Family, FdTarget, Observed, Process, SockAddr};

type Result<T> = std::result::Result<T, DecodeError>;

/// The bytes of a batch not read yet, and argv vectors free for reuse.
pub(crate) struct Wire<'a> {
    pub(crate) rest: &'a [u8],
    spare: Vec<Vec<&'a str>>,
}

/// How many emptied argv vectors to keep: an event holds at most two (its exec's and its
/// process's).
const SPARE_VECTORS: usize = 2;

const SINGLE_BYTE_MAX: u8 = 250;

const BOOL_OR_OPTION: AllowedEnumVariants = AllowedEnumVariants::Range { min: 0, max: 1 };

fn unexpected_variant<T>(found: u32, allowed: &'static AllowedEnumVariants) -> DecodeError {
    DecodeError::UnexpectedVariant {
        type_name: std::any::type_name::<T>(),
        allowed,
        found,
    }
}

/// The error for a varint `marker` announcing more bytes than `ty` has.
#[cold]
fn too_wide(marker: u8, ty: IntegerType) -> DecodeError {
    let found = match marker {
        251 => IntegerType::U16,
        252 => IntegerType::U32,
        253 => IntegerType::U64,
        254 => IntegerType::U128,
        _ => IntegerType::Reserved,
    };
    DecodeError::InvalidIntegerType {
        expected: ty,
        found,
    }
}

/// An event to read over: every field empty, and a kind with nothing to reuse.
pub(crate) fn blank<'a>() -> Observed<&'a str> {
    Observed {
        event: Event {
            timestamp_ns: 0,
            pid: 0,
            tid: 0,
            uid: 0,
            gid: 0,
            cgroup_id: 0,
            mnt_ns: 0,
            comm: "",
            data: EventData::Exit { code: None },
        },
        process: Process::default(),
    }
}

impl<'a> Wire<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Wire {
            rest: bytes,
            spare: Vec::new(),
        }
    }

    /// Keeps an emptied argv vector for the next event that needs one.
    fn keep(&mut self, mut argv: Vec<&'a str>) {
        if self.spare.len() < SPARE_VECTORS && argv.capacity() > 0 {
            argv.clear();
            self.spare.push(argv);
        }
    }

    #[inline(always)]
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.rest.len() {
            return Err(DecodeError::UnexpectedEnd {
                additional: n - self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    #[inline(always)]
    fn byte(&mut self) -> Result<u8> {
        match self.rest.split_first() {
            Some((&b, tail)) => {
                self.rest = tail;
                Ok(b)
            }
            None => Err(DecodeError::UnexpectedEnd { additional: 1 }),
        }
    }

    #[inline(always)]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }

    /// An unsigned varint of a type `max_width` bytes wide: one byte up to 250, else a marker
    /// and 2, 4 or 8 bytes (pids, ids and timestamps are mostly wide).
    #[inline(always)]
    fn varint(&mut self, ty: IntegerType, max_width: usize) -> Result<u64> {
        match self.byte()? {
            small @ 0..=SINGLE_BYTE_MAX => Ok(small as u64),
            251 => Ok(u16::from_le_bytes(self.array()?) as u64),
            252 if max_width >= 4 => Ok(u32::from_le_bytes(self.array()?) as u64),
            253 if max_width >= 8 => Ok(u64::from_le_bytes(self.array()?)),
            marker => Err(too_wide(marker, ty)),
        }
    }

    #[inline(always)]
    fn u16(&mut self) -> Result<u16> {
        Ok(self.varint(IntegerType::U16, 2)? as u16)
    }

    #[inline(always)]
    fn u32(&mut self) -> Result<u32> {
        Ok(self.varint(IntegerType::U32, 4)? as u32)
    }

    #[inline(always)]
    fn u64(&mut self) -> Result<u64> {
        self.varint(IntegerType::U64, 8)
    }

    #[inline(always)]
    fn i32(&mut self) -> Result<i32> {
        let n = self.varint(IntegerType::I32, 4)? as u32;
        Ok(((n >> 1) as i32) ^ -((n & 1) as i32))
    }

    #[inline(always)]
    fn i64(&mut self) -> Result<i64> {
        let n = self.varint(IntegerType::I64, 8)?;
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }

    #[inline(always)]
    fn bool(&mut self) -> Result<bool> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(DecodeError::InvalidBooleanValue(other)),
        }
    }

    /// An enum's variant index.
    #[inline(always)]
    fn tag(&mut self) -> Result<u32> {
        self.u32()
    }

    #[inline(always)]
    fn option<T>(&mut self, read: impl FnOnce(&mut Self) -> Result<T>) -> Result<Option<T>> {
        match self.byte()? {
            0 => Ok(None),
            1 => read(self).map(Some),
            other => Err(unexpected_variant::<Option<T>>(
                other as u32,
                &BOOL_OR_OPTION,
            )),
        }
    }

    #[inline(always)]
    fn len(&mut self) -> Result<usize> {
        let len = self.u64()?;
        usize::try_from(len).map_err(|_| DecodeError::OutsideUsizeRange(len))
    }

    #[inline(always)]
    fn str(&mut self) -> Result<&'a str> {
        let len = self.len()?;
        let bytes = self.take(len)?;
        if bytes.is_ascii() {
            // SAFETY: ASCII is valid UTF-8.
            Ok(unsafe { std::str::from_utf8_unchecked(bytes) })
        } else {
            std::str::from_utf8(bytes).map_err(|inner| DecodeError::Utf8 { inner })
        }
    }

    fn strs(&mut self) -> Result<Vec<&'a str>> {
        let mut out = self.spare.pop().unwrap_or_default();
        self.strs_into(&mut out)?;
        Ok(out)
    }

    /// A list of strings, appended to `out`.
    fn strs_into(&mut self, out: &mut Vec<&'a str>) -> Result<()> {
        let len = self.len()?;
        // Each string takes at least its length byte: a huge count cannot reserve much.
        out.reserve(len.min(self.rest.len()));
        for _ in 0..len {
            out.push(self.str()?);
        }
        Ok(())
    }

    fn env(&mut self) -> Result<BTreeMap<&'a str, &'a str>> {
        let len = self.len()?;
        let mut out = BTreeMap::new();
        for _ in 0..len {
            let key = self.str()?;
            out.insert(key, self.str()?);
        }
        Ok(out)
    }

    fn ip(&mut self) -> Result<IpAddr> {
        const V4_OR_V6: AllowedEnumVariants = AllowedEnumVariants::Range { min: 0, max: 1 };
        match self.tag()? {
            0 => Ok(IpAddr::V4(Ipv4Addr::from(
                <[u8; 4]>::try_from(self.take(4)?).expect("4 bytes"),
            ))),
            1 => Ok(IpAddr::V6(Ipv6Addr::from(
                <[u8; 16]>::try_from(self.take(16)?).expect("16 bytes"),
            ))),
            other => Err(unexpected_variant::<IpAddr>(other, &V4_OR_V6)),
        }
    }

    fn family(&mut self) -> Result<Family> {
        const ALLOWED: AllowedEnumVariants = AllowedEnumVariants::Range { min: 0, max: 4 };
        Ok(match self.tag()? {
            0 => Family::Inet,
            1 => Family::Inet6,
            2 => Family::Unix,
            3 => Family::Netlink,
            4 => Family::Other(self.u32()?),
            other => return Err(unexpected_variant::<Family>(other, &ALLOWED)),
        })
    }

    fn sock_addr(&mut self) -> Result<SockAddr<&'a str>> {
        const ALLOWED: AllowedEnumVariants = AllowedEnumVariants::Range { min: 0, max: 2 };
        Ok(match self.tag()? {
            0 => SockAddr::Inet {
                ip: self.ip()?,
                port: self.u16()?,
            },
            1 => SockAddr::Unix { path: self.str()? },
            2 => SockAddr::Unknown,
            other => return Err(unexpected_variant::<SockAddr<&str>>(other, &ALLOWED)),
        })
    }

    fn fd_target(&mut self) -> Result<FdTarget<&'a str>> {
        const ALLOWED: AllowedEnumVariants = AllowedEnumVariants::Range { min: 0, max: 3 };
        Ok(match self.tag()? {
            0 => FdTarget::Socket {
                family: self.family()?,
                socket_type: self.u32()?,
                remote: self.option(Self::sock_addr)?,
            },
            1 => FdTarget::Pipe,
            2 => FdTarget::File { path: self.str()? },
            3 => FdTarget::Unknown,
            other => return Err(unexpected_variant::<FdTarget<&str>>(other, &ALLOWED)),
        })
    }

    fn bpf_map(&mut self) -> Result<BpfMap> {
        Ok(BpfMap {
            fd: self.option(Self::i32)?,
            id: self.option(Self::u32)?,
            created_by: self.option(Self::u32)?,
        })
    }

    /// One event and its process.
    pub(crate) fn observed(&mut self) -> Result<Observed<&'a str>> {
        let mut seen = blank();
        self.observed_into(&mut seen)?;
        Ok(seen)
    }

    /// One event and its process, read over `seen` (which is left part-read on an error): no
    /// event is built and moved, and the argv vectors `seen` held are reused. In WebAssembly
    /// the moves of a whole event (~150 bytes of linear memory, copied field by field right
    /// after being written) cost as much as reading it.
    pub(crate) fn observed_into(&mut self, seen: &mut Observed<&'a str>) -> Result<()> {
        let event = &mut seen.event;
        event.timestamp_ns = self.u64()?;
        event.pid = self.u32()?;
        event.tid = self.u32()?;
        event.uid = self.u32()?;
        event.gid = self.u32()?;
        event.cgroup_id = self.u64()?;
        event.mnt_ns = self.u64()?;
        event.comm = self.str()?;
        if let EventData::Exec { argv, .. } = &mut event.data {
            let argv = std::mem::take(argv);
            self.keep(argv);
        }
        event.data = self.data()?;
        let process = &mut seen.process;
        process.pid = self.u32()?;
        process.ppid = self.u32()?;
        process.comm = self.str()?;
        process.exe = self.str()?;
        process.argv.clear();
        self.strs_into(&mut process.argv)
    }

    #[inline(always)]
    fn data(&mut self) -> Result<EventData<&'a str>> {
        use EventData::*;
        const ALLOWED: AllowedEnumVariants = AllowedEnumVariants::Range { min: 0, max: 31 };
        // Struct expressions evaluate their fields in the order written, which is the order
        // of the declarations (and so of the bytes).
        Ok(match self.tag()? {
            0 => Exec {
                filename: self.str()?,
                argv: self.strs()?,
                argv_truncated: self.bool()?,
                env: self.env()?,
                interpreter: self.option(Self::str)?,
            },
            1 => Fork {
                child_pid: self.u32()?,
            },
            2 => Exit {
                code: self.option(Self::i32)?,
            },
            3 => Socket {
                family: self.family()?,
                socket_type: self.u32()?,
                protocol: self.u32()?,
                result: self.i64()?,
            },
            4 => Connect {
                fd: self.i32()?,
                family: self.family()?,
                address: self.sock_addr()?,
                result: self.i64()?,
            },
            5 => Dup {
                old_fd: self.i32()?,
                new_fd: self.i32()?,
                target: self.fd_target()?,
                result: self.i64()?,
            },
            6 => Close {
                fd: self.i32()?,
                target: self.fd_target()?,
                result: self.i64()?,
            },
            7 => Open {
                syscall: self.str()?,
                path: self.str()?,
                flags: self.u64()?,
                mode: self.u32()?,
                resolve: self.option(Self::u64)?,
                result: self.i64()?,
            },
            8 => Rename {
                syscall: self.str()?,
                old_path: self.str()?,
                new_path: self.str()?,
                flags: self.u32()?,
                result: self.i64()?,
            },
            9 => Unlink {
                syscall: self.str()?,
                path: self.str()?,
                flags: self.u32()?,
                result: self.i64()?,
            },
            10 => Chmod {
                syscall: self.str()?,
                path: self.str()?,
                mode: self.u32()?,
                result: self.i64()?,
            },
            11 => Link {
                syscall: self.str()?,
                target: self.str()?,
                path: self.str()?,
                symbolic: self.bool()?,
                result: self.i64()?,
            },
            12 => Truncate {
                syscall: self.str()?,
                path: self.str()?,
                length: self.u64()?,
                result: self.i64()?,
            },
            13 => Mount {
                source: self.str()?,
                target: self.str()?,
                fstype: self.str()?,
                flags: self.u64()?,
                result: self.i64()?,
            },
            14 => MemfdCreate {
                name: self.str()?,
                flags: self.u32()?,
                result: self.i64()?,
            },
            15 => Ptrace {
                request: self.i64()?,
                target_pid: self.i32()?,
                result: self.i64()?,
            },
            16 => ProcessVm {
                syscall: self.str()?,
                target_pid: self.i32()?,
                write: self.bool()?,
                result: self.i64()?,
            },
            17 => Mmap {
                address: self.u64()?,
                length: self.u64()?,
                prot: self.u32()?,
                flags: self.u32()?,
                fd: self.i32()?,
                writable: self.bool()?,
                anonymous: self.bool()?,
                result: self.i64()?,
            },
            18 => Mprotect {
                address: self.u64()?,
                length: self.u64()?,
                prot: self.u32()?,
                writable: self.bool()?,
                anonymous: self.option(Self::bool)?,
                result: self.i64()?,
            },
            19 => Kill {
                syscall: self.str()?,
                target_pid: self.i32()?,
                target_tid: self.option(Self::i32)?,
                signal: self.i32()?,
                result: self.i64()?,
            },
            20 => Bind {
                fd: self.i32()?,
                family: self.family()?,
                address: self.sock_addr()?,
                result: self.i64()?,
            },
            21 => Listen {
                fd: self.i32()?,
                backlog: self.i32()?,
                result: self.i64()?,
            },
            22 => Accept {
                syscall: self.str()?,
                fd: self.i32()?,
                family: self.family()?,
                address: self.sock_addr()?,
                flags: self.u32()?,
                result: self.i64()?,
            },
            23 => DnsQuery {
                syscall: self.str()?,
                fd: self.i32()?,
                server: self.sock_addr()?,
                id: self.u16()?,
                name: self.str()?,
                query_type: self.u16()?,
                query_type_name: self.str()?,
                result: self.i64()?,
            },
            24 => Setuid {
                syscall: self.str()?,
                real: self.option(Self::u32)?,
                effective: self.option(Self::u32)?,
                saved: self.option(Self::u32)?,
                result: self.i64()?,
            },
            25 => Setgid {
                syscall: self.str()?,
                real: self.option(Self::u32)?,
                effective: self.option(Self::u32)?,
                saved: self.option(Self::u32)?,
                result: self.i64()?,
            },
            26 => Capset {
                effective: self.u64()?,
                permitted: self.u64()?,
                inheritable: self.u64()?,
                result: self.i64()?,
            },
            27 => PrctlSetName {
                name: self.str()?,
                result: self.i64()?,
            },
            28 => LoadModule {
                syscall: self.str()?,
                fd: self.option(Self::i32)?,
                params: self.str()?,
                result: self.i64()?,
            },
            29 => Bpf {
                cmd: self.u32()?,
                cmd_name: self.str()?,
                attr_head: self.option(Self::u32)?,
                map: self.option(Self::bpf_map)?,
                path: self.option(Self::str)?,
                result: self.i64()?,
            },
            30 => Unshare {
                flags: self.u64()?,
                result: self.i64()?,
            },
            31 => Setns {
                fd: self.i32()?,
                nstype: self.u64()?,
                result: self.i64()?,
            },
            other => return Err(unexpected_variant::<EventData<&str>>(other, &ALLOWED)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{batch, Kind};

    /// One event of every kind, its options set and unset in turn, with a non-ASCII string and
    /// values that need wide varints.
    fn samples() -> Vec<Event<String>> {
        let s = |text: &str| text.to_string();
        let v6 = SockAddr::Inet {
            ip: "2001:db8::1".parse().unwrap(),
            port: 8443,
        };
        let v4 = SockAddr::Inet {
            ip: "127.0.0.1".parse().unwrap(),
            port: 53,
        };
        let socket = FdTarget::Socket {
            family: Family::Other(40),
            socket_type: 2,
            remote: Some(v6.clone()),
        };
        let data = vec![
            EventData::Exec {
                filename: s("/usr/bin/curl"),
                argv: vec![s("curl"), s("-d"), s("café")],
                argv_truncated: true,
                env: [(s("LD_PRELOAD"), s("/tmp/x.so")), (s("CI"), s("1"))].into(),
                interpreter: Some(s("/bin/sh")),
            },
            EventData::Fork { child_pid: 70_000 },
            EventData::Exit { code: Some(-9) },
            EventData::Socket {
                family: Family::Netlink,
                socket_type: 3,
                protocol: 300,
                result: 4,
            },
            EventData::Connect {
                fd: 3,
                family: Family::Inet6,
                address: v6.clone(),
                result: -115,
            },
            EventData::Dup {
                old_fd: 4,
                new_fd: 1,
                target: socket,
                result: 1,
            },
            EventData::Close {
                fd: 5,
                target: FdTarget::File { path: s("/etc/ß") },
                result: 0,
            },
            EventData::Open {
                syscall: s("openat2"),
                path: s("/etc/shadow"),
                flags: 0o2_000_101,
                mode: 0o644,
                resolve: Some(8),
                result: -13,
            },
            EventData::Rename {
                syscall: s("renameat2"),
                old_path: s("/a"),
                new_path: s("/b"),
                flags: 1,
                result: 0,
            },
            EventData::Unlink {
                syscall: s("unlinkat"),
                path: s("/tmp/x"),
                flags: 0x200,
                result: 0,
            },
            EventData::Chmod {
                syscall: s("fchmodat"),
                path: s("/tmp/x"),
                mode: 0o4755,
                result: 0,
            },
            EventData::Link {
                syscall: s("symlinkat"),
                target: s("/etc/passwd"),
                path: s("/tmp/p"),
                symbolic: true,
                result: 0,
            },
            EventData::Truncate {
                syscall: s("truncate"),
                path: s("/var/log/x"),
                length: u64::MAX,
                result: 0,
            },
            EventData::Mount {
                source: s("/dev/sda1"),
                target: s("/mnt"),
                fstype: s("ext4"),
                flags: 1 << 40,
                result: -1,
            },
            EventData::MemfdCreate {
                name: s(""),
                flags: 1,
                result: 7,
            },
            EventData::Ptrace {
                request: 16,
                target_pid: i32::MIN,
                result: i64::MIN,
            },
            EventData::ProcessVm {
                syscall: s("process_vm_writev"),
                target_pid: 12,
                write: true,
                result: 4096,
            },
            EventData::Mmap {
                address: 0x7fff_0000_0000,
                length: 4096,
                prot: 7,
                flags: 0x22,
                fd: -1,
                writable: true,
                anonymous: true,
                result: i64::MAX,
            },
            EventData::Mprotect {
                address: 0x1000,
                length: 8192,
                prot: 5,
                writable: false,
                anonymous: Some(false),
                result: 0,
            },
            EventData::Kill {
                syscall: s("tgkill"),
                target_pid: 9,
                target_tid: Some(10),
                signal: 9,
                result: 0,
            },
            EventData::Bind {
                fd: 3,
                family: Family::Unix,
                address: SockAddr::Unix { path: s("/run/x") },
                result: 0,
            },
            EventData::Listen {
                fd: 3,
                backlog: 4096,
                result: 0,
            },
            EventData::Accept {
                syscall: s("accept4"),
                fd: 3,
                family: Family::Inet,
                address: SockAddr::Unknown,
                flags: 0x80000,
                result: 5,
            },
            EventData::DnsQuery {
                syscall: s("sendmmsg"),
                fd: 6,
                server: v4,
                id: 65535,
                name: s("pool.example"),
                query_type: 28,
                query_type_name: s("AAAA"),
                result: 40,
            },
            EventData::Setuid {
                syscall: s("setresuid"),
                real: None,
                effective: Some(0),
                saved: Some(u32::MAX),
                result: 0,
            },
            EventData::Setgid {
                syscall: s("setgid"),
                real: Some(0),
                effective: None,
                saved: None,
                result: -1,
            },
            EventData::Capset {
                effective: u64::MAX,
                permitted: 1,
                inheritable: 0,
                result: 0,
            },
            EventData::PrctlSetName {
                name: s("kworker"),
                result: 0,
            },
            EventData::LoadModule {
                syscall: s("finit_module"),
                fd: Some(3),
                params: s("debug=1"),
                result: 0,
            },
            EventData::Bpf {
                cmd: 5,
                cmd_name: s("BPF_PROG_LOAD"),
                attr_head: Some(1),
                map: Some(BpfMap {
                    fd: Some(4),
                    id: None,
                    created_by: Some(300),
                }),
                path: Some(s("/sys/fs/bpf/x")),
                result: 6,
            },
            EventData::Unshare {
                flags: 0x2000_0000,
                result: 0,
            },
            EventData::Setns {
                fd: 5,
                nstype: 0,
                result: 0,
            },
            // The options the events above set, unset; the ones they left unset, set.
            EventData::Exec {
                filename: s(""),
                argv: Vec::new(),
                argv_truncated: false,
                env: BTreeMap::new(),
                interpreter: None,
            },
            EventData::Exit { code: None },
            EventData::Dup {
                old_fd: 1,
                new_fd: 2,
                target: FdTarget::Socket {
                    family: Family::Inet,
                    socket_type: 1,
                    remote: None,
                },
                result: 2,
            },
            EventData::Close {
                fd: 0,
                target: FdTarget::Pipe,
                result: 0,
            },
            EventData::Close {
                fd: 0,
                target: FdTarget::Unknown,
                result: -9,
            },
            EventData::Open {
                syscall: s("open"),
                path: s("x"),
                flags: 0,
                mode: 0,
                resolve: None,
                result: 3,
            },
            EventData::Mprotect {
                address: 0,
                length: 0,
                prot: 0,
                writable: true,
                anonymous: None,
                result: 0,
            },
            EventData::Kill {
                syscall: s("kill"),
                target_pid: -1,
                target_tid: None,
                signal: 15,
                result: 0,
            },
            EventData::LoadModule {
                syscall: s("init_module"),
                fd: None,
                params: s(""),
                result: -1,
            },
            EventData::Bpf {
                cmd: 0,
                cmd_name: s("BPF_MAP_CREATE"),
                attr_head: None,
                map: None,
                path: None,
                result: 3,
            },
        ];
        data.into_iter()
            .enumerate()
            .map(|(i, data)| Event {
                timestamp_ns: 1_700_000_000_000_000_000 + i as u64,
                pid: 100 + i as u32,
                tid: 100_000 + i as u32,
                uid: if i % 2 == 0 { 0 } else { 65534 },
                gid: 1000,
                cgroup_id: 5,
                mnt_ns: 4026531841,
                comm: if i % 3 == 0 { s("bash") } else { s("naïve") },
                data,
            })
            .collect()
    }

    fn batch_of(events: &[Event<String>]) -> Vec<u8> {
        let mut buf = Vec::new();
        for (i, event) in events.iter().enumerate() {
            let argv: Vec<&str> = ["sh", "-c", "make"][..i % 4].to_vec();
            let process = Process {
                pid: event.pid,
                ppid: 1,
                comm: "sh",
                exe: if i % 2 == 0 { "/bin/sh" } else { "" },
                argv,
            };
            batch::push(&mut buf, event, &process).unwrap();
        }
        buf
    }

    /// What the derived decoder reads from the front of `bytes`: the event and its length.
    /// (Limited: unlimited, it would try to reserve any list length a corruption makes up;
    /// this module reserves no more than the bytes left could hold.)
    fn derived(bytes: &[u8]) -> Result<(Observed<&str>, usize)> {
        let config = bincode::config::standard().with_limit::<{ 1 << 20 }>();
        bincode::borrow_decode_from_slice(bytes, config)
    }

    /// What this module reads from the front of `bytes`: whole, and (checked to be the same,
    /// or the same refusal) in place over an exec whose vectors are reused.
    fn by_hand(bytes: &[u8]) -> Result<(Observed<&str>, usize)> {
        let mut wire = Wire::new(bytes);
        let whole = wire
            .observed()
            .map(|seen| (seen, bytes.len() - wire.rest.len()));
        let mut wire = Wire::new(bytes);
        let mut slot = Observed {
            event: Event {
                data: EventData::Exec {
                    filename: "/bin/x",
                    argv: vec!["x", "-y"],
                    argv_truncated: true,
                    env: BTreeMap::from([("LD_PRELOAD", "/x.so")]),
                    interpreter: Some("/bin/sh"),
                },
                ..samples_event_header()
            },
            process: Process {
                pid: 9,
                ppid: 8,
                comm: "x",
                exe: "/bin/x",
                argv: vec!["x", "-z"],
            },
        };
        let in_place = wire
            .observed_into(&mut slot)
            .map(|()| bytes.len() - wire.rest.len());
        match (&whole, in_place) {
            (Ok((seen, used)), Ok(in_place_used)) => {
                assert_eq!(&slot, seen);
                assert_eq!(*used, in_place_used);
            }
            (Err(_), Err(_)) => {}
            (whole, in_place) => panic!("whole {whole:?}, in place {in_place:?}"),
        }
        whole
    }

    /// An event's fields other than its data, for a slot to read over.
    fn samples_event_header() -> Event<&'static str> {
        Event {
            timestamp_ns: 1,
            pid: 2,
            tid: 3,
            uid: 4,
            gid: 5,
            cgroup_id: 6,
            mnt_ns: 7,
            comm: "slot",
            data: EventData::Exit { code: None },
        }
    }

    #[test]
    fn the_samples_cover_every_kind() {
        let mut kinds: Vec<Kind> = samples().iter().map(|e| e.data.kind()).collect();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds, Kind::ALL);
    }

    #[test]
    fn reads_every_kind_as_the_derived_decoder_does() {
        let bytes = batch_of(&samples());
        let mut rest = &bytes[..];
        let mut read = 0;
        while !rest.is_empty() {
            let (want, used) = derived(rest).unwrap();
            let (got, got_used) = by_hand(rest).unwrap();
            assert_eq!(got, want);
            assert_eq!(got_used, used);
            rest = &rest[used..];
            read += 1;
        }
        assert_eq!(read, samples().len());
    }

    #[test]
    fn a_corrupted_event_reads_as_the_derived_decoder_reads_it() {
        // Every byte of every sample replaced by values that matter to the format (varint
        // markers, bool/option bytes, UTF-8 lead and continuation bytes), and every
        // truncation: both readers accept the same bytes, as the same value, or both refuse.
        let bytes = batch_of(&samples());
        let mut starts = vec![0];
        while let Ok((_, used)) = derived(&bytes[*starts.last().unwrap()..]) {
            let next = starts.last().unwrap() + used;
            if next == bytes.len() {
                break;
            }
            starts.push(next);
        }
        let mut refused = 0;
        for &start in &starts {
            let event = &bytes[start..];
            for at in 0..event.len().min(200) {
                for value in [
                    0, 1, 2, 5, 31, 32, 0x7f, 0x80, 0xc3, 0xe2, 0xff, 250, 251, 252, 253, 254,
                ] {
                    let mut corrupt = event.to_vec();
                    corrupt[at] = value;
                    match (derived(&corrupt), by_hand(&corrupt)) {
                        (Ok(want), Ok(got)) => assert_eq!(got, want, "byte {at} = {value}"),
                        (Err(_), Err(_)) => refused += 1,
                        (want, got) => panic!("byte {at} = {value}: {want:?} vs {got:?}"),
                    }
                }
                let truncated = &event[..at];
                assert_eq!(derived(truncated).is_err(), by_hand(truncated).is_err());
            }
        }
        // The corruptions did exercise the refusals.
        assert!(refused > 1000, "{refused}");
    }

    #[test]
    fn a_batch_with_random_corruptions_reads_as_the_derived_decoder_reads_it() {
        // Several bytes at once, anywhere in a whole batch, from a fixed-seed generator (a
        // 64-bit LCG: reproducible, and no dependency for it).
        let bytes = batch_of(&samples());
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        for _ in 0..20_000 {
            let mut corrupt = bytes.clone();
            for _ in 0..1 + next() % 4 {
                let at = next() % corrupt.len();
                corrupt[at] = next() as u8;
            }
            let mut rest = &corrupt[..];
            let mut reader = batch::read(&corrupt);
            loop {
                let want = derived(rest);
                match (want, reader.next()) {
                    (Ok((want, used)), Some(Ok(got))) => {
                        assert_eq!(got, want);
                        rest = &rest[used..];
                        assert_eq!(reader.remaining(), rest.len());
                        if rest.is_empty() {
                            assert!(reader.next().is_none());
                            break;
                        }
                    }
                    (Err(_), Some(Err(_))) => {
                        assert!(reader.next().is_none(), "reading stops at the error");
                        break;
                    }
                    (want, got) => panic!("{want:?} vs {got:?}"),
                }
            }
        }
    }

    #[test]
    fn events_read_in_place_are_the_events_read_whole() {
        let events = samples();
        let bytes = batch_of(&events);
        let mut reader = batch::read(&bytes);
        let mut got = Vec::new();
        while let Some(seen) = reader.next_in_place() {
            let seen = seen.unwrap();
            got.push((seen.process.argv.clone(), seen.data.clone()));
        }
        let want: Vec<_> = batch::read(&bytes)
            .map(|seen| {
                let seen = seen.unwrap();
                (seen.process.argv.clone(), seen.data.clone())
            })
            .collect();
        assert_eq!(got, want);
        assert_eq!(got.len(), events.len());
    }
}
