//! Keeps a starting Vigil from queueing behind another Vigil's background detach.
//!
//! Detaching a tracepoint program waits for RCU grace periods while holding the kernel's
//! `event_mutex`, which attaching one needs too. A run's ~100 attachments take seconds to
//! detach (see `Capture`'s `Drop`), and a Vigil starting meanwhile waited behind each of them
//! in turn: armed in 1-1.6 s instead of ~0.2 s when steps ran back to back.
//!
//! Two lock files make the detach give way. A starting Vigil holds the turnstile from its start
//! and the gate while it attaches, both shared, so starters never wait for each other. A
//! detacher closes its attachments one at a time, each only once no starter holds the
//! turnstile, and under the gate exclusively: a starter waits at most for the close in flight.
//! Both sides wait a bounded time. A detacher's patience is 10 s in all, so that starts in
//! quick succession cannot keep old attachments alive for long: the kernel allows only 64
//! programs on one tracepoint (and `Capture` waits for room when one is full).

use std::{
    fs::File,
    os::fd::{AsRawFd, RawFd},
    path::{Path, PathBuf},
    sync::Mutex,
    time::Duration,
};

/// How long a starting Vigil waits for the close in flight before attaching anyway.
const STARTER_PATIENCE: Duration = Duration::from_secs(2);
/// How long, in all, a detacher gives way to starters before detaching without waiting.
const DETACHER_PATIENCE_MS: u64 = 10_000;
const POLL_MS: u64 = 5;

/// The two lock files (see the module's doc).
pub struct AttachGate {
    turnstile: File,
    gate: File,
}

/// The turnstile held (shared): detachers start no new close. Released on drop.
pub struct Announced(AttachGate);

/// The turnstile and the gate held (shared): no detacher is closing anything. Released on drop.
pub struct Attaching(Announced);

/// The gate this process announced itself at, as it started.
static ANNOUNCED: Mutex<Option<Announced>> = Mutex::new(None);

/// Called as a capturing command starts: detachers stop starting closes from now, so the
/// close in flight is over by the time this process attaches (see [`attaching`]).
pub fn announce() {
    let announced = AttachGate::system().and_then(AttachGate::announce);
    *ANNOUNCED.lock().unwrap_or_else(|e| e.into_inner()) = announced;
}

/// Holds the gate while this process attaches (announcing it first if [`announce`] was not
/// called). `None` when there is no gate, or someone held it past the patience.
pub fn attaching() -> Option<Attaching> {
    let announced = ANNOUNCED.lock().unwrap_or_else(|e| e.into_inner()).take();
    announced
        .or_else(|| AttachGate::system()?.announce())?
        .attaching()
}

impl AttachGate {
    /// The machine-wide gate: in the first of `/run/lock`, `/var/lock` and the temporary
    /// directory that can hold its files. `None` (with the reasons logged) when none can:
    /// Vigil then attaches and detaches as if alone.
    pub fn system() -> Option<Self> {
        let mut refusals = Vec::new();
        for dir in [
            PathBuf::from("/run/lock"),
            PathBuf::from("/var/lock"),
            std::env::temp_dir(),
        ] {
            match Self::open(&dir) {
                Ok(gate) => return Some(gate),
                Err(e) => refusals.push(format!("{}: {e}", dir.display())),
            }
        }
        tracing::debug!("no attach gate ({})", refusals.join("; "));
        None
    }

    /// The gate whose files are in `dir`.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        Ok(AttachGate {
            turnstile: lock_file(&dir.join("vigil-attach-turnstile.lock"))?,
            gate: lock_file(&dir.join("vigil-attach.lock"))?,
        })
    }

    /// Takes the turnstile (waiting, up to [`STARTER_PATIENCE`], only for a detacher's look).
    pub fn announce(self) -> Option<Announced> {
        lock_shared(&self.turnstile).then_some(Announced(self))
    }

    /// Closes `fds` one by one, giving way to starting Vigils between them. Only calls
    /// async-signal-safe functions, as a child forked from a threaded process must.
    ///
    /// # Safety
    /// Each of `fds` must be open and owned by nobody else in this process.
    pub unsafe fn close_giving_way(&self, fds: &[RawFd]) {
        let (turnstile, gate) = (self.turnstile.as_raw_fd(), self.gate.as_raw_fd());
        let mut patience = DETACHER_PATIENCE_MS / POLL_MS;
        for &fd in fds {
            // No starter about, then the gate to itself, then no starter still: one that came
            // meanwhile goes first. Each wait spends the shared patience; once it is spent,
            // the rest is closed without waiting.
            let locked = loop {
                if !wait_lock(turnstile, libc::LOCK_EX, &mut patience) {
                    break false;
                }
                unlock(turnstile);
                if !wait_lock(gate, libc::LOCK_EX, &mut patience) {
                    break false;
                }
                if try_flock(turnstile, libc::LOCK_EX) {
                    unlock(turnstile);
                    break true;
                }
                unlock(gate);
            };
            // SAFETY: the caller owns `fd`.
            unsafe { libc::close(fd) };
            if locked {
                unlock(gate);
            }
        }
    }
}

impl Announced {
    /// Takes the gate, waiting (up to [`STARTER_PATIENCE`]) for the close in flight.
    pub fn attaching(self) -> Option<Attaching> {
        lock_shared(&self.0.gate).then_some(Attaching(self))
    }
}

impl Drop for Announced {
    fn drop(&mut self) {
        unlock(self.0.turnstile.as_raw_fd());
    }
}

impl Drop for Attaching {
    fn drop(&mut self) {
        unlock(self.0 .0.gate.as_raw_fd());
    }
}

