//! Dispatch: gathers enriched events into batches and hands each batch to every signature that
//! selected a kind in it, each signature on a worker thread of its own (signature calls are
//! synchronous Wasm calls: a slow one must not hold up the others or the ring reader).
//!
//! A batch is flushed when it is full or `FLUSH_AFTER` after its first event, so a finding
//! appears within about that long. Each event is encoded once for batched handlers and turned
//! into WIT records at most once, on first use, for typed ones.

use std::{
    collections::HashSet,
    ops::Range,
    sync::{mpsc, Arc, Mutex, OnceLock},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};

use crate::{
    event::{batch, Event, EventData, Kind, KindSet},
    open_filter::OpenFilter,
    report::{Finding, ProcessReport, Reporter},
    sandbox::{wit, LoadedSignature, Shape},
    tracker::Tracker,
    wit_event,
};

/// Events per batch at most.
pub const MAX_BATCH: usize = 256;
/// How long the first event of a batch may wait for others.
pub const FLUSH_AFTER: Duration = Duration::from_millis(20);
/// Batches queued per signature before the collector waits for it (back-pressure that ends
/// as counted kernel-side losses, never as silent drops here).
const QUEUE_PER_SIGNATURE: usize = 8;
/// Events waiting for the collector. Bounded like the queues above: when signatures cannot
/// keep up, the ring reader waits, the kernel's ring fills and what it cannot take is counted
/// as lost (the run is degraded) — memory stays bounded instead of growing with the backlog.
const JOB_QUEUE: usize = 4 * MAX_BATCH;

/// One event ready for signatures, with the process it happened in as of that moment.
pub struct Job {
    event: Event,
    context: ProcessReport,
}

impl Job {
    pub fn new(event: Event, context: ProcessReport) -> Self {
        Job { event, context }
    }
}

/// Which events anyone wants; used on the reader side to skip building jobs nobody needs.
#[derive(Clone)]
pub struct Selection {
    kinds: HashSet<Kind>,
    /// The opens some signature may want: the kernel's filter, applied again to the paths the
    /// kernel had to let through (relative ones, now resolved). Only the coarse forms, cheap to
    /// check: a signature's own globs run on its own worker, where a costly one slows only it.
    opens: OpenFilter,
}

impl Selection {
    fn of(signatures: &[LoadedSignature]) -> Self {
        Selection {
            kinds: signatures
                .iter()
                .flat_map(|s| s.metadata.events.iter().copied())
                .collect(),
            opens: OpenFilter::of(signatures),
        }
    }

    pub fn wants(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }

    /// The opens some signature may want, as the kernel can check them.
    pub fn opens(&self) -> &OpenFilter {
        &self.opens
    }

    /// Whether some signature wants `event`.
    fn wants_event(&self, event: &Event) -> bool {
        match &event.data {
            EventData::Open { path, flags, .. } => {
                self.wants(Kind::Open) && self.opens.admits(path, *flags)
            }
            data => self.wants(data.kind()),
        }
    }

    /// Prepares a job for `event`, or `None` when no signature wants it.
    pub fn job(&self, event: Event, tracker: &Tracker) -> Option<Job> {
        if !self.wants_event(&event) {
            return None;
        }
        Some(Job {
            context: ProcessReport::new(tracker, &event),
            event,
        })
    }
}

/// Events on their way to the signatures, in the forms their handlers take.
pub struct Batch {
    jobs: Vec<Job>,
    /// Typed forms, built by whichever worker first needs one.
    typed: Vec<OnceLock<wit::Event>>,
    /// Every event encoded for batched handlers, end to end; `spans[i]` is event `i`.
    encoded: Vec<u8>,
    spans: Vec<Range<usize>>,
    /// The kinds of the events, in order, and as a set.
    kinds: Vec<Kind>,
    kind_set: KindSet,
}

