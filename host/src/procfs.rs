//! Reading /proc: the fallback for processes and fds Vigil did not see being created
//! (inherited from before capture was armed, or from syscalls not traced), and for resolving
//! relative paths against a process's cwd or a directory fd.
//!
//! Every read goes through [`ProcIo`], so a recording can keep each answer and a replay can give
//! the very same answers back without touching this machine's /proc.

use std::{borrow::Cow, collections::VecDeque, fs, net::IpAddr};

use serde::{Deserialize, Serialize};

use crate::event::{Family, FdTarget, SockAddr};

/// One /proc read and what it returned (`None`: it failed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcAnswer {
    pub op: ProcOp,
    pub path: String,
    pub data: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProcOp {
    Read,
    ReadLink,
    /// The first [`HEAD_LEN`] bytes of a file (a script's `#!` line).
    ReadHead,
}

/// Bytes of a file's head read by [`ProcOp::ReadHead`]: as many as the kernel looks at for a
/// `#!` line (`BINPRM_BUF_SIZE`).
pub const HEAD_LEN: usize = 256;

/// Where /proc answers come from.
#[derive(Debug)]
pub enum ProcIo {
    /// This machine's /proc.
    Live,
    /// This machine's /proc, keeping every answer until [`ProcIo::take_recorded`].
    Recording(Vec<ProcAnswer>),
    /// Answers recorded earlier, consumed in order; `mismatches` counts questions that were
    /// not the next recorded one (answered `None`).
    Replay {
        queue: VecDeque<ProcAnswer>,
        mismatches: u64,
    },
}

impl ProcIo {
    pub fn replay() -> Self {
        ProcIo::Replay {
            queue: VecDeque::new(),
            mismatches: 0,
        }
    }

    /// Answers recorded since the last call.
    pub fn take_recorded(&mut self) -> Vec<ProcAnswer> {
        match self {
            ProcIo::Recording(v) => std::mem::take(v),
            _ => Vec::new(),
        }
    }

    /// Queues recorded answers for the questions the next record will raise.
    pub fn feed(&mut self, answers: impl IntoIterator<Item = ProcAnswer>) {
        if let ProcIo::Replay { queue, .. } = self {
            queue.extend(answers);
        }
    }

    /// Replay: questions that did not match the recording, plus answers left unasked.
    pub fn mismatches(&self) -> u64 {
        match self {
            ProcIo::Replay { queue, mismatches } => mismatches + queue.len() as u64,
            _ => 0,
        }
    }

    /// Replay: forgets answers nobody asked for (counting them as mismatches).
    pub fn settle(&mut self) {
        if let ProcIo::Replay { queue, mismatches } = self {
            *mismatches += queue.len() as u64;
            queue.clear();
        }
    }

    fn answer(&mut self, op: ProcOp, path: String) -> Option<Vec<u8>> {
        let live = |path: &str| match op {
            ProcOp::Read => fs::read(path).ok(),
            ProcOp::ReadHead => read_head(path).ok(),
            ProcOp::ReadLink => fs::read_link(path)
                .ok()
                .map(|p| p.into_os_string().into_encoded_bytes()),
        };
        match self {
            ProcIo::Live => live(&path),
            ProcIo::Recording(kept) => {
                let data = live(&path);
                kept.push(ProcAnswer {
                    op,
                    path,
                    data: data.clone(),
                });
                data
            }
            ProcIo::Replay { queue, mismatches } => match queue.front() {
                Some(a) if a.op == op && a.path == path => queue.pop_front().and_then(|a| a.data),
                _ => {
                    *mismatches += 1;
                    None
                }
            },
        }
    }

