//! The Wasm side: loads signature components into wasmtime and calls them in a sandbox.
//!
//! Each signature gets its own `Store`: a memory cap, an epoch deadline per call, and an empty
//! WASI context (no preopened directories, no environment, no arguments, no network). The
//! imports a component asks for are checked against an allowlist before it is instantiated. A
//! trap (panic, deadline, memory exhaustion) fails that call only: the instance is replaced, and
//! after `MAX_FAILURES` the signature is disabled and reported; the others keep running.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::{anyhow, bail, Context, Result};
use wasmtime::{
    component::{self, types::ComponentItem, Component, HasSelf, Linker, ResourceTable},
    Engine, Store, StoreLimits, StoreLimitsBuilder,
};
use wasmtime_wasi::{p2::pipe::MemoryOutputPipe, WasiCtx, WasiCtxView, WasiView};

use crate::{
    cli::{Setting, Severity},
    compile_cache::{sha256_hex, CompileCache},
    dispatcher::Batch,
    event::{EventData, Kind, KindSet},
    tracker::Tracker,
};
use vigil_event::open_interest::{Matcher, OpenInterest};

mod bindings {
    // The typed world; the batched one shares its types and host imports.
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "signature",
    });

    pub mod batch {
        wasmtime::component::bindgen!({
            path: "../wit",
            world: "batch-signature",
            with: {
                "vigil:signature/types": super::vigil::signature::types,
                "vigil:signature/host": super::vigil::signature::host,
            },
        });
    }

    /// For `file-interest` (since 1.1.0), which a component may or may not export.
    pub mod filtered {
        wasmtime::component::bindgen!({
            path: "../wit",
            world: "filtered-batch-signature",
            with: {
                "vigil:signature/types": super::vigil::signature::types,
                "vigil:signature/host": super::vigil::signature::host,
            },
        });
    }
}

pub use bindings::vigil::signature::types as wit;
use bindings::{
    batch::{BatchSignature, BatchSignaturePre},
    filtered::exports::vigil::signature::file_interest,
    Signature as TypedSignature, SignaturePre as TypedSignaturePre,
};

/// Interface versions this Vigil can load (the `vigil:signature` WIT package version).
pub const SUPPORTED_VERSIONS: &[&str] = &["1.0.0", "1.1.0"];
const DETECTOR_EXPORT: &str = "vigil:signature/detector";
const BATCH_DETECTOR_EXPORT: &str = "vigil:signature/batch-detector";

/// Why a guest call gave no findings.
enum Failure {
    /// It trapped (not on its deadline): judging fewer events at once may succeed.
    Trapped,
    /// It overran its deadline, could not be instantiated, or is (or was just) disabled.
    Other,
}

/// Which handler a component exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// `detector`: one call per event, with WIT records.
    Typed,
    /// `batch-detector`: one call per batch, with encoded events.
    Batched,
}

/// Import namespaces a signature may use. The WASI interfaces here are what Rust's and other
/// toolchains' standard libraries link by default; they are backed by an empty context (no
/// environment, no arguments, stdout discarded, stderr captured for error reports). Files,
/// sockets, HTTP and clocks are not on the list: a component importing them is refused.
const ALLOWED_IMPORTS: &[&str] = &[
    "vigil:signature/host@",
    "vigil:signature/types@",
    "wasi:cli/environment@",
    "wasi:cli/exit@",
    "wasi:cli/stdin@",
    "wasi:cli/stdout@",
    "wasi:cli/stderr@",
    "wasi:cli/terminal-",
    "wasi:io/",
    "wasi:random/",
];

/// Consecutive failed calls after which a signature is disabled.
pub const MAX_FAILURES: u32 = 3;
const EPOCH_TICK: Duration = Duration::from_millis(5);
/// The least time instantiation, `describe` and `configure` get (see `setup_deadline_ticks`).
const SETUP_DEADLINE: Duration = Duration::from_secs(2);

