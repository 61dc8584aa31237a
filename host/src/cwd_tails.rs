//! The host's half of the kernel's cwd tails (the eBPF `cwd_tails` module): under each cwd
//! epoch the kernel handed out with a chdir or fchdir record, the tail of the directory the
//! tracker resolves that process's relative paths against from then on, so that the kernel can
//! judge relative opens as it judges absolute ones. Also the watched root's first epoch, set
//! before it runs (the kernel gives processes epochs only at chdir, and at fork from their
//! parent's).
//!
//! A tail is written only under the epoch the record carried, and the kernel uses it only while
//! the process's epoch is still that one; so a tail that arrives late, or for a directory the
//! process has already left, is simply not used.

use anyhow::{anyhow, Context, Result};
use aya::{
    maps::{HashMap, MapData, MapError},
    Ebpf,
};
use vigil_ebpf_common::{CwdTail, CWD_EPOCH_HOST};

use crate::open_filter::CwdJudge;

const BPF_NOEXIST: u64 = 1;

pub struct CwdTails {
    epochs: HashMap<MapData, u32, u64>,
    tails: HashMap<MapData, u64, CwdTail>,
    judge: CwdJudge,
    next_epoch: u64,
    /// Whether a failed write was already logged.
    warned: bool,
}

impl CwdTails {
    /// Takes the maps from `ebpf`; `None` when the filter judges no opens at all.
    pub fn take(ebpf: &mut Ebpf, judge: Option<CwdJudge>) -> Result<Option<Self>> {
        let Some(judge) = judge else {
            return Ok(None);
        };
        let mut take = |name: &str| {
            ebpf.take_map(name)
                .ok_or_else(|| anyhow!("map {name} missing"))
        };
        let epochs = HashMap::try_from(take("CWD_EPOCHS")?)?;
        let tails = HashMap::try_from(take("CWD_TAILS")?)?;
        Ok(Some(CwdTails {
            epochs,
            tails,
            judge,
            next_epoch: 0,
            warned: false,
        }))
    }

    /// The watched root, before it runs, in `cwd`.
    pub fn root(&mut self, pid: u32, cwd: Option<&str>) -> Result<()> {
        let Some(tail) = cwd.and_then(|cwd| self.judge.tail(cwd)) else {
            return Ok(());
        };
        let epoch = CWD_EPOCH_HOST | self.next_epoch;
        self.next_epoch += 1;
        self.tails
            .insert(epoch, tail, 0)
            .context("writing the root's cwd for the kernel")?;
        // NOEXIST: a root already running (the daemon's) may have changed directory since
        // its cwd was read, and the kernel's epoch for that must stay.
        match self.epochs.insert(pid, epoch, BPF_NOEXIST) {
            Err(MapError::SyscallError(e)) if e.io_error.raw_os_error() == Some(libc::EEXIST) => {
                Ok(())
            }
            other => other.context("writing the root's cwd epoch for the kernel"),
        }
    }

    /// A chdir or fchdir record gave a process `epoch`, and left it in `cwd`.
    pub fn assign(&mut self, epoch: u64, cwd: &str) {
        let Some(tail) = self.judge.tail(cwd) else {
            return;
        };
        if let Err(e) = self.tails.insert(epoch, tail, 0) {
            // Only slower: the kernel keeps emitting that process's relative opens.
            if !self.warned {
                tracing::warn!("could not give the kernel a cwd ({cwd}): {e}");
                self.warned = true;
            }
        }
    }
}
