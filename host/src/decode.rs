//! Decoding of ring-buffer records (the `#[repr(C)]` wire types) into owned Rust values.
//! Every read is bounds-checked: a short or unknown record is an error, never a panic.

use std::{mem::size_of, net::IpAddr};

use vigil_ebpf_common as wire;

use crate::event::{Family, SockAddr};

/// A decoded kernel record, before enrichment.
#[derive(Clone, Debug)]
pub enum Record {
    Exec {
        header: wire::Header,
        filename: String,
        argv: Vec<String>,
        truncated: bool,
        /// An `execveat`: `filename` may be relative to a directory fd the record does not carry.
        execveat: bool,
    },
    /// The selected `(name, value)` environment entries of the exec being entered (only names
    /// in `wire::ENV_NAMES`).
    ExecEnv {
        header: wire::Header,
        env: Vec<(String, String)>,
    },
    ExecResult {
        header: wire::Header,
        ret: i64,
    },
    Fork {
        header: wire::Header,
        child_tid: u32,
    },
    Exit {
        header: wire::Header,
        code: Option<i32>,
    },
    Socket {
        header: wire::Header,
        family: u32,
        socket_type: u32,
        protocol: u32,
        ret: i64,
    },
    Connect {
        header: wire::Header,
        fd: i32,
        address: SockAddr,
        family: Family,
        ret: i64,
    },
    Dup {
        header: wire::Header,
        old_fd: i32,
        /// Requested new fd (dup2/dup3), or `None` for dup().
        new_fd: Option<i32>,
        flags: u64,
        ret: i64,
    },
    Close {
        header: wire::Header,
        fd: i32,
        ret: i64,
    },
    /// Any other argument-only syscall (a wire `SyscallEvent`).
    Args {
        header: wire::Header,
        kind: wire::EventKind,
        args: [u64; 6],
        ret: i64,
    },
    /// A syscall with strings and buffers copied from the caller (a wire `PathEvent`).
    Body {
        header: wire::Header,
        kind: wire::EventKind,
        args: [u64; 6],
        ret: i64,
        /// Up to two strings; a string longer than `PATH_LEN - 1` bytes is cut there.
        paths: [String; 2],
        /// The socket address copied, if any.
        addr: Vec<u8>,
        /// The payload head copied, if any.
        data: Vec<u8>,
    },
}

impl Record {
    pub fn header(&self) -> &wire::Header {
        match self {
            Record::Exec { header, .. }
            | Record::ExecEnv { header, .. }
            | Record::ExecResult { header, .. }
            | Record::Fork { header, .. }
            | Record::Exit { header, .. }
            | Record::Socket { header, .. }
            | Record::Connect { header, .. }
            | Record::Dup { header, .. }
            | Record::Close { header, .. }
            | Record::Args { header, .. }
            | Record::Body { header, .. } => header,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    Short { kind: u32, need: usize, got: usize },
    UnknownKind(u32),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Short { kind, need, got } => {
                write!(f, "record of kind {kind} is {got} bytes, expected {need}")
            }
            DecodeError::UnknownKind(k) => write!(f, "unknown record kind {k}"),
        }
    }
}