fn ticks(deadline: Duration) -> u64 {
    (deadline.as_millis() as u64).div_ceil(EPOCH_TICK.as_millis() as u64) + 1
}
const STDERR_CAPTURE: usize = 4096;

pub struct Limits {
    pub memory_bytes: usize,
    pub deadline: Duration,
}

pub type SharedTracker = Arc<Mutex<Tracker>>;

/// The host state of one signature's store.
pub struct SignatureState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    tracker: SharedTracker,
    stderr: MemoryOutputPipe,
    label: String,
    /// The batch being judged, and for a typed call the event: ancestry questions about its
    /// processes are answered as of the event, not as of now (a batch is judged a little
    /// later, when a parent may have exec'd into something else).
    judging: Option<(Arc<Batch>, Option<usize>)>,
}

impl WasiView for SignatureState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wit::Host for SignatureState {}

impl bindings::vigil::signature::host::Host for SignatureState {
    fn log(&mut self, level: wit::LogLevel, message: String) {
        let message: String = message.chars().take(1024).collect();
        let sig = &self.label;
        match level {
            wit::LogLevel::Error => tracing::error!(signature = %sig, "{message}"),
            wit::LogLevel::Warn => tracing::warn!(signature = %sig, "{message}"),
            wit::LogLevel::Info => tracing::info!(signature = %sig, "{message}"),
            wit::LogLevel::Debug => tracing::debug!(signature = %sig, "{message}"),
            wit::LogLevel::Trace => tracing::trace!(signature = %sig, "{message}"),
        }
    }

    fn ancestry(&mut self, pid: u32) -> Vec<wit::Process> {
        if let Some((batch, current)) = &self.judging {
            if let Some(ancestors) = batch.ancestry_at_event(pid, *current) {
                return ancestors;
            }
        }
        let tracker = self.tracker.lock().unwrap_or_else(|e| e.into_inner());
        tracker
            .ancestry(pid)
            .into_iter()
            .map(|p| wit::Process {
                pid: p.pid,
                tid: p.pid,
                ppid: p.ppid,
                uid: 0,
                gid: 0,
                comm: p.comm.clone(),
                exe: p.exe.clone(),
                argv: p.argv.clone(),
            })
            .collect()
    }
}

/// The shared compiler and epoch clock.
pub struct Runtime {
    engine: Engine,
    linker: Linker<SignatureState>,
    cache: CompileCache,
}

/// A component compiled and checked, not yet instantiated.
pub struct Compiled {
    pub origin: String,
    pub sha256: String,
    pub shape: Shape,
    component: Component,
}

