//! Wire types shared by Vigil's eBPF programs and the `vigil` host.
//!
//! Every record the kernel side writes into the `EVENTS` ring buffer starts with a [`Header`]
//! whose `kind` says which of the `#[repr(C)]` structs below follows. The layouts are plain
//! fixed-size C structs so the host can decode them with one bounds-checked unaligned read.
#![no_std]

/// Length of a task's `comm`, as the kernel keeps it.
pub const COMM_LEN: usize = 16;
/// Bytes kept of an exec'd path.
pub const PATH_LEN: usize = 256;
/// Bytes of the argv area. Arguments are packed NUL-separated into the first half; the second
/// half is slack the verifier needs so every bounded read provably stays inside the buffer.
pub const ARGV_LEN: usize = 2048;
/// Most arguments read from one exec's argv.
pub const MAX_ARGS: usize = 32;
/// Bytes kept of a connect() socket address: enough for `sockaddr_un` (110 bytes).
pub const SOCKADDR_LEN: usize = 112;
/// Bytes kept of a syscall's extra payload (a DNS query, an `open_how`, a filesystem type).
pub const DATA_LEN: usize = 256;
/// Bytes kept of one selected environment entry (`NAME=value`, NUL-terminated).
pub const ENV_VALUE_LEN: usize = 256;
/// Most environment entries inspected per exec.
pub const MAX_ENV: usize = 128;
/// The only environment variables an exec record may carry, `=` included. Nothing else from
/// the environment ever leaves the kernel.
pub const ENV_NAMES: [&[u8]; 7] = [
    b"LD_PRELOAD=",
    b"LD_LIBRARY_PATH=",
    b"GITHUB_ACTION=",
    b"GITHUB_JOB=",
    b"GITHUB_RUN_ID=",
    b"GITHUB_WORKFLOW=",
    b"RUNNER_NAME=",
];