/// Locks `file` shared, polling up to [`STARTER_PATIENCE`].
fn lock_shared(file: &File) -> bool {
    let mut patience = STARTER_PATIENCE.as_millis() as u64 / POLL_MS;
    let locked = wait_lock(file.as_raw_fd(), libc::LOCK_SH, &mut patience);
    if !locked {
        tracing::debug!("a detaching Vigil holds the attach gate; attaching anyway");
    }
    locked
}

/// Opens (creating it if need be) a lock file, without following a planted symlink.
fn lock_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path);
    match opened {
        // Another user's file: reading is enough to lock it.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path),
        other => other,
    }
}

fn try_flock(fd: RawFd, how: libc::c_int) -> bool {
    // SAFETY: flock on a descriptor this process owns.
    unsafe { libc::flock(fd, how | libc::LOCK_NB) == 0 }
}

fn unlock(fd: RawFd) {
    // SAFETY: as above.
    unsafe { libc::flock(fd, libc::LOCK_UN) };
}

/// Locks `fd` (`how`: shared or exclusive), polling while `patience` (in polls) lasts; the
/// starters' waits and the detachers' alike. Async-signal-safe.
fn wait_lock(fd: RawFd, how: libc::c_int, patience: &mut u64) -> bool {
    loop {
        if try_flock(fd, how) {
            return true;
        }
        if *patience == 0 {
            return false;
        }
        *patience -= 1;
        let pause = libc::timespec {
            tv_sec: 0,
            tv_nsec: (POLL_MS * 1_000_000) as libc::c_long,
        };
        // SAFETY: a valid timespec; an interrupted sleep only polls sooner.
        unsafe { libc::nanosleep(&pause, std::ptr::null_mut()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::IntoRawFd;
    use std::time::Instant;

    fn is_open(fd: RawFd) -> bool {
        // SAFETY: F_GETFD only queries.
        unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
    }

    /// A fresh directory for one test's gate, and two handles on that gate.
    fn gate_pair(test: &str) -> (PathBuf, AttachGate, AttachGate) {
        let dir = std::env::temp_dir().join(format!("vigil-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (
            AttachGate::open(&dir).unwrap(),
            AttachGate::open(&dir).unwrap(),
        );
        (dir, a, b)
    }

    fn pipe_fds() -> Vec<RawFd> {
        (0..3)
            .flat_map(|_| {
                let (r, w) = std::io::pipe().expect("pipe");
                [r.into_raw_fd(), w.into_raw_fd()]
            })
            .collect()
    }

    fn starting(gate: AttachGate) -> Option<Attaching> {
        gate.announce().and_then(Announced::attaching)
    }

    #[test]
    fn a_detacher_closes_nothing_while_vigils_attach_and_everything_after() {
        let (dir, starter, detacher) = gate_pair("gate-attaching");
        let fds = pipe_fds();

        let attaching = starting(starter).expect("nobody else holds the gate");
        // Starters do not wait for each other.
        let second = starting(AttachGate::open(&dir).unwrap()).expect("a second starter");
        let closing = {
            let fds = fds.clone();
            // SAFETY: the fds were made above and are used by nothing else.
            std::thread::spawn(move || unsafe { detacher.close_giving_way(&fds) })
        };
        std::thread::sleep(Duration::from_millis(300));
        drop(second);
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            fds.iter().all(|&fd| is_open(fd)),
            "closed while a Vigil was attaching"
        );
        drop(attaching);
        closing.join().unwrap();
        assert!(fds.iter().all(|&fd| !is_open(fd)), "left open");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_starter_waits_for_the_close_in_flight_then_keeps_the_detacher_out() {
        let (dir, starter, detacher) = gate_pair("gate-in-flight");
        // A close in flight: the detacher holds the gate.
        assert!(try_flock(detacher.gate.as_raw_fd(), libc::LOCK_EX));
        let waiting = std::thread::spawn(move || starting(starter).is_some());
        std::thread::sleep(Duration::from_millis(100));
        assert!(!waiting.is_finished(), "attached during a close");
        // A starter is about: the detacher would not start another close.
        assert!(!try_flock(detacher.turnstile.as_raw_fd(), libc::LOCK_EX));
        unlock(detacher.gate.as_raw_fd());
        let held = waiting.join().unwrap();
        assert!(held, "the starter gave up although the close ended");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_gate_held_for_good_delays_a_start_but_does_not_block_it() {
        let (dir, squatter, starter) = gate_pair("gate-squatted");
        // Someone sits in the gate and never leaves.
        assert!(try_flock(squatter.gate.as_raw_fd(), libc::LOCK_EX));
        let start = Instant::now();
        assert!(starting(starter).is_none());
        assert!(start.elapsed() >= STARTER_PATIENCE);
        // The starter let go of the turnstile it had taken: detachers are not held up.
        let other = AttachGate::open(&dir).unwrap();
        assert!(try_flock(other.turnstile.as_raw_fd(), libc::LOCK_EX));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_starter_that_never_attaches_holds_a_detacher_up_only_for_its_patience() {
        let (dir, stuck, detacher) = gate_pair("gate-stuck");
        let _announced = stuck.announce().expect("the turnstile is free");
        let fds = pipe_fds();
        let start = Instant::now();
        // SAFETY: the fds were made above and are used by nothing else.
        unsafe { detacher.close_giving_way(&fds) };
        assert!(start.elapsed() >= Duration::from_millis(DETACHER_PATIENCE_MS));
        assert!(fds.iter().all(|&fd| !is_open(fd)), "left open");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
