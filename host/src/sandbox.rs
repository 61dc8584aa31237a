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
    component::{types::ComponentItem, Component, HasSelf, Linker, ResourceTable},
    Engine, Store, StoreLimits, StoreLimitsBuilder,
};
use wasmtime_wasi::{p2::pipe::MemoryOutputPipe, WasiCtx, WasiCtxView, WasiView};

use crate::{
    cli::{Setting, Severity},
    compile_cache::{sha256_hex, CompileCache},
    event::{self, EventData, Kind},
    tracker::{self, Tracker},
};

wasmtime::component::bindgen!({
    path: "../wit",
    world: "signature",
});

use vigil::signature::types as wit;

/// Interface versions this Vigil can load (the `vigil:signature` WIT package version).
pub const SUPPORTED_VERSIONS: &[&str] = &["1.0.0"];
const DETECTOR_EXPORT: &str = "vigil:signature/detector";

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
const STDERR_CAPTURE: usize = 4096;

pub struct Limits {
    pub memory_bytes: usize,
    pub deadline: Duration,
}

pub type SharedTracker = Arc<Mutex<Tracker>>;

/// An event in the signatures' own (WIT) types.
pub type WitEvent = wit::Event;

/// The host state of one signature's store.
pub struct SignatureState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    tracker: SharedTracker,
    stderr: MemoryOutputPipe,
    label: String,
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

impl vigil::signature::host::Host for SignatureState {
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
        let tracker = self.tracker.lock().unwrap_or_else(|e| e.into_inner());
        tracker
            .ancestry(pid)
            .into_iter()
            .map(|p| wit_process(p, p.pid, 0, 0))
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
    component: Component,
}

impl Runtime {
    pub fn new(cache_dir: Option<&std::path::Path>) -> Result<Self> {
        let mut config = wasmtime::Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .concurrency_support(false)
            // Findings must explain a failure in one line; guest backtraces do not help there.
            .wasm_backtrace_max_frames(None)
            .max_wasm_stack(512 * 1024);
        let engine = Engine::new(&config)?;
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
        Signature::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
        let cache = CompileCache::new(&engine, cache_dir);
        Ok(Runtime {
            engine,
            linker,
            cache,
        })
    }