impl Runtime {
    pub fn new(cache_dir: Option<&std::path::Path>) -> Result<Self> {
        let engine = Engine::new(&crate::engine_config::engine_config())?;
        // The epoch clock that enforces per-call deadlines. It holds only a weak handle so it
        // stops with the engine.
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("vigil-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        TypedSignature::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
        let cache = CompileCache::new(&engine, cache_dir);
        Ok(Runtime {
            engine,
            linker,
            cache,
        })
    }

    /// Compiles (or fetches from the cache) and checks a component; `origin` names it in errors.
    /// `precompiled` is code `build.rs` compiled from these same bytes for the embedded set; it
    /// is used when this machine can run it, and the bytes are compiled otherwise.
    /// Safe to call from several threads at once.
    pub fn compile(
        &self,
        origin: &str,
        bytes: &[u8],
        precompiled: Option<&'static [u8]>,
    ) -> Result<Compiled> {
        let sha256 = sha256_hex(bytes);
        // SAFETY: `precompiled` only ever comes from the binary itself (see `signatures`), made
        // by its own build script with `engine_config`; wasmtime still checks that it matches
        // this engine and CPU, and refuses it otherwise.
        let embedded =
            precompiled.map(|code| unsafe { Component::deserialize(&self.engine, code) });
        let component = match embedded {
            Some(Ok(component)) => component,
            other => {
                if let Some(Err(e)) = other {
                    tracing::warn!("{origin}: precompiled code not usable here ({e:#}); compiling");
                }
                self.cache
                    .component(&self.engine, &sha256, bytes)
                    .with_context(|| format!("{origin}: not a valid WebAssembly component"))?
            }
        };
        let shape = check_interface(origin, &self.engine, &component)?;
        Ok(Compiled {
            origin: origin.to_string(),
            sha256,
            shape,
            component,
        })
    }

    /// The import and export names of a compiled component, for `signatures inspect`.
    pub fn interface(&self, compiled: &Compiled) -> (Vec<String>, Vec<String>) {
        let ty = compiled.component.component_type();
        (
            ty.imports(&self.engine)
                .map(|(n, _)| n.to_string())
                .collect(),
            ty.exports(&self.engine)
                .map(|(n, _)| n.to_string())
                .collect(),
        )
    }

    /// Instantiates a compiled signature, reads its metadata and applies the settings among
    /// `all_settings` that name its id.
    pub fn load(
        &self,
        compiled: Compiled,
        limits: Limits,
        all_settings: &[Setting],
        tracker: SharedTracker,
    ) -> Result<LoadedSignature> {
        let origin = compiled.origin.as_str();
        let component = compiled.component;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{origin}: cannot link"))?;
        let pre = match compiled.shape {
            Shape::Typed => TypedSignaturePre::new(pre).map(Pre::Typed),
            Shape::Batched => BatchSignaturePre::new(pre).map(Pre::Batched),
        }
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{origin}: wrong exports"))?;
        let mut sig = LoadedSignature {
            origin: origin.to_string(),
            sha256: compiled.sha256,
            shape: compiled.shape,
            pre,
            limits,
            tracker,
            instance: None,
            metadata: Metadata::placeholder(),
            kinds: KindSet::default(),
            failures: 0,
            failed_calls: 0,
            missed_events: 0,
            disabled: None,
            opens: None,
            settings: Vec::new(),
            budget: FindingBudget::new(),
            suppressed: 0,
        };
        let (mut store, instance, raw) = sig.instantiate()?;
        store.set_epoch_deadline(sig.setup_deadline_ticks());
        let meta = instance
            .describe(&mut store)
            .map_err(|e| anyhow!("{origin}: describe() failed: {e:#}"))?;
        sig.metadata = Metadata::from_wit(origin, meta)?;
        sig.kinds = sig.metadata.events.iter().copied().collect();
        store.data_mut().label = sig.metadata.id.clone();
        let settings: Vec<(String, String)> = all_settings
            .iter()
            .filter(|s| s.signature == sig.metadata.id)
            .map(|s| (s.key.clone(), s.value.clone()))
            .collect();
        for (key, _) in &settings {
            if !sig.metadata.config_keys.iter().any(|k| &k.name == key) {
                let accepted: Vec<&str> = sig
                    .metadata
                    .config_keys
                    .iter()
                    .map(|k| k.name.as_str())
                    .collect();
                bail!(
                    "{origin}: signature {} has no setting {key:?} (it accepts: {})",
                    sig.metadata.id,
                    if accepted.is_empty() {
                        "none".to_string()
                    } else {
                        accepted.join(", ")
                    }
                );
            }
        }
        let declared = sig.metadata.config_keys.iter().map(|k| k.name.as_str());
        let settings: Vec<(String, String)> = crate::host_settings::for_keys(declared)
            .into_iter()
            .chain(settings)
            .collect();
        store.set_epoch_deadline(sig.setup_deadline_ticks());
        instance
            .configure(&mut store, &settings)
            .map_err(|e| anyhow!("{origin}: configure() failed: {e:#}"))?
            .map_err(|msg| {
                anyhow!(
                    "{origin}: signature {} refused its settings: {msg}",
                    sig.metadata.id
                )
            })?;
        sig.settings = settings;
        sig.opens = sig.ask_open_interest(&mut store, &raw)?;
        sig.instance = Some((store, instance));
        Ok(sig)
    }
}

/// Refuses components that are not Vigil signatures of a supported version, or that import
/// anything outside the allowlist.
fn check_interface(origin: &str, engine: &Engine, component: &Component) -> Result<Shape> {
    let ty = component.component_type();
    let exported: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
    let export = |prefix: &str| {
        exported
            .iter()
            .find(|n| n.strip_prefix(prefix).is_some_and(|v| v.starts_with('@')))
    };
    let (detector, shape) = match (export(BATCH_DETECTOR_EXPORT), export(DETECTOR_EXPORT)) {
        (Some(d), _) => (d, Shape::Batched),
        (None, Some(d)) => (d, Shape::Typed),
        (None, None) => bail!(
            "{origin}: exports neither {DETECTOR_EXPORT} nor {BATCH_DETECTOR_EXPORT} \
             (exports: {}); not a Vigil signature",
            if exported.is_empty() {
                "none".to_string()
            } else {
                exported.join(", ")
            }
        ),
    };
    let version = detector
        .rsplit_once('@')
        .map(|(_, v)| v)
        .unwrap_or("unversioned");
    if !SUPPORTED_VERSIONS.contains(&version) {
        bail!(
            "{origin}: built for interface vigil:signature@{version}; this Vigil supports {}",
            SUPPORTED_VERSIONS
                .iter()
                .map(|v| format!("vigil:signature@{v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let refused: Vec<String> = ty
        .imports(engine)
        .filter(|(name, item)| {
            !ALLOWED_IMPORTS.iter().any(|p| name.starts_with(p))
                || !matches!(item.ty, ComponentItem::ComponentInstance(_))
        })
        .map(|(name, _)| name.to_string())
        .collect();
    if !refused.is_empty() {
        bail!(
            "{origin}: imports {}, which signatures may not use \
             (allowed: vigil:signature/host, and WASI cli, io and random with nothing \
             behind them; no files, sockets, HTTP or clocks)",
            refused.join(", ")
        );
    }
    Ok(shape)
}

/// A signature's metadata, validated and in host types.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Metadata {
    pub id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub severity: Severity,
    pub mitre: Vec<String>,
    pub tags: Vec<String>,
    pub events: Vec<Kind>,
    pub config_keys: Vec<ConfigKey>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ConfigKey {
    pub name: String,
    pub description: String,
}

impl Metadata {
    fn placeholder() -> Self {
        Metadata {
            id: String::new(),
            name: String::new(),
            version: String::new(),
            description: String::new(),
            severity: Severity::Info,
            mitre: vec![],
            tags: vec![],
            events: vec![],
            config_keys: vec![],
        }
    }

    fn from_wit(origin: &str, m: wit::Metadata) -> Result<Self> {
        let id_ok = !m.id.is_empty()
            && m.id.len() <= 64
            && m.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
        if !id_ok {
            bail!(
                "{origin}: signature id {:?} must be 1-64 characters of [A-Za-z0-9-_.:]",
                m.id
            );
        }
        if m.name.trim().is_empty() {
            bail!("{origin}: signature {} has an empty name", m.id);
        }
        for t in &m.mitre {
            let ok = t.starts_with('T')
                && t[1..]
                    .split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                bail!(
                    "{origin}: signature {} lists {t:?}, not an ATT&CK technique id",
                    m.id
                );
            }
        }
        if m.events.is_empty() {
            bail!("{origin}: signature {} selects no event kinds", m.id);
        }
        let mut events: Vec<Kind> = m.events.iter().map(|k| kind_from_wit(*k)).collect();
        events.sort();
        events.dedup();
        Ok(Metadata {
            id: m.id,
            name: m.name,
            version: m.version,
            description: m.description,
            severity: severity_from_wit(m.severity),
            mitre: m.mitre,
            tags: m.tags,
            events,
            config_keys: m
                .config_keys
                .into_iter()
                .map(|k| ConfigKey {
                    name: k.name,
                    description: k.description,
                })
                .collect(),
        })
    }
}

/// What a signature call produced.
pub struct RawFinding {
    pub summary: String,
    pub severity: Option<Severity>,
    pub evidence: Vec<(String, String)>,
}

const MAX_SUMMARY: usize = 1024;
const MAX_EVIDENCE: usize = 32;
const MAX_EVIDENCE_VALUE: usize = 4096;

impl RawFinding {
    /// Bounds what a signature can put in a report: a hostile one cannot bloat the output.
    fn bounded(f: wit::Finding) -> Self {
        let cut = |s: String, n: usize| -> String {
            if s.len() <= n {
                s
            } else {
                let mut end = n;
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}…", &s[..end])
            }
        };
        RawFinding {
            summary: cut(f.summary, MAX_SUMMARY),
            severity: f.severity.map(severity_from_wit),
            evidence: f
                .evidence
                .into_iter()
                .take(MAX_EVIDENCE)
                .map(|(k, v)| (cut(k, 128), cut(v, MAX_EVIDENCE_VALUE)))
                .collect(),
        }
    }
}

/// Per-signature findings rate limit: a burst of `BURST`, refilled at `PER_SECOND`.
struct FindingBudget {
    tokens: f64,
    last: std::time::Instant,
}

const BURST: f64 = 100.0;
const PER_SECOND: f64 = 10.0;

impl FindingBudget {
    fn new() -> Self {
        FindingBudget {
            tokens: BURST,
            last: std::time::Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = std::time::Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * PER_SECOND;
        self.tokens = (self.tokens + refill).min(BURST);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A component ready to instantiate, by handler shape.
enum Pre {
    Typed(TypedSignaturePre<SignatureState>),
    Batched(BatchSignaturePre<SignatureState>),
}

/// A live instance, by handler shape.
enum Instance {
    Typed(TypedSignature),
    Batched(BatchSignature),
}

impl Pre {
    fn engine(&self) -> &Engine {
        match self {
            Pre::Typed(p) => p.engine(),
            Pre::Batched(p) => p.engine(),
        }
    }

    /// A new instance, as its handler shape and as the component instance itself (for the
    /// optional exports).
    fn instantiate(
        &self,
        store: &mut Store<SignatureState>,
    ) -> wasmtime::Result<(Instance, component::Instance)> {
        let raw = match self {
            Pre::Typed(p) => p.instance_pre().instantiate(&mut *store)?,
            Pre::Batched(p) => p.instance_pre().instantiate(&mut *store)?,
        };
        let instance = match self {
            Pre::Typed(_) => Instance::Typed(TypedSignature::new(&mut *store, &raw)?),
            Pre::Batched(_) => Instance::Batched(BatchSignature::new(&mut *store, &raw)?),
        };
        Ok((instance, raw))
    }

    fn instance_pre(&self) -> &component::InstancePre<SignatureState> {
        match self {
            Pre::Typed(p) => p.instance_pre(),
            Pre::Batched(p) => p.instance_pre(),
        }
    }
}

impl Instance {
    fn describe(&self, store: &mut Store<SignatureState>) -> wasmtime::Result<wit::Metadata> {
        match self {
            Instance::Typed(i) => i.vigil_signature_detector().call_describe(store),
            Instance::Batched(i) => i.vigil_signature_batch_detector().call_describe(store),
        }
    }

    fn configure(
        &self,
        store: &mut Store<SignatureState>,
        settings: &[(String, String)],
    ) -> wasmtime::Result<Result<(), String>> {
        match self {
            Instance::Typed(i) => i.vigil_signature_detector().call_configure(store, settings),
            Instance::Batched(i) => i
                .vigil_signature_batch_detector()
                .call_configure(store, settings),
        }
    }
}

/// One loaded signature and its sandbox.
pub struct LoadedSignature {
    pub origin: String,
    pub sha256: String,
    pub shape: Shape,
    pre: Pre,
    /// Applied again whenever the instance is replaced after a trap.
    settings: Vec<(String, String)>,
    budget: FindingBudget,
    /// Findings dropped by the rate limit.
    pub suppressed: u64,
    limits: Limits,
    tracker: SharedTracker,
    instance: Option<(Store<SignatureState>, Instance)>,
    pub metadata: Metadata,
    /// `metadata.events`, as a set checked once per batch.
    kinds: KindSet,
    failures: u32,
    /// Failed calls over the whole run: each is an event (typed) or a batch of events
    /// (batched) this signature did not judge.
    pub failed_calls: u64,
    /// Events this signature could not judge because their call failed.
    pub missed_events: u64,
    /// Why the signature was disabled, once it is.
    pub disabled: Option<String>,
    /// Which opens it wants (`file-interest`); `None`: every open.
    opens: Option<Matcher>,
}

impl LoadedSignature {
    fn deadline_ticks(&self) -> u64 {
        ticks(self.limits.deadline)
    }

    /// Instantiation, `describe` and `configure` happen once per instance, off the event path,
    /// and on a loaded machine many signatures start at once: they get at least
    /// `SETUP_DEADLINE`, so a busy runner does not fail a whole run at load.
    fn setup_deadline_ticks(&self) -> u64 {
        ticks(self.limits.deadline.max(SETUP_DEADLINE))
    }

    fn instantiate(&self) -> Result<(Store<SignatureState>, Instance, component::Instance)> {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE);
        // An empty context: no preopens, no env, no args, no sockets.
        let wasi = WasiCtx::builder().stderr(stderr.clone()).build();
        let state = SignatureState {
            wasi,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.limits.memory_bytes)
                // A componentize-py (Python) signature is ~20 core instances: libc, libpython,
                // its extension modules and the adapters between them.
                .instances(64)
                .tables(64)
                .memories(8)
                .build(),
            tracker: self.tracker.clone(),
            stderr,
            label: self.metadata.id.clone(),
            judging: None,
        };
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|s| &mut s.limits);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(self.setup_deadline_ticks());
        let (instance, raw) = self
            .pre
            .instantiate(&mut store)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{}: instantiation failed", self.origin))?;
        if !self.settings.is_empty() {
            instance
                .configure(&mut store, &self.settings)
                .map_err(|e| anyhow!("{}: configure() failed: {e:#}", self.origin))?
                .map_err(|msg| anyhow!("{}: refused its settings: {msg}", self.origin))?;
        }
        Ok((store, instance, raw))
    }

    /// The opens the signature wants, if it exports `file-interest` (1.1.0); `None`: all.
    /// Asked once, configured: a later instance is configured the same way.
    fn ask_open_interest(
        &self,
        store: &mut Store<SignatureState>,
        raw: &component::Instance,
    ) -> Result<Option<Matcher>> {
        let origin = &self.origin;
        let Ok(indices) = file_interest::GuestIndices::new(self.pre.instance_pre()) else {
            return Ok(None);
        };
        let guest = indices
            .load(&mut *store, raw)
            .map_err(|e| anyhow!("{origin}: file-interest has the wrong shape: {e:#}"))?;
        store.set_epoch_deadline(self.setup_deadline_ticks());
        let wit = guest
            .call_opens(&mut *store)
            .map_err(|e| anyhow!("{origin}: file-interest opens() failed: {e:#}"))?;
        let interest = OpenInterest {
            reads: wit.reads,
            writes: wit.writes,
        };
        interest
            .check()
            .map_err(|e| anyhow!("{origin}: signature {}: {e}", self.metadata.id))?;
        Ok(Some(interest.matcher()))
    }

    /// Whether the signature selected `kind` (disabled or not).
    pub fn selects(&self, kind: Kind) -> bool {
        self.kinds.contains(kind)
    }

    /// Whether the signature selected any of `kinds` (a batch's): when not, none of the
    /// batch's events is for it, and its worker need not look at them one by one.
    pub fn selects_any(&self, kinds: KindSet) -> bool {
        self.kinds.intersects(kinds)
    }

    /// Whether the signature wants this event: its kind is selected and, for an open, its
    /// `file-interest` (if any) wants the path.
    pub fn wants(&self, event: &crate::event::Event) -> bool {
        match (&event.data, &self.opens) {
            (EventData::Open { path, flags, .. }, Some(opens)) => {
                self.selects(Kind::Open) && opens.wants(path, *flags)
            }
            (data, _) => self.selects(data.kind()),
        }
    }

    /// The opens the signature wants, when it said (`None`: every open, if it selects them).
    pub fn open_interest(&self) -> Option<&Matcher> {
        self.opens.as_ref()
    }

    /// Runs the handler on the events of `batch` at positions `selected` (kinds this signature
    /// wants): one call per event for a typed handler, one call for a batched one. Returns
    /// each finding with the position of its event. Failures are contained here: the failed
    /// call's findings are lost, the failure is logged, and the signature is disabled after
    /// repeated failures.
    pub fn judge(&mut self, batch: &Arc<Batch>, selected: &[usize]) -> Vec<(usize, RawFinding)> {
        let mut out = Vec::new();
        match self.shape {
            Shape::Typed => {
                for &index in selected {
                    let event = batch.typed(index);
                    let found = self.call(1, |store, instance| match instance {
                        Instance::Typed(i) => {
                            store.data_mut().judging = Some((batch.clone(), Some(index)));
                            i.vigil_signature_detector()
                                .call_on_event(&mut *store, event)
                                .map(|f| f.into_iter().map(|f| (0, f)).collect())
                        }
                        Instance::Batched(_) => unreachable!("shape is typed"),
                    });
                    out.extend(
                        found
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(_, f)| (index, f)),
                    );
                }
            }
            Shape::Batched => {
                if selected.is_empty() {
                    return out;
                }
                let found = match self.call_batch(batch, selected) {
                    Ok(found) => found,
                    Err(Failure::Trapped) if selected.len() > 1 => {
                        // One event can make a buggy signature trap; that must not blind it to
                        // the rest of the batch (an attacker's event may be among them). Judge
                        // them one at a time on a fresh instance, so only what traps is lost.
                        self.missed_events -= selected.len() as u64;
                        let mut found = Vec::new();
                        for (position, &index) in selected.iter().enumerate() {
                            let one = self.call_batch(batch, &[index]).unwrap_or_default();
                            found.extend(one.into_iter().map(|(_, f)| (position, f)));
                        }
                        found
                    }
                    Err(_) => Vec::new(),
                };
                for (position, finding) in found {
                    // A position outside the batch is the signature's error: its finding
                    // cannot be attributed to an event, so it is dropped and said.
                    match selected.get(position) {
                        Some(&index) => out.push((index, finding)),
                        None => tracing::warn!(
                            signature = %self.metadata.id,
                            "dropped a finding about event {position} of a batch of {}",
                            selected.len()
                        ),
                    }
                }
            }
        }
        out
    }

    /// One `on-batch` call over the `selected` events of `batch`.
    fn call_batch(
        &mut self,
        batch: &Arc<Batch>,
        selected: &[usize],
    ) -> Result<Vec<(usize, RawFinding)>, Failure> {
        let bytes = batch.encoded(selected);
        self.call(selected.len() as u64, |store, instance| match instance {
            Instance::Batched(i) => {
                store.data_mut().judging = Some((batch.clone(), None));
                i.vigil_signature_batch_detector()
                    .call_on_batch(&mut *store, &bytes)
                    .map(|f| {
                        f.into_iter()
                            .map(|f| (f.event as usize, f.finding))
                            .collect()
                    })
            }
            Instance::Typed(_) => unreachable!("shape is batched"),
        })
    }

    /// One guest call under the deadline; `events` is how many events it judges.
    fn call(
        &mut self,
        events: u64,
        f: impl FnOnce(
            &mut Store<SignatureState>,
            &Instance,
        ) -> wasmtime::Result<Vec<(usize, wit::Finding)>>,
    ) -> Result<Vec<(usize, RawFinding)>, Failure> {
        if self.disabled.is_some() {
            self.missed_events += events;
            return Err(Failure::Other);
        }
        if self.instance.is_none() {
            match self.instantiate() {
                Ok((store, instance, _)) => self.instance = Some((store, instance)),
                Err(e) => {
                    self.fail(format!("{e:#}"), events);
                    return Err(Failure::Other);
                }
            }
        }
        let ticks = self.deadline_ticks();
        let (store, instance) = self.instance.as_mut().expect("instantiated above");
        store.set_epoch_deadline(ticks);
        match f(store, instance) {
            Ok(findings) => {
                self.failures = 0;
                let mut out = Vec::new();
                for (position, f) in findings {
                    if !self.budget.take() {
                        self.suppressed += 1;
                        continue;
                    }
                    out.push((position, RawFinding::bounded(f)));
                }
                Ok(out)
            }
            Err(err) => {
                let said = panic_message(&String::from_utf8_lossy(&store.data().stderr.contents()));
                // A trapped instance may not be re-entered: start a fresh one next time.
                self.instance = None;
                let mut why = self.describe_error(&err);
                if !said.is_empty() {
                    why = format!("{why}; the signature said: {said}");
                }
                self.fail(why, events);
                let overran = matches!(
                    err.downcast_ref::<wasmtime::Trap>(),
                    Some(wasmtime::Trap::Interrupt)
                );
                Err(if overran || self.disabled.is_some() {
                    Failure::Other
                } else {
                    Failure::Trapped
                })
            }
        }
    }

    fn describe_error(&self, err: &wasmtime::Error) -> String {
        match err.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => format!(
                "exceeded its {} ms time limit",
                self.limits.deadline.as_millis()
            ),
            Some(trap) => trap.to_string(),
            None => format!("failed: {}", err.to_string().lines().next().unwrap_or("")),
        }
    }

    fn fail(&mut self, why: String, events: u64) {
        self.failures += 1;
        self.failed_calls += 1;
        self.missed_events += events;
        tracing::warn!(
            signature = %self.metadata.id,
            failures = self.failures,
            "signature call failed: {why}"
        );
        if self.failures >= MAX_FAILURES {
            tracing::error!(
                signature = %self.metadata.id,
                "signature disabled after {} consecutive failures",
                self.failures
            );
            self.disabled = Some(format!(
                "disabled after {} consecutive failures; last: {why}",
                self.failures
            ));
        }
    }
}

/// The useful part of what a guest printed before trapping (a Rust panic's location and
/// message), on one line and bounded.
fn panic_message(stderr: &str) -> String {
    let text: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("note: run with"))
        .collect();
    text.join(" ").chars().take(500).collect()
}

fn severity_from_wit(s: wit::Severity) -> Severity {
    match s {
        wit::Severity::Info => Severity::Info,
        wit::Severity::Low => Severity::Low,
        wit::Severity::Medium => Severity::Medium,
        wit::Severity::High => Severity::High,
        wit::Severity::Critical => Severity::Critical,
    }
}

fn kind_from_wit(k: wit::EventKind) -> Kind {
    // Both enumerations list the kinds in the same order (a test checks the names).
    Kind::ALL[k as usize]
}
