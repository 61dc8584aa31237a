//! `vigil stop`: ends the daemon (SIGTERM: it drains the ring, lets the signatures finish and
//! writes its outcome), then writes the job's reports and exits as `vigil run` would. A daemon
//! that was no longer running, or did not finish in time, makes the job's status `down`.

use std::{
    thread::sleep,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use serde::Serialize;

use super::{log_tail, read_pid_file, write_json, StateDir};
use crate::{
    cli::{Severity, StopArgs},
    exit_status,
    reports::{self, annotations, sarif, summary, JobOutcome, JobReport, Status},
    run,
};

/// What `vigil stop` concluded, in `DIR/result.json` (the Action's outputs come from it).
#[derive(Serialize)]
struct StopResult {
    status: Status,
    findings: usize,
    /// Findings at or above `--fail-on`.
    failing: usize,
    exit_status: i32,
}

pub fn stop(args: StopArgs) -> i32 {
    run::report_error(stop_daemon(&args))
}

fn stop_daemon(args: &StopArgs) -> Result<i32> {
    let state = StateDir::new(&args.state);
    // A start that failed early may have left no directory; the reports still go there.
    std::fs::create_dir_all(&args.state)
        .with_context(|| format!("--state {}: cannot create directory", args.state.display()))?;
    let down_reason = end_daemon(&state, Duration::from_secs(args.timeout_secs))?;
    let mut outcome = load_outcome(&state)?;
    if let Some(reason) = down_reason {
        outcome.status = Status::Down;
        outcome.down_reason = Some(reason);
    }
    let findings = reports::read_findings(&state.findings())?;
    let report = JobReport {
        outcome: &outcome,
        findings: &findings,
    };
    if let Some(path) = &args.summary {
        std::fs::write(path, summary::render(&report))
            .with_context(|| format!("--summary {}: cannot write", path.display()))?;
    }
    if let Some(path) = &args.sarif {
        let log = sarif::render(&report, sarif::workflow_file_from_env().as_deref());
        std::fs::write(path, serde_json::to_vec_pretty(&log)?)
            .with_context(|| format!("--sarif {}: cannot write", path.display()))?;
    }
    if let Some(path) = &args.findings {
        let from = state.findings();
        if from.exists() {
            std::fs::copy(&from, path)
        } else {
            std::fs::write(path, b"").map(|()| 0)
        }
        .with_context(|| format!("--findings {}: cannot write", path.display()))?;
    }
    if args.annotations {
        print!("{}", annotations::render(&report));
    }

    if let Some(reason) = &outcome.down_reason {
        eprintln!("vigil: DOWN: {reason}");
        eprintln!("vigil: this job was NOT fully watched");
    }
    let failing = findings
        .iter()
        .filter(|f| f.severity >= outcome.fail_on)
        .count();
    eprintln!(
        "vigil: status {}: {} finding(s), {failing} at or above {}, {} event(s), {} lost",
        outcome.status.as_str(),
        findings.len(),
        outcome.fail_on.as_str(),
        outcome.events,
        outcome.lost
    );
    let code = exit_status::choose(&exit_status::Verdict {
        worst: findings.iter().map(|f| f.severity).max(),
        fail_on: outcome.fail_on,
        lost: outcome.lost,
        fail_on_loss: false,
        degraded: outcome.status != Status::Armed,
        allow_degraded: args.allow_degraded,
        command_code: 0,
    });
    write_json(
        &state.result(),
        &StopResult {
            status: outcome.status,
            findings: findings.len(),
            failing,
            exit_status: code,
        },
    )?;
    Ok(code)
}

/// Stops the daemon and waits for it; `Some(reason)` when it was down.
fn end_daemon(state: &StateDir, timeout: Duration) -> Result<Option<String>> {
    let dir = state.0.display();
    let Some(daemon) = read_pid_file(state)? else {
        return Ok(Some(format!(
            "no Vigil daemon ever ran with --state {dir} (no vigil.pid): `vigil start` failed or was not run"
        )));
    };
    if !daemon.is_alive() && state.stopped().exists() {
        eprintln!("vigil: an earlier `vigil stop` ended the daemon; reporting its outcome again");
        return Ok(None);
    }
    if !daemon.is_alive() {
        let finished = state.outcome().exists();
        eprintln!(
            "vigil: the daemon's log ({}):\n{}",
            state.log().display(),
            log_tail(state)
        );
        let how = if finished {
            "was stopped before `vigil stop`"
        } else {
            "died or was killed during the job"
        };
        return Ok(Some(format!(
            "the daemon (pid {}) {how} (see {})",
            daemon.pid,
            state.log().display(),
        )));
    }
    // SAFETY: signalling the daemon, identified by pid and start time just above.
    unsafe { libc::kill(daemon.pid as i32, libc::SIGTERM) };
    let deadline = Instant::now() + timeout;
    while daemon.is_alive() {
        if Instant::now() >= deadline {
            // SAFETY: as above.
            unsafe { libc::kill(daemon.pid as i32, libc::SIGKILL) };
            return Ok(Some(format!(
                "the daemon (pid {}) did not finish within {} s of being asked to (--timeout-secs); killed it",
                daemon.pid,
                timeout.as_secs()
            )));
        }
        sleep(Duration::from_millis(20));
    }
    if !state.outcome().exists() {
        eprintln!(
            "vigil: the daemon's log ({}):\n{}",
            state.log().display(),
            log_tail(state)
        );
        return Ok(Some(format!(
            "the daemon (pid {}) died or was killed before it finished (see {})",
            daemon.pid,
            state.log().display(),
        )));
    }
    std::fs::write(state.stopped(), b"")
        .with_context(|| format!("writing {}", state.stopped().display()))?;
    Ok(None)
}

/// The daemon's final outcome, or what it said when armed, or nothing at all.
fn load_outcome(state: &StateDir) -> Result<JobOutcome> {
    let path = if state.outcome().exists() {
        state.outcome()
    } else {
        state.armed()
    };
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not a Vigil outcome", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(JobOutcome::new(
            Status::Down,
            0,
            Severity::Medium,
            Vec::new(),
        )),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