/// What a ring-buffer record is. The numeric values are part of the wire format.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// execve/execveat entered: [`ExecEvent`].
    Exec = 1,
    /// execve/execveat returned: [`SyscallEvent`], `ret` only.
    ExecResult = 2,
    /// A task was forked/cloned: [`ForkEvent`].
    Fork = 3,
    /// A task exited: [`ExitEvent`].
    Exit = 4,
    /// socket(family, type, protocol) returned: [`SyscallEvent`].
    Socket = 5,
    /// connect(fd, addr, len) returned: [`ConnectEvent`].
    Connect = 6,
    /// dup(old) returned: [`SyscallEvent`].
    Dup = 7,
    /// dup2(old, new) returned: [`SyscallEvent`].
    Dup2 = 8,
    /// dup3(old, new, flags) returned: [`SyscallEvent`].
    Dup3 = 9,
    /// close(fd) returned: [`SyscallEvent`].
    Close = 10,
    /// open(path, flags, mode): [`PathEvent`].
    Open = 11,
    /// openat(dirfd, path, flags, mode): [`PathEvent`].
    OpenAt = 12,
    /// openat2(dirfd, path, how, size): [`PathEvent`], `open_how` in `data`.
    OpenAt2 = 13,
    /// rename(old, new): [`PathEvent`].
    Rename = 14,
    /// renameat(olddirfd, old, newdirfd, new): [`PathEvent`].
    RenameAt = 15,
    /// renameat2(olddirfd, old, newdirfd, new, flags): [`PathEvent`].
    RenameAt2 = 16,
    /// unlink(path): [`PathEvent`].
    Unlink = 17,
    /// unlinkat(dirfd, path, flags): [`PathEvent`].
    UnlinkAt = 18,
    /// chmod(path, mode): [`PathEvent`].
    Chmod = 19,
    /// fchmod(fd, mode): [`SyscallEvent`].
    Fchmod = 20,
    /// fchmodat(dirfd, path, mode): [`PathEvent`].
    FchmodAt = 21,
    /// link(old, new): [`PathEvent`].
    Link = 22,
    /// linkat(olddirfd, old, newdirfd, new, flags): [`PathEvent`].
    LinkAt = 23,
    /// symlink(target, linkpath): [`PathEvent`].
    Symlink = 24,
    /// symlinkat(target, newdirfd, linkpath): [`PathEvent`].
    SymlinkAt = 25,
    /// truncate(path, length): [`PathEvent`].
    Truncate = 26,
    /// ftruncate(fd, length): [`SyscallEvent`].
    Ftruncate = 27,
    /// mount(source, target, fstype, flags, data): [`PathEvent`], fstype in `data`.
    Mount = 28,
    /// memfd_create(name, flags): [`PathEvent`].
    MemfdCreate = 29,
    /// ptrace(request, pid, addr, data): [`SyscallEvent`].
    Ptrace = 30,
    /// process_vm_readv(pid, ...): [`SyscallEvent`].
    ProcessVmReadv = 31,
    /// process_vm_writev(pid, ...): [`SyscallEvent`].
    ProcessVmWritev = 32,
    /// mprotect(addr, len, prot) with PROT_EXEC: [`SyscallEvent`].
    Mprotect = 33,
    /// mmap(addr, len, prot, flags, fd, off) with PROT_EXEC on writable or anonymous memory: [`SyscallEvent`].
    Mmap = 34,
    /// kill(pid, sig): [`SyscallEvent`].
    Kill = 35,
    /// tkill(tid, sig): [`SyscallEvent`].
    Tkill = 36,
    /// tgkill(tgid, tid, sig): [`SyscallEvent`].
    Tgkill = 37,
    /// bind(fd, addr, len): [`PathEvent`], address in `addr`.
    Bind = 38,
    /// listen(fd, backlog): [`SyscallEvent`].
    Listen = 39,
    /// accept(fd, addr, len): [`PathEvent`], peer in `addr`.
    Accept = 40,
    /// accept4(fd, addr, len, flags): [`PathEvent`], peer in `addr`.
    Accept4 = 41,
    /// sendto to port 53: [`PathEvent`], server in `addr`, payload head in `data`.
    SendTo = 42,
    /// sendmsg to port 53: [`PathEvent`], as `SendTo`.
    SendMsg = 43,
    /// sendmmsg to port 53 (first message): [`PathEvent`], as `SendTo`.
    SendMmsg = 44,
    /// setuid(uid): [`SyscallEvent`].
    Setuid = 45,
    /// setgid(gid): [`SyscallEvent`].
    Setgid = 46,
    /// setreuid(ruid, euid): [`SyscallEvent`].
    Setreuid = 47,
    /// setregid(rgid, egid): [`SyscallEvent`].
    Setregid = 48,
    /// setresuid(ruid, euid, suid): [`SyscallEvent`].
    Setresuid = 49,
    /// setresgid(rgid, egid, sgid): [`SyscallEvent`].
    Setresgid = 50,
    /// capset(header, data): [`PathEvent`], `cap_user_data` in `data`.
    Capset = 51,
    /// prctl(PR_SET_NAME, name): [`PathEvent`], name in `path[0]`.
    PrctlSetName = 52,
    /// init_module(image, len, params): [`PathEvent`].
    InitModule = 53,
    /// finit_module(fd, params, flags): [`PathEvent`].
    FinitModule = 54,
    /// bpf(cmd, attr, size): [`PathEvent`], the first [`BPF_ATTR_LEN`] bytes of `attr` in
    /// `data`, the pinned path of `BPF_OBJ_PIN`/`BPF_OBJ_GET` in `path[0]`, and in `args[3]`
    /// the id of the map a map command worked on (or `BPF_MAP_CREATE`/`BPF_MAP_GET_FD_BY_ID`
    /// returned), 0 when unknown.
    Bpf = 55,
    /// unshare(flags): [`SyscallEvent`].
    Unshare = 56,
    /// setns(fd, nstype): [`SyscallEvent`].
    Setns = 57,
    /// fchmodat2(dirfd, path, mode, flags): [`PathEvent`].
    FchmodAt2 = 58,
    /// chdir(path): [`PathEvent`]; keeps the host's idea of each process's cwd exact.
    Chdir = 59,
    /// fchdir(fd): [`SyscallEvent`].
    Fchdir = 60,
    /// execve/execveat entered with selected environment entries: [`ExecEnvEvent`]. Written by
    /// a second program on the exec tracepoint, so each program stays small for the verifier.
    ExecEnv = 61,
}

impl EventKind {
    /// The highest wire value (kind masks are `u64` bit sets indexed by value).
    pub const MAX: u32 = 61;

