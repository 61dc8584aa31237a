//! `vigil run`, `vigil record`, `vigil replay` and `vigil events`: one pipeline, fed either by
//! the kernel (arm capture, start the command held, release it, follow its events until it
//! exits) or by a record file, ending in the same report and exit status.
//!
//! Every record, live or replayed, takes the same path through [`Pipeline::feed`]: decode,
//! enrich in the tracker, optionally append to a record file, and hand to the signatures that
//! selected its kind.

use std::{
    ffi::OsString,
    io::Write,
    os::fd::{AsRawFd, FromRawFd, OwnedFd},
    path::{Path, PathBuf},
    process::ExitStatus,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::{Context, Result};
use aya::maps::{MapData, RingBuf};
use tokio::{
    io::unix::AsyncFd,
    signal::unix::{signal, SignalKind},
};

use crate::{
    capture::{self, Capture, Wanted},
    cli::{EventsArgs, RecordArgs, ReplayArgs, RunArgs, SignatureSource, VerdictArgs},
    cwd_tails::CwdTails,
    decode,
    dispatcher::{Dispatcher, Outcome, Selection},
    egress::Egress,
    event::Kind,
    event_printer::EventPrinter,
    exit_status,
    host_settings::{self, Facts},
    open_filter::OpenFilter,
    procfs::ProcIo,
    recording::{self, Frame},
    report::Reporter,
    reports::SignatureInfo,
    run_stats::{self, RunStats},
    sandbox::SharedTracker,
    signatures,
    tracker::Tracker,
};

/// The watched command's pid once armed (0 before): a panic in Vigil kills it, since nothing
/// would watch it any more.
/// How often the ring is drained without a wake-up from the kernel while records arrive
/// quickly: often enough that a storm of a million records a second stays under the backlog at
/// which every record wakes us (an eighth of the default ring, see `commit_flags` in the eBPF
/// programs). At 10 ms, those wake-ups cost a relative-path open 260 ns of its ~580 in the
/// kernel program.
const DRAIN_BUSY: Duration = Duration::from_millis(1);
/// The same while they trickle: waking up every millisecond of a quiet build costs ~2% of a core.
const DRAIN_IDLE: Duration = Duration::from_millis(10);
/// A drain that found at least this many records keeps the short period.
const BUSY_RECORDS: usize = 32;

pub static WATCHED_ROOT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

pub fn run(args: RunArgs) -> i32 {
    block_on(async move {
        if let Some(path) = &args.stats_json {
            run_stats::prepare(path)?;
        }
        host_settings::set(Facts::this_process(args.verdict.findings.as_deref()));
        let tracker: SharedTracker = Arc::new(Mutex::new(Tracker::new()));
        let mut pipeline = Pipeline::start(&args.signatures, &args.verdict, tracker, None, None)?;
        pipeline.stats_json = args.stats_json.clone();
        let wanted = pipeline.wanted(&[]);
        let scope = capture::Scope::from_all(args.all);
        let (pipeline, end) = live(pipeline, &args.command, args.ring_kib, &wanted, scope).await?;
        pipeline.conclude(&args.verdict, end)
    })
}

pub fn record(args: RecordArgs) -> i32 {
    block_on(async move {
        let tracker = Tracker::with_io(ProcIo::Recording(Vec::new()), epoch_offset_ns());
        let mut writer = recording::Writer::create(&args.output)?;
        writer.write(&Frame::Start {
            vigil_version: env!("CARGO_PKG_VERSION").to_string(),
            kernel: kernel_release(),
            command: lossy(&args.command),
            epoch_offset_ns: tracker.epoch_offset_ns(),
        })?;
        // What a replay gives signatures as this Vigil's facts: the job ran against this process.
        let me = Facts::this_process([args.output.as_path()]);
        writer.write(&Frame::Host {
            pid: me.pid,
            exe: me.exe,
            outputs: me.outputs,
        })?;
        let tracker: SharedTracker = Arc::new(Mutex::new(tracker));
        let none = SignatureSource::none();
        let verdict = VerdictArgs {
            findings: None,
            fail_on: crate::cli::Severity::Critical,
            allow_degraded: args.allow_degraded,
            fail_on_loss: false,
        };
        let pipeline = Pipeline::start(&none, &verdict, tracker, Some(writer), None)?;
        let (mut pipeline, end) = live(
            pipeline,
            &args.command,
            args.ring_kib,
            &Wanted::everything(),
            capture::Scope::from_all(args.all),
        )
        .await?;
        if let Some(mut writer) = pipeline.writer.take() {
            writer.write(&Frame::End {
                command_status: end.command_status,
                lost: end.lost,
                decode_errors: pipeline.stats.decode_errors,
            })?;
            writer.finish()?;
        }
        pipeline.conclude(&verdict, end)
    })
}

pub fn replay(args: ReplayArgs) -> i32 {
    report_error(replay_file(
        &args.file,
        Some((&args.signatures, &args.verdict)),
        None,
    ))
}

pub fn events(args: EventsArgs) -> i32 {
    report_error((|| {
        let printer = match &args.batch {
            Some(path) => EventPrinter::Batch(Box::new(std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("{}: cannot create", path.display()))?,
            ))),
            None => EventPrinter::Json(Box::new(std::io::BufWriter::new(std::io::stdout().lock()))),
        };
        replay_file(&args.file, None, Some(printer))
    })())
}

