//! Vigil's kernel-side capture: tracepoint programs that follow the watched process tree and
//! write one `#[repr(C)]` record per interesting event into the `EVENTS` ring buffer.
//!
//! Scoping happens first in every program: a task whose thread group is not in `WATCHED` costs
//! one hash lookup and nothing else. Forks of watched tasks are added before the child runs, so
//! a whole tree is followed from the moment the host arms its root. With `SCOPE_ALL` set (the
//! host's `--all`) every task is in scope except Vigil's own thread group, `SELF_TGID`, so
//! Vigil never watches itself whatever the scope.
//!
//! Syscalls whose result matters stash their arguments on entry, keyed by thread, and emit one
//! record on exit with arguments and result: `STASH` for argument-only syscalls, `BIG_STASH` for
//! those whose strings or buffers must be copied while the caller's memory is as it passed it.
//!
//! `KIND_MASK` (set by the host before loading, so the verifier prunes disabled programs to a
//! return) says which record kinds anyone wants; the rest are never emitted.
#![no_std]
#![no_main]

use core::ffi::c_void;

use aya_ebpf::{
    helpers::{
        bpf_get_current_comm, bpf_get_current_pid_tgid, bpf_get_current_uid_gid, bpf_ktime_get_ns,
        generated::{
            bpf_get_current_cgroup_id, bpf_get_current_task, bpf_probe_read_kernel,
            bpf_probe_read_user, bpf_probe_read_user_str,
        },
    },
    macros::{map, tracepoint},
    maps::{lpm_trie::Key, HashMap, LpmTrie, LruHashMap, PerCpuArray, RingBuf},
    programs::TracePointContext,
    EbpfContext, Global,
};
use vigil_ebpf_common::{
    byte_matches, open_fd_kept, plain_step, under_magic_links, BigStash, ConnectEvent, CwdTail,
    EventKind, ExecEnvEvent, ExecEvent, ExitEvent, FdLayout, ForkEvent, Header, NamespaceLayout,
    OpenEvent, PathEvent, PlainCarry, Stash, SyscallBody, SyscallEvent, TracepointLayout, ARGV_LEN,
    BODY_FLAG_PATH0_TRUNCATED, BODY_FLAG_PATH1_TRUNCATED, BPF_ATTR_LEN, CWD_EPOCH_ARG, DATA_LEN,
    DOTS, ENV_NAMES, ENV_VALUE_LEN, EXEC_FLAG_ARGV_TRUNCATED, EXEC_FLAG_ENV_TRUNCATED,
    EXEC_FLAG_EXECVEAT, EXEC_FLAG_PATH_TRUNCATED, EXIT_FLAG_GROUP_DEAD, EXIT_FLAG_HAS_CODE,
    MAX_ARGS, MAX_ENV, OPEN_DIR_SUFFIX_MAX, OPEN_FILTER_READS, OPEN_FILTER_WRITES, OPEN_HOW_LEN,
    OPEN_KEY_LEN, OPEN_TAG_DIR_SUFFIX, OPEN_TAG_SUFFIX, O_ACCMODE, O_CREAT, O_DIRECTORY, O_PATH,
    O_TRUNC, O_WRONLY, PATH_LEN, SLASHES, SOCKADDR_LEN,
};

mod cwd_tails;
mod fd_sets;

/// Thread groups (and, transiently, thread ids) in scope. The host inserts the root.
#[map]
static WATCHED: HashMap<u32, u32> = HashMap::with_max_entries(65536, 0);

/// Syscall arguments between entry and exit, per thread. LRU: an entry whose exit never came
/// (a thread killed in a blocking call) ages out instead of filling the map.
#[map]
static STASH: LruHashMap<u64, Stash> = LruHashMap::with_max_entries(16384, 0);

/// Syscall arguments plus copied strings and buffers between entry and exit, per thread (LRU,
/// as `STASH`).
#[map]
static BIG_STASH: LruHashMap<u64, BigStash> = LruHashMap::with_max_entries(4096, 0);

/// Scratch used to build a stash entry without building it on the 512-byte stack.
#[map]
static SCRATCH: PerCpuArray<Stash> = PerCpuArray::with_max_entries(1, 0);

/// Scratch used to build a `BigStash` entry.
#[map]
static BIG_SCRATCH: PerCpuArray<BigStash> = PerCpuArray::with_max_entries(1, 0);

/// Sockets connected to port 53, keyed by `tgid << 32 | fd`: sends on them are DNS queries.
/// LRU: entries of processes that exit without closing age out.
#[map]
static DNS_FDS: LruHashMap<u64, u8> = LruHashMap::with_max_entries(4096, 0);

/// `exit_group` status per thread group, picked up when the task exits.
#[map]
static EXIT_CODES: HashMap<u32, i32> = HashMap::with_max_entries(16384, 0);

/// Records that could not be reserved because the ring buffer was full, per CPU.
#[map]
static LOST: PerCpuArray<u64> = PerCpuArray::with_max_entries(1, 0);

/// Events to user space. The host may resize it at load time.
#[map]
static EVENTS: RingBuf = RingBuf::with_byte_size(1 << 22, 0);

/// Path prefixes of the opens some signature wants (see `OPEN_FILTER`); the value says for
/// reads and/or writes. Filled by the host before the programs are attached.
#[map]
static OPEN_PREFIXES: LpmTrie<[u8; OPEN_KEY_LEN], u8> = LpmTrie::with_max_entries(1024, 0);

/// Path suffixes and directory suffixes (tagged, reversed) of the opens some signature wants.
#[map]
static OPEN_SUFFIXES: LpmTrie<[u8; OPEN_KEY_LEN], u8> = LpmTrie::with_max_entries(1024, 0);

/// The keys an open's path is looked up with, built off the 512-byte stack.
#[repr(C)]
struct OpenKeys {
    prefix: Key<[u8; OPEN_KEY_LEN]>,
    suffix: Key<[u8; OPEN_KEY_LEN]>,
    dir: Key<[u8; OPEN_KEY_LEN]>,
    /// The path's last `OPEN_KEY_LEN` bytes, right-aligned after zeroes when it is shorter.
    tail: [u64; OPEN_KEY_LEN / 8],
    /// `tail` reversed (the last byte first), then room for a 63-byte copy from any offset.
    reversed: [u64; OPEN_KEY_LEN / 4],
    /// Where the path's last `/` is in `reversed` (see `open_unwanted`).
    slash: u32,
    _pad: u32,
    /// A copy of the caller's cwd tail, for a relative path (see `cwd_tails`). A copy, not a
    /// pointer kept across the function: older verifiers lose track of such a pointer.
    cwd: CwdTail,
    /// A copy of the whole path, checked for `//`, `.` and `..` (see `plain_absolute`).
    whole: [u64; PATH_LEN / 8],
}

#[map]
static OPEN_KEYS: PerCpuArray<OpenKeys> = PerCpuArray::with_max_entries(1, 0);

/// `OPEN_FILTER_*` bits: which opens are emitted only when their path is in the tables above.
/// 0 (every open) unless every loaded signature that selects opens said which it wants. Set by
/// the host before loading.
#[no_mangle]
static OPEN_FILTER: Global<u32> = Global::new(0);

/// Non-zero: no signature selected close events, so a close's result is not needed and closes
/// are reported on entry, without stashing their argument for the exit (the host's fd tables
/// are all that reads them, and the fd is released whatever close returns). Set by the host.
/// Closes of fds the host never learned of are then skipped (see `fd_sets`).
#[no_mangle]
static CLOSE_ON_ENTRY: Global<u32> = Global::new(0);

/// `openat`'s dirfd for "the cwd".
const AT_FDCWD: i32 = -100;

/// `fd` is now in the host's fd table of `tgid`: its close will be needed.
#[inline(always)]
fn track_fd(tgid: u32, fd: i64) {
    if CLOSE_ON_ENTRY.load() != 0 {
        fd_sets::add(tgid, fd);
    }
}

/// A chdir or fchdir is entered: the caller's cwd tail no longer applies (see `cwd_tails`).
#[inline(always)]
fn cwd_changing() {
    if OPEN_FILTER.load() != 0 {
        cwd_tails::changing((bpf_get_current_pid_tgid() >> 32) as u32);
    }
}

/// A chdir or fchdir of `tgid` returns: the epoch its record carries (0: none).
#[inline(always)]
fn cwd_changed(tgid: u32) -> u64 {
    if OPEN_FILTER.load() != 0 {
        cwd_tails::changed(tgid)
    } else {
        0
    }
}

/// Field offsets of the sched tracepoints on the running kernel, set by the host.
#[no_mangle]
static LAYOUT: Global<TracepointLayout> = Global::new(TracepointLayout {
    fork_child_pid: 20,
    exit_pid: 24,
    exit_group_dead: 32,
    _pad: 0,
});

/// Where the mount namespace's inode number sits, from the kernel's BTF; set by the host.
#[no_mangle]
static NS_LAYOUT: Global<NamespaceLayout> = Global::new(NamespaceLayout {
    task_nsproxy: 0,
    nsproxy_mnt_ns: 0,
    mnt_ns_inum: 0,
    valid: 0,
});

/// Where an fd's BPF map id sits, from the kernel's BTF; set by the host.
#[no_mangle]
static FD_LAYOUT: Global<FdLayout> = Global::new(FdLayout {
    task_files: 0,
    files_fdt: 0,
    fdt_fd: 0,
    fdt_max_fds: 0,
    file_private_data: 0,
    map_id: 0,
    valid: 0,
    _pad: 0,
});

/// Bit `k` set: records of wire kind `k` are wanted. Set by the host before loading.
#[no_mangle]
static KIND_MASK: Global<u64> = Global::new(u64::MAX);

/// Non-zero: every task on the host is in scope, not just `WATCHED`. Set by the host.
#[no_mangle]
static SCOPE_ALL: Global<u32> = Global::new(0);