    /// Decodes a wire value.
    pub fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            1 => Self::Exec,
            2 => Self::ExecResult,
            3 => Self::Fork,
            4 => Self::Exit,
            5 => Self::Socket,
            6 => Self::Connect,
            7 => Self::Dup,
            8 => Self::Dup2,
            9 => Self::Dup3,
            10 => Self::Close,
            11 => Self::Open,
            12 => Self::OpenAt,
            13 => Self::OpenAt2,
            14 => Self::Rename,
            15 => Self::RenameAt,
            16 => Self::RenameAt2,
            17 => Self::Unlink,
            18 => Self::UnlinkAt,
            19 => Self::Chmod,
            20 => Self::Fchmod,
            21 => Self::FchmodAt,
            22 => Self::Link,
            23 => Self::LinkAt,
            24 => Self::Symlink,
            25 => Self::SymlinkAt,
            26 => Self::Truncate,
            27 => Self::Ftruncate,
            28 => Self::Mount,
            29 => Self::MemfdCreate,
            30 => Self::Ptrace,
            31 => Self::ProcessVmReadv,
            32 => Self::ProcessVmWritev,
            33 => Self::Mprotect,
            34 => Self::Mmap,
            35 => Self::Kill,
            36 => Self::Tkill,
            37 => Self::Tgkill,
            38 => Self::Bind,
            39 => Self::Listen,
            40 => Self::Accept,
            41 => Self::Accept4,
            42 => Self::SendTo,
            43 => Self::SendMsg,
            44 => Self::SendMmsg,
            45 => Self::Setuid,
            46 => Self::Setgid,
            47 => Self::Setreuid,
            48 => Self::Setregid,
            49 => Self::Setresuid,
            50 => Self::Setresgid,
            51 => Self::Capset,
            52 => Self::PrctlSetName,
            53 => Self::InitModule,
            54 => Self::FinitModule,
            55 => Self::Bpf,
            56 => Self::Unshare,
            57 => Self::Setns,
            58 => Self::FchmodAt2,
            59 => Self::Chdir,
            60 => Self::Fchdir,
            61 => Self::ExecEnv,
            _ => return None,
        })
    }
}

/// Common prefix of every record.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Header {
    /// An [`EventKind`] value.
    pub kind: u32,
    /// Thread-group id (the user-space "pid").
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    pub uid: u32,
    pub gid: u32,
    /// The task's mount namespace (the inode number `/proc/PID/ns/mnt` names), read through
    /// [`NamespaceLayout`]; 0 when it could not be read (no BTF, or a task past releasing its
    /// namespaces).
    pub mnt_ns: u32,
    /// `bpf_ktime_get_ns()`: CLOCK_MONOTONIC nanoseconds.
    pub ts_ns: u64,
    /// `bpf_get_current_cgroup_id()`: the task's cgroup v2 id.
    pub cgroup_id: u64,
    pub comm: [u8; COMM_LEN],
}

/// An exec attempt, captured on entry while the caller's argv is still mapped.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ExecEvent {
    pub header: Header,
    /// Path as passed to execve (NUL-terminated, truncated to `PATH_LEN - 1`).
    pub filename: [u8; PATH_LEN],
    /// NUL-separated arguments; only the first `argv_len` bytes are meaningful.
    pub argv: [u8; ARGV_LEN],
    pub argv_len: u32,
    /// Number of arguments captured.
    pub argc: u32,
    /// `EXEC_FLAG_*` bits.
    pub flags: u32,
    pub _pad: u32,
}

/// The selected environment entries of an exec: slot `k` holds `ENV_NAMES[k]`'s entry when bit
/// `k` of `present` is set. Only emitted when at least one is set.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ExecEnvEvent {
    pub header: Header,
    pub present: u32,
    /// `EXEC_FLAG_ENV_TRUNCATED` when more than `MAX_ENV` entries were not inspected.
    pub flags: u32,
    pub env: [[u8; ENV_VALUE_LEN]; ENV_NAMES.len()],
}

/// Bytes of a bpf(2) `attr` kept: as far as the map fd of the batch commands (offset 36).
pub const BPF_ATTR_LEN: usize = 48;

/// Some arguments were not captured (too many, or too long).
pub const EXEC_FLAG_ARGV_TRUNCATED: u32 = 1;
/// The path did not fit in `PATH_LEN`.
pub const EXEC_FLAG_PATH_TRUNCATED: u32 = 2;
/// The exec was an `execveat`; `filename` may be relative to a directory fd.
pub const EXEC_FLAG_EXECVEAT: u32 = 4;
/// The environment was longer than `MAX_ENV` entries: later ones were not inspected.
pub const EXEC_FLAG_ENV_TRUNCATED: u32 = 8;

/// A syscall's arguments as seen on entry and its return value.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SyscallEvent {
    pub header: Header,
    pub args: [u64; 6],
    pub ret: i64,
}