fn read<T: Copy>(bytes: &[u8], kind: u32) -> Result<T, DecodeError> {
    if bytes.len() < size_of::<T>() {
        return Err(DecodeError::Short {
            kind,
            need: size_of::<T>(),
            got: bytes.len(),
        });
    }
    // SAFETY: length checked above; the wire types are plain C structs valid for any bits.
    Ok(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

/// Text up to the first NUL.
pub fn c_str(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

pub fn decode(bytes: &[u8]) -> Result<Record, DecodeError> {
    let header: wire::Header = read(bytes, 0)?;
    let kind = header.kind;
    let Some(ek) = wire::EventKind::from_u32(kind) else {
        return Err(DecodeError::UnknownKind(kind));
    };
    use wire::EventKind as K;
    Ok(match ek {
        K::Exec => {
            let ev: wire::ExecEvent = read(bytes, kind)?;
            let len = (ev.argv_len as usize).min(ev.argv.len());
            let mut argv: Vec<String> = ev.argv[..len]
                .split(|&b| b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            // The packed area ends with a NUL, which leaves one empty trailing piece.
            if argv.last().is_some_and(String::is_empty) {
                argv.pop();
            }
            argv.truncate(ev.argc as usize);
            Record::Exec {
                header,
                filename: c_str(&ev.filename),
                argv,
                truncated: ev.flags & wire::EXEC_FLAG_ARGV_TRUNCATED != 0,
                execveat: ev.flags & wire::EXEC_FLAG_EXECVEAT != 0,
            }
        }
        K::ExecEnv => {
            let ev: wire::ExecEnvEvent = read(bytes, kind)?;
            let env = wire::ENV_NAMES
                .iter()
                .zip(ev.env.iter())
                .enumerate()
                .filter(|(k, _)| ev.present & (1 << k) != 0)
                .filter_map(|(_, (name, slot))| {
                    let end = slot.iter().position(|&b| b == 0).unwrap_or(slot.len());
                    // Belt and braces: the kernel side already selects by exact name.
                    let entry = slot[..end].strip_prefix(*name)?;
                    Some((
                        String::from_utf8_lossy(&name[..name.len() - 1]).into_owned(),
                        String::from_utf8_lossy(entry).into_owned(),
                    ))
                })
                .collect();
            Record::ExecEnv { header, env }
        }
        K::Fork => {
            let ev: wire::ForkEvent = read(bytes, kind)?;
            Record::Fork {
                header,
                child_tid: ev.child_tid,
            }
        }
        K::Exit => {
            let ev: wire::ExitEvent = read(bytes, kind)?;
            Record::Exit {
                header,
                code: (ev.flags & wire::EXIT_FLAG_HAS_CODE != 0).then_some(ev.code),
            }
        }
        K::Connect => {
            let ev: wire::ConnectEvent = read(bytes, kind)?;
            let copied = (ev.addr_copied as usize).min(ev.addr.len());
            let (family, address) = sockaddr(&ev.addr[..copied]);
            Record::Connect {
                header,
                fd: ev.fd as i32,
                address,
                family,
                ret: ev.ret,
            }
        }
        // Recordings made before opens had their own record hold a `PathEvent`.
        K::Open | K::OpenAt | K::OpenAt2 if bytes.len() < size_of::<wire::PathEvent>() => {
            let ev: wire::OpenEvent = read(bytes, kind)?;
            let how_len = (ev.how_len as usize).min(ev.how.len());
            Record::Body {
                header,
                kind: ek,
                args: ev.args,
                ret: ev.ret,
                paths: [c_str(&ev.path), String::new()],
                addr: Vec::new(),
                data: ev.how[..how_len].to_vec(),
            }
        }
        K::Open
        | K::OpenAt
        | K::OpenAt2
        | K::Rename
        | K::RenameAt
        | K::RenameAt2
        | K::Unlink
        | K::UnlinkAt
        | K::Chmod
        | K::FchmodAt
        | K::FchmodAt2
        | K::Link
        | K::LinkAt
        | K::Symlink
        | K::SymlinkAt
        | K::Truncate
        | K::Mount
        | K::MemfdCreate
        | K::Bind
        | K::Accept
        | K::Accept4
        | K::SendTo
        | K::SendMsg
        | K::SendMmsg
        | K::Capset
        | K::PrctlSetName
        | K::InitModule
        | K::FinitModule
        | K::Chdir
        | K::Bpf => {
            let ev: wire::PathEvent = read(bytes, kind)?;
            let b = &ev.body;
            let addr_len = (b.addr_len as usize).min(b.addr.len());
            let data_len = (b.data_len as usize).min(b.data.len());
            Record::Body {
                header,
                kind: ek,
                args: b.args,
                ret: ev.ret,
                paths: [c_str(&b.path[0]), c_str(&b.path[1])],
                addr: b.addr[..addr_len].to_vec(),
                data: b.data[..data_len].to_vec(),
            }
        }
        K::Fchmod
        | K::Ftruncate
        | K::Ptrace
        | K::ProcessVmReadv
        | K::ProcessVmWritev
        | K::Mprotect
        | K::Mmap
        | K::Kill
        | K::Tkill
        | K::Tgkill
        | K::Listen
        | K::Setuid
        | K::Setgid
        | K::Setreuid
        | K::Setregid
        | K::Setresuid
        | K::Setresgid
        | K::Unshare
        | K::Fchdir
        | K::Setns => {
            let ev: wire::SyscallEvent = read(bytes, kind)?;
            Record::Args {
                header,
                kind: ek,
                args: ev.args,
                ret: ev.ret,
            }
        }
        K::ExecResult | K::Socket | K::Dup | K::Dup2 | K::Dup3 | K::Close => {
            let ev: wire::SyscallEvent = read(bytes, kind)?;
            let a = ev.args;
            match ek {
                K::ExecResult => Record::ExecResult {
                    header,
                    ret: ev.ret,
                },
                K::Socket => Record::Socket {
                    header,
                    family: a[0] as u32,
                    socket_type: a[1] as u32,
                    protocol: a[2] as u32,
                    ret: ev.ret,
                },
                K::Dup => Record::Dup {
                    header,
                    old_fd: a[0] as i32,
                    new_fd: None,
                    flags: 0,
                    ret: ev.ret,
                },
                K::Dup2 | K::Dup3 => Record::Dup {
                    header,
                    old_fd: a[0] as i32,
                    new_fd: Some(a[1] as i32),
                    flags: if ek == K::Dup3 { a[2] } else { 0 },
                    ret: ev.ret,
                },
                _ => Record::Close {
                    header,
                    fd: a[0] as i32,
                    ret: ev.ret,
                },
            }
        }
    })
}

/// The first question of a DNS message: `(id, name, type)`. Accepts the 2-byte length prefix
/// of DNS over TCP. `None` when the bytes are not a query with a well-formed first question.
pub fn dns_question(payload: &[u8]) -> Option<(u16, String, u16)> {
    fn parse(msg: &[u8]) -> Option<(u16, String, u16)> {
        if msg.len() < 12 {
            return None;
        }
        let id = u16::from_be_bytes([msg[0], msg[1]]);
        // A standard query: QR 0, opcode 0, exactly one question, no answers or authority.
        let count = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]);
        if msg[2] & 0xf8 != 0 || count(4) != 1 || count(6) != 0 || count(8) != 0 {
            return None;
        }
        let mut name = String::new();
        let mut at = 12;
        loop {
            let len = *msg.get(at)? as usize;
            at += 1;
            if len == 0 {
                break;
            }
            // Compression pointers never appear in a first question; longer labels are invalid.
            if len > 63 || name.len() + len + 1 > 255 {
                return None;
            }
            let label = msg.get(at..at + len)?;
            if !name.is_empty() {
                name.push('.');
            }
            for &c in label {
                if c.is_ascii_graphic() && c != b'.' {
                    name.push(c as char);
                } else {
                    name.push_str(&format!("\\{c:03}"));
                }
            }
            at += len;
        }
        let qtype = u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]);
        Some((id, name, qtype))
    }
    parse(payload).or_else(|| {
        let len = u16::from_be_bytes([*payload.first()?, *payload.get(1)?]) as usize;
        if len < 12 {
            return None;
        }
        parse(&payload[2..])
    })
}

