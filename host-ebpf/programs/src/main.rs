//! Vigil's kernel-side capture: tracepoint programs that follow the watched process tree and
//! write one `#[repr(C)]` record per interesting event into the `EVENTS` ring buffer.
//!
//! Scoping happens first in every program: a task whose thread group is not in `WATCHED` costs
//! one hash lookup and nothing else. Forks of watched tasks are added before the child runs, so
//! a whole tree is followed from the moment the host arms its root.
//!
//! Syscalls whose result matters (socket, connect, dup*, close, execve) stash their arguments on
//! entry in `STASH`, keyed by thread, and emit one record on exit with arguments and result.
#![no_std]
#![no_main]

use core::ffi::c_void;

use aya_ebpf::{
    helpers::{
        bpf_get_current_comm, bpf_get_current_pid_tgid, bpf_get_current_uid_gid, bpf_ktime_get_ns,
        generated::{bpf_probe_read_user, bpf_probe_read_user_str},
    },
    macros::{map, tracepoint},
    maps::{HashMap, PerCpuArray, RingBuf},
    programs::TracePointContext,
    Global,
};
use vigil_ebpf_common::{
    ConnectEvent, EventKind, ExecEvent, ExitEvent, ForkEvent, Header, Stash, SyscallEvent,
    TracepointLayout, ARGV_LEN, EXEC_FLAG_ARGV_TRUNCATED, EXEC_FLAG_EXECVEAT,
    EXEC_FLAG_PATH_TRUNCATED, EXIT_FLAG_GROUP_DEAD, EXIT_FLAG_HAS_CODE, MAX_ARGS, PATH_LEN,
    SOCKADDR_LEN,
};

/// Thread groups (and, transiently, thread ids) in scope. The host inserts the root.
#[map]
static WATCHED: HashMap<u32, u32> = HashMap::with_max_entries(65536, 0);

/// Syscall arguments between entry and exit, per thread.
#[map]
static STASH: HashMap<u64, Stash> = HashMap::with_max_entries(16384, 0);

/// Zeroed scratch used to insert a `Stash` without building it on the 512-byte stack.
#[map]
static SCRATCH: PerCpuArray<Stash> = PerCpuArray::with_max_entries(1, 0);

/// `exit_group` status per thread group, picked up when the task exits.
#[map]
static EXIT_CODES: HashMap<u32, i32> = HashMap::with_max_entries(16384, 0);

/// Records that could not be reserved because the ring buffer was full, per CPU.
#[map]
static LOST: PerCpuArray<u64> = PerCpuArray::with_max_entries(1, 0);

/// Events to user space. The host may resize it at load time.
#[map]
static EVENTS: RingBuf = RingBuf::with_byte_size(1 << 22, 0);

/// Field offsets of the sched tracepoints on the running kernel, set by the host.
#[no_mangle]
static LAYOUT: Global<TracepointLayout> = Global::new(TracepointLayout {
    fork_child_pid: 20,
    exit_pid: 24,
    exit_group_dead: 32,
    _pad: 0,
});

// Offsets shared by every `syscalls:sys_enter_*` / `sys_exit_*` tracepoint.
const SYS_ENTER_ARG0: usize = 16;
const SYS_EXIT_RET: usize = 16;

#[inline(always)]
fn in_scope(tgid: u32) -> bool {
    // SAFETY: the value is only tested for presence.
    unsafe { WATCHED.get(&tgid) }.is_some()
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
        (*header)._pad = 0;
        (*header).ts_ns = bpf_ktime_get_ns();
        (*header).comm = bpf_get_current_comm().unwrap_or([0; 16]);
    }
}

