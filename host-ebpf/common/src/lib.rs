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
}

impl EventKind {
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
    pub _pad: u32,
    /// `bpf_ktime_get_ns()`: CLOCK_MONOTONIC nanoseconds.
    pub ts_ns: u64,
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

/// Some arguments were not captured (too many, or too long).
pub const EXEC_FLAG_ARGV_TRUNCATED: u32 = 1;
/// The path did not fit in `PATH_LEN`.
pub const EXEC_FLAG_PATH_TRUNCATED: u32 = 2;
/// The exec was an `execveat`; `filename` may be relative to a directory fd.
pub const EXEC_FLAG_EXECVEAT: u32 = 4;

/// A syscall's arguments as seen on entry and its return value.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SyscallEvent {
    pub header: Header,
    pub args: [u64; 4],
    pub ret: i64,
}

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

/// Syscall entry state kept per thread between `sys_enter_*` and `sys_exit_*`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Stash {
    pub kind: u32,
    pub addr_copied: u32,
    pub args: [u64; 4],
    pub addr: [u8; SOCKADDR_LEN],
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

#[cfg(feature = "user")]
mod user {
    // SAFETY: plain-old-data, no padding with meaning, any bit pattern is valid.
    unsafe impl aya::Pod for super::TracepointLayout {}
}