/// The usual mnemonic of a DNS query type.
pub fn dns_type_name(qtype: u16) -> String {
    match qtype {
        1 => "A".into(),
        2 => "NS".into(),
        5 => "CNAME".into(),
        6 => "SOA".into(),
        12 => "PTR".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        64 => "SVCB".into(),
        65 => "HTTPS".into(),
        255 => "ANY".into(),
        other => format!("TYPE{other}"),
    }
}

/// Decodes a `struct sockaddr` as user space passed it.
pub fn sockaddr(bytes: &[u8]) -> (Family, SockAddr) {
    if bytes.len() < 2 {
        return (Family::Other(0), SockAddr::Unknown);
    }
    let af = u16::from_ne_bytes([bytes[0], bytes[1]]) as u32;
    let family = Family::from_raw(af);
    let addr = match family {
        Family::Inet if bytes.len() >= 8 => SockAddr::Inet {
            port: u16::from_be_bytes([bytes[2], bytes[3]]),
            ip: IpAddr::from([bytes[4], bytes[5], bytes[6], bytes[7]]),
        },
        Family::Inet6 if bytes.len() >= 24 => {
            let mut ip = [0u8; 16];
            ip.copy_from_slice(&bytes[8..24]);
            SockAddr::Inet {
                port: u16::from_be_bytes([bytes[2], bytes[3]]),
                ip: IpAddr::from(ip),
            }
        }
        Family::Unix => {
            let path = &bytes[2..];
            // Abstract sockets start with a NUL; show them with a leading '@'.
            if path.first() == Some(&0) {
                SockAddr::Unix {
                    path: format!("@{}", c_str(&path[1..])),
                }
            } else {
                SockAddr::Unix { path: c_str(path) }
            }
        }
        _ => SockAddr::Unknown,
    };
    (family, addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: wire::EventKind) -> wire::Header {
        wire::Header {
            kind: kind as u32,
            pid: 7,
            tid: 8,
            uid: 0,
            gid: 0,
            mnt_ns: 0,
            ts_ns: 1,
            cgroup_id: 0,
            comm: *b"python3\0\0\0\0\0\0\0\0\0",
        }
    }

    fn bytes_of<T>(v: &T) -> &[u8] {
        // SAFETY: test-only view of a plain C struct.
        unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }
    }

    #[test]
    fn exec_argv_is_split_and_bounded() {
        let mut ev = wire::ExecEvent {
            header: header(wire::EventKind::Exec),
            filename: [0; wire::PATH_LEN],
            argv: [0; wire::ARGV_LEN],
            argv_len: 0,
            argc: 3,
            flags: wire::EXEC_FLAG_ARGV_TRUNCATED,
            _pad: 0,
        };
        ev.filename[..9].copy_from_slice(b"/bin/sh\0\0");
        let packed = b"sh\0-c\0echo hi\0";
        ev.argv[..packed.len()].copy_from_slice(packed);
        ev.argv_len = packed.len() as u32;
        match decode(bytes_of(&ev)).unwrap() {
            Record::Exec {
                filename,
                argv,
                truncated,
                ..
            } => {
                assert_eq!(filename, "/bin/sh");
                assert_eq!(argv, ["sh", "-c", "echo hi"]);
                assert!(truncated);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn exec_env_keeps_only_allowlisted_slots() {
        let mut ev = wire::ExecEnvEvent {
            header: header(wire::EventKind::ExecEnv),
            present: 0b1000011,
            flags: 0,
            env: [[0; wire::ENV_VALUE_LEN]; wire::ENV_NAMES.len()],
        };
        ev.env[0][..21].copy_from_slice(b"LD_PRELOAD=/tmp/x.so\0");
        // A slot whose text does not start with its own name is dropped.
        ev.env[1][..20].copy_from_slice(b"GITHUB_TOKEN=secret\0");
        ev.env[6][..15].copy_from_slice(b"RUNNER_NAME=r1\0");
        // Not marked present: ignored.
        ev.env[2][..17].copy_from_slice(b"GITHUB_ACTION=x\0\0");
        match decode(bytes_of(&ev)).unwrap() {
            Record::ExecEnv { env, .. } => assert_eq!(
                env,
                [
                    ("LD_PRELOAD".to_string(), "/tmp/x.so".to_string()),
                    ("RUNNER_NAME".to_string(), "r1".to_string())
                ]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn short_and_unknown_records_are_errors() {
        let h = header(wire::EventKind::Connect);
        assert!(matches!(
            decode(bytes_of(&h)),
            Err(DecodeError::Short { kind: 6, .. })
        ));
        assert!(decode(&[1, 2, 3]).is_err());
        let mut h = header(wire::EventKind::Exec);
        h.kind = 999;
        assert_eq!(
            decode(bytes_of(&h)).unwrap_err(),
            DecodeError::UnknownKind(999)
        );
    }

    #[test]
    fn sockaddrs_decode() {
        let mut v4 = [0u8; 16];
        v4[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        v4[2..4].copy_from_slice(&4444u16.to_be_bytes());
        v4[4..8].copy_from_slice(&[127, 0, 0, 1]);
        assert_eq!(
            sockaddr(&v4),
            (
                Family::Inet,
                SockAddr::Inet {
                    ip: "127.0.0.1".parse().unwrap(),
                    port: 4444
                }
            )
        );
        let mut v6 = [0u8; 28];
        v6[..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
        v6[2..4].copy_from_slice(&80u16.to_be_bytes());
        v6[23] = 1;
        assert_eq!(sockaddr(&v6).1.to_string(), "[::1]:80");
        let mut un = [0u8; 20];
        un[..2].copy_from_slice(&(libc::AF_UNIX as u16).to_ne_bytes());
        un[2..9].copy_from_slice(b"/run/s\0");
        assert_eq!(sockaddr(&un).1.to_string(), "unix:/run/s");
        assert_eq!(sockaddr(&[1]), (Family::Other(0), SockAddr::Unknown));
    }

    /// A real query as `dig`/glibc send it: id 0x1234, RD, one question.
    fn query(name: &[&str], qtype: u16) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for l in name {
            q.push(l.len() as u8);
            q.extend_from_slice(l.as_bytes());
        }
        q.push(0);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&1u16.to_be_bytes());
        q
    }

    #[test]
    fn dns_questions_decode() {
        let q = query(&["exfil", "example", "com"], 28);
        assert_eq!(
            dns_question(&q),
            Some((0x1234, "exfil.example.com".into(), 28))
        );
        let mut tcp = (q.len() as u16).to_be_bytes().to_vec();
        tcp.extend_from_slice(&q);
        assert_eq!(
            dns_question(&tcp),
            Some((0x1234, "exfil.example.com".into(), 28))
        );
        assert_eq!(dns_type_name(28), "AAAA");
        assert_eq!(dns_type_name(99), "TYPE99");
        // Truncated, responses, empty, overlong labels: never a panic, never a bogus name.
        for cut in 0..q.len() - 2 {
            assert_eq!(dns_question(&q[..cut]), None, "cut at {cut}");
        }
        let mut response = q.clone();
        response[2] |= 0x80;
        assert_eq!(dns_question(&response), None);
        let mut bad = q.clone();
        bad[12] = 64;
        assert_eq!(dns_question(&bad), None);
        let odd = query(&["a b", "c"], 1);
        assert_eq!(dns_question(&odd).unwrap().1, "a\\032b.c");
    }

    #[test]
    fn body_records_decode() {
        let mut ev = wire::PathEvent {
            header: header(wire::EventKind::RenameAt2),
            ret: 0,
            body: wire::SyscallBody {
                args: [u64::MAX - 99, 0, 3, 0, 1, 0],
                flags: wire::BODY_FLAG_PATH1_TRUNCATED,
                addr_len: 500,
                data_len: 2,
                data_total: 9,
                addr: [0; wire::SOCKADDR_LEN],
                path: [[0; wire::PATH_LEN]; 2],
                data: [7; wire::DATA_LEN],
            },
        };
        ev.body.path[0][..4].copy_from_slice(b"a/b\0");
        ev.body.path[1][..2].copy_from_slice(b"c\0");
        match decode(bytes_of(&ev)).unwrap() {
            Record::Body {
                kind,
                args,
                paths,
                addr,
                data,
                ..
            } => {
                assert_eq!(kind, wire::EventKind::RenameAt2);
                assert_eq!(args[4], 1);
                assert_eq!(paths, ["a/b".to_string(), "c".to_string()]);
                assert_eq!(addr.len(), wire::SOCKADDR_LEN, "clamped to the buffer");
                assert_eq!(data, [7, 7]);
            }
            other => panic!("{other:?}"),
        }
        let short = &bytes_of(&ev)[..size_of::<wire::PathEvent>() - 1];
        assert!(matches!(
            decode(short),
            Err(DecodeError::Short { kind: 16, .. })
        ));
    }

    /// Opens come in their own compact record; a recording's older `PathEvent` opens still
    /// decode to the same thing.
    #[test]
    fn open_records_decode_in_both_layouts() {
        let mut open = wire::OpenEvent {
            header: header(wire::EventKind::OpenAt2),
            ret: 3,
            args: [u64::MAX - 99, 0, 0, 24, 0, 0],
            flags: 0,
            how_len: wire::OPEN_HOW_LEN as u32,
            how: [0; wire::OPEN_HOW_LEN],
            path: [0; wire::PATH_LEN],
        };
        open.how[0] = 0o100;
        open.path[..10].copy_from_slice(b"/etc/host\0");
        let mut old = wire::PathEvent {
            header: header(wire::EventKind::OpenAt2),
            ret: 3,
            body: wire::SyscallBody {
                args: open.args,
                flags: 0,
                addr_len: 0,
                data_len: wire::OPEN_HOW_LEN as u32,
                data_total: wire::OPEN_HOW_LEN as u32,
                addr: [0; wire::SOCKADDR_LEN],
                path: [[0; wire::PATH_LEN]; 2],
                data: [0; wire::DATA_LEN],
            },
        };
        old.body.path[0] = open.path;
        old.body.data[0] = 0o100;
        for bytes in [bytes_of(&open), bytes_of(&old)] {
            match decode(bytes).unwrap() {
                Record::Body {
                    kind,
                    args,
                    ret,
                    paths,
                    addr,
                    data,
                    ..
                } => {
                    assert_eq!(kind, wire::EventKind::OpenAt2);
                    assert_eq!((args, ret), (open.args, 3));
                    assert_eq!(paths, ["/etc/host".to_string(), String::new()]);
                    assert!(addr.is_empty());
                    assert_eq!(data.len(), wire::OPEN_HOW_LEN);
                    assert_eq!(data[0], 0o100);
                }
                other => panic!("{other:?}"),
            }
        }
        let short = &bytes_of(&open)[..size_of::<wire::OpenEvent>() - 1];
        assert!(matches!(decode(short), Err(DecodeError::Short { .. })));
    }
}