/// A syscall's entry arguments plus what was copied from user memory on entry (or, for
/// accept, on exit): up to two paths, a socket address and a payload head.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SyscallBody {
    pub args: [u64; 6],
    /// `BODY_FLAG_*` bits.
    pub flags: u32,
    /// Bytes of `addr` copied.
    pub addr_len: u32,
    /// Bytes of `data` copied.
    pub data_len: u32,
    /// Length the caller gave for the payload (before clamping to `DATA_LEN`).
    pub data_total: u32,
    pub addr: [u8; SOCKADDR_LEN],
    /// NUL-terminated strings (empty when the syscall has fewer).
    pub path: [[u8; PATH_LEN]; 2],
    pub data: [u8; DATA_LEN],
}

/// `path[0]` did not fit in `PATH_LEN`.
pub const BODY_FLAG_PATH0_TRUNCATED: u32 = 1;
/// `path[1]` did not fit in `PATH_LEN`.
pub const BODY_FLAG_PATH1_TRUNCATED: u32 = 2;

/// A syscall reported with strings or buffers copied from the caller: see [`SyscallBody`].
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PathEvent {
    pub header: Header,
    pub ret: i64,
    pub body: SyscallBody,
}

/// An open(), openat() or openat2(): a [`PathEvent`] cut to what an open has, a third of its
/// size. Opens are the commonest records by far, and the bytes each one writes into the ring
/// cost the opening task.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct OpenEvent {
    pub header: Header,
    pub ret: i64,
    pub args: [u64; 6],
    /// `BODY_FLAG_*` bits.
    pub flags: u32,
    /// Bytes of `how` copied (openat2 only).
    pub how_len: u32,
    /// openat2's `struct open_how` (flags, mode, resolve).
    pub how: [u8; OPEN_HOW_LEN],
    pub path: [u8; PATH_LEN],
}

/// The size of `struct open_how` Vigil reads.
pub const OPEN_HOW_LEN: usize = 24;

/// A connect() with the address the caller passed.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ConnectEvent {
    pub header: Header,
    pub fd: u64,
    pub ret: i64,
    /// `addrlen` as passed by the caller.
    pub addr_len: u32,
    /// Bytes of `addr` actually copied (≤ `SOCKADDR_LEN`).
    pub addr_copied: u32,
    pub addr: [u8; SOCKADDR_LEN],
}

/// A new task, reported from the parent's side before the child first runs.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ForkEvent {
    pub header: Header,
    /// The child's task id (its pid, unless it is a thread).
    pub child_tid: u32,
    pub _pad: u32,
}

/// A task exiting.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ExitEvent {
    pub header: Header,
    /// `exit_group` status when one was seen (see `EXIT_FLAG_HAS_CODE`).
    pub code: i32,
    /// `EXIT_FLAG_*` bits.
    pub flags: u32,
}

pub const EXIT_FLAG_HAS_CODE: u32 = 1;
/// The whole thread group is gone (the process exited, not just a thread).
pub const EXIT_FLAG_GROUP_DEAD: u32 = 2;

/// How many fds per process the kernel remembers handing to the host (0 to `FD_SET_LEN - 1`);
/// closes of higher fds are always reported. A power of two.
pub const FD_SET_LEN: usize = 512;

/// Syscall entry state kept per thread between `sys_enter_*` and `sys_exit_*`: arguments only.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Stash {
    pub kind: u32,
    pub _pad: u32,
    pub args: [u64; 6],
}

/// Entry state of syscalls that copy strings or buffers from the caller.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct BigStash {
    pub kind: u32,
    /// Non-zero: the fd this syscall returns goes into the caller's fd set (see the eBPF
    /// `fd_sets` module), decided on entry where the open flags are at hand.
    pub track_fd: u32,
    pub body: SyscallBody,
}

/// Offsets of tracepoint fields whose layout changed between kernel versions. The host reads
/// them from tracefs and writes them into the programs' globals before loading.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TracepointLayout {
    /// `sched_process_fork.child_pid`.
    pub fork_child_pid: u32,
    /// `sched_process_exit.pid`.
    pub exit_pid: u32,
    /// `sched_process_exit.group_dead`, or `u32::MAX` where the kernel lacks it.
    pub exit_group_dead: u32,
    pub _pad: u32,
}