#[inline(always)]
fn arg(ctx: &TracePointContext, n: usize) -> u64 {
    // SAFETY: offsets follow the stable syscall tracepoint layout.
    unsafe { ctx.read_at::<u64>(SYS_ENTER_ARG0 + n * 8) }.unwrap_or(0)
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
    // The child is in scope before it is ever scheduled.
    let _ = WATCHED.insert(&child, &1, 0);
    match EVENTS.reserve::<ForkEvent>(0) {
        Some(mut entry) => {
            let ev = entry.as_mut_ptr();
            // SAFETY: `ev` is a reserved record of the right size.
            unsafe {
                fill_header(&mut (*ev).header, EventKind::Fork);
                (*ev).child_tid = child;
                (*ev)._pad = 0;
            }
            entry.submit(0);
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
            entry.submit(0);
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
    entry.submit(0);
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_execve")]
pub fn sys_exit_execve(ctx: TracePointContext) -> u32 {
    emit_result(&ctx, EventKind::ExecResult, [0; 4])
}

#[tracepoint(category = "syscalls", name = "sys_exit_execveat")]
pub fn sys_exit_execveat(ctx: TracePointContext) -> u32 {
    emit_result(&ctx, EventKind::ExecResult, [0; 4])
}

#[inline(always)]
fn emit_result(ctx: &TracePointContext, kind: EventKind, args: [u64; 4]) -> u32 {
    let tgid = (bpf_get_current_pid_tgid() >> 32) as u32;
    if !in_scope(tgid) {
        return 0;
    }
    // SAFETY: stable `sys_exit_*` layout.
    let ret = unsafe { ctx.read_at::<i64>(SYS_EXIT_RET) }.unwrap_or(0);
    match EVENTS.reserve::<SyscallEvent>(0) {
        Some(mut entry) => {
            let ev = entry.as_mut_ptr();
            // SAFETY: `ev` is a reserved record of the right size.
            unsafe {
                fill_header(&mut (*ev).header, kind);
                (*ev).args = args;
                (*ev).ret = ret;
            }
            entry.submit(0);
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
    let pid_tgid = bpf_get_current_pid_tgid();
    if !in_scope((pid_tgid >> 32) as u32) {
        return 0;
    }
    let Some(scratch) = SCRATCH.get_ptr_mut(0) else {
        return 0;
    };
    // SAFETY: per-CPU scratch, used only within this program run.
    unsafe {
        (*scratch).kind = kind as u32;
        (*scratch).addr_copied = 0;
        let mut i = 0;
        while i < 4 {
            (*scratch).args[i] = if i < nargs { arg(ctx, i) } else { 0 };
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
    let args = unsafe { (*stash).args };
    let _ = STASH.remove(&key);
    emit_result(ctx, kind, args)
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
stashed_syscall!(sys_enter_close, sys_exit_close, EventKind::Close, 1);

#[tracepoint(category = "syscalls", name = "sys_enter_connect")]
pub fn sys_enter_connect(ctx: TracePointContext) -> u32 {
    stash_args(&ctx, EventKind::Connect, 3);
    let pid_tgid = bpf_get_current_pid_tgid();
    let Some(stash) = STASH.get_ptr_mut(&pid_tgid) else {
        return 0;
    };
    // SAFETY: entry owned by this thread; the copy length is clamped to `addr`'s size.
    unsafe {
        let src = (*stash).args[1];
        let mut len = (*stash).args[2] as usize;
        if len > SOCKADDR_LEN {
            len = SOCKADDR_LEN;
        }
        if len > 0
            && bpf_probe_read_user(
                (*stash).addr.as_mut_ptr() as *mut c_void,
                len as u32,
                src as *const c_void,
            ) == 0
        {
            (*stash).addr_copied = len as u32;
        }
    }
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_connect")]
pub fn sys_exit_connect(ctx: TracePointContext) -> u32 {
    let Some((key, stash)) = take_stash(EventKind::Connect) else {
        return 0;
    };
    // SAFETY: stable `sys_exit_*` layout.
    let ret = unsafe { ctx.read_at::<i64>(SYS_EXIT_RET) }.unwrap_or(0);
    match EVENTS.reserve::<ConnectEvent>(0) {
        Some(mut entry) => {
            let ev = entry.as_mut_ptr();
            // SAFETY: `ev` is a reserved record; `stash` is this thread's entry.
            unsafe {
                fill_header(&mut (*ev).header, EventKind::Connect);
                (*ev).fd = (*stash).args[0];
                (*ev).ret = ret;
                (*ev).addr_len = (*stash).args[2] as u32;
                (*ev).addr_copied = (*stash).addr_copied;
                (*ev).addr = (*stash).addr;
            }
            entry.submit(0);
        }
        None => count_lost(),
    }
    let _ = STASH.remove(&key);
    0
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[link_section = "license"]
#[no_mangle]
static LICENSE: [u8; 4] = *b"GPL\0";