    fn read_to_string(&mut self, path: String) -> Option<String> {
        self.answer(ProcOp::Read, path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    fn read_link(&mut self, path: String) -> Option<String> {
        self.answer(ProcOp::ReadLink, path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
}

/// The head of a regular file. The path comes from a watched process, which may have swapped
/// the file for a FIFO (reading would block Vigil) or a device whose open has effects: the
/// path is opened with `O_PATH` (no open of the file itself), checked, and only a regular
/// file is then reopened, through that very fd, for reading.
fn read_head(path: &str) -> std::io::Result<Vec<u8>> {
    use std::{
        io::{Error, ErrorKind, Read},
        os::{fd::AsRawFd, unix::fs::OpenOptionsExt},
    };
    let located = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH)
        .open(path)?;
    if !located.metadata()?.is_file() {
        return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    let mut head = Vec::with_capacity(HEAD_LEN);
    fs::File::open(format!("/proc/self/fd/{}", located.as_raw_fd()))?
        .take(HEAD_LEN as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// Basic facts about a live process.
pub struct ProcInfo {
    pub ppid: u32,
    pub comm: String,
    pub exe: String,
    pub argv: Vec<String>,
}

pub fn process(io: &mut ProcIo, pid: u32) -> Option<ProcInfo> {
    let stat = io.read_to_string(format!("/proc/{pid}/stat"))?;
    // comm may contain spaces and parentheses: split at the last ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    // A replayed answer can be anything: never slice backwards.
    let comm = stat.get(open + 1..close)?.to_string();
    let ppid = stat[close + 1..].split_whitespace().nth(1)?.parse().ok()?;
    let exe = io.read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    let argv = io
        .answer(ProcOp::Read, format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default();
    Some(ProcInfo {
        ppid,
        comm,
        exe,
        argv,
    })
}

/// The executable of a live process.
pub fn exe(io: &mut ProcIo, pid: u32) -> Option<String> {
    io.read_link(format!("/proc/{pid}/exe"))
}

/// Where `fd` of `pid` points (a path, or `socket:[N]`, `pipe:[N]`, `anon_inode:...`).
pub fn fd_link(io: &mut ProcIo, pid: u32, fd: i32) -> Option<String> {
    io.read_link(format!("/proc/{pid}/fd/{fd}"))
}

/// A mount namespace's inode number from the link `/proc/PID/ns/mnt` (`mnt:[4026531841]`).
fn parse_mnt_ns(link: &str) -> Option<u64> {
    link.strip_prefix("mnt:[")?.strip_suffix(']')?.parse().ok()
}

/// The interpreter a `#!` script at absolute `path` names, as `pid` sees the file: through its
/// root directory, so a process in another mount namespace or chroot reads its own file. When
/// `pid` is already gone and `same_namespace` says it shared Vigil's mount namespace, the path
/// is read directly. `Ok(None)` for a file that is not a script, `Err` when it could not be
/// read.
pub fn script_interpreter(
    io: &mut ProcIo,
    pid: u32,
    path: &str,
    same_namespace: bool,
) -> Result<Option<String>, ()> {
    let head = match io.answer(ProcOp::ReadHead, format!("/proc/{pid}/root{path}")) {
        Some(head) => head,
        None if same_namespace => io.answer(ProcOp::ReadHead, path.to_string()).ok_or(())?,
        None => return Err(()),
    };
    Ok(shebang_interpreter(&head))
}

/// Vigil's own mount namespace.
pub fn own_mnt_ns(io: &mut ProcIo) -> Option<u64> {
    parse_mnt_ns(&io.read_link("/proc/self/ns/mnt".to_string())?)
}

/// The interpreter path of a `#!` line, parsed as the kernel does: blanks after `#!` skipped,
/// the path ends at the first blank or the end of the line.
pub fn shebang_interpreter(head: &[u8]) -> Option<String> {
    let line = head.strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = line.iter().position(|b| !blank(b))?;
    let rest = &line[start..];
    let end = rest.iter().position(blank).unwrap_or(rest.len());
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// The current directory of a live process.
pub fn cwd(io: &mut ProcIo, pid: u32) -> Option<String> {
    io.read_link(format!("/proc/{pid}/cwd"))
}

/// `path` joined to the absolute directory `base`, with `.` and `..` resolved lexically
/// (`path` itself when it is already absolute).
pub fn join(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        walk(path, |_| None)
    } else {
        walk(&format!("{base}/{path}"), |_| None)
    }
}

/// The absolute `path` taken a component at a time, as the kernel walks it: empty components
/// and `.` skipped, `..` one back. After each component `link` is asked whether the components
/// so far name a link; its answer, an absolute path, then takes their place.
pub fn walk<'a>(path: &'a str, mut link: impl FnMut(&[Cow<'a, str>]) -> Option<String>) -> String {
    let mut parts: Vec<Cow<'a, str>> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => {
                parts.push(Cow::Borrowed(part));
                if let Some(target) = link(&parts) {
                    parts = target
                        .split('/')
                        .filter(|p| !p.is_empty())
                        .map(|p| Cow::Owned(p.to_string()))
                        .collect();
                }
            }
        }
    }
    absolute(&parts)
}

/// The directories whose entries can be magic links: `/proc/PID/{root,cwd,fd/N}` and
/// `/dev/{fd/N,stdin,stdout,stderr}`. (The kernel's open filter keeps a narrower set,
/// `vigil_ebpf_common::under_magic_links`, for absolute paths it can judge in one compare.)
const MAGIC_LINK_DIRS: [&str; 2] = ["/proc/", "/dev/"];

/// Whether a relative path from the directory `dir` (absolute, ending in `/`) may name a
/// magic link.
pub fn from_magic_link_dir(dir: &str) -> bool {
    MAGIC_LINK_DIRS.iter().any(|d| dir.starts_with(d))
}

/// The absolute path of the components `parts` (`/` for none).
pub fn absolute(parts: &[impl AsRef<str>]) -> String {
    let mut out = String::new();
    for p in parts {
        out.push('/');
        out.push_str(p.as_ref());
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Whether the mapping holding `addr` in `pid` is anonymous (no backing file).
pub fn mapping_is_anonymous(io: &mut ProcIo, pid: u32, addr: u64) -> Option<bool> {
    let maps = io.read_to_string(format!("/proc/{pid}/maps"))?;
    maps.lines().find_map(|line| {
        let mut cols = line.split_whitespace();
        let (lo, hi) = cols.next()?.split_once('-')?;
        let (lo, hi) = (
            u64::from_str_radix(lo, 16).ok()?,
            u64::from_str_radix(hi, 16).ok()?,
        );
        if addr < lo || addr >= hi {
            return None;
        }
        // perms, offset, dev, inode, then the optional path.
        let inode = cols.nth(3)?;
        let path = cols.next().unwrap_or("");
        Some(inode == "0" && !path.starts_with('/'))
    })
}

/// What `fd` of `pid` refers to right now.
pub fn fd_target(io: &mut ProcIo, pid: u32, fd: i32) -> Option<FdTarget> {
    let link = fd_link(io, pid, fd)?;
    if let Some(inode) = link
        .strip_prefix("socket:[")
        .and_then(|s| s.strip_suffix(']'))
    {
        let inode: u64 = inode.parse().ok()?;
        return Some(socket_by_inode(io, pid, inode).unwrap_or(FdTarget::Socket {
            family: Family::Other(0),
            socket_type: 0,
            remote: None,
        }));
    }
    if link.starts_with("pipe:[") {
        return Some(FdTarget::Pipe);
    }
    if link.starts_with('/') {
        return Some(FdTarget::File { path: link });
    }
    Some(FdTarget::Unknown)
}

/// Finds a socket by inode in the process's network namespace tables.
fn socket_by_inode(io: &mut ProcIo, pid: u32, inode: u64) -> Option<FdTarget> {
    for (table, family, socket_type) in [
        ("tcp", Family::Inet, libc::SOCK_STREAM),
        ("tcp6", Family::Inet6, libc::SOCK_STREAM),
        ("udp", Family::Inet, libc::SOCK_DGRAM),
        ("udp6", Family::Inet6, libc::SOCK_DGRAM),
    ] {
        let Some(text) = io.read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 9 && cols[9].parse::<u64>().ok() == Some(inode) {
                let remote = parse_hex_endpoint(cols[2]).filter(|(_, port)| *port != 0);
                return Some(FdTarget::Socket {
                    family,
                    socket_type: socket_type as u32,
                    remote: remote.map(|(ip, port)| SockAddr::Inet { ip, port }),
                });
            }
        }
    }
    if let Some(text) = io.read_to_string(format!("/proc/{pid}/net/unix")) {
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 6 && cols[6].parse::<u64>().ok() == Some(inode) {
                let socket_type = u32::from_str_radix(cols[4], 16).unwrap_or(0);
                return Some(FdTarget::Socket {
                    family: Family::Unix,
                    socket_type,
                    remote: cols.get(7).map(|p| SockAddr::Unix {
                        path: p.to_string(),
                    }),
                });
            }
        }
    }
    None
}

/// Parses `/proc/net/tcp` endpoints: `0100007F:115C` (IPv4) or 32 hex digits (IPv6), each
/// 32-bit word in host byte order.
pub fn parse_hex_endpoint(s: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    // `get`, not indexing: a replayed table may hold anything, multi-byte characters included.
    let words: Vec<u32> = (0..addr.len() / 8)
        .map(|i| {
            addr.get(i * 8..i * 8 + 8)
                .and_then(|w| u32::from_str_radix(w, 16).ok())
        })
        .collect::<Option<_>>()?;
    let ip = match words.as_slice() {
        [w] => IpAddr::from(w.to_ne_bytes()),
        [a, b, c, d] => {
            let mut bytes = [0u8; 16];
            for (i, w) in [a, b, c, d].into_iter().enumerate() {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&w.to_ne_bytes());
            }
            IpAddr::from(bytes)
        }
        _ => return None,
    };
    Some((ip, port))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    #[test]
    fn hex_endpoints() {
        assert_eq!(
            parse_hex_endpoint("0100007F:115C"),
            Some(("127.0.0.1".parse().unwrap(), 4444))
        );
        assert_eq!(
            parse_hex_endpoint("00000000000000000000000001000000:0050"),
            Some(("::1".parse().unwrap(), 80))
        );
        assert_eq!(parse_hex_endpoint("zz:1"), None);
        assert_eq!(parse_hex_endpoint("0100007\u{e9}:115C"), None);
    }

    #[test]
    fn own_fds_are_classified() {
        let me = std::process::id();
        let (r, w) = {
            let mut fds = [0; 2];
            // SAFETY: plain pipe(2).
            assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
            (fds[0], fds[1])
        };
        let io = &mut ProcIo::Recording(Vec::new());
        assert_eq!(fd_target(io, me, r), Some(FdTarget::Pipe));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        use std::os::fd::AsRawFd;
        assert_eq!(
            fd_target(io, me, stream.as_raw_fd()),
            Some(FdTarget::Socket {
                family: Family::Inet,
                socket_type: libc::SOCK_STREAM as u32,
                remote: Some(SockAddr::Inet {
                    ip: "127.0.0.1".parse().unwrap(),
                    port
                }),
            })
        );
        // A replay of what was recorded gives the same answers without /proc.
        let recorded = io.take_recorded();
        assert!(recorded.len() >= 2);
        let mut replay = ProcIo::replay();
        replay.feed(recorded);
        // SAFETY: closing our own pipe.
        unsafe {
            libc::close(r);
            libc::close(w);
        }
        assert_eq!(fd_target(&mut replay, me, r), Some(FdTarget::Pipe));
        assert!(matches!(
            fd_target(&mut replay, me, stream.as_raw_fd()),
            Some(FdTarget::Socket { .. })
        ));
        assert_eq!(replay.mismatches(), 0);
        assert_eq!(
            fd_target(&mut replay, me, r),
            None,
            "nothing left to answer"
        );
        assert_eq!(replay.mismatches(), 1);
    }

    #[test]
    fn malformed_stat_is_no_process() {
        // Found by the record_file fuzz target: ')' before '('.
        let mut io = ProcIo::replay();
        io.feed([ProcAnswer {
            op: ProcOp::Read,
            path: "/proc/7/stat".into(),
            data: Some(b"7 il) vg(iR 1 2 3".to_vec()),
        }]);
        assert!(process(&mut io, 7).is_none());
    }

    #[test]
    fn shebangs_are_parsed_as_the_kernel_does() {
        assert_eq!(
            shebang_interpreter(b"#!/usr/bin/python3\nprint(1)\n").as_deref(),
            Some("/usr/bin/python3")
        );
        assert_eq!(
            shebang_interpreter(b"#! \t/usr/bin/env python3 -u\n").as_deref(),
            Some("/usr/bin/env")
        );
        assert_eq!(
            shebang_interpreter(b"#!/bin/sh").as_deref(),
            Some("/bin/sh")
        );
        assert_eq!(shebang_interpreter(b"#!   \n/bin/sh"), None);
        assert_eq!(shebang_interpreter(b"\x7fELF\x02\x01"), None);
        assert_eq!(shebang_interpreter(b""), None);
        let io = &mut ProcIo::Live;
        let me = std::process::id();
        let exe = std::env::current_exe().unwrap();
        assert_eq!(
            own_mnt_ns(io),
            Some(std::fs::metadata("/proc/self/ns/mnt").unwrap().ino())
        );
        assert_eq!(
            script_interpreter(io, me, exe.to_str().unwrap(), false),
            Ok(None)
        );
        assert_eq!(
            script_interpreter(io, me, "/nonexistent/vigil", true),
            Err(())
        );
        // Only regular files are read: not a FIFO (which would block), not a device.
        let fifo = std::env::temp_dir().join(format!("vigil-fifo-{me}"));
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid path; creating a FIFO.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(read_head(fifo.to_str().unwrap()).is_err());
        std::fs::remove_file(&fifo).unwrap();
        assert!(read_head("/dev/zero").is_err());
        assert_eq!(read_head("/proc/self/exe").unwrap()[..4], *b"\x7fELF");
        // A process that is gone: only a reader in the same namespace may read the path.
        let script = std::env::temp_dir().join(format!("vigil-shebang-{me}"));
        std::fs::write(&script, "#!/bin/sh\ntrue\n").unwrap();
        let script_path = script.to_str().unwrap();
        assert_eq!(
            script_interpreter(io, 0x7fff_0003, script_path, true),
            Ok(Some("/bin/sh".into()))
        );
        assert_eq!(
            script_interpreter(io, 0x7fff_0003, script_path, false),
            Err(())
        );
        std::fs::remove_file(&script).unwrap();
    }

    #[test]
    fn paths_are_joined() {
        assert_eq!(join("/tmp", "a/b"), "/tmp/a/b");
        assert_eq!(join("/tmp/", "./x"), "/tmp/x");
        assert_eq!(join("/tmp/w", "../y/./z/"), "/tmp/y/z");
        assert_eq!(join("/tmp", "/etc/passwd"), "/etc/passwd");
        assert_eq!(join("/", ".."), "/");
        // A link's target takes the place of the components that named it, `..` included.
        let link = |parts: &[Cow<str>]| {
            (parts.iter().map(|p| p.as_ref()).collect::<Vec<_>>() == ["a", "l"])
                .then(|| "/x/y".to_string())
        };
        assert_eq!(walk("/a/l/b", link), "/x/y/b");
        assert_eq!(walk("/a/./l/../c", link), "/x/c");
        assert_eq!(walk("/a/m/../l", link), "/x/y");
        assert_eq!(walk("/b/a/l", link), "/b/a/l");
        let io = &mut ProcIo::Live;
        let cwd = std::env::current_dir().unwrap().display().to_string();
        assert_eq!(super::cwd(io, std::process::id()), Some(cwd));
        assert_eq!(super::cwd(io, 0x7fff_0003), None);
    }

    /// The kernel and the tracker call a path plain (`plain_absolute`, a word at a time) exactly
    /// when `join` leaves it as it is: every path of four components drawn from names that try
    /// the check's edges, after a first name of 1-8 bytes (every alignment to the words).
    #[test]
    fn a_path_is_plain_exactly_when_joining_leaves_it_unchanged() {
        use vigil_ebpf_common::plain_absolute;
        const NAMES: [&str; 9] = ["", ".", "..", "...", "a", ".git", "..a", "a.", "proc"];
        let mut checked = 0;
        for pad in 0..8 {
            let lead = "x".repeat(pad + 1);
            for n in 0..NAMES.len().pow(4) {
                let mut path = format!("/{lead}");
                let mut rest = n;
                for _ in 0..4 {
                    path.push('/');
                    path.push_str(NAMES[rest % NAMES.len()]);
                    rest /= NAMES.len();
                }
                let plain = plain_absolute(path.as_bytes());
                assert_eq!(plain, join("/", &path) == path, "{path:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 8 * 6561);
        assert!(plain_absolute(b"/proc/1/environ"));
        assert!(!plain_absolute(b"/proc//1/environ"));
        assert!(!plain_absolute(b"/proc/self/../1/environ"));
        assert!(!plain_absolute(b"/proc/1/./environ"));
        assert!(!plain_absolute(b"/etc/sudoers/."));
        assert!(plain_absolute(b"/root/.ssh/id_rsa"));
    }

    /// What the kernel never drops as written, and the tracker walks for magic links.
    #[test]
    fn paths_under_magic_links_are_told_apart() {
        use vigil_ebpf_common::path_under_magic_links as magic;
        for path in [
            "/proc/",
            "/proc/self/root/etc",
            "/dev/fd/3/x",
            "/dev/stdin",
            "/dev/stderr",
        ] {
            assert!(magic(path.as_bytes()), "{path}");
        }
        for path in [
            "/proc",
            "/procs/x",
            "/dev/null",
            "/dev/fd",
            "/etc/sudoers",
            "/",
            "",
        ] {
            assert!(!magic(path.as_bytes()), "{path}");
        }
        // The host's wider view: no cwd under /proc or /dev gets a tail.
        assert!(from_magic_link_dir("/proc/1/"));
        assert!(from_magic_link_dir("/dev/"));
        assert!(!from_magic_link_dir("/tmp/proc/"));
    }

    #[test]
    fn anonymous_mappings_are_told_apart() {
        let io = &mut ProcIo::Live;
        let me = std::process::id();
        // SAFETY: a fresh private anonymous mapping, unmapped below.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        assert_eq!(mapping_is_anonymous(io, me, p as u64), Some(true));
        let code = anonymous_mappings_are_told_apart as *const () as usize as u64;
        assert_eq!(mapping_is_anonymous(io, me, code), Some(false));
        // SAFETY: unmapping what we mapped.
        unsafe { libc::munmap(p, 4096) };
    }
}
