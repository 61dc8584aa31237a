//! `vigil daemon`, what `vigil start` detaches: loads the signatures, arms capture over the
//! watched tree, says so through the readiness pipe, feeds the shared [`Pipeline`] until
//! SIGTERM, and leaves its outcome in the state directory for `vigil stop`.

use std::{
    fs::File,
    io::Write,
    os::fd::FromRawFd,
    sync::{Arc, Mutex},
};

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, SignalKind};

use super::{scope, write_json, ProcessId, StateDir};
use crate::{
    capture,
    cli::{DaemonArgs, StartArgs, VerdictArgs},
    egress::{self, Egress},
    event::Kind,
    host_settings::{self, Facts},
    reports::{DisabledSignature, JobOutcome, Status},
    run::{self, Armed, End, Pipeline},
    sandbox::SharedTracker,
    tracker::Tracker,
};

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
    host_settings::set(Facts::this_process(verdict.findings.as_deref()));
    let mut pipeline = Pipeline::start(&args.signatures, &verdict, tracker, None, None)?;
    pipeline.track_egress(Egress::new(patterns));
    // The egress table needs connects and DNS queries whatever the signatures selected.
    let wanted = pipeline.wanted(&[Kind::Connect, Kind::DnsQuery]);
    let Armed {
        mut capture,
        mut ring,
    } = run::arm(args.ring_kib, &wanted, capture::Scope::Tree)?;
    pipeline.expect(&wanted, &mut capture)?;
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
    outcome.unjudged = o.missed_events;
    outcome.suppressed = o.suppressed;
    outcome.egress = conclusion.egress.map(|e| e.table()).unwrap_or_default();
    write_json(&state.outcome(), &outcome)?;
    Ok(0)
}