/// Vigil's own thread group (its pid as the initial pid namespace sees it): never in scope.
/// Set by the host.
#[no_mangle]
static SELF_TGID: Global<u32> = Global::new(0);

// Offsets shared by every `syscalls:sys_enter_*` / `sys_exit_*` tracepoint.
const SYS_ENTER_ARG0: usize = 16;
const SYS_EXIT_RET: usize = 16;

#[inline(always)]
fn in_scope(tgid: u32) -> bool {
    if tgid == SELF_TGID.load() {
        return false;
    }
    if SCOPE_ALL.load() != 0 {
        return true;
    }
    // SAFETY: the value is only tested for presence.
    unsafe { WATCHED.get(&tgid) }.is_some()
}

#[inline(always)]
fn enabled(kind: EventKind) -> bool {
    KIND_MASK.load() & (1u64 << (kind as u32)) != 0
}

/// How a record is committed to the ring. Waking the reader for every record costs the watched
/// workload an interrupt and a context switch each (an open/close storm ran 4-6x slower), so
/// most records are committed without a wake-up and the host drains the ring on a short timer.
/// Records the process tree needs promptly (fork, exec result: the host may read /proc about
/// the process while it still exists) wake it as usual, and so does a growing backlog, long
/// before the ring could fill. While the reader is behind, every record wakes it: that taxes
/// the workload, which in effect waits for Vigil — the alternative (waking it rarely) was
/// measured to lose most events of an open/close storm with the full default set.
#[inline(always)]
fn commit_flags(kind: EventKind) -> u64 {
    const BPF_RB_NO_WAKEUP: u64 = 1;
    const BPF_RB_FORCE_WAKEUP: u64 = 2;
    const BPF_RB_AVAIL_DATA: u64 = 0;
    const BPF_RB_RING_SIZE: u64 = 1;
    if matches!(kind, EventKind::Fork | EventKind::ExecResult) {
        return 0;
    }
    if EVENTS.query(BPF_RB_AVAIL_DATA) >= EVENTS.query(BPF_RB_RING_SIZE) / 8 {
        BPF_RB_FORCE_WAKEUP
    } else {
        BPF_RB_NO_WAKEUP
    }
}

#[inline(always)]
fn count_lost() {
    if let Some(counter) = LOST.get_ptr_mut(0) {
        // SAFETY: per-CPU slot, no concurrent writer on this CPU while we run.
        unsafe { *counter += 1 };
    }
}

#[inline(always)]
fn fill_header(header: *mut Header, kind: EventKind) {
    let pid_tgid = bpf_get_current_pid_tgid();
    let uid_gid = bpf_get_current_uid_gid();
    // SAFETY: `header` points into a reserved ring-buffer record.
    unsafe {
        (*header).kind = kind as u32;
        (*header).pid = (pid_tgid >> 32) as u32;
        (*header).tid = pid_tgid as u32;
        (*header).uid = uid_gid as u32;
        (*header).gid = (uid_gid >> 32) as u32;
        (*header).mnt_ns = current_mnt_ns();
        (*header).ts_ns = bpf_ktime_get_ns();
        (*header).cgroup_id = bpf_get_current_cgroup_id();
        (*header).comm = bpf_get_current_comm().unwrap_or([0; 16]);
    }
}

/// A kernel word at `addr`, or `None` when it cannot be read or is null.
#[inline(always)]
fn kernel_u64(addr: u64) -> Option<u64> {
    let mut v: u64 = 0;
    // SAFETY: bpf_probe_read_kernel checks the address; a bad one fails the read.
    let rc = unsafe {
        bpf_probe_read_kernel(&mut v as *mut u64 as *mut c_void, 8, addr as *const c_void)
    };
    (rc == 0 && v != 0).then_some(v)
}

#[inline(always)]
fn kernel_u32(addr: u64) -> Option<u32> {
    let mut v: u32 = 0;
    // SAFETY: as `kernel_u64`.
    let rc = unsafe {
        bpf_probe_read_kernel(&mut v as *mut u32 as *mut c_void, 4, addr as *const c_void)
    };
    (rc == 0).then_some(v)
}

/// The current task's mount namespace inode number: `task->nsproxy->mnt_ns->ns.inum`, at the
/// offsets the host found in the kernel's BTF; 0 when they are unknown or a pointer is null
/// (an exiting task has dropped its namespaces).
#[inline(always)]
fn current_mnt_ns() -> u32 {
    let layout = NS_LAYOUT.load();
    if layout.valid == 0 {
        return 0;
    }
    // SAFETY: the helper only returns the current task's address.
    let task = unsafe { bpf_get_current_task() };
    let Some(nsproxy) = kernel_u64(task + layout.task_nsproxy as u64) else {
        return 0;
    };
    let Some(mnt_ns) = kernel_u64(nsproxy + layout.nsproxy_mnt_ns as u64) else {
        return 0;
    };
    kernel_u32(mnt_ns + layout.mnt_ns_inum as u64).unwrap_or(0)
}

/// The id of the BPF map the current task's `fd` refers to:
/// `task->files->fdt->fd[fd]->private_data->id`; 0 when unknown. Only asked for fds a
/// successful map command used or returned, so `private_data` is a `struct bpf_map`.
#[inline(always)]
fn fd_map_id(fd: u64) -> u32 {
    let layout = FD_LAYOUT.load();
    if layout.valid == 0 {
        return 0;
    }
    // SAFETY: the helper only returns the current task's address.
    let task = unsafe { bpf_get_current_task() };
    let Some(files) = kernel_u64(task + layout.task_files as u64) else {
        return 0;
    };
    let Some(fdt) = kernel_u64(files + layout.files_fdt as u64) else {
        return 0;
    };
    let Some(max_fds) = kernel_u32(fdt + layout.fdt_max_fds as u64) else {
        return 0;
    };
    if fd >= max_fds as u64 {
        return 0;
    }
    let Some(fds) = kernel_u64(fdt + layout.fdt_fd as u64) else {
        return 0;
    };
    let Some(file) = kernel_u64(fds + fd * 8) else {
        return 0;
    };
    let Some(map) = kernel_u64(file + layout.file_private_data as u64) else {
        return 0;
    };
    kernel_u32(map + layout.map_id as u64).unwrap_or(0)
}

#[inline(always)]
fn arg(ctx: &TracePointContext, n: usize) -> u64 {
    // SAFETY: offsets follow the stable syscall tracepoint layout.
    unsafe { ctx.read_at::<u64>(SYS_ENTER_ARG0 + n * 8) }.unwrap_or(0)
}

/// The first `nargs` arguments of a `sys_enter_*` tracepoint (the rest 0), loaded from the
/// context directly where `arg` makes a helper call each: they are read for every syscall
/// watched. `nargs` must be a constant where this is inlined (one arm survives): the kernel
/// refuses to attach a program that reads past its tracepoint's record, and the verifier
/// admits only constant offsets from the unmodified context pointer.
#[inline(always)]
fn syscall_args(ctx: &TracePointContext, nargs: usize) -> [u64; 6] {
    match nargs {
        0 => [0; 6],
        1 => first_args::<1>(ctx),
        2 => first_args::<2>(ctx),
        3 => first_args::<3>(ctx),
        4 => first_args::<4>(ctx),
        5 => first_args::<5>(ctx),
        _ => first_args::<6>(ctx),
    }
}

#[inline(always)]
fn first_args<const N: usize>(ctx: &TracePointContext) -> [u64; 6] {
    let words = ctx.as_ptr() as *const u64;
    const FIRST: usize = SYS_ENTER_ARG0 / 8;
    // Volatile: one load per argument, each at its own constant offset.
    // SAFETY: offsets follow the stable syscall tracepoint layout; `N` arguments exist.
    let load = |i: usize| unsafe { words.add(FIRST + i).read_volatile() };
    [
        if N > 0 { load(0) } else { 0 },
        if N > 1 { load(1) } else { 0 },
        if N > 2 { load(2) } else { 0 },
        if N > 3 { load(3) } else { 0 },
        if N > 4 { load(4) } else { 0 },
        if N > 5 { load(5) } else { 0 },
    ]
}

/// A `sys_exit_*` tracepoint's return value.
#[inline(always)]
fn ret(ctx: &TracePointContext) -> i64 {
    // SAFETY: the stable `sys_exit_*` layout; a direct load, as in `first_args`.
    unsafe {
        (ctx.as_ptr() as *const i64)
            .add(SYS_EXIT_RET / 8)
            .read_volatile()
    }
}

// ---------------------------------------------------------------------------------------------
// Process lifecycle
// ---------------------------------------------------------------------------------------------

#[tracepoint(category = "sched", name = "sched_process_fork")]
pub fn sched_process_fork(ctx: TracePointContext) -> u32 {
    let tgid = (bpf_get_current_pid_tgid() >> 32) as u32;
    if !in_scope(tgid) {
        return 0;
    }
    let layout = LAYOUT.load();
    // SAFETY: offset read from this kernel's tracefs format by the host.
    let child: u32 = match unsafe { ctx.read_at::<u32>(layout.fork_child_pid as usize) } {
        Ok(c) => c,
        Err(_) => return 0,
    };
    // The child is in scope before it is ever scheduled (with `SCOPE_ALL` it already is).
    if SCOPE_ALL.load() == 0 {
        let _ = WATCHED.insert(&child, &1, 0);
    }
    if CLOSE_ON_ENTRY.load() != 0 {
        fd_sets::fork(tgid, child);
    }
    if OPEN_FILTER.load() != 0 {
        cwd_tails::fork(tgid, child);
    }
    match EVENTS.reserve::<ForkEvent>(0) {
        Some(mut entry) => {
            let ev = entry.as_mut_ptr();
            // SAFETY: `ev` is a reserved record of the right size.
            unsafe {
                fill_header(&mut (*ev).header, EventKind::Fork);
                (*ev).child_tid = child;
                (*ev)._pad = 0;
            }
            entry.submit(commit_flags(EventKind::Fork));
        }
        None => count_lost(),
    }
    0
}

