//! Daemon mode, for watching a whole CI job: `vigil start` detaches a daemon (`vigil daemon`,
//! a re-exec of this binary in its own session, its output in `DIR/vigil.log`) and returns only
//! once the daemon has armed capture over the job's process tree, or fails within a bounded
//! time. `vigil stop` ([`stop`]) ends it and writes the reports. The daemon runs the same
//! [`Pipeline`] as `vigil run` and leaves in its state directory what `stop` needs: its pid
//! (`vigil.pid`), findings as they happen (`findings.jsonl`), what it loaded once armed
//! (`armed.json`) and its outcome when it finished (`outcome.json`).

pub mod scope;
pub mod stop;

use std::{
    fs::File,
    io::{Read, Write},
    os::{
        fd::{AsRawFd, FromRawFd, OwnedFd},
        unix::process::CommandExt,
    },
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use tokio::signal::unix::{signal, SignalKind};

use crate::{
    capture,
    cli::{DaemonArgs, StartArgs, VerdictArgs},
    egress::{self, Egress},
    event::Kind,
    reports::{DisabledSignature, JobOutcome, Status},
    run::{self, Armed, End, Pipeline},
    sandbox::SharedTracker,
    tracker::Tracker,
};

/// The files of a state directory.
pub struct StateDir(PathBuf);

impl StateDir {
    pub fn new(dir: &Path) -> Self {
        StateDir(dir.to_path_buf())
    }
    pub fn log(&self) -> PathBuf {
        self.0.join("vigil.log")
    }
    pub fn pid(&self) -> PathBuf {
        self.0.join("vigil.pid")
    }
    pub fn findings(&self) -> PathBuf {
        self.0.join("findings.jsonl")
    }
    pub fn armed(&self) -> PathBuf {
        self.0.join("armed.json")
    }
    pub fn outcome(&self) -> PathBuf {
        self.0.join("outcome.json")
    }
    /// Marks a daemon that `vigil stop` ended and that finished properly: a later `vigil stop`
    /// reports the same outcome again instead of calling the daemon down.
    pub fn stopped(&self) -> PathBuf {
        self.0.join("stopped")
    }
    /// What `vigil stop` concluded (status, counts, exit status), for the Action's outputs.
    pub fn result(&self) -> PathBuf {
        self.0.join("result.json")
    }
}

/// A process identified beyond its pid (pids are reused): pid and start time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessId {
    pub pid: u32,
    pub start_time: u64,
}

impl ProcessId {
    /// `None` when no such process exists or it is a zombie.
    pub fn of(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after_comm = stat.get(stat.rfind(')')? + 1..)?;
        let fields: Vec<&str> = after_comm.split_whitespace().collect();
        if *fields.first()? == "Z" || *fields.first()? == "X" {
            return None;
        }
        // Field 22 of stat; the 20th after the comm.
        let start_time = fields.get(19)?.parse().ok()?;
        Some(ProcessId { pid, start_time })
    }

    pub fn is_alive(&self) -> bool {
        ProcessId::of(self.pid) == Some(*self)
    }

    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split_whitespace();
        Some(ProcessId {
            pid: parts.next()?.parse().ok()?,
            start_time: parts.next()?.parse().ok()?,
        })
    }
}

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