pub fn block_on(fut: impl std::future::Future<Output = Result<i32>>) -> i32 {
    report_error(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the runtime")
            .and_then(|rt| rt.block_on(fut)),
    )
}

pub fn report_error(result: Result<i32>) -> i32 {
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
pub struct Stats {
    pub records: u64,
    pub decode_errors: u64,
}

/// How the watched command (live or recorded) ended.
pub struct End {
    pub command_status: i32,
    pub lost: u64,
    /// Replay: /proc questions the recording could not answer as the live run did.
    pub replay_mismatches: u64,
}

/// What a finished pipeline knows about the run: the signatures' outcome and Vigil's own
/// counters, before any exit status is chosen.
pub struct Conclusion {
    pub outcome: Outcome,
    pub stats: Stats,
    pub lost: u64,
    pub degraded: bool,
    pub egress: Option<Egress>,
}

/// Decode → enrich → (record) → dispatch, shared by every command.
pub struct Pipeline {
    tracker: SharedTracker,
    selection: Selection,
    dispatcher: Dispatcher,
    writer: Option<recording::Writer>,
    /// `vigil events`: print each event as a JSON line here.
    printer: Option<EventPrinter>,
    stats: Stats,
    /// `vigil run --stats-json`: where the end-of-run counters go.
    stats_json: Option<PathBuf>,
    signatures: Vec<SignatureInfo>,
    /// The daemon: network destinations per workflow step, for the job summary.
    egress: Option<Egress>,
    /// Where the tracker's cwds go for the kernel's open filter, once capture is loaded.
    cwd_tails: Option<CwdTails>,
}

impl Pipeline {
    pub fn start(
        source: &SignatureSource,
        verdict: &VerdictArgs,
        tracker: SharedTracker,
        writer: Option<recording::Writer>,
        printer: Option<EventPrinter>,
    ) -> Result<Self> {
        let sigs = if source.asks_for_none() {
            Vec::new()
        } else {
            let runtime = signatures::runtime(source)?;
            let sigs = signatures::load(&runtime, source, tracker.clone())?;
            let ids: Vec<&str> = sigs.iter().map(|s| s.metadata.id.as_str()).collect();
            tracing::info!("loaded {} signature(s): {}", sigs.len(), ids.join(", "));
            sigs
        };
        let signatures = sigs.iter().map(SignatureInfo::of).collect();
        let reporter = Reporter::new(verdict.findings.as_deref())?;
        let (dispatcher, selection) = Dispatcher::start(sigs, reporter)?;
        Ok(Pipeline {
            tracker,
            selection,
            dispatcher,
            writer,
            printer,
            stats: Stats::default(),
            stats_json: None,
            signatures,
            egress: None,
            cwd_tails: None,
        })
    }

    /// Keeps a table of network destinations per workflow step from here on.
    pub fn track_egress(&mut self, egress: Egress) {
        self.egress = Some(egress);
    }

    pub fn signatures(&self) -> &[SignatureInfo] {
        &self.signatures
    }

    pub fn wants(&self, kind: Kind) -> bool {
        self.selection.wants(kind)
    }

    /// What the kernel must emit for these signatures, plus the kinds in `also`.
    pub fn wanted(&self, also: &[Kind]) -> Wanted {
        Wanted {
            kinds: capture::kind_mask(
                Kind::ALL
                    .into_iter()
                    .filter(|k| self.wants(*k) || also.contains(k)),
            ),
            // A recording or `vigil events` shows every open; otherwise the kernel emits only
            // those some signature may want.
            opens: if self.writer.is_some() || self.printer.is_some() {
                OpenFilter::everything()
            } else {
                self.selection.opens().clone()
            },
            close_results: self.wants(Kind::Close) || also.contains(&Kind::Close),
        }
    }

    /// Readies the tracker for what `wanted` makes `capture` report: when closes are reported
    /// on entry, only those of fds the tracker may hold (see `Tracker::keep_read_only_fds`);
    /// and gives the kernel the cwds the tracker learns, for its open filter (`cwd_tails`).
    pub fn expect(&mut self, wanted: &Wanted, capture: &mut Capture) -> Result<()> {
        let mut tracker = self.tracker.lock().unwrap_or_else(|e| e.into_inner());
        tracker.keep_read_only_fds(wanted.close_results);
        self.cwd_tails = capture.cwd_tails(wanted.opens.cwd_judge())?;
        Ok(())
    }

    fn write(&mut self, frame: &Frame) -> Result<()> {
        match &mut self.writer {
            Some(w) => w.write(frame),
            None => Ok(()),
        }
    }

    /// Registers the watched root (live: before it runs).
    pub fn add_root(&mut self, pid: u32, ppid: u32, argv: Vec<String>) -> Result<()> {
        self.write(&Frame::Root {
            pid,
            ppid,
            argv: argv.clone(),
        })?;
        let answers = {
            let mut tracker = self.tracker.lock().unwrap_or_else(|e| e.into_inner());
            tracker.add_root(pid, ppid, argv);
            if let Some(tails) = &mut self.cwd_tails {
                tails.root(pid, tracker.cwd(pid))?;
            }
            tracker.io.take_recorded()
        };
        for a in answers {
            self.write(&Frame::Proc(a))?;
        }
        Ok(())
    }

    /// One kernel record, as the ring buffer delivered it.
    fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        self.stats.records += 1;
        if let Some(w) = &mut self.writer {
            w.write(&Frame::Kernel(bytes.to_vec()))?;
        }
        let record = match decode::decode(bytes) {
            Ok(r) => r,
            Err(e) => {
                self.stats.decode_errors += 1;
                tracing::warn!("dropping a kernel record: {e}");
                return Ok(());
            }
        };
        let (job, answers) = {
            let mut tracker = self.tracker.lock().unwrap_or_else(|e| e.into_inner());
            let event = tracker.apply(record);
            for (epoch, cwd) in tracker.take_cwd_epochs() {
                if let Some(tails) = &mut self.cwd_tails {
                    tails.assign(epoch, &cwd);
                }
            }
            let answers = tracker.io.take_recorded();
            let job = event.and_then(|event| {
                tracing::trace!(?event, "event");
                if let Some(egress) = &mut self.egress {
                    egress.observe(&event, &tracker);
                }
                if let Some(out) = &mut self.printer {
                    if let Err(e) = out.print(&event, &tracker) {
                        return Some(Err(e));
                    }
                }
                self.selection.job(event, &tracker).map(Ok)
            });
            (job.transpose()?, answers)
        };
        for a in answers {
            self.write(&Frame::Proc(a))?;
        }
        if let Some(job) = job {
            self.dispatcher.send(job)?;
        }
        Ok(())
    }

    /// Waits for the signatures, prints the status line, and chooses the exit status.
    fn conclude(self, verdict: &VerdictArgs, end: End) -> Result<i32> {
        let command_code = end.command_status;
        let conclusion = self.finish(end)?;
        Ok(exit_status::choose(&exit_status::Verdict {
            worst: conclusion
                .outcome
                .reporter
                .findings
                .iter()
                .map(|f| f.severity)
                .max(),
            fail_on: verdict.fail_on,
            lost: conclusion.lost,
            fail_on_loss: verdict.fail_on_loss,
            degraded: conclusion.degraded,
            allow_degraded: verdict.allow_degraded,
            command_code,
        }))
    }

    /// Waits for the signatures and prints the status line.
    pub fn finish(mut self, end: End) -> Result<Conclusion> {
        if let Some(out) = &mut self.printer {
            out.flush()?;
        }
        let outcome = self.dispatcher.finish()?;
        let lost = end.lost;
        let degraded = lost > 0
            || self.stats.decode_errors > 0
            || end.replay_mismatches > 0
            || outcome.failed_calls > 0
            || !outcome.disabled.is_empty();
        let state = if degraded { "degraded" } else { "armed" };
        let mismatches = if end.replay_mismatches > 0 {
            format!(", {} unanswered /proc question(s)", end.replay_mismatches)
        } else {
            String::new()
        };
        eprintln!(
            "vigil: status {state}: {} finding(s) ({} suppressed by rate limit), {} event(s), \
             {lost} lost, {} undecodable, {} failed signature call(s), \
             {} disabled signature(s), {} event(s) unjudged{mismatches}",
            outcome.reporter.findings.len(),
            outcome.suppressed,
            self.stats.records,
            self.stats.decode_errors,
            outcome.failed_calls,
            outcome.disabled.len(),
            outcome.missed_events
        );
        for (id, why) in &outcome.disabled {
            eprintln!("vigil: signature disabled: {id}: {why}");
        }
        if let Some(path) = &self.stats_json {
            run_stats::write(
                path,
                &RunStats {
                    state,
                    findings: outcome.reporter.findings.len(),
                    suppressed_findings: outcome.suppressed,
                    events: self.stats.records,
                    lost,
                    undecodable: self.stats.decode_errors,
                    failed_signature_calls: outcome.failed_calls,
                    disabled_signatures: outcome.disabled.len(),
                    unjudged_events: outcome.missed_events,
                    command_status: end.command_status,
                    usage: run_stats::own_usage()?,
                },
            )?;
        }
        Ok(Conclusion {
            outcome,
            stats: self.stats,
            lost,
            degraded,
            egress: self.egress,
        })
    }
}