/// Byte offsets of the kernel fields on the way from the current task to its mount namespace's
/// inode number: `task_struct.nsproxy`, `nsproxy.mnt_ns`, and `ns.inum` within
/// `mnt_namespace`. The host reads them from the kernel's BTF; `valid == 0` where it has none,
/// and the programs then leave `Header::mnt_ns` at 0.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NamespaceLayout {
    pub task_nsproxy: u32,
    pub nsproxy_mnt_ns: u32,
    pub mnt_ns_inum: u32,
    pub valid: u32,
}

/// Byte offsets of the kernel fields on the way from the current task's fd to the id of the
/// BPF map it refers to: `task_struct.files`, `files_struct.fdt`, `fdtable.fd`,
/// `fdtable.max_fds`, `file.private_data`, `bpf_map.id`. From the kernel's BTF; `valid == 0`
/// where it has none.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct FdLayout {
    pub task_files: u32,
    pub files_fdt: u32,
    pub fdt_fd: u32,
    pub fdt_max_fds: u32,
    pub file_private_data: u32,
    pub map_id: u32,
    pub valid: u32,
    pub _pad: u32,
}

/// `open(2)` flags, as both sides read them.
pub const O_ACCMODE: u64 = 0o3;
pub const O_WRONLY: u64 = 0o1;
pub const O_CREAT: u64 = 0o100;
pub const O_TRUNC: u64 = 0o1000;
pub const O_DIRECTORY: u64 = 0o200000;
pub const O_PATH: u64 = 0o10000000;

/// Whether the fd of an open with `flags` goes into the host's fd tables (and the kernel's fd
/// sets) when closes are reported on entry: one that may write, or that opens a directory or a
/// bare path, which later paths may be relative to. A read-only open's fd is looked up in /proc
/// if an event ever names it, and its close is not reported. The kernel and the tracker both
/// call this, so the close of every fd the tracker holds is reported.
#[inline(always)]
pub fn open_fd_kept(flags: u64) -> bool {
    flags & (O_DIRECTORY | O_PATH | O_CREAT | O_TRUNC) != 0 || flags & O_ACCMODE != 0
}

