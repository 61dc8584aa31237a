//! `vigil run`: load signatures, arm capture, start the command held, release it, then follow
//! its events until it exits; report and choose the exit status.

use std::{
    io::Write,
    os::fd::{AsRawFd, FromRawFd, OwnedFd},
    process::ExitStatus,
    sync::{Arc, Mutex},
};

use anyhow::{Context, Result};
use aya::maps::{MapData, RingBuf};
use tokio::{
    io::unix::AsyncFd,
    signal::unix::{signal, SignalKind},
};

use crate::{
    capture::Capture,
    cli::RunArgs,
    decode,
    dispatcher::{Dispatcher, Selection},
    exit_status,
    report::Reporter,
    sandbox::SharedTracker,
    signatures,
    tracker::Tracker,
};

pub fn run(args: RunArgs) -> i32 {
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(watch(args)));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vigil: error: {e:#}");
            exit_status::VIGIL_ERROR
        }
    }
}

/// Counters for the end-of-run status line.
#[derive(Default)]
struct Stats {
    records: u64,
    decode_errors: u64,
}

async fn watch(args: RunArgs) -> Result<i32> {
    let tracker: SharedTracker = Arc::new(Mutex::new(Tracker::new()));
    let runtime = signatures::runtime(&args.signatures)?;
    let sigs = signatures::load(&runtime, &args.signatures, tracker.clone())?;
    let ids: Vec<&str> = sigs.iter().map(|s| s.metadata.id.as_str()).collect();
    tracing::info!("loaded {} signature(s): {}", sigs.len(), ids.join(", "));
    let reporter = Reporter::new(args.findings.as_deref())?;
    let (dispatcher, selection) = Dispatcher::start(sigs, reporter)?;

    let mut capture = Capture::load(args.ring_kib.saturating_mul(1024))?;
    // SAFETY: the ring buffer owns its map fd, which stays open and unchanged while the
    // AsyncFd owns the ring.
    let mut ring = unsafe { AsyncFd::register(capture.take_ring()?) }
        .map_err(|e| e.into_parts().1)
        .context("polling the ring buffer")?;

    let (mut child, pid) = spawn_held(&args, &mut capture, &tracker)?;
    tracing::info!("armed: watching pid {pid} and its descendants");

    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut stats = Stats::default();
    let status: ExitStatus = loop {
        tokio::select! {
            guard = ring.readable_mut() => {
                let mut guard = guard?;
                drain(guard.get_inner_mut(), &tracker, &selection, &dispatcher, &mut stats)?;
                guard.clear_ready();
            }
            status = child.wait() => break status.context("waiting for the command")?,
            _ = sigint.recv() => forward(pid, libc::SIGINT),
            _ = sigterm.recv() => forward(pid, libc::SIGTERM),
        }
    };
    // Everything the tree did before the root exited is already in the ring.
    drain(
        ring.get_mut(),
        &tracker,
        &selection,
        &dispatcher,
        &mut stats,
    )?;
    let lost = capture.lost()?;
    let outcome = dispatcher.finish()?;
    let reporter = outcome.reporter;
    let disabled: Vec<String> = outcome
        .disabled
        .iter()
        .map(|(id, why)| format!("{id}: {why}"))
        .collect();
    let degraded =
        lost > 0 || stats.decode_errors > 0 || outcome.failed_calls > 0 || !disabled.is_empty();
    let state = if degraded { "degraded" } else { "armed" };
    eprintln!(
        "vigil: status {state}: {} finding(s) ({} suppressed by rate limit), {} event(s), \
         {lost} lost, {} undecodable, {} failed signature call(s), {} disabled signature(s)",
        reporter.findings.len(),
        outcome.suppressed,
        stats.records,
        stats.decode_errors,
        outcome.failed_calls,
        disabled.len()
    );
    for d in &disabled {
        eprintln!("vigil: signature disabled: {d}");
    }

    let command_code = command_exit_code(status);
    if reporter.findings.iter().any(|f| f.severity >= args.fail_on) {
        eprintln!(
            "vigil: failing: findings at or above {} (command exited {command_code})",
            args.fail_on.as_str()
        );
        return Ok(exit_status::FINDING);
    }
    if degraded && !args.allow_degraded {
        eprintln!("vigil: failing: Vigil was degraded (use --allow-degraded to accept)");
        return Ok(exit_status::VIGIL_ERROR);
    }
    Ok(command_code)
}

/// Starts `vigil hold -- CMD`, puts it in scope, then lets it exec the command.
fn spawn_held(
    args: &RunArgs,
    capture: &mut Capture,
    tracker: &SharedTracker,
) -> Result<(tokio::process::Child, u32)> {
    let mut fds = [0; 2];
    // SAFETY: plain pipe2(2); both ends are owned below.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("creating the release pipe");
    }
    // SAFETY: fresh fds from pipe2.
    let (release_r, release_w) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // The read end goes to the child; the write end stays close-on-exec.
    // SAFETY: clearing FD_CLOEXEC on a valid fd.
    unsafe { libc::fcntl(release_r.as_raw_fd(), libc::F_SETFD, 0) };

    let exe = std::env::current_exe().context("locating the vigil binary")?;
    let child = tokio::process::Command::new(exe)
        .arg("hold")
        .arg("--fd")
        .arg(release_r.as_raw_fd().to_string())
        .arg("--")
        .args(&args.command)
        .kill_on_drop(true)
        .spawn()
        .context("starting the command")?;
    drop(release_r);
    let pid = child
        .id()
        .context("the command exited before it was armed")?;

    // If arming fails, dropping the write end makes `hold` exit without running the command.
    capture.watch(pid)?;
    let argv = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    tracker
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .add_root(pid, std::process::id(), argv);
    let mut release = std::fs::File::from(release_w);
    release.write_all(b"+").context("releasing the command")?;
    Ok((child, pid))
}

/// Consumes every record currently in the ring buffer.
fn drain(
    ring: &mut RingBuf<MapData>,
    tracker: &SharedTracker,
    selection: &Selection,
    dispatcher: &Dispatcher,
    stats: &mut Stats,
) -> Result<()> {
    while let Some(item) = ring.next() {
        stats.records += 1;
        let record = match decode::decode(&item) {
            Ok(r) => r,
            Err(e) => {
                stats.decode_errors += 1;
                tracing::warn!("dropping a kernel record: {e}");
                continue;
            }
        };
        drop(item);
        let job = {
            let mut tracker = tracker.lock().unwrap_or_else(|e| e.into_inner());
            tracker.apply(record).and_then(|event| {
                tracing::trace!(?event, "event");
                selection.job(event, &tracker)
            })
        };
        if let Some(job) = job {
            dispatcher.send(job)?;
        }
    }
    Ok(())
}

fn forward(pid: u32, sig: i32) {
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid as i32, sig) };
}

/// The status a shell would report: the exit code, or 128 + signal.
fn command_exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(exit_status::VIGIL_ERROR)
}