#[tracepoint(category = "syscalls", name = "sys_enter_exit_group")]
pub fn sys_enter_exit_group(ctx: TracePointContext) -> u32 {
    let tgid = (bpf_get_current_pid_tgid() >> 32) as u32;
    if in_scope(tgid) {
        let code = arg(&ctx, 0) as i32;
        let _ = EXIT_CODES.insert(&tgid, &code, 0);
    }
    0
}

#[tracepoint(category = "sched", name = "sched_process_exit")]
pub fn sched_process_exit(ctx: TracePointContext) -> u32 {
    let pid_tgid = bpf_get_current_pid_tgid();
    let tgid = (pid_tgid >> 32) as u32;
    let tid = pid_tgid as u32;
    if !in_scope(tgid) {
        return 0;
    }
    let layout = LAYOUT.load();
    let group_dead = if layout.exit_group_dead == u32::MAX {
        // Older kernels lack the field: treat the leader's exit as the group's.
        tid == tgid
    } else {
        // SAFETY: offset read from this kernel's tracefs format by the host.
        unsafe { ctx.read_at::<u8>(layout.exit_group_dead as usize) }.unwrap_or(0) != 0
    };
    if tid != tgid {
        let _ = WATCHED.remove(&tid);
    }
    if CLOSE_ON_ENTRY.load() != 0 {
        fd_sets::exit(tid, tgid, group_dead);
    }
    if OPEN_FILTER.load() != 0 {
        cwd_tails::exit(tid, tgid, group_dead);
    }
    if !group_dead {
        return 0;
    }
    let _ = WATCHED.remove(&tgid);
    // SAFETY: read and removed by this task only.
    let code = unsafe { EXIT_CODES.get(&tgid) }.copied();
    let _ = EXIT_CODES.remove(&tgid);
    match EVENTS.reserve::<ExitEvent>(0) {
        Some(mut entry) => {
            let ev = entry.as_mut_ptr();
            // SAFETY: `ev` is a reserved record of the right size.
            unsafe {
                fill_header(&mut (*ev).header, EventKind::Exit);
                (*ev).code = code.unwrap_or(0);
                (*ev).flags = EXIT_FLAG_GROUP_DEAD
                    | if code.is_some() {
                        EXIT_FLAG_HAS_CODE
                    } else {
                        0
                    };
            }
            entry.submit(commit_flags(EventKind::Exit));
        }
        None => count_lost(),
    }
    0
}

// ---------------------------------------------------------------------------------------------
// exec: argv is only readable on entry, so the record is written there; the result follows as
// an `ExecResult` from the exit tracepoint.
// ---------------------------------------------------------------------------------------------

#[tracepoint(category = "syscalls", name = "sys_enter_execve")]
pub fn sys_enter_execve(ctx: TracePointContext) -> u32 {
    emit_exec(&ctx, arg(&ctx, 0), arg(&ctx, 1), 0)
}

#[tracepoint(category = "syscalls", name = "sys_enter_execveat")]
pub fn sys_enter_execveat(ctx: TracePointContext) -> u32 {
    emit_exec(&ctx, arg(&ctx, 1), arg(&ctx, 2), EXEC_FLAG_EXECVEAT)
}

// The environment is read by a second program on the same tracepoints (the host attaches
// `env_*` programs to the tracepoint named by the rest): argv and environment walks in one
// program are too much for older verifiers.

#[tracepoint(category = "syscalls", name = "sys_enter_execve")]
pub fn env_sys_enter_execve(ctx: TracePointContext) -> u32 {
    emit_exec_env(arg(&ctx, 2))
}

#[tracepoint(category = "syscalls", name = "sys_enter_execveat")]
pub fn env_sys_enter_execveat(ctx: TracePointContext) -> u32 {
    emit_exec_env(arg(&ctx, 3))
}

/// `ENV_NAMES` as (first 8 bytes, next 8 bytes, mask of the meaningful next bytes), little
/// endian, so one entry is compared with two word compares.
const fn env_words(name: &[u8]) -> (u64, u64, u64) {
    let mut a = 0u64;
    let mut b = 0u64;
    let mut mask = 0u64;
    let mut i = 0;
    while i < name.len() && i < 16 {
        if i < 8 {
            a |= (name[i] as u64) << (8 * i);
        } else {
            b |= (name[i] as u64) << (8 * (i - 8));
            mask |= 0xffu64 << (8 * (i - 8));
        }
        i += 1;
    }
    (a, b, mask)
}

const ENV_WORDS: [(u64, u64, u64); ENV_NAMES.len()] = {
    let mut out = [(0u64, 0u64, 0u64); ENV_NAMES.len()];
    let mut i = 0;
    while i < ENV_NAMES.len() {
        out[i] = env_words(ENV_NAMES[i]);
        i += 1;
    }
    out
};

/// Which of `ENV_NAMES` an environment entry whose first 16 bytes are `w` names (every name is
/// 9 to 16 bytes long, `=` included), or `ENV_NAMES.len()` for none.
#[inline(always)]
fn env_selected(w: &[u64; 2]) -> usize {
    let mut i = 0;
    while i < ENV_WORDS.len() {
        let (a, b, mask) = ENV_WORDS[i];
        if w[0] == a && (w[1] & mask) == b {
            return i;
        }
        i += 1;
    }
    ENV_NAMES.len()
}

/// Writes an `ExecEnv` record when the environment holds any of `ENV_NAMES`: each entry in its
/// own fixed slot, so no offset is carried from one entry to the next.
#[inline(always)]
fn emit_exec_env(envp: u64) -> u32 {
    if envp == 0 || !in_scope((bpf_get_current_pid_tgid() >> 32) as u32) {
        return 0;
    }
    let Some(mut entry) = EVENTS.reserve::<ExecEnvEvent>(0) else {
        count_lost();
        return 0;
    };
    let ev = entry.as_mut_ptr();
    // SAFETY: `ev` is a reserved record; each copy goes to slot `k < ENV_NAMES.len()` and is
    // bounded by the slot's size. What was found is kept in the record, not in registers or on
    // the stack, so every path through one entry ends in the same verifier state.
    unsafe {
        (*ev).present = 0;
        let mut i = 0;
        while i < MAX_ENV {
            let mut p: u64 = 0;
            let slot = (envp as *const u64).wrapping_add(i);
            if bpf_probe_read_user(&mut p as *mut u64 as *mut c_void, 8, slot as *const c_void) != 0
                || p == 0
            {
                break;
            }
            let mut w = core::mem::MaybeUninit::<[u64; 2]>::uninit();
            if bpf_probe_read_user(w.as_mut_ptr() as *mut c_void, 16, p as *const c_void) == 0 {
                let k = env_selected(&w.assume_init());
                if k < ENV_NAMES.len()
                    && bpf_probe_read_user_str(
                        (*ev).env[k].as_mut_ptr() as *mut c_void,
                        ENV_VALUE_LEN as u32,
                        p as *const c_void,
                    ) > 0
                {
                    (*ev).present |= 1 << k;
                }
            }
            i += 1;
        }
        (*ev).flags = if i == MAX_ENV {
            EXEC_FLAG_ENV_TRUNCATED
        } else {
            0
        };
        if (*ev).present == 0 && (*ev).flags == 0 {
            entry.discard(0);
            return 0;
        }
        fill_header(&mut (*ev).header, EventKind::ExecEnv);
    }
    entry.submit(commit_flags(EventKind::ExecEnv));
    0
}