/// `/` in every byte, and so on: operands of [`byte_matches`].
pub const SLASHES: u64 = 0x2f2f_2f2f_2f2f_2f2f;
pub const DOTS: u64 = 0x2e2e_2e2e_2e2e_2e2e;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// 0x80 in each byte of `word` equal to that byte of `pattern`, 0 in the others: exactly, as
/// there is no borrow between bytes.
#[inline(always)]
pub fn byte_matches(word: u64, pattern: u64) -> u64 {
    let x = word ^ pattern;
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// What [`plain_step`] carries from one word of a path to the next: where the previous word
/// had slashes and dots.
#[derive(Clone, Copy, Default)]
pub struct PlainCarry {
    slashes: u64,
    dots: u64,
}

/// One word of the check that an absolute path is already in the form the host resolves it
/// to: no `//`, no `.` or `..` component, no `/` last. `word` holds the path's bytes
/// `8i..8i + 8` (byte `8i` lowest), of which the first `valid` (0..=8) are the path's; every
/// word up to the one holding the path's end must be checked, in order. Returns 0x80 in each byte that ends such
/// a sequence (none: plain so far). The kernel and the tracker both use it, so a path the
/// kernel judges as written is one the tracker leaves as written.
#[inline(always)]
pub fn plain_step(word: u64, valid: usize, carry: &mut PlainCarry) -> u64 {
    let in_path = if valid >= 8 {
        HIGHS
    } else {
        ((1u64 << (8 * valid)) - 1) & HIGHS
    };
    let slashes = byte_matches(word, SLASHES) & in_path;
    let dots = byte_matches(word, DOTS) & in_path;
    // Byte j: a separator (`/` or the path's end) after ...
    let end = HIGHS & !in_path;
    let ends = slashes | end;
    // ... the bytes j-1, j-2 and j-3, from this word or the previous one.
    let slash1 = slashes << 8 | carry.slashes >> 56;
    let slash2 = slashes << 16 | carry.slashes >> 48;
    let slash3 = slashes << 24 | carry.slashes >> 40;
    let dot1 = dots << 8 | carry.dots >> 56;
    let dot2 = dots << 16 | carry.dots >> 48;
    *carry = PlainCarry { slashes, dots };
    (ends & slash1) | (ends & dot1 & slash2) | (ends & dot1 & dot2 & slash3)
}

/// Whether the absolute `path` has no `//`, no `.` or `..` component and no `/` last (see
/// [`plain_step`]).
pub fn plain_absolute(path: &[u8]) -> bool {
    let mut carry = PlainCarry::default();
    let mut bad = 0;
    // Up to the word holding the byte after the path, which is checked as its end.
    for start in (0..=path.len()).step_by(8) {
        let mut bytes = [0u8; 8];
        let valid = (path.len() - start).min(8);
        bytes[..valid].copy_from_slice(&path[start..start + valid]);
        bad |= plain_step(u64::from_le_bytes(bytes), valid, &mut carry);
    }
    bad == 0
}

/// Whether an absolute path whose first eight bytes (zero-padded) are the little-endian
/// `first` lies where the kernel's magic links are: under `/proc/` (`/proc/PID/root`, `cwd`
/// and `fd/N`, also under `task/TID/`), `/dev/fd/` and `/dev/std*`. Such a path may lead
/// elsewhere than it says (`/proc/self/root/etc/sudoers` is `/etc/sudoers`), so the kernel
/// never drops it as written and the tracker resolves it.
pub const fn under_magic_links(first: u64) -> bool {
    const PROC: u64 = u64::from_le_bytes(*b"/proc/\0\0");
    const DEV_FD: u64 = u64::from_le_bytes(*b"/dev/fd/");
    const DEV_STD: u64 = u64::from_le_bytes(*b"/dev/std");
    first & 0xffff_ffff_ffff == PROC || first == DEV_FD || first == DEV_STD
}

/// [`under_magic_links`] of a whole path.
pub fn path_under_magic_links(path: &[u8]) -> bool {
    let mut first = [0u8; 8];
    let n = path.len().min(8);
    first[..n].copy_from_slice(&path[..n]);
    under_magic_links(u64::from_le_bytes(first))
}

/// The open filter (`OPEN_FILTER`, `OPEN_PREFIXES`, `OPEN_SUFFIXES`): which absolute-path opens
/// the kernel emits when no loaded signature wants every open. Bit set in `OPEN_FILTER`: opens
/// that may read (or write) are emitted only when their path matches an entry for reads (or
/// writes); an entry's value holds the same bits. Truncated, `O_DIRECTORY` and `O_PATH` opens
/// are always emitted, and so are relative ones unless the host gave the kernel their cwd
/// ([`CwdTail`]) and the path is short and plain (no `.` or `..` component, no `//`).
pub const OPEN_FILTER_READS: u32 = 1;
pub const OPEN_FILTER_WRITES: u32 = 2;
/// Bytes of path an open-filter trie key holds.
pub const OPEN_KEY_LEN: usize = 64;
/// First byte of an `OPEN_SUFFIXES` key: the rest is the path reversed ...
pub const OPEN_TAG_SUFFIX: u8 = 1;
/// ... or the path up to its last `/`, reversed.
pub const OPEN_TAG_DIR_SUFFIX: u8 = 2;
/// The longest suffix (and directory suffix) the kernel compares; longer ones are cut to their
/// end, which only admits more. A directory suffix is compared only when the last component
/// is shorter than `OPEN_KEY_LEN - 1 - OPEN_DIR_SUFFIX_MAX`, so it is always all in the key.
pub const OPEN_SUFFIX_MAX: usize = OPEN_KEY_LEN - 1;
pub const OPEN_DIR_SUFFIX_MAX: usize = 31;

/// What the kernel knows of a process's working directory, as the host sees it, to judge the
/// opens of relative paths as it judges absolute ones (the eBPF `cwd_tails` module). Written by
/// the host for one cwd epoch: the directory followed by `/` (just `/` for the root),
/// reversed, its first `OPEN_KEY_LEN - 1` bytes, then zeroes; `len` is its whole length.
/// Written only for a directory under which no `OPEN_PREFIXES` entry can match.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CwdTail {
    pub len: u32,
    pub _pad: u32,
    pub reversed: [u8; OPEN_KEY_LEN],
}

/// Set in the cwd epochs the host makes up (for the processes it starts); never in the
/// kernel's, which are `bpf_ktime_get_ns() << 8 | cpu` with this bit cleared.
pub const CWD_EPOCH_HOST: u64 = 1 << 63;

/// The argument slot of a chdir or fchdir record that carries its new cwd epoch (0: none).
pub const CWD_EPOCH_ARG: usize = 5;

#[cfg(feature = "user")]
mod user {
    // SAFETY: plain-old-data, no padding with meaning, any bit pattern is valid.
    unsafe impl aya::Pod for super::TracepointLayout {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::NamespaceLayout {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::FdLayout {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::CwdTail {}
}