impl Batch {
    /// Builds a batch; events are encoded only when some batched handler will read them.
    pub fn new(jobs: Vec<Job>, encode: bool) -> Result<Self> {
        let mut encoded = Vec::new();
        let mut spans = Vec::with_capacity(if encode { jobs.len() } else { 0 });
        if encode {
            for job in &jobs {
                let start = encoded.len();
                let p = &job.context;
                let process = vigil_event::Process {
                    pid: p.pid,
                    ppid: p.ppid,
                    comm: p.comm.as_str(),
                    exe: p.exe.as_str(),
                    argv: p.argv.iter().map(String::as_str).collect(),
                };
                batch::push(&mut encoded, &job.event, &process)
                    .context("encoding an event for batched signatures")?;
                spans.push(start..encoded.len());
            }
        }
        let kinds: Vec<Kind> = jobs.iter().map(|job| job.event.data.kind()).collect();
        Ok(Batch {
            kind_set: kinds.iter().copied().collect(),
            kinds,
            typed: jobs.iter().map(|_| OnceLock::new()).collect(),
            jobs,
            encoded,
            spans,
        })
    }

    pub fn kind(&self, index: usize) -> Kind {
        self.kinds[index]
    }

    /// The kinds of events the batch holds.
    pub fn kinds(&self) -> KindSet {
        self.kind_set
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Every event, encoded.
    pub fn bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// The ancestry of `pid` as it was at an event of that process in this batch: event
    /// `current` if it is one, else the first; `None` when no event here is from `pid`.
    pub fn ancestry_at_event(&self, pid: u32, current: Option<usize>) -> Option<Vec<wit::Process>> {
        let job = current
            .map(|i| &self.jobs[i])
            .filter(|j| j.event.pid == pid)
            .or_else(|| self.jobs.iter().find(|j| j.event.pid == pid))?;
        let chain = &job.context.ancestry;
        Some(
            chain
                .iter()
                .enumerate()
                .map(|(i, a)| wit::Process {
                    pid: a.pid,
                    tid: a.pid,
                    ppid: chain.get(i + 1).map_or(0, |p| p.pid),
                    uid: 0,
                    gid: 0,
                    comm: a.comm.clone(),
                    exe: a.exe.clone(),
                    argv: a.argv.clone(),
                })
                .collect(),
        )
    }

    /// The typed form of event `index`.
    pub fn typed(&self, index: usize) -> &wit::Event {
        self.typed[index].get_or_init(|| {
            let job = &self.jobs[index];
            wit_event::to_wit(&job.event, &job.context)
        })
    }

    /// The batched form of the events at `selected`, in that order.
    pub fn encoded(&self, selected: &[usize]) -> std::borrow::Cow<'_, [u8]> {
        if selected.len() == self.spans.len() {
            return self.encoded.as_slice().into();
        }
        let mut out = Vec::new();
        for &i in selected {
            out.extend_from_slice(&self.encoded[self.spans[i].clone()]);
        }
        out.into()
    }
}

/// What the workers hand back at the end of a run.
pub struct Outcome {
    pub reporter: Reporter,
    /// `(id, reason)` of every signature disabled during the run.
    pub disabled: Vec<(String, String)>,
    /// Signature calls that failed (trap, deadline, memory).
    pub failed_calls: u64,
    /// Events some signature could not judge because its call failed or it was disabled.
    pub missed_events: u64,
    /// Findings dropped by the per-signature rate limit.
    pub suppressed: u64,
}

pub struct Dispatcher {
    tx: mpsc::SyncSender<Job>,
    collector: JoinHandle<Result<()>>,
    workers: Vec<JoinHandle<LoadedSignature>>,
    reporter: Arc<Mutex<ReporterSlot>>,
}

/// The reporter, shared by the workers, and the first error any of them had reporting.
struct ReporterSlot {
    reporter: Reporter,
    error: Option<anyhow::Error>,
}

impl Dispatcher {
    /// Starts the collector and one worker per signature.
    pub fn start(
        signatures: Vec<LoadedSignature>,
        reporter: Reporter,
    ) -> Result<(Self, Selection)> {
        let selection = Selection::of(&signatures);
        let encode = signatures.iter().any(|s| s.shape == Shape::Batched);
        let reporter = Arc::new(Mutex::new(ReporterSlot {
            reporter,
            error: None,
        }));
        let mut queues = Vec::new();
        let mut workers = Vec::new();
        for sig in signatures {
            let (tx, rx) = mpsc::sync_channel::<Arc<Batch>>(QUEUE_PER_SIGNATURE);
            let reporter = reporter.clone();
            let name = format!("vigil-sig-{}", sig.metadata.id);
            workers.push(
                std::thread::Builder::new()
                    .name(name)
                    .spawn(move || work(sig, rx, &reporter))
                    .context("starting a signature worker")?,
            );
            queues.push(tx);
        }
        let (tx, rx) = mpsc::sync_channel::<Job>(JOB_QUEUE);
        let collector = std::thread::Builder::new()
            .name("vigil-dispatch".into())
            .spawn(move || collect(rx, &queues, encode))
            .context("starting the dispatch thread")?;
        Ok((
            Dispatcher {
                tx,
                collector,
                workers,
                reporter,
            },
            selection,
        ))
    }