/// Capture loaded, with its ring buffer registered for polling.
pub struct Armed {
    pub capture: Capture,
    pub ring: AsyncFd<RingBuf<MapData>>,
}

/// Loads capture with `mask`, a ring buffer of `ring_kib` and `scope`; with the tree scope,
/// nothing is in scope yet.
pub fn arm(ring_kib: u32, wanted: &Wanted, scope: capture::Scope) -> Result<Armed> {
    let mut capture = Capture::load(ring_kib.saturating_mul(1024), wanted, scope)?;
    // Loading the signatures and the programs left ~15 MiB of freed heap (compilation and
    // parsing temporaries) that glibc keeps mapped unless asked to give it back.
    // SAFETY: plain libc call; it only releases free memory.
    unsafe { libc::malloc_trim(0) };
    // SAFETY: the ring buffer owns its map fd, which stays open and unchanged while the
    // AsyncFd owns the ring.
    let ring = unsafe { AsyncFd::register(capture.take_ring()?) }
        .map_err(|e| e.into_parts().1)
        .context("polling the ring buffer")?;
    Ok(Armed { capture, ring })
}

/// Feeds every record to the pipeline until `until` completes, then drains what is left:
/// everything that happened before `until` completed is in the ring by then.
pub async fn follow<T>(
    ring: &mut AsyncFd<RingBuf<MapData>>,
    pipeline: &mut Pipeline,
    until: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::pin!(until);
    // Most records are committed without waking us (see `commit_flags` in the eBPF
    // programs): drain on a timer too, a short one while records arrive quickly.
    // A fixed cadence (not a sleep after each drain): a drain that took longer than the period
    // is followed by the next at once.
    let ticker = |period| {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick
    };
    let (mut period, mut tick) = (DRAIN_IDLE, ticker(DRAIN_IDLE));
    let out = loop {
        let drained = tokio::select! {
            guard = ring.readable_mut() => {
                let mut guard = guard?;
                let drained = drain(guard.get_inner_mut(), pipeline)?;
                guard.clear_ready();
                drained
            }
            _ = tick.tick() => drain(ring.get_mut(), pipeline)?,
            out = &mut until => break out?,
        };
        let next = if drained >= BUSY_RECORDS {
            DRAIN_BUSY
        } else {
            DRAIN_IDLE
        };
        if next != period {
            (period, tick) = (next, ticker(next));
        }
    };
    drain(ring.get_mut(), pipeline)?;
    Ok(out)
}

