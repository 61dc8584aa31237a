//! Which fds each process holds that the host knows about, so that a close the host's fd
//! tables do not need is never reported.
//!
//! Used only when no signature selected closes (`CLOSE_ON_ENTRY`): then a close matters only
//! to the host's tables, which learn an fd from a reported socket, accept, connect, dup or
//! open, and copy a parent's table at fork. This set mirrors that: an fd is added where one of
//! those is reported, a parent's set is copied to its child at fork, and the close of an fd
//! not in the set is skipped. Reporting too many closes is harmless; missing one would leave
//! a stale entry that could later resolve a relative path against the wrong directory, so every
//! doubt (an fd past `FD_SET_LEN`, a full map) reports.

use aya_ebpf::{
    macros::map,
    maps::{Array, HashMap},
};
use vigil_ebpf_common::FD_SET_LEN;

/// One byte per fd rather than a bit: threads of a process write their own fds' bytes
/// concurrently, and plain byte stores need no atomic read-modify-write.
#[repr(C)]
pub struct FdSet {
    held: [u8; FD_SET_LEN],
}

/// Per process (tgid). No entry: the host knows none of its fds yet.
#[map]
static FD_SETS: HashMap<u32, FdSet> = HashMap::with_max_entries(8192, 0);

/// Index 0, never written: the empty set new entries are copied from (too big for the stack).
#[map]
static EMPTY_FD_SET: Array<FdSet> = Array::with_max_entries(1, 0);

/// Index 0 set to 1 once an entry could not be added: from then on every close is reported.
/// The host says so at the end of a run.
#[map]
static FD_SETS_FULL: Array<u32> = Array::with_max_entries(1, 0);

const BPF_NOEXIST: u64 = 1;

#[inline(always)]
fn give_up() {
    if let Some(full) = FD_SETS_FULL.get_ptr_mut(0) {
        // SAFETY: a plain store to an array slot; every writer stores the same value.
        unsafe { *full = 1 };
    }
}

#[inline(always)]
fn gave_up() -> bool {
    FD_SETS_FULL.get(0).is_none_or(|full| *full != 0)
}

/// `fd` (a syscall's result or argument) is now known to the host as held by `tgid`.
#[inline(always)]
pub fn add(tgid: u32, fd: i64) {
    if fd < 0 || fd >= FD_SET_LEN as i64 {
        return;
    }
    let set = match FD_SETS.get_ptr_mut(&tgid) {
        Some(set) => set,
        None => {
            let Some(empty) = EMPTY_FD_SET.get(0) else {
                return give_up();
            };
            // NOEXIST: another thread of the process may have just added the entry; keep its.
            let _ = FD_SETS.insert(&tgid, empty, BPF_NOEXIST);
            match FD_SETS.get_ptr_mut(&tgid) {
                Some(set) => set,
                None => return give_up(),
            }
        }
    };
    // SAFETY: `fd` is in range (checked above, masked for the verifier).
    unsafe { (*set).held[fd as usize & (FD_SET_LEN - 1)] = 1 };
}

/// Whether the close of `fd` by `tgid` must be reported; forgets the fd when it must.
#[inline(always)]
pub fn take_for_close(tgid: u32, fd: u64) -> bool {
    if fd >= FD_SET_LEN as u64 || gave_up() {
        return true;
    }
    let Some(set) = FD_SETS.get_ptr_mut(&tgid) else {
        return false;
    };
    // SAFETY: `fd` is in range (checked above, masked for the verifier).
    unsafe {
        let held = &mut (*set).held[fd as usize & (FD_SET_LEN - 1)];
        if *held == 0 {
            return false;
        }
        *held = 0;
    }
    true
}

/// At fork: the child starts with its parent's set, as the host's table is copied.
#[inline(always)]
pub fn fork(parent_tgid: u32, child: u32) {
    // SAFETY: the value is only read, and copied by the kernel.
    match unsafe { FD_SETS.get(&parent_tgid) } {
        Some(set) => {
            if FD_SETS.insert(&child, set, 0).is_err() {
                give_up();
            }
        }
        // An entry left by an earlier process with this pid (its exit was missed) must not be
        // inherited: the removal of an absent key is a cheap miss.
        None => {
            let _ = FD_SETS.remove(&child);
        }
    }
}

/// A thread, or the whole process, is gone. A thread's own entry is the copy made at its
/// creation (fork cannot tell a thread from a process); the process's goes with the group.
#[inline(always)]
pub fn exit(tid: u32, tgid: u32, group_dead: bool) {
    if tid != tgid {
        let _ = FD_SETS.remove(&tid);
    }
    if group_dead {
        let _ = FD_SETS.remove(&tgid);
    }
}