    /// Compiles (or fetches from the cache) and checks a component; `origin` names it in errors.
    /// Safe to call from several threads at once.
    pub fn compile(&self, origin: &str, bytes: &[u8]) -> Result<Compiled> {
        let sha256 = sha256_hex(bytes);
        let component = self
            .cache
            .component(&self.engine, &sha256, bytes)
            .with_context(|| format!("{origin}: not a valid WebAssembly component"))?;
        check_interface(origin, &self.engine, &component)?;
        Ok(Compiled {
            origin: origin.to_string(),
            sha256,
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
        let pre = SignaturePre::new(pre)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{origin}: wrong exports"))?;
        let mut sig = LoadedSignature {
            origin: origin.to_string(),
            sha256: compiled.sha256,
            pre,
            limits,
            tracker,
            instance: None,
            metadata: Metadata::placeholder(),
            failures: 0,
            failed_calls: 0,
            disabled: None,
            settings: Vec::new(),
            budget: FindingBudget::new(),
            suppressed: 0,
        };
        let (mut store, instance) = sig.instantiate()?;
        store.set_epoch_deadline(sig.deadline_ticks());
        let meta = instance
            .vigil_signature_detector()
            .call_describe(&mut store)
            .map_err(|e| anyhow!("{origin}: describe() failed: {e:#}"))?;
        sig.metadata = Metadata::from_wit(origin, meta)?;
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
        store.set_epoch_deadline(sig.deadline_ticks());
        instance
            .vigil_signature_detector()
            .call_configure(&mut store, &settings)
            .map_err(|e| anyhow!("{origin}: configure() failed: {e:#}"))?
            .map_err(|msg| {
                anyhow!(
                    "{origin}: signature {} refused its settings: {msg}",
                    sig.metadata.id
                )
            })?;
        sig.settings = settings;
        sig.instance = Some((store, instance));
        Ok(sig)
    }
}

/// Refuses components that are not Vigil signatures of a supported version, or that import
/// anything outside the allowlist.
fn check_interface(origin: &str, engine: &Engine, component: &Component) -> Result<()> {
    let ty = component.component_type();
    let exported: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
    let detector =
        exported
            .iter()
            .find(|n| n.starts_with(DETECTOR_EXPORT))
            .ok_or_else(|| {
                anyhow!(
                "{origin}: does not export {DETECTOR_EXPORT} (exports: {}); not a Vigil signature",
                if exported.is_empty() { "none".to_string() } else { exported.join(", ") }
            )
            })?;
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
    Ok(())
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

/// One loaded signature and its sandbox.
pub struct LoadedSignature {
    pub origin: String,
    pub sha256: String,
    pre: SignaturePre<SignatureState>,
    /// Applied again whenever the instance is replaced after a trap.
    settings: Vec<(String, String)>,
    budget: FindingBudget,
    /// Findings dropped by the rate limit.
    pub suppressed: u64,
    limits: Limits,
    tracker: SharedTracker,
    instance: Option<(Store<SignatureState>, Signature)>,
    pub metadata: Metadata,
    failures: u32,
    /// Failed calls over the whole run: each is an event this signature did not judge.
    pub failed_calls: u64,
    /// Why the signature was disabled, once it is.
    pub disabled: Option<String>,
}

impl LoadedSignature {
    fn deadline_ticks(&self) -> u64 {
        (self.limits.deadline.as_millis() as u64).div_ceil(EPOCH_TICK.as_millis() as u64) + 1
    }

    fn instantiate(&self) -> Result<(Store<SignatureState>, Signature)> {
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
        };
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|s| &mut s.limits);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(self.deadline_ticks());
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{}: instantiation failed", self.origin))?;
        if !self.settings.is_empty() {
            instance
                .vigil_signature_detector()
                .call_configure(&mut store, &self.settings)
                .map_err(|e| anyhow!("{}: configure() failed: {e:#}", self.origin))?
                .map_err(|msg| anyhow!("{}: refused its settings: {msg}", self.origin))?;
        }
        Ok((store, instance))
    }

    pub fn wants(&self, kind: Kind) -> bool {
        self.disabled.is_none() && self.metadata.events.contains(&kind)
    }

    /// Runs the handler on one event. Errors are contained here: the call's findings are lost,
    /// the failure is logged, and the signature is disabled after repeated failures.
    pub fn on_event(&mut self, event: &wit::Event) -> Vec<RawFinding> {
        if self.disabled.is_some() {
            return Vec::new();
        }
        if self.instance.is_none() {
            match self.instantiate() {
                Ok(i) => self.instance = Some(i),
                Err(e) => {
                    self.fail(format!("{e:#}"));
                    return Vec::new();
                }
            }
        }
        let ticks = self.deadline_ticks();
        let (store, instance) = self.instance.as_mut().expect("instantiated above");
        store.set_epoch_deadline(ticks);
        match instance
            .vigil_signature_detector()
            .call_on_event(&mut *store, event)
        {
            Ok(findings) => {
                self.failures = 0;
                let mut out = Vec::new();
                for f in findings {
                    if !self.budget.take() {
                        self.suppressed += 1;
                        continue;
                    }
                    out.push(RawFinding::bounded(f));
                }
                out
            }
            Err(err) => {
                let said = panic_message(&String::from_utf8_lossy(&store.data().stderr.contents()));
                // A trapped instance may not be re-entered: start a fresh one next time.
                self.instance = None;
                let mut why = self.describe_error(&err);
                if !said.is_empty() {
                    why = format!("{why}; the signature said: {said}");
                }
                self.fail(why);
                Vec::new()
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

    fn fail(&mut self, why: String) {
        self.failures += 1;
        self.failed_calls += 1;
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
    match k {
        wit::EventKind::Exec => Kind::Exec,
        wit::EventKind::Fork => Kind::Fork,
        wit::EventKind::Exit => Kind::Exit,
        wit::EventKind::Socket => Kind::Socket,
        wit::EventKind::Connect => Kind::Connect,
        wit::EventKind::Dup => Kind::Dup,
        wit::EventKind::Close => Kind::Close,
    }
}

fn wit_process(p: &tracker::Process, tid: u32, uid: u32, gid: u32) -> wit::Process {
    wit::Process {
        pid: p.pid,
        tid,
        ppid: p.ppid,
        uid,
        gid,
        comm: p.comm.clone(),
        exe: p.exe.clone(),
        argv: p.argv.clone(),
    }
}

fn wit_family(f: event::Family) -> wit::AddressFamily {
    match f {
        event::Family::Inet => wit::AddressFamily::Inet,
        event::Family::Inet6 => wit::AddressFamily::Inet6,
        event::Family::Unix => wit::AddressFamily::Unix,
        event::Family::Netlink => wit::AddressFamily::Netlink,
        event::Family::Other(n) => wit::AddressFamily::Other(n),
    }
}

fn wit_addr(a: &event::SockAddr) -> wit::SocketAddress {
    match a {
        event::SockAddr::Inet { ip, port } => wit::SocketAddress::Inet(wit::InetAddress {
            ip: ip.to_string(),
            port: *port,
        }),
        event::SockAddr::Unix { path } => wit::SocketAddress::Unix(path.clone()),
        event::SockAddr::Unknown => wit::SocketAddress::Unknown,
    }
}

fn wit_target(t: &event::FdTarget) -> wit::FdTarget {
    match t {
        event::FdTarget::Socket {
            family,
            socket_type,
            remote,
        } => wit::FdTarget::Socket(wit::SocketInfo {
            family: wit_family(*family),
            socket_type: *socket_type,
            remote: remote.as_ref().map(wit_addr),
        }),
        event::FdTarget::Pipe => wit::FdTarget::Pipe,
        event::FdTarget::File { path } => wit::FdTarget::File(path.clone()),
        event::FdTarget::Unknown => wit::FdTarget::Unknown,
    }
}

/// The WIT form of an event, built once and passed to every signature that wants it.
pub fn to_wit(ev: &event::Event, process: Option<&tracker::Process>) -> wit::Event {
    let process = match process {
        Some(p) => wit_process(p, ev.tid, ev.uid, ev.gid),
        None => wit::Process {
            pid: ev.pid,
            tid: ev.tid,
            ppid: 0,
            uid: ev.uid,
            gid: ev.gid,
            comm: ev.comm.clone(),
            exe: String::new(),
            argv: Vec::new(),
        },
    };
    let data = match &ev.data {
        EventData::Exec {
            filename,
            argv,
            argv_truncated,
            ..
        } => wit::EventData::Exec(wit::ExecEvent {
            filename: filename.clone(),
            argv: argv.clone(),
            argv_truncated: *argv_truncated,
        }),
        EventData::Fork { child_pid } => wit::EventData::Fork(wit::ForkEvent {
            child_pid: *child_pid,
        }),
        EventData::Exit { code } => wit::EventData::Exit(wit::ExitEvent { code: *code }),
        EventData::Socket {
            family,
            socket_type,
            protocol,
            result,
        } => wit::EventData::Socket(wit::SocketEvent {
            family: wit_family(*family),
            socket_type: *socket_type,
            protocol: *protocol,
            result: *result,
        }),
        EventData::Connect {
            fd,
            family,
            address,
            result,
        } => wit::EventData::Connect(wit::ConnectEvent {
            fd: *fd,
            address: wit_addr(address),
            family: wit_family(*family),
            result: *result,
        }),
        EventData::Dup {
            old_fd,
            new_fd,
            target,
            result,
        } => wit::EventData::Dup(wit::DupEvent {
            old_fd: *old_fd,
            new_fd: *new_fd,
            target: wit_target(target),
            result: *result,
        }),
        EventData::Close { fd, target, result } => wit::EventData::Close(wit::CloseEvent {
            fd: *fd,
            target: wit_target(target),
            result: *result,
        }),
        // Kinds the WIT does not have yet: no signature can select them (`kind_from_wit` only
        // yields WIT kinds), so the dispatcher never asks for their WIT form.
        other => unreachable!(
            "{} events have no WIT form; no signature can select them",
            other.kind().as_str()
        ),
    };
    wit::Event {
        timestamp_ns: ev.timestamp_ns,
        process,
        data,
    }
}