/// Loads capture with `mask`, runs `command` held until armed, and feeds every record in
/// `scope` (its tree, or the whole host) to the pipeline until it exits.
async fn live(
    mut pipeline: Pipeline,
    command: &[OsString],
    ring_kib: u32,
    wanted: &Wanted,
    scope: capture::Scope,
) -> Result<(Pipeline, End)> {
    let Armed {
        mut capture,
        mut ring,
    } = arm(ring_kib, wanted, scope)?;
    pipeline.expect(wanted, &mut capture)?;
    let (mut child, pid) = spawn_held(command, &mut capture, &mut pipeline)?;
    let watching = match scope {
        capture::Scope::Tree => format!("pid {pid} and its descendants"),
        capture::Scope::All => format!("every process on this host (command: pid {pid})"),
    };
    tracing::info!(
        "armed in {} ms: watching {watching}",
        crate::STARTED.get().map_or(0, |t| t.elapsed().as_millis())
    );

    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let command_exit = async {
        loop {
            tokio::select! {
                status = child.wait() => break status.context("waiting for the command"),
                _ = sigint.recv() => forward(pid, libc::SIGINT),
                _ = sigterm.recv() => forward(pid, libc::SIGTERM),
            }
        }
    };
    let status: ExitStatus = follow(&mut ring, &mut pipeline, command_exit).await?;
    let lost = capture.lost()?;
    if capture.fd_sets_full() {
        tracing::info!("the kernel's fd sets filled up: from then on, every close was reported");
    }
    Ok((
        pipeline,
        End {
            command_status: command_exit_code(status),
            lost,
            replay_mismatches: 0,
        },
    ))
}

