//! `vigil start`: checks its input, detaches the daemon (a re-exec of this binary as `vigil
//! daemon`, in its own session, its output in `DIR/vigil.log`) and waits, for a bounded time,
//! until the daemon says through a pipe that it armed capture, or why it could not.

use std::{
    fs::File,
    io::Read,
    os::{
        fd::{AsRawFd, FromRawFd, OwnedFd},
        unix::process::CommandExt,
    },
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

use super::{log_tail, read_pid_file, scope, ProcessId, StateDir};
use crate::{cli::StartArgs, egress, run};

/// `vigil start`.
pub fn start(args: StartArgs) -> i32 {
    run::report_error(start_daemon(args).map(|()| 0))
}

fn start_daemon(args: StartArgs) -> Result<()> {
    // Bad input fails here, with its name, not later in a log.
    egress::parse_patterns(&args.egress_allow)?;
    let root = args.watch_pid.unwrap_or_else(scope::default_root);
    scope::check_root(root)?;
    std::fs::create_dir_all(&args.state)
        .with_context(|| format!("--state {}: cannot create directory", args.state.display()))?;
    let state = StateDir::new(&args.state);
    if let Some(running) = read_pid_file(&state)?.filter(ProcessId::is_alive) {
        bail!(
            "--state {}: a Vigil daemon (pid {}) is already running there; `vigil stop --state {}` first",
            args.state.display(),
            running.pid,
            args.state.display()
        );
    }
    for stale in [
        state.pid(),
        state.findings(),
        state.armed(),
        state.outcome(),
        state.result(),
        state.stopped(),
    ] {
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", stale.display())),
        }
    }

    let (ready_r, ready_w) = pipe()?;
    // The write end goes to the daemon; the read end stays close-on-exec.
    // SAFETY: clearing FD_CLOEXEC on a valid fd.
    unsafe { libc::fcntl(ready_w.as_raw_fd(), libc::F_SETFD, 0) };
    let log =
        File::create(state.log()).with_context(|| format!("creating {}", state.log().display()))?;
    let exe = std::env::current_exe().context("locating the vigil binary")?;
    // The daemon takes the same options: everything after `start`, plus what was resolved here.
    let mut command = std::process::Command::new(exe);
    command
        .arg("daemon")
        .args(std::env::args_os().skip(2))
        .arg("--ready-fd")
        .arg(ready_w.as_raw_fd().to_string())
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    if args.watch_pid.is_none() {
        command.arg("--watch-pid").arg(root.to_string());
    }
    // SAFETY: setsid is async-signal-safe; it detaches the daemon from the caller's session
    // and terminal, so the caller's exit or Ctrl-C does not end it.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = command.spawn().context("starting the Vigil daemon")?;
    drop(ready_w);

    let timeout = Duration::from_secs(args.ready_timeout_secs);
    match wait_ready(ready_r, timeout)? {
        Ready::Armed => {
            eprintln!(
                "vigil: armed: daemon pid {} watching pid {root} and its descendants; state in {}",
                child.id(),
                args.state.display()
            );
            Ok(())
        }
        Ready::Failed(why) => {
            let _ = child.wait();
            bail!("the Vigil daemon could not arm: {why}")
        }
        Ready::Exited => {
            let _ = child.wait();
            bail!(
                "the Vigil daemon exited before arming; its log ({}):\n{}",
                state.log().display(),
                log_tail(&state)
            )
        }
        Ready::TimedOut => {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "the Vigil daemon did not arm within {} s (--ready-timeout-secs); stopped it. Its log ({}):\n{}",
                args.ready_timeout_secs,
                state.log().display(),
                log_tail(&state)
            )
        }
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: plain pipe2(2); both ends are owned below.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("creating the readiness pipe");
    }
    // SAFETY: fresh fds from pipe2.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

enum Ready {
    Armed,
    Failed(String),
    Exited,
    TimedOut,
}

/// Reads the daemon's answer: `+` once armed, `-` and a reason when it gave up.
fn wait_ready(ready: OwnedFd, timeout: Duration) -> Result<Ready> {
    let deadline = Instant::now() + timeout;
    let mut answer = Vec::new();
    let mut file = File::from(ready);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Ready::TimedOut);
        }
        let mut poll = libc::pollfd {
            fd: file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut poll, 1, ms) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e).context("waiting for the daemon");
        }
        if n == 0 {
            continue;
        }
        let mut buf = [0u8; 4096];
        let got = file.read(&mut buf).context("reading the readiness pipe")?;
        if got == 0 {
            return Ok(match answer.first() {
                Some(b'+') => Ready::Armed,
                Some(b'-') => Ready::Failed(String::from_utf8_lossy(&answer[1..]).into_owned()),
                _ => Ready::Exited,
            });
        }
        answer.extend_from_slice(&buf[..got]);
        if answer.first() == Some(&b'+') {
            return Ok(Ready::Armed);
        }
    }
}
