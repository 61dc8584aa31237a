//! Each process's working directory, as far as the open filter needs it: an epoch per process
//! that changes whenever its cwd may have, and the end of the cwd the host wrote for that
//! epoch. With both, a relative open is judged like an absolute one (`open_unwanted`).
//!
//! The kernel cannot name a directory cheaply; the host can, since it follows every chdir and
//! fchdir to resolve relative paths. So a chdir or fchdir gives the process a fresh epoch on
//! entry (nothing is known while the cwd changes) and another at exit, carried in its record
//! (`CWD_EPOCH_ARG`); when the host has applied that record, it writes the cwd's tail under
//! that epoch. A child inherits its parent's epoch at fork, as the host's copy of the process
//! inherits its cwd. A tail is used only when the process's epoch is the one it was written
//! for, so a tail written late, or for a cwd already left, is never applied to another
//! directory: until the host catches up, relative opens are emitted as before.

use aya_ebpf::{
    helpers::{bpf_get_smp_processor_id, bpf_ktime_get_ns},
    macros::map,
    maps::{HashMap, LruHashMap},
};
use vigil_ebpf_common::{CwdTail, CWD_EPOCH_HOST};

/// Per process (tgid), and per thread until the thread exits (fork cannot tell them apart).
#[map]
static CWD_EPOCHS: HashMap<u32, u64> = HashMap::with_max_entries(16384, 0);

/// Written by the host. LRU: an epoch no process has any more just ages out, and a tail that
/// is gone only means emitting relative opens.
#[map]
static CWD_TAILS: LruHashMap<u64, CwdTail> = LruHashMap::with_max_entries(4096, 0);

/// A value never used before: a CPU makes at most one per nanosecond.
#[inline(always)]
fn fresh() -> u64 {
    // SAFETY: plain helper calls.
    let (now, cpu) = unsafe { (bpf_ktime_get_ns(), bpf_get_smp_processor_id()) };
    ((now << 8) | (cpu as u64 & 0xff)) & !CWD_EPOCH_HOST
}

/// On entry to chdir or fchdir: whatever the call does, the tail of the old cwd no longer
/// applies (another thread may open while the cwd changes).
#[inline(always)]
pub fn changing(tgid: u32) {
    if let Some(epoch) = CWD_EPOCHS.get_ptr_mut(&tgid) {
        // SAFETY: one aligned 8-byte store to the map value.
        unsafe { *epoch = fresh() };
    }
}

/// At the exit of chdir or fchdir (whether it succeeded or not): the epoch the host writes the
/// process's cwd under once it has applied this record; 0 when there is none.
#[inline(always)]
pub fn changed(tgid: u32) -> u64 {
    let next = fresh();
    match CWD_EPOCHS.get_ptr_mut(&tgid) {
        // SAFETY: as in `changing`.
        Some(epoch) => unsafe { *epoch = next },
        None => {
            if CWD_EPOCHS.insert(&tgid, &next, 0).is_err() {
                return 0;
            }
        }
    }
    next
}

/// The tail of `tgid`'s cwd, when the host wrote one for its current epoch.
#[inline(always)]
pub fn current(tgid: u32) -> Option<*const CwdTail> {
    // SAFETY: the values are only read.
    let epoch = unsafe { CWD_EPOCHS.get(&tgid) }?;
    CWD_TAILS.get_ptr(epoch)
}

/// At fork: the child's cwd is its parent's. No entry for the parent: none for the child (an
/// entry left by an earlier process with this pid must not apply to it).
#[inline(always)]
pub fn fork(parent_tgid: u32, child: u32) {
    // SAFETY: the value is only read, and copied by the kernel.
    let inserted = match unsafe { CWD_EPOCHS.get(&parent_tgid) } {
        Some(epoch) => CWD_EPOCHS.insert(&child, epoch, 0).is_ok(),
        None => false,
    };
    if !inserted {
        let _ = CWD_EPOCHS.remove(&child);
    }
}

/// A thread, or the whole process, is gone (as in `fd_sets::exit`).
#[inline(always)]
pub fn exit(tid: u32, tgid: u32, group_dead: bool) {
    if tid != tgid {
        let _ = CWD_EPOCHS.remove(&tid);
    }
    if group_dead {
        let _ = CWD_EPOCHS.remove(&tgid);
    }
}