/// Replays a record file through the pipeline: with signatures (`vigil replay`) or printing
/// events (`vigil events`).
fn replay_file(
    path: &Path,
    signatures: Option<(&SignatureSource, &VerdictArgs)>,
    printer: Option<EventPrinter>,
) -> Result<i32> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let frames =
        recording::parse(&bytes).with_context(|| format!("{}: bad record file", path.display()))?;
    let Some((
        _,
        Frame::Start {
            epoch_offset_ns, ..
        },
    )) = frames.first()
    else {
        unreachable!("parse() guarantees a start frame");
    };
    // The recorder's facts, not this process's: the recorded job could only aim at those.
    host_settings::set(match frames.get(1) {
        Some((_, Frame::Host { pid, exe, outputs })) => Facts {
            pid: *pid,
            exe: exe.clone(),
            outputs: outputs.clone(),
        },
        _ => Facts::default(),
    });
    let tracker: SharedTracker = Arc::new(Mutex::new(Tracker::with_io(
        ProcIo::replay(),
        *epoch_offset_ns,
    )));
    let quiet = VerdictArgs {
        findings: None,
        fail_on: crate::cli::Severity::Critical,
        allow_degraded: false,
        fail_on_loss: false,
    };
    let mut pipeline = match signatures {
        Some((source, verdict)) => Pipeline::start(source, verdict, tracker.clone(), None, None)?,
        None => {
            let none = SignatureSource::none();
            Pipeline::start(&none, &quiet, tracker.clone(), None, printer)?
        }
    };
    let feed_answers = |i: usize| {
        let answers = frames[i + 1..]
            .iter()
            .map_while(|(_, f)| match f {
                Frame::Proc(a) => Some(a.clone()),
                _ => None,
            })
            .collect::<Vec<_>>();
        tracker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .io
            .feed(answers);
    };
    let settle = || {
        tracker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .io
            .settle()
    };
    let mut end = None;
    for (i, (offset, frame)) in frames.iter().enumerate() {
        match frame {
            Frame::Start { .. } | Frame::Host { .. } | Frame::Proc(_) => {}
            Frame::Root { pid, ppid, argv } => {
                feed_answers(i);
                pipeline.add_root(*pid, *ppid, argv.clone())?;
                settle();
            }
            Frame::Kernel(record) => {
                feed_answers(i);
                if let Err(e) = pipeline.feed(record) {
                    // `vigil events FILE | head`: the reader has seen enough.
                    if signatures.is_none() && is_broken_pipe(&e) {
                        return Ok(0);
                    }
                    return Err(e.context(format!("replaying the record at byte {offset}")));
                }
                settle();
            }
            Frame::End {
                command_status,
                lost,
                ..
            } => {
                end = Some(End {
                    command_status: *command_status,
                    lost: *lost,
                    replay_mismatches: 0,
                })
            }
        }
    }
    let mut end = end.context("a record file without an end frame")?;
    end.replay_mismatches = tracker
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .io
        .mismatches();
    match signatures {
        Some((_, verdict)) => pipeline.conclude(verdict, end),
        None => {
            let mut out = pipeline.printer.take();
            match out.as_mut().map(|o| o.flush()) {
                Some(Err(e)) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(0),
            }
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Starts `vigil hold -- CMD`, puts it in scope, then lets it exec the command.
fn spawn_held(
    command: &[OsString],
    capture: &mut Capture,
    pipeline: &mut Pipeline,
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
        .args(command)
        .kill_on_drop(true)
        .spawn()
        .context("starting the command")?;
    drop(release_r);
    let pid = child
        .id()
        .context("the command exited before it was armed")?;

    // If arming fails, dropping the write end makes `hold` exit without running the command.
    capture.watch(pid)?;
    WATCHED_ROOT.store(pid, std::sync::atomic::Ordering::SeqCst);
    pipeline.add_root(pid, std::process::id(), lossy(command))?;
    let mut release = std::fs::File::from(release_w);
    release.write_all(b"+").context("releasing the command")?;
    Ok((child, pid))
}

fn lossy(command: &[OsString]) -> Vec<String> {
    command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// Consumes every record currently in the ring buffer; returns how many there were.
fn drain(ring: &mut RingBuf<MapData>, pipeline: &mut Pipeline) -> Result<usize> {
    let mut records = 0;
    while let Some(item) = ring.next() {
        pipeline.feed(&item)?;
        records += 1;
    }
    Ok(records)
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

fn epoch_offset_ns() -> i128 {
    Tracker::new().epoch_offset_ns()
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}