#[inline(always)]
fn emit_exec(_ctx: &TracePointContext, filename: u64, argv: u64, flags: u32) -> u32 {
    let tgid = (bpf_get_current_pid_tgid() >> 32) as u32;
    if !in_scope(tgid) {
        return 0;
    }
    let Some(mut entry) = EVENTS.reserve::<ExecEvent>(0) else {
        count_lost();
        return 0;
    };
    let ev = entry.as_mut_ptr();
    // SAFETY: `ev` is a reserved record of the right size; every write below stays inside it
    // (offsets are masked to the first half of `argv`, reads are bounded by the second half).
    unsafe {
        fill_header(&mut (*ev).header, EventKind::Exec);
        let mut flags = flags;
        let path = (*ev).filename.as_mut_ptr();
        let n = bpf_probe_read_user_str(
            path as *mut c_void,
            PATH_LEN as u32,
            filename as *const c_void,
        );
        if n <= 0 {
            *path = 0;
        } else if n as usize >= PATH_LEN {
            flags |= EXEC_FLAG_PATH_TRUNCATED;
        }

        let buf = (*ev).argv.as_mut_ptr();
        let half = ARGV_LEN / 2;
        let mut off: usize = 0;
        let mut argc: u32 = 0;
        let mut i = 0;
        while i < MAX_ARGS {
            let mut p: u64 = 0;
            let slot = (argv as *const u64).wrapping_add(i);
            if bpf_probe_read_user(&mut p as *mut u64 as *mut c_void, 8, slot as *const c_void) != 0
                || p == 0
            {
                break;
            }
            if off >= half {
                flags |= EXEC_FLAG_ARGV_TRUNCATED;
                break;
            }
            let at = off & (half - 1);
            let n = bpf_probe_read_user_str(
                buf.add(at) as *mut c_void,
                half as u32,
                p as *const c_void,
            );
            if n <= 0 {
                break;
            }
            off = at + n as usize;
            argc += 1;
            i += 1;
        }
        if i == MAX_ARGS {
            let mut p: u64 = 0;
            let slot = (argv as *const u64).wrapping_add(MAX_ARGS);
            if bpf_probe_read_user(&mut p as *mut u64 as *mut c_void, 8, slot as *const c_void) == 0
                && p != 0
            {
                flags |= EXEC_FLAG_ARGV_TRUNCATED;
            }
        }
        (*ev).argv_len = off as u32;
        (*ev).argc = argc;

        (*ev).flags = flags;
        (*ev)._pad = 0;
    }
    entry.submit(commit_flags(EventKind::Exec));
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_execve")]
pub fn sys_exit_execve(ctx: TracePointContext) -> u32 {
    emit_result(&ctx, EventKind::ExecResult, [0; 6])
}

#[tracepoint(category = "syscalls", name = "sys_exit_execveat")]
pub fn sys_exit_execveat(ctx: TracePointContext) -> u32 {
    emit_result(&ctx, EventKind::ExecResult, [0; 6])
}

#[inline(always)]
fn emit_result(ctx: &TracePointContext, kind: EventKind, args: [u64; 6]) -> u32 {
    let ret = ret(ctx);
    emit_args(kind, args, ret)
}

#[inline(always)]
fn emit_args(kind: EventKind, args: [u64; 6], ret: i64) -> u32 {
    let tgid = (bpf_get_current_pid_tgid() >> 32) as u32;
    if !in_scope(tgid) {
        return 0;
    }
    emit_args_in_scope(kind, args, ret)
}

#[inline(always)]
fn emit_args_in_scope(kind: EventKind, args: [u64; 6], ret: i64) -> u32 {
    match EVENTS.reserve::<SyscallEvent>(0) {
        Some(mut entry) => {
            let ev = entry.as_mut_ptr();
            // SAFETY: `ev` is a reserved record of the right size.
            unsafe {
                fill_header(&mut (*ev).header, kind);
                (*ev).args = args;
                (*ev).ret = ret;
            }
            entry.submit(commit_flags(kind));
        }
        None => count_lost(),
    }
    0
}

// ---------------------------------------------------------------------------------------------
// Syscalls reported on exit with their entry arguments.
// ---------------------------------------------------------------------------------------------

#[inline(always)]
fn stash_args(ctx: &TracePointContext, kind: EventKind, nargs: usize) -> u32 {
    if matches!(kind, EventKind::Fchdir) {
        cwd_changing();
    }
    if !enabled(kind) {
        return 0;
    }
    let pid_tgid = bpf_get_current_pid_tgid();
    if !in_scope((pid_tgid >> 32) as u32) {
        return 0;
    }
    let Some(scratch) = SCRATCH.get_ptr_mut(0) else {
        return 0;
    };
    let args = syscall_args(ctx, nargs);
    // SAFETY: per-CPU scratch, used only within this program run.
    unsafe {
        (*scratch).kind = kind as u32;
        (*scratch)._pad = 0;
        let mut i = 0;
        while i < 6 {
            (*scratch).args[i] = args[i];
            i += 1;
        }
        let _ = STASH.insert(&pid_tgid, &*scratch, 0);
    }
    0
}

#[inline(always)]
fn take_stash(kind: EventKind) -> Option<(u64, *mut Stash)> {
    let pid_tgid = bpf_get_current_pid_tgid();
    let stash = STASH.get_ptr_mut(&pid_tgid)?;
    // SAFETY: entry owned by this thread.
    if unsafe { (*stash).kind } != kind as u32 {
        let _ = STASH.remove(&pid_tgid);
        return None;
    }
    Some((pid_tgid, stash))
}

#[inline(always)]
fn emit_stashed(ctx: &TracePointContext, kind: EventKind) -> u32 {
    let Some((key, stash)) = take_stash(kind) else {
        return 0;
    };
    // SAFETY: entry owned by this thread until removed below.
    let mut args = unsafe { (*stash).args };
    let _ = STASH.remove(&key);
    let ret = ret(ctx);
    if matches!(kind, EventKind::Fchdir) {
        args[CWD_EPOCH_ARG] = cwd_changed((key >> 32) as u32);
    }
    if matches!(
        kind,
        EventKind::Socket | EventKind::Dup | EventKind::Dup2 | EventKind::Dup3
    ) {
        track_fd((key >> 32) as u32, ret);
    }
    emit_args(kind, args, ret)
}

macro_rules! stashed_syscall {
    ($enter:ident, $exit:ident, $kind:expr, $nargs:expr) => {
        #[tracepoint]
        pub fn $enter(ctx: TracePointContext) -> u32 {
            stash_args(&ctx, $kind, $nargs)
        }

        #[tracepoint]
        pub fn $exit(ctx: TracePointContext) -> u32 {
            emit_stashed(&ctx, $kind)
        }
    };
}

stashed_syscall!(sys_enter_socket, sys_exit_socket, EventKind::Socket, 3);
stashed_syscall!(sys_enter_dup, sys_exit_dup, EventKind::Dup, 1);
stashed_syscall!(sys_enter_dup2, sys_exit_dup2, EventKind::Dup2, 2);
stashed_syscall!(sys_enter_dup3, sys_exit_dup3, EventKind::Dup3, 3);
stashed_syscall!(sys_enter_fchmod, sys_exit_fchmod, EventKind::Fchmod, 2);
stashed_syscall!(
    sys_enter_ftruncate,
    sys_exit_ftruncate,
    EventKind::Ftruncate,
    2
);
stashed_syscall!(sys_enter_ptrace, sys_exit_ptrace, EventKind::Ptrace, 4);
stashed_syscall!(
    sys_enter_process_vm_readv,
    sys_exit_process_vm_readv,
    EventKind::ProcessVmReadv,
    1
);
stashed_syscall!(
    sys_enter_process_vm_writev,
    sys_exit_process_vm_writev,
    EventKind::ProcessVmWritev,
    1
);
stashed_syscall!(sys_enter_kill, sys_exit_kill, EventKind::Kill, 2);
stashed_syscall!(sys_enter_tkill, sys_exit_tkill, EventKind::Tkill, 2);
stashed_syscall!(sys_enter_tgkill, sys_exit_tgkill, EventKind::Tgkill, 3);
stashed_syscall!(sys_enter_listen, sys_exit_listen, EventKind::Listen, 2);
stashed_syscall!(sys_enter_setuid, sys_exit_setuid, EventKind::Setuid, 1);
stashed_syscall!(sys_enter_setgid, sys_exit_setgid, EventKind::Setgid, 1);
stashed_syscall!(
    sys_enter_setreuid,
    sys_exit_setreuid,
    EventKind::Setreuid,
    2
);
stashed_syscall!(
    sys_enter_setregid,
    sys_exit_setregid,
    EventKind::Setregid,
    2
);
stashed_syscall!(
    sys_enter_setresuid,
    sys_exit_setresuid,
    EventKind::Setresuid,
    3
);
stashed_syscall!(
    sys_enter_setresgid,
    sys_exit_setresgid,
    EventKind::Setresgid,
    3
);
stashed_syscall!(sys_enter_unshare, sys_exit_unshare, EventKind::Unshare, 1);
stashed_syscall!(sys_enter_setns, sys_exit_setns, EventKind::Setns, 2);
stashed_syscall!(sys_enter_fchdir, sys_exit_fchdir, EventKind::Fchdir, 1);

#[tracepoint]
pub fn sys_enter_close(ctx: TracePointContext) -> u32 {
    if CLOSE_ON_ENTRY.load() == 0 {
        return stash_args(&ctx, EventKind::Close, 1);
    }
    if !enabled(EventKind::Close) {
        return 0;
    }
    // The fd is released whatever close returns: the host's tables need no result.
    let pid_tgid = bpf_get_current_pid_tgid();
    if !in_scope((pid_tgid >> 32) as u32) {
        return 0;
    }
    let fd = arg(&ctx, 0);
    // First, as most closes end here: an fd outside the set is no DNS socket either, since
    // every connect adds its fd.
    if !fd_sets::take_for_close((pid_tgid >> 32) as u32, fd) {
        return 0;
    }
    // A lookup is lock-free; a delete of a missing key still takes the bucket lock.
    let key = fd_key(pid_tgid, fd);
    // SAFETY: the value is only tested for presence.
    if unsafe { DNS_FDS.get(&key) }.is_some() {
        let _ = DNS_FDS.remove(&key);
    }
    emit_args_in_scope(EventKind::Close, [fd, 0, 0, 0, 0, 0], 0)
}

#[tracepoint]
pub fn sys_exit_close(ctx: TracePointContext) -> u32 {
    if CLOSE_ON_ENTRY.load() != 0 {
        return 0;
    }
    let Some((key, stash)) = take_stash(EventKind::Close) else {
        return 0;
    };
    // SAFETY: entry owned by this thread until removed below.
    let args = unsafe { (*stash).args };
    let _ = STASH.remove(&key);
    let _ = DNS_FDS.remove(&fd_key(key, args[0]));
    emit_result(&ctx, EventKind::Close, args)
}

const PROT_WRITE: u64 = 2;
const PROT_EXEC: u64 = 4;
const MAP_ANONYMOUS: u64 = 0x20;
const PR_SET_NAME: u64 = 15;

/// mprotect is reported only when it makes memory executable.
#[tracepoint]
pub fn sys_enter_mprotect(ctx: TracePointContext) -> u32 {
    if arg(&ctx, 2) & PROT_EXEC == 0 {
        return 0;
    }
    stash_args(&ctx, EventKind::Mprotect, 3)
}

#[tracepoint]
pub fn sys_exit_mprotect(ctx: TracePointContext) -> u32 {
    emit_stashed(&ctx, EventKind::Mprotect)
}

/// mmap is reported only for executable mappings that are writable or anonymous: the loader's
/// ordinary file-backed read-execute mappings are not.
#[tracepoint]
pub fn sys_enter_mmap(ctx: TracePointContext) -> u32 {
    let prot = arg(&ctx, 2);
    let flags = arg(&ctx, 3);
    if prot & PROT_EXEC == 0 || (prot & PROT_WRITE == 0 && flags & MAP_ANONYMOUS == 0) {
        return 0;
    }
    stash_args(&ctx, EventKind::Mmap, 6)
}

#[tracepoint]
pub fn sys_exit_mmap(ctx: TracePointContext) -> u32 {
    emit_stashed(&ctx, EventKind::Mmap)
}

// ---------------------------------------------------------------------------------------------
// Syscalls that copy strings or buffers from the caller on entry.
// ---------------------------------------------------------------------------------------------

/// What to copy on entry: argument indexes, `-1` for none.
#[derive(Clone, Copy)]
struct Spec {
    nargs: usize,
    /// User string copied into `path[0]` / `path[1]`.
    path0: i32,
    path1: i32,
    /// `(pointer, length)` arguments of a socket address.
    addr: (i32, i32),
    /// User string copied into `data`.
    data_str: i32,
    /// `(pointer argument, fixed length)` copied into `data`.
    data_fixed: (i32, u32),
    /// For opens: where the flags are, to skip opens no signature wants (`OPEN_FILTER`).
    open_flags: OpenFlags,
    /// For opens: the directory fd argument a relative path is resolved against; -1 for none
    /// (always the cwd).
    open_dirfd: i32,
}

#[derive(Clone, Copy)]
enum OpenFlags {
    None,
    Arg(usize),
    HowInData,
}

const NONE: Spec = Spec {
    nargs: 0,
    path0: -1,
    path1: -1,
    addr: (-1, -1),
    data_str: -1,
    data_fixed: (-1, 0),
    open_flags: OpenFlags::None,
    open_dirfd: -1,
};

#[inline(always)]
fn fd_key(pid_tgid: u64, fd: u64) -> u64 {
    (pid_tgid & 0xffff_ffff_0000_0000) | (fd & 0xffff_ffff)
}

/// Starts a `BigStash` in per-CPU scratch when `kind` is wanted and the caller is in scope.
#[inline(always)]
fn begin_big(ctx: &TracePointContext, kind: EventKind, nargs: usize) -> Option<*mut BigStash> {
    if !enabled(kind) {
        return None;
    }
    if !in_scope((bpf_get_current_pid_tgid() >> 32) as u32) {
        return None;
    }
    let scratch = BIG_SCRATCH.get_ptr_mut(0)?;
    let args = syscall_args(ctx, nargs);
    // SAFETY: per-CPU scratch, used only within this program run.
    unsafe {
        (*scratch).kind = kind as u32;
        (*scratch).track_fd = 0;
        let body = &mut (*scratch).body;
        let mut i = 0;
        while i < 6 {
            body.args[i] = args[i];
            i += 1;
        }
        body.flags = 0;
        body.addr_len = 0;
        body.data_len = 0;
        body.data_total = 0;
        body.path[0][0] = 0;
        body.path[1][0] = 0;
    }
    Some(scratch)
}

#[inline(always)]
fn commit_big(scratch: *mut BigStash) -> u32 {
    let pid_tgid = bpf_get_current_pid_tgid();
    // SAFETY: the scratch entry was filled by this program run.
    let _ = BIG_STASH.insert(&pid_tgid, unsafe { &*scratch }, 0);
    0
}

/// Copies a NUL-terminated user string; returns its length with the NUL (0 when it could not
/// be read). `PATH_LEN` means it was truncated.
#[inline(always)]
unsafe fn read_str(dst: *mut u8, src: u64) -> usize {
    let n = bpf_probe_read_user_str(dst as *mut c_void, PATH_LEN as u32, src as *const c_void);
    if n <= 0 {
        *dst = 0;
        0
    } else {
        n as usize
    }
}

/// Whether no loaded signature can want an open of `path` (`len` bytes with its NUL, as
/// `read_str` returned) with `flags`: the host's rule (`vigil_event::open_interest`), on the
/// coarse form of the globs, which admits every path a glob matches. Truncated paths are kept,
/// and so are `O_DIRECTORY` and `O_PATH` opens, which the host needs to resolve later paths
/// relative to their fd. A relative path (`from_cwd`: relative to the cwd, not a dirfd) is
/// judged as the host would resolve it, the cwd's tail then the path, when the host wrote the
/// tail for the caller's cwd (`cwd_tails`) and the path is short and plain enough for that to
/// be the host's join (see `plain_relative`); otherwise it is kept.
#[inline(always)]
unsafe fn open_unwanted(flags: u64, path: *const u8, len: usize, from_cwd: bool) -> bool {
    let filter = OPEN_FILTER.load();
    if filter == 0 || flags & (O_DIRECTORY | O_PATH) != 0 {
        return false;
    }
    let read = flags & O_ACCMODE != O_WRONLY;
    let write = flags & O_ACCMODE != 0 || flags & (O_CREAT | O_TRUNC) != 0;
    if (read && filter & OPEN_FILTER_READS == 0) || (write && filter & OPEN_FILTER_WRITES == 0) {
        return false;
    }
    if len < 2 || len >= PATH_LEN {
        return false;
    }
    let need =
        (if read { OPEN_FILTER_READS } else { 0 }) | (if write { OPEN_FILTER_WRITES } else { 0 });
    let Some(keys) = OPEN_KEYS.get_ptr_mut(0) else {
        return false;
    };
    let mut found: u32 = 0;
    // The path's own length, without its NUL.
    let l = len - 1;
    const WINDOW: usize = OPEN_KEY_LEN - 1;

    let relative = *path != b'/';
    if relative {
        // The whole path must fit the window, to be checked for `.`, `..` and `//`.
        if !from_cwd || l > WINDOW {
            return false;
        }
        let Some(tail) = cwd_tails::current((bpf_get_current_pid_tgid() >> 32) as u32) else {
            return false;
        };
        if bpf_probe_read_kernel(
            &mut (*keys).cwd as *mut CwdTail as *mut c_void,
            core::mem::size_of::<CwdTail>() as u32,
            tail as *const c_void,
        ) != 0
        {
            return false;
        }
    } else {
        // Absolute: the prefix table. (For a relative path the host wrote the tail only if no
        // prefix entry can match under the cwd.)
        (*keys).prefix.prefix_len = (OPEN_KEY_LEN * 8) as u32;
        if bpf_probe_read_kernel(
            (*keys).prefix.data.as_mut_ptr() as *mut c_void,
            OPEN_KEY_LEN as u32,
            path as *const c_void,
        ) != 0
        {
            return false;
        }
        if let Some(bits) = OPEN_PREFIXES.get(&(*keys).prefix) {
            found |= *bits as u32;
        }
    }

    // The path's last bytes, reversed, and those of its directory (up to the last `/`), built
    // a word at a time: a byte loop costs the open its iterations and the verifier a state per
    // iteration. The window is the last `WINDOW` bytes (the tag takes the key's first).
    let n = if l < OPEN_KEY_LEN { l } else { OPEN_KEY_LEN };
    let tail = (*keys).tail.as_mut_ptr();
    let mut w = 0;
    while w < OPEN_KEY_LEN / 8 {
        *tail.add(w) = 0;
        w += 1;
    }
    // `n` is 1..=64 (`l` >= 1 as `len` >= 2); both masks only restate that for the verifier.
    let n = n & (OPEN_KEY_LEN * 2 - 1);
    if n == 0
        || n > OPEN_KEY_LEN
        || bpf_probe_read_kernel(
            (tail as *mut u8).add((OPEN_KEY_LEN - n) & (OPEN_KEY_LEN - 1)) as *mut c_void,
            n as u32,
            path.add((l - n) & (PATH_LEN - 1)) as *const c_void,
        ) != 0
    {
        return false;
    }
    if relative && !plain_relative(tail, l) {
        return false;
    }
    // Reversed word by word; the first slash (the path's last) found on the way: a zero byte
    // of `word ^ "////////"`, exactly (no borrow between bytes). Its position is kept in map
    // memory, whose contents the verifier does not track: in a register, each way through the
    // words would be a state of its own for the rest of the function.
    let reversed = (*keys).reversed.as_mut_ptr();
    (*keys).slash = WINDOW as u32;
    let mut w = OPEN_KEY_LEN / 8;
    while w > 0 {
        w -= 1;
        let word = (*tail.add(OPEN_KEY_LEN / 8 - 1 - w)).swap_bytes();
        *reversed.add(w) = word;
        let mut zeros = byte_matches(word, SLASHES);
        if w == OPEN_KEY_LEN / 8 - 1 {
            // The 64th byte is past the window.
            zeros &= !(0x80 << 56);
        }
        if zeros != 0 {
            // The lowest marked byte's index: count the bytes below it.
            let below = (zeros & zeros.wrapping_neg()) - 1;
            (*keys).slash = (w * 8) as u32 + ((below >> 7 & ONES).wrapping_mul(ONES) >> 56) as u32;
        }
    }
    // The whole path's length, and the window's share of it.
    let mut whole = l;
    if relative {
        // The cwd's tail (`/` first) goes right after the path's `l` reversed bytes, as the
        // host joins them; without a slash in the path, the cwd's is its last.
        if bpf_probe_read_kernel(
            (reversed as *mut u8).add(l & (OPEN_KEY_LEN - 1)) as *mut c_void,
            OPEN_KEY_LEN as u32,
            (*keys).cwd.reversed.as_ptr() as *const c_void,
        ) != 0
        {
            return false;
        }
        whole = l + (*keys).cwd.len as usize;
        if (*keys).slash as usize >= l {
            (*keys).slash = l as u32;
        }
    }
    let seen = if whole < WINDOW { whole } else { WINDOW };
    let suffix = (*keys).suffix.data.as_mut_ptr();
    let dir = (*keys).dir.data.as_mut_ptr();
    *suffix = OPEN_TAG_SUFFIX;
    *dir = OPEN_TAG_DIR_SUFFIX;
    // Bytes past a key's length are never compared: always copy the whole window.
    if bpf_probe_read_kernel(
        suffix.add(1) as *mut c_void,
        WINDOW as u32,
        reversed as *const c_void,
    ) != 0
    {
        return false;
    }
    (*keys).suffix.prefix_len = (8 * (1 + seen)) as u32;
    if let Some(bits) = OPEN_SUFFIXES.get(&(*keys).suffix) {
        found |= *bits as u32;
    }
    let slash = (*keys).slash as usize;
    // The whole directory suffix an entry may name must be in the window.
    if slash >= seen || (whole > WINDOW && slash >= WINDOW - OPEN_DIR_SUFFIX_MAX) {
        return false;
    }
    let slash = slash & (OPEN_KEY_LEN - 1);
    if bpf_probe_read_kernel(
        dir.add(1) as *mut c_void,
        WINDOW as u32,
        (reversed as *const u8).add(slash) as *const c_void,
    ) != 0
    {
        return false;
    }
    (*keys).dir.prefix_len = (8 * (1 + seen - slash)) as u32;
    if let Some(bits) = OPEN_SUFFIXES.get(&(*keys).dir) {
        found |= *bits as u32;
    }
    if found & need != 0 {
        return false;
    }
    // Not wanted as written. A relative path was checked plain above; an absolute one with a
    // `//`, `.` or `..` in it, or under /proc/, /dev/fd/ or /dev/std, is kept: the tracker
    // resolves it, and it may be wanted then.
    relative || plain_absolute(path, l, (*keys).whole.as_mut_ptr())
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// Whether the absolute path of `l` bytes at `path` is plain as the tracker sees it (see
/// `plain_step`), and not where magic links are (`under_magic_links`): only then may the
/// open be judged, and dropped, as written. The whole path is copied to `whole` first, a word
/// at a time being then a plain load.
#[inline(always)]
unsafe fn plain_absolute(path: *const u8, l: usize, whole: *mut u64) -> bool {
    if bpf_probe_read_kernel(whole as *mut c_void, PATH_LEN as u32, path as *const c_void) != 0 {
        return false;
    }
    if under_magic_links(*whole) {
        return false;
    }
    let mut carry = PlainCarry::default();
    let mut bad = 0u64;
    let mut w = 0;
    // Up to the word holding the byte after the path (`l` < PATH_LEN), checked as its end.
    while w < PATH_LEN / 8 {
        if w * 8 > l {
            break;
        }
        let left = l - w * 8;
        bad |= plain_step(*whole.add(w), if left < 8 { left } else { 8 }, &mut carry);
        w += 1;
    }
    bad == 0
}

/// Whether the relative path of `l` bytes (1..=63) right-aligned in `tail` (zeroes before it)
/// is the host's join of it to the cwd when simply appended after a `/`: no component is `.`,
/// `..` or empty, and it does not end in `/`. Checked as "no `/` followed by `.` or `/`", with
/// the `/` the join puts before the path, and "no `/` last". Stricter than needed (a component
/// starting with a dot, like `.git`, also fails), which only keeps more opens.
#[inline(always)]
unsafe fn plain_relative(tail: *const u64, l: usize) -> bool {
    let first = *(tail as *const u8).add((OPEN_KEY_LEN - l) & (OPEN_KEY_LEN - 1));
    if first == b'.' {
        return false;
    }
    // Words in path order; in each, byte k is the path's byte before byte k + 1.
    let mut bad = 0u64;
    let mut carry = 0u64;
    let mut w = 0;
    while w < OPEN_KEY_LEN / 8 {
        let word = *tail.add(w);
        let slashes = byte_matches(word, SLASHES);
        let follows = slashes | byte_matches(word, DOTS);
        bad |= slashes & (follows >> 8);
        bad |= carry & follows & 0x80;
        carry = slashes >> 56;
        w += 1;
    }
    // `carry` now marks a `/` as the path's last byte.
    bad == 0 && carry == 0
}

#[inline(always)]
unsafe fn read_addr(body: *mut SyscallBody, src: u64, len: u64) {
    let mut len = len as usize;
    if len > SOCKADDR_LEN {
        len = SOCKADDR_LEN;
    }
    if src != 0
        && len > 0
        && bpf_probe_read_user(
            (*body).addr.as_mut_ptr() as *mut c_void,
            len as u32,
            src as *const c_void,
        ) == 0
    {
        (*body).addr_len = len as u32;
    }
}

/// The first 8 bytes of the copied `data`, when that many were copied: the leading word of a
/// struct argument (`open_how.flags`, `bpf_attr.pathname`).
#[inline(always)]
unsafe fn first_word(body: *const SyscallBody) -> Option<u64> {
    if (*body).data_len < 8 {
        return None;
    }
    let d = &(*body).data;
    Some(u64::from_ne_bytes([
        d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7],
    ]))
}

#[inline(always)]
unsafe fn read_data(body: *mut SyscallBody, src: u64, len: u64) {
    (*body).data_total = if len > u32::MAX as u64 {
        u32::MAX
    } else {
        len as u32
    };
    let mut len = len as usize;
    if len > DATA_LEN {
        len = DATA_LEN;
    }
    if src != 0
        && len > 0
        && bpf_probe_read_user(
            (*body).data.as_mut_ptr() as *mut c_void,
            len as u32,
            src as *const c_void,
        ) == 0
    {
        (*body).data_len = len as u32;
    }
}

#[inline(always)]
fn stash_big(ctx: &TracePointContext, kind: EventKind, spec: Spec) -> u32 {
    if matches!(kind, EventKind::Chdir) {
        cwd_changing();
    }
    let Some(scratch) = begin_big(ctx, kind, spec.nargs) else {
        return 0;
    };
    // SAFETY: scratch is this CPU's entry; every copy is bounded by its destination.
    unsafe {
        let body = &mut (*scratch).body as *mut SyscallBody;
        let mut len0 = 0;
        if spec.path0 >= 0 {
            len0 = read_str(
                (*body).path[0].as_mut_ptr(),
                stashed_arg(body, spec.path0 as usize),
            );
            if len0 >= PATH_LEN {
                (*body).flags |= BODY_FLAG_PATH0_TRUNCATED;
            }
        }
        if spec.path1 >= 0
            && read_str(
                (*body).path[1].as_mut_ptr(),
                stashed_arg(body, spec.path1 as usize),
            ) >= PATH_LEN
        {
            (*body).flags |= BODY_FLAG_PATH1_TRUNCATED;
        }
        if spec.addr.0 >= 0 {
            read_addr(
                body,
                stashed_arg(body, spec.addr.0 as usize),
                stashed_arg(body, spec.addr.1 as usize),
            );
        }
        if spec.data_str >= 0 {
            let n = bpf_probe_read_user_str(
                (*body).data.as_mut_ptr() as *mut c_void,
                DATA_LEN as u32,
                stashed_arg(body, spec.data_str as usize) as *const c_void,
            );
            if n > 0 {
                (*body).data_len = (n - 1) as u32;
            }
        }
        if spec.data_fixed.0 >= 0 {
            read_data(
                body,
                stashed_arg(body, spec.data_fixed.0 as usize),
                spec.data_fixed.1 as u64,
            );
        }
        let open_flags = match spec.open_flags {
            OpenFlags::None => None,
            OpenFlags::Arg(n) => Some(stashed_arg(body, n)),
            // openat2: `struct open_how` starts with the flags.
            OpenFlags::HowInData => first_word(body),
        };
        if let Some(flags) = open_flags {
            let from_cwd = spec.open_dirfd < 0
                || stashed_arg(body, spec.open_dirfd as usize) as i32 == AT_FDCWD;
            if open_unwanted(flags, (*body).path[0].as_ptr(), len0, from_cwd) {
                return 0;
            }
            (*scratch).track_fd = u32::from(open_fd_kept(flags));
        }
    }
    commit_big(scratch)
}

#[inline(always)]
unsafe fn stashed_arg(body: *const SyscallBody, n: usize) -> u64 {
    if n < 6 {
        (*body).args[n]
    } else {
        0
    }
}

/// This thread's `BigStash` for `kind`, or `None` (a stale entry of another kind is dropped).
#[inline(always)]
fn take_big(kind: EventKind) -> Option<(u64, *mut BigStash)> {
    let pid_tgid = bpf_get_current_pid_tgid();
    let stash = BIG_STASH.get_ptr_mut(&pid_tgid)?;
    // SAFETY: entry owned by this thread.
    if unsafe { (*stash).kind } != kind as u32 {
        let _ = BIG_STASH.remove(&pid_tgid);
        return None;
    }
    Some((pid_tgid, stash))
}

#[inline(always)]
fn emit_big(ctx: &TracePointContext, kind: EventKind) -> u32 {
    let Some((key, stash)) = take_big(kind) else {
        return 0;
    };
    if matches!(
        kind,
        EventKind::Open | EventKind::OpenAt | EventKind::OpenAt2
    ) {
        return emit_open(ctx, kind, key, stash);
    }
    emit_big_from(ctx, kind, key, stash)
}

/// An open's record: the compact `OpenEvent`, not a whole `PathEvent`.
#[inline(always)]
fn emit_open(ctx: &TracePointContext, kind: EventKind, key: u64, stash: *mut BigStash) -> u32 {
    let ret = ret(ctx);
    // SAFETY: `stash` is this thread's entry.
    if unsafe { (*stash).track_fd } != 0 {
        track_fd((key >> 32) as u32, ret);
    }
    match EVENTS.reserve::<OpenEvent>(0) {
        Some(mut entry) => {
            let ev = entry.as_mut_ptr();
            // SAFETY: `ev` is a reserved record; `stash` is this thread's entry; each copy is
            // exactly its destination's size.
            unsafe {
                let body = &(*stash).body;
                fill_header(&mut (*ev).header, kind);
                (*ev).ret = ret;
                (*ev).args = body.args;
                (*ev).flags = body.flags;
                (*ev).how_len = if body.data_len as usize >= OPEN_HOW_LEN {
                    OPEN_HOW_LEN as u32
                } else {
                    0
                };
                if bpf_probe_read_kernel(
                    (*ev).how.as_mut_ptr() as *mut c_void,
                    OPEN_HOW_LEN as u32,
                    body.data.as_ptr() as *const c_void,
                ) != 0
                    || bpf_probe_read_kernel(
                        (*ev).path.as_mut_ptr() as *mut c_void,
                        PATH_LEN as u32,
                        body.path[0].as_ptr() as *const c_void,
                    ) != 0
                {
                    (*ev).how_len = 0;
                    (*ev).path[0] = 0;
                }
            }
            entry.submit(commit_flags(kind));
        }
        None => count_lost(),
    }
    let _ = BIG_STASH.remove(&key);
    0
}

#[inline(always)]
fn emit_big_from(ctx: &TracePointContext, kind: EventKind, key: u64, stash: *mut BigStash) -> u32 {
    let ret = ret(ctx);
    if matches!(kind, EventKind::Chdir) {
        // SAFETY: `stash` is this thread's entry.
        unsafe { (*stash).body.args[CWD_EPOCH_ARG] = cwd_changed((key >> 32) as u32) };
    }
    // SAFETY: `stash` is this thread's entry.
    if unsafe { (*stash).track_fd } != 0 {
        track_fd((key >> 32) as u32, ret);
    }
    match EVENTS.reserve::<PathEvent>(0) {
        Some(mut entry) => {
            let ev = entry.as_mut_ptr();
            // SAFETY: `ev` is a reserved record; `stash` is this thread's entry; the copy is
            // exactly one `SyscallBody` on both sides.
            unsafe {
                fill_header(&mut (*ev).header, kind);
                (*ev).ret = ret;
                if bpf_probe_read_kernel(
                    &mut (*ev).body as *mut SyscallBody as *mut c_void,
                    core::mem::size_of::<SyscallBody>() as u32,
                    &(*stash).body as *const SyscallBody as *const c_void,
                ) != 0
                {
                    (*ev).body.args = [0; 6];
                    (*ev).body.addr_len = 0;
                    (*ev).body.data_len = 0;
                }
            }
            entry.submit(commit_flags(kind));
        }
        None => count_lost(),
    }
    let _ = BIG_STASH.remove(&key);
    0
}

macro_rules! big_syscall {
    ($enter:ident, $exit:ident, $kind:expr, $spec:expr) => {
        #[tracepoint]
        pub fn $enter(ctx: TracePointContext) -> u32 {
            stash_big(&ctx, $kind, $spec)
        }

        #[tracepoint]
        pub fn $exit(ctx: TracePointContext) -> u32 {
            emit_big(&ctx, $kind)
        }
    };
}

big_syscall!(
    sys_enter_open,
    sys_exit_open,
    EventKind::Open,
    Spec {
        nargs: 3,
        path0: 0,
        open_flags: OpenFlags::Arg(1),
        ..NONE
    }
);
big_syscall!(
    sys_enter_openat,
    sys_exit_openat,
    EventKind::OpenAt,
    Spec {
        nargs: 4,
        path0: 1,
        open_flags: OpenFlags::Arg(2),
        open_dirfd: 0,
        ..NONE
    }
);
big_syscall!(
    sys_enter_openat2,
    sys_exit_openat2,
    EventKind::OpenAt2,
    Spec {
        nargs: 4,
        path0: 1,
        data_fixed: (2, 24),
        open_flags: OpenFlags::HowInData,
        open_dirfd: 0,
        ..NONE
    }
);
big_syscall!(
    sys_enter_rename,
    sys_exit_rename,
    EventKind::Rename,
    Spec {
        nargs: 2,
        path0: 0,
        path1: 1,
        ..NONE
    }
);
big_syscall!(
    sys_enter_renameat,
    sys_exit_renameat,
    EventKind::RenameAt,
    Spec {
        nargs: 4,
        path0: 1,
        path1: 3,
        ..NONE
    }
);
big_syscall!(
    sys_enter_renameat2,
    sys_exit_renameat2,
    EventKind::RenameAt2,
    Spec {
        nargs: 5,
        path0: 1,
        path1: 3,
        ..NONE
    }
);
big_syscall!(
    sys_enter_unlink,
    sys_exit_unlink,
    EventKind::Unlink,
    Spec {
        nargs: 1,
        path0: 0,
        ..NONE
    }
);
big_syscall!(
    sys_enter_unlinkat,
    sys_exit_unlinkat,
    EventKind::UnlinkAt,
    Spec {
        nargs: 3,
        path0: 1,
        ..NONE
    }
);
big_syscall!(
    sys_enter_chmod,
    sys_exit_chmod,
    EventKind::Chmod,
    Spec {
        nargs: 2,
        path0: 0,
        ..NONE
    }
);
big_syscall!(
    sys_enter_fchmodat,
    sys_exit_fchmodat,
    EventKind::FchmodAt,
    Spec {
        nargs: 3,
        path0: 1,
        ..NONE
    }
);
big_syscall!(
    sys_enter_fchmodat2,
    sys_exit_fchmodat2,
    EventKind::FchmodAt2,
    Spec {
        nargs: 4,
        path0: 1,
        ..NONE
    }
);
big_syscall!(
    sys_enter_link,
    sys_exit_link,
    EventKind::Link,
    Spec {
        nargs: 2,
        path0: 0,
        path1: 1,
        ..NONE
    }
);
big_syscall!(
    sys_enter_linkat,
    sys_exit_linkat,
    EventKind::LinkAt,
    Spec {
        nargs: 5,
        path0: 1,
        path1: 3,
        ..NONE
    }
);
big_syscall!(
    sys_enter_symlink,
    sys_exit_symlink,
    EventKind::Symlink,
    Spec {
        nargs: 2,
        path0: 0,
        path1: 1,
        ..NONE
    }
);
big_syscall!(
    sys_enter_symlinkat,
    sys_exit_symlinkat,
    EventKind::SymlinkAt,
    Spec {
        nargs: 3,
        path0: 0,
        path1: 2,
        ..NONE
    }
);
big_syscall!(
    sys_enter_truncate,
    sys_exit_truncate,
    EventKind::Truncate,
    Spec {
        nargs: 2,
        path0: 0,
        ..NONE
    }
);
big_syscall!(
    sys_enter_mount,
    sys_exit_mount,
    EventKind::Mount,
    Spec {
        nargs: 5,
        path0: 0,
        path1: 1,
        data_str: 2,
        ..NONE
    }
);
big_syscall!(
    sys_enter_memfd_create,
    sys_exit_memfd_create,
    EventKind::MemfdCreate,
    Spec {
        nargs: 2,
        path0: 0,
        ..NONE
    }
);
big_syscall!(
    sys_enter_bind,
    sys_exit_bind,
    EventKind::Bind,
    Spec {
        nargs: 3,
        addr: (1, 2),
        ..NONE
    }
);
big_syscall!(
    sys_enter_capset,
    sys_exit_capset,
    EventKind::Capset,
    Spec {
        nargs: 2,
        data_fixed: (1, 24),
        ..NONE
    }
);
big_syscall!(
    sys_enter_init_module,
    sys_exit_init_module,
    EventKind::InitModule,
    Spec {
        nargs: 3,
        path0: 2,
        ..NONE
    }
);
big_syscall!(
    sys_enter_finit_module,
    sys_exit_finit_module,
    EventKind::FinitModule,
    Spec {
        nargs: 3,
        path0: 1,
        ..NONE
    }
);
big_syscall!(
    sys_enter_chdir,
    sys_exit_chdir,
    EventKind::Chdir,
    Spec {
        nargs: 1,
        path0: 0,
        ..NONE
    }
);
// bpf: the head of `attr` (as much as the caller passed, up to `BPF_ATTR_LEN`), the path of
// a pin, and on exit the id of the map a map command used, so the host can tell a process
// working on maps it did not create.

const BPF_MAP_CREATE: u64 = 0;
const BPF_OBJ_PIN: u64 = 6;
const BPF_OBJ_GET: u64 = 7;
const BPF_MAP_GET_FD_BY_ID: u64 = 14;
const BPF_PROG_BIND_MAP: u64 = 35;

#[tracepoint]
pub fn sys_enter_bpf(ctx: TracePointContext) -> u32 {
    let Some(scratch) = begin_big(&ctx, EventKind::Bpf, 3) else {
        return 0;
    };
    let size = arg(&ctx, 2);
    // SAFETY: scratch is this CPU's entry; copies are bounded by their destinations.
    unsafe {
        let body = &mut (*scratch).body as *mut SyscallBody;
        let len = if size < BPF_ATTR_LEN as u64 {
            size
        } else {
            BPF_ATTR_LEN as u64
        };
        read_data(body, arg(&ctx, 1), len);
        let cmd = arg(&ctx, 0);
        let pathname = first_word(body).filter(|_| cmd == BPF_OBJ_PIN || cmd == BPF_OBJ_GET);
        if let Some(pathname) = pathname {
            if read_str((*body).path[0].as_mut_ptr(), pathname) >= PATH_LEN {
                (*body).flags |= BODY_FLAG_PATH0_TRUNCATED;
            }
        }
    }
    commit_big(scratch)
}

/// Where a bpf command's map fd is: the result (`Some(None)`), at a byte offset of `attr`, or
/// nowhere (`None`).
#[inline(always)]
fn bpf_map_fd_at(cmd: u64) -> Option<Option<usize>> {
    match cmd {
        BPF_MAP_CREATE | BPF_MAP_GET_FD_BY_ID => Some(None),
        // lookup, update, delete, get-next-key; lookup-and-delete, freeze.
        1..=4 | 21 | 22 => Some(Some(0)),
        // The batch commands: after in_batch, out_batch, keys, values, count.
        24..=27 => Some(Some(36)),
        BPF_PROG_BIND_MAP => Some(Some(4)),
        _ => None,
    }
}

#[tracepoint]
pub fn sys_exit_bpf(ctx: TracePointContext) -> u32 {
    let Some((key, stash)) = take_big(EventKind::Bpf) else {
        return 0;
    };
    // SAFETY: stable `sys_exit_*` layout; `stash` is this thread's entry; every read of
    // `data` is at a constant offset inside it.
    unsafe {
        let ret = ret(&ctx);
        let body = &mut (*stash).body as *mut SyscallBody;
        (*body).args[3] = 0;
        if ret >= 0 {
            let d = &(*body).data;
            let fd = match bpf_map_fd_at((*body).args[0]) {
                Some(None) => Some(ret as u64),
                Some(Some(0)) if (*body).data_len >= 4 => {
                    Some(u32::from_ne_bytes([d[0], d[1], d[2], d[3]]) as u64)
                }
                Some(Some(4)) if (*body).data_len >= 8 => {
                    Some(u32::from_ne_bytes([d[4], d[5], d[6], d[7]]) as u64)
                }
                Some(Some(36)) if (*body).data_len >= 40 => {
                    Some(u32::from_ne_bytes([d[36], d[37], d[38], d[39]]) as u64)
                }
                _ => None,
            };
            if let Some(fd) = fd {
                (*body).args[3] = fd_map_id(fd) as u64;
            }
        }
    }
    emit_big_from(&ctx, EventKind::Bpf, key, stash)
}

/// prctl is reported for PR_SET_NAME only (a process renaming itself).
#[tracepoint]
pub fn sys_enter_prctl(ctx: TracePointContext) -> u32 {
    if arg(&ctx, 0) != PR_SET_NAME {
        return 0;
    }
    stash_big(
        &ctx,
        EventKind::PrctlSetName,
        Spec {
            nargs: 2,
            path0: 1,
            ..NONE
        },
    )
}

#[tracepoint]
pub fn sys_exit_prctl(ctx: TracePointContext) -> u32 {
    emit_big(&ctx, EventKind::PrctlSetName)
}

// accept: the peer address is written by the kernel, so it is read on exit.

#[tracepoint]
pub fn sys_enter_accept(ctx: TracePointContext) -> u32 {
    stash_big(&ctx, EventKind::Accept, Spec { nargs: 3, ..NONE })
}

#[tracepoint]
pub fn sys_exit_accept(ctx: TracePointContext) -> u32 {
    emit_accept(&ctx, EventKind::Accept)
}

#[tracepoint]
pub fn sys_enter_accept4(ctx: TracePointContext) -> u32 {
    stash_big(&ctx, EventKind::Accept4, Spec { nargs: 4, ..NONE })
}

#[tracepoint]
pub fn sys_exit_accept4(ctx: TracePointContext) -> u32 {
    emit_accept(&ctx, EventKind::Accept4)
}

#[inline(always)]
fn emit_accept(ctx: &TracePointContext, kind: EventKind) -> u32 {
    let Some((key, stash)) = take_big(kind) else {
        return 0;
    };
    // SAFETY: stable `sys_exit_*` layout; `stash` is this thread's entry.
    unsafe {
        let ret = ret(ctx);
        let body = &mut (*stash).body as *mut SyscallBody;
        let addr = (*body).args[1];
        let len_ptr = (*body).args[2];
        if ret >= 0 && addr != 0 && len_ptr != 0 {
            let mut len: u32 = 0;
            if bpf_probe_read_user(
                &mut len as *mut u32 as *mut c_void,
                4,
                len_ptr as *const c_void,
            ) == 0
            {
                read_addr(body, addr, len as u64);
            }
        }
        (*stash).track_fd = 1;
    }
    emit_big_from(ctx, kind, key, stash)
}

// connect: reported with the address; remembers sockets connected to port 53 for DNS.

/// Whether the copied address is an IPv4/IPv6 address with port 53.
#[inline(always)]
unsafe fn is_dns_addr(body: *const SyscallBody) -> bool {
    if (*body).addr_len < 4 {
        return false;
    }
    let family = u16::from_ne_bytes([(*body).addr[0], (*body).addr[1]]);
    (family == 2 || family == 10) && (*body).addr[2] == 0 && (*body).addr[3] == 53
}

#[tracepoint(category = "syscalls", name = "sys_enter_connect")]
pub fn sys_enter_connect(ctx: TracePointContext) -> u32 {
    stash_big(
        &ctx,
        EventKind::Connect,
        Spec {
            nargs: 3,
            addr: (1, 2),
            ..NONE
        },
    )
}

#[tracepoint(category = "syscalls", name = "sys_exit_connect")]
pub fn sys_exit_connect(ctx: TracePointContext) -> u32 {
    let Some((key, stash)) = take_big(EventKind::Connect) else {
        return 0;
    };
    let ret = ret(&ctx);
    // SAFETY: `stash` is this thread's entry.
    unsafe {
        let body = &(*stash).body;
        let fd = fd_key(key, body.args[0]);
        if (ret == 0 || ret == -115) && is_dns_addr(body) {
            let _ = DNS_FDS.insert(&fd, &1, 0);
        } else if ret == 0 {
            let _ = DNS_FDS.remove(&fd);
        }
        // The host notes the socket's peer, whatever it knew of the fd before.
        track_fd((key >> 32) as u32, body.args[0] as i64);
    }
    match EVENTS.reserve::<ConnectEvent>(0) {
        Some(mut entry) => {
            let ev = entry.as_mut_ptr();
            // SAFETY: `ev` is a reserved record; `stash` is this thread's entry.
            unsafe {
                fill_header(&mut (*ev).header, EventKind::Connect);
                (*ev).fd = (*stash).body.args[0];
                (*ev).ret = ret;
                (*ev).addr_len = (*stash).body.args[2] as u32;
                (*ev).addr_copied = (*stash).body.addr_len;
                (*ev).addr = (*stash).body.addr;
            }
            entry.submit(commit_flags(EventKind::Connect));
        }
        None => count_lost(),
    }
    let _ = BIG_STASH.remove(&key);
    0
}

// sendto/sendmsg/sendmmsg: only queries to port 53 (by explicit address, or on a socket
// connected to port 53) are reported, with the head of the payload for the host to decode.

#[inline(always)]
fn is_dns_fd(fd: u64) -> bool {
    let key = fd_key(bpf_get_current_pid_tgid(), fd);
    // SAFETY: presence test only.
    unsafe { DNS_FDS.get(&key) }.is_some()
}

#[tracepoint]
pub fn sys_enter_sendto(ctx: TracePointContext) -> u32 {
    let Some(scratch) = begin_big(&ctx, EventKind::SendTo, 6) else {
        return 0;
    };
    // SAFETY: scratch is this CPU's entry; copies are bounded by their destinations.
    unsafe {
        let body = &mut (*scratch).body as *mut SyscallBody;
        let dest = arg(&ctx, 4);
        let dns = if dest != 0 {
            read_addr(body, dest, arg(&ctx, 5));
            is_dns_addr(body)
        } else {
            is_dns_fd(arg(&ctx, 0))
        };
        if !dns {
            return 0;
        }
        read_data(body, arg(&ctx, 1), arg(&ctx, 2));
    }
    commit_big(scratch)
}

#[tracepoint]
pub fn sys_exit_sendto(ctx: TracePointContext) -> u32 {
    emit_big(&ctx, EventKind::SendTo)
}

/// sendmsg and sendmmsg (whose `mmsghdr` starts with a `msghdr`): the first message.
#[inline(always)]
fn stash_msg(ctx: &TracePointContext, kind: EventKind, nargs: usize) -> u32 {
    let Some(scratch) = begin_big(ctx, kind, nargs) else {
        return 0;
    };
    // SAFETY: scratch is this CPU's entry; copies are bounded by their destinations.
    unsafe {
        let body = &mut (*scratch).body as *mut SyscallBody;
        // msg_name, msg_namelen, msg_iov, msg_iovlen.
        let mut m = [0u64; 4];
        if bpf_probe_read_user(
            m.as_mut_ptr() as *mut c_void,
            32,
            arg(ctx, 1) as *const c_void,
        ) != 0
        {
            return 0;
        }
        let dns = if m[0] != 0 {
            read_addr(body, m[0], m[1] & 0xffff_ffff);
            is_dns_addr(body)
        } else {
            is_dns_fd(arg(ctx, 0))
        };
        if !dns {
            return 0;
        }
        if m[2] != 0 && m[3] >= 1 {
            let mut iov = [0u64; 2];
            if bpf_probe_read_user(iov.as_mut_ptr() as *mut c_void, 16, m[2] as *const c_void) == 0
            {
                read_data(body, iov[0], iov[1]);
            }
        }
    }
    commit_big(scratch)
}

#[tracepoint]
pub fn sys_enter_sendmsg(ctx: TracePointContext) -> u32 {
    stash_msg(&ctx, EventKind::SendMsg, 3)
}

#[tracepoint]
pub fn sys_exit_sendmsg(ctx: TracePointContext) -> u32 {
    emit_big(&ctx, EventKind::SendMsg)
}

#[tracepoint]
pub fn sys_enter_sendmmsg(ctx: TracePointContext) -> u32 {
    stash_msg(&ctx, EventKind::SendMmsg, 4)
}

#[tracepoint]
pub fn sys_exit_sendmmsg(ctx: TracePointContext) -> u32 {
    emit_big(&ctx, EventKind::SendMmsg)
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[link_section = "license"]
#[no_mangle]
static LICENSE: [u8; 4] = *b"GPL\0";
