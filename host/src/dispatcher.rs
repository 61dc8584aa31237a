//! Dispatch: hands each enriched event to the signatures that selected its kind, on a worker
//! thread of its own (signature calls are synchronous Wasm calls and must never stall the ring
//! reader), and turns what they return into findings.

use std::{collections::HashSet, sync::mpsc, thread::JoinHandle};

use anyhow::{Context, Result};

use crate::{
    event::{Event, Kind},
    report::{Finding, ProcessReport, Reporter},
    sandbox::{self, LoadedSignature},
    tracker::Tracker,
};

/// One event ready for signatures: its host form, its WIT form, and its process context.
pub struct Job {
    event: Event,
    wit: sandbox::WitEvent,
    context: ProcessReport,
}

/// Which kinds anyone wants; used on the reader side to skip building jobs nobody needs.
#[derive(Clone)]
pub struct Selection(HashSet<Kind>);

impl Selection {
    pub fn wants(&self, kind: Kind) -> bool {
        self.0.contains(&kind)
    }

    /// Prepares a job for `event`, or `None` when no signature selected its kind.
    pub fn job(&self, event: Event, tracker: &Tracker) -> Option<Job> {
        if !self.wants(event.data.kind()) {
            return None;
        }
        Some(Job {
            wit: sandbox::to_wit(&event, tracker.process(event.pid)),
            context: ProcessReport::new(tracker, &event),
            event,
        })
    }
}

/// What the worker hands back at the end of a run.
pub struct Outcome {
    pub reporter: Reporter,
    /// `(id, reason)` of every signature disabled during the run.
    pub disabled: Vec<(String, String)>,
    /// Signature calls that failed (trap, deadline, memory): events some signature missed.
    pub failed_calls: u64,
    /// Findings dropped by the per-signature rate limit.
    pub suppressed: u64,
}

pub struct Dispatcher {
    tx: mpsc::Sender<Job>,
    worker: JoinHandle<Result<Outcome>>,
}

impl Dispatcher {
    /// Starts the worker that owns the signatures and the reporter.
    pub fn start(
        mut signatures: Vec<LoadedSignature>,
        mut reporter: Reporter,
    ) -> Result<(Self, Selection)> {
        let selection = Selection(
            signatures
                .iter()
                .flat_map(|s| s.metadata.events.iter().copied())
                .collect(),
        );
        let (tx, rx) = mpsc::channel::<Job>();
        let worker = std::thread::Builder::new()
            .name("vigil-dispatch".into())
            .spawn(move || {
                for job in rx {
                    let kind = job.event.data.kind();
                    for sig in signatures.iter_mut().filter(|s| s.wants(kind)) {
                        for raw in sig.on_event(&job.wit) {
                            let finding =
                                Finding::new(&sig.metadata, raw, job.context.clone(), &job.event);
                            reporter.report(finding)?;
                        }
                    }
                }
                let disabled = signatures
                    .iter()
                    .filter_map(|s| Some((s.metadata.id.clone(), s.disabled.clone()?)))
                    .collect();
                Ok(Outcome {
                    reporter,
                    disabled,
                    failed_calls: signatures.iter().map(|s| s.failed_calls).sum(),
                    suppressed: signatures.iter().map(|s| s.suppressed).sum(),
                })
            })
            .context("starting the dispatch thread")?;
        Ok((Dispatcher { tx, worker }, selection))
    }

    pub fn send(&self, job: Job) -> Result<()> {
        self.tx
            .send(job)
            .map_err(|_| anyhow::anyhow!("the dispatch thread stopped"))
    }

    /// Waits until every queued event went through the signatures.
    pub fn finish(self) -> Result<Outcome> {
        drop(self.tx);
        self.worker
            .join()
            .map_err(|_| anyhow::anyhow!("the dispatch thread panicked"))?
    }
}