pub fn log_tail(state: &StateDir) -> String {
    let text = std::fs::read_to_string(state.log()).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

pub fn read_pid_file(state: &StateDir) -> Result<Option<ProcessId>> {
    match std::fs::read_to_string(state.pid()) {
        Ok(text) => ProcessId::parse(&text)
            .map(Some)
            .with_context(|| format!("{}: not a Vigil pid file", state.pid().display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", state.pid().display())),
    }
}

/// Writes `value` as JSON to `path` atomically: a reader sees all of it or nothing.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(value)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// `vigil daemon`: arm, say so through the readiness pipe, watch until SIGTERM, conclude.
pub fn serve(args: DaemonArgs) -> i32 {
    // SAFETY: the fd was created for us by `vigil start` and is not used elsewhere.
    let mut ready = Some(unsafe { File::from_raw_fd(args.ready_fd) });
    let result = run::block_on(async {
        let result = watch(args.start, &mut ready).await;
        if let (Err(e), Some(mut ready)) = (&result, ready.take()) {
            let _ = write!(ready, "-{e:#}");
        }
        result
    });
    if result != 0 {
        eprintln!("vigil: daemon exiting with status {result}");
    }
    result
}

async fn watch(args: StartArgs, ready: &mut Option<File>) -> Result<i32> {
    let state = StateDir::new(&args.state);
    let me = ProcessId::of(std::process::id()).context("reading this process's own stat")?;
    std::fs::write(state.pid(), format!("{} {}\n", me.pid, me.start_time))
        .with_context(|| format!("writing {}", state.pid().display()))?;
    let root = args
        .watch_pid
        .context("the daemon needs --watch-pid (vigil start resolves it)")?;
    let patterns = egress::parse_patterns(&args.egress_allow)?;

    let tracker: SharedTracker = Arc::new(Mutex::new(Tracker::new()));
    let verdict = VerdictArgs {
        findings: Some(state.findings()),
        fail_on: args.fail_on,
        allow_degraded: false,
        fail_on_loss: false,
    };
    let mut pipeline = Pipeline::start(&args.signatures, &verdict, tracker, None, None)?;
    pipeline.track_egress(Egress::new(patterns));
    // The egress table needs connects and DNS queries whatever the signatures selected.
    let wanted = Kind::ALL
        .into_iter()
        .filter(|k| pipeline.wants(*k) || matches!(k, Kind::Connect | Kind::DnsQuery));
    let Armed {
        mut capture,
        mut ring,
    } = run::arm(args.ring_kib, capture::kind_mask(wanted))?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let watched = scope::seed(&mut capture, root, me.pid)?;
    let info = crate::procfs::process(&mut crate::procfs::ProcIo::Live, root);
    let (ppid, argv) = info.map_or((0, Vec::new()), |p| (p.ppid, p.argv));
    pipeline.add_root(root, ppid, argv)?;

    let mut outcome = JobOutcome::new(
        Status::Armed,
        root,
        args.fail_on,
        pipeline.signatures().to_vec(),
    );
    write_json(&state.armed(), &outcome)?;
    if let Some(mut r) = ready.take() {
        r.write_all(b"+")
            .context("telling vigil start we are armed")?;
    }
    tracing::info!(
        "armed in {} ms: watching pid {root} and its {} descendant(s) present now",
        crate::STARTED.get().map_or(0, |t| t.elapsed().as_millis()),
        watched - 1
    );

    let stopped = async {
        tokio::select! {
            _ = sigterm.recv() => {}
            _ = sigint.recv() => {}
        }
        Ok(())
    };
    run::follow(&mut ring, &mut pipeline, stopped).await?;
    let lost = capture.lost()?;
    drop(capture);
    let conclusion = pipeline.finish(End {
        command_status: 0,
        lost,
        replay_mismatches: 0,
    })?;
    let o = &conclusion.outcome;
    outcome.status = if conclusion.degraded {
        Status::Degraded
    } else {
        Status::Armed
    };
    outcome.disabled = o
        .disabled
        .iter()
        .map(|(id, reason)| DisabledSignature {
            id: id.clone(),
            reason: reason.clone(),
        })
        .collect();
    outcome.events = conclusion.stats.records;
    outcome.lost = lost;
    outcome.undecodable = conclusion.stats.decode_errors;
    outcome.failed_calls = o.failed_calls;
    outcome.suppressed = o.suppressed;
    outcome.egress = conclusion.egress.map(|e| e.table()).unwrap_or_default();
    write_json(&state.outcome(), &outcome)?;
    Ok(0)
}