    pub fn send(&self, job: Job) -> Result<()> {
        self.tx
            .send(job)
            .map_err(|_| anyhow::anyhow!("the dispatch thread stopped"))
    }

    /// Waits until every queued event went through the signatures.
    pub fn finish(self) -> Result<Outcome> {
        drop(self.tx);
        self.collector
            .join()
            .map_err(|_| anyhow::anyhow!("the dispatch thread panicked"))??;
        let mut signatures = Vec::new();
        for w in self.workers {
            signatures.push(
                w.join()
                    .map_err(|_| anyhow::anyhow!("a signature worker panicked"))?,
            );
        }
        let slot = Arc::try_unwrap(self.reporter)
            .map_err(|_| anyhow::anyhow!("the reporter is still in use"))?
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(e) = slot.error {
            return Err(e);
        }
        Ok(Outcome {
            reporter: slot.reporter,
            disabled: signatures
                .iter()
                .filter_map(|s| Some((s.metadata.id.clone(), s.disabled.clone()?)))
                .collect(),
            failed_calls: signatures.iter().map(|s| s.failed_calls).sum(),
            missed_events: signatures.iter().map(|s| s.missed_events).sum(),
            suppressed: signatures.iter().map(|s| s.suppressed).sum(),
        })
    }
}

/// The collector: jobs in, batches out to every worker, on size or on time.
fn collect(
    rx: mpsc::Receiver<Job>,
    queues: &[mpsc::SyncSender<Arc<Batch>>],
    encode: bool,
) -> Result<()> {
    let mut pending: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut first_at = Instant::now();
    let flush = |pending: &mut Vec<Job>| -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let batch = Arc::new(Batch::new(std::mem::take(pending), encode)?);
        for q in queues {
            // A worker that is gone has panicked; `finish` reports it.
            let _ = q.send(batch.clone());
        }
        Ok(())
    };
    loop {
        let job = if pending.is_empty() {
            match rx.recv() {
                Ok(job) => Some(job),
                Err(_) => break,
            }
        } else {
            match rx.recv_timeout(FLUSH_AFTER.saturating_sub(first_at.elapsed())) {
                Ok(job) => Some(job),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        };
        match job {
            Some(job) => {
                if pending.is_empty() {
                    first_at = Instant::now();
                }
                pending.push(job);
                if pending.len() >= MAX_BATCH {
                    flush(&mut pending)?;
                }
            }
            None => flush(&mut pending)?,
        }
    }
    flush(&mut pending)
}

/// A signature's worker: judges each batch and reports what it finds.
fn work(
    mut sig: LoadedSignature,
    rx: mpsc::Receiver<Arc<Batch>>,
    reporter: &Mutex<ReporterSlot>,
) -> LoadedSignature {
    let mut selected = Vec::with_capacity(MAX_BATCH);
    for batch in rx {
        if !sig.selects_any(batch.kinds()) {
            continue;
        }
        selected.clear();
        // A disabled signature still "selects": its events are counted as missed.
        selected.extend((0..batch.len()).filter(|&i| sig.wants(&batch.jobs[i].event)));
        if selected.is_empty() {
            continue;
        }
        let found = sig.judge(&batch, &selected);
        if found.is_empty() {
            continue;
        }
        let mut slot = reporter.lock().unwrap_or_else(|e| e.into_inner());
        for (index, raw) in found {
            let job = &batch.jobs[index];
            let finding = Finding::new(&sig.metadata, raw, job.context.clone(), &job.event);
            if let Err(e) = slot.reporter.report(finding) {
                slot.error.get_or_insert(e);
            }
        }
    }
    sig
}
