//! Command-line interface (clap).

use std::{ffi::OsString, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit_status;

#[derive(Parser, Debug)]
#[command(
    name = "vigil",
    version,
    about = "Runtime threat detection for CI/CD pipelines"
)]
#[command(after_help = exit_status::HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Watch CMD and all its descendants; fail when a signature finds an attack.
    #[command(after_help = exit_status::HELP)]
    Run(RunArgs),
    /// Record every event of CMD and its descendants to a file (no signatures run).
    Record(RecordArgs),
    /// Run signatures over a recording, with no kernel involved: same output and exit status
    /// as `vigil run`.
    #[command(after_help = exit_status::HELP)]
    Replay(ReplayArgs),
    /// Print a recording's events as JSON Lines.
    Events(EventsArgs),
    /// List or inspect signatures.
    Signatures(SignaturesArgs),
    /// Watch a whole job in the background (the GitHub Action's first step): detaches a daemon
    /// and returns once its capture is armed, or fails within --ready-timeout-secs.
    Start(StartArgs),
    /// Stop the daemon `vigil start` left, write the job's reports, and exit as `vigil run`
    /// would; exit 87 when the daemon was down (died or killed) unless --allow-degraded.
    #[command(after_help = exit_status::HELP)]
    Stop(StopArgs),
    /// Internal: the daemon `vigil start` detaches.
    #[command(hide = true)]
    Daemon(DaemonArgs),
    /// Internal: wait until Vigil has armed capture, then exec the command.
    #[command(hide = true)]
    Hold(HoldArgs),
    /// Internal (`make bench`): a synthetic event stream through the signatures, no kernel.
    #[command(hide = true)]
    BenchDispatch(BenchArgs),
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    pub signatures: SignatureSource,
    /// How many events to push through.
    #[arg(long, default_value_t = 200_000)]
    pub events: usize,
    /// Also write the stream, in the batched handlers' encoding, to FILE (for the native
    /// comparison in `make bench`).
    #[arg(long, value_name = "FILE")]
    pub write_batch: Option<PathBuf>,
}

/// Where signatures come from; shared by every command that loads them.
#[derive(Args, Debug, Clone)]
pub struct SignatureSource {
    /// Load every `*.wasm` component in DIR (repeatable). A bad file is an error.
    #[arg(long = "signatures", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Do not load the default signatures embedded in vigil.
    #[arg(long)]
    pub no_default_signatures: bool,
    /// Memory cap per signature, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub signature_memory_mib: u64,
    /// Time limit per signature call, in milliseconds.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 50,
        env = "VIGIL_SIGNATURE_DEADLINE_MS"
    )]
    pub signature_deadline_ms: u64,
    /// A setting for one signature: `ID:KEY=VALUE` (repeatable; keys the signature declares).
    #[arg(long = "config", value_name = "ID:KEY=VALUE", value_parser = parse_setting)]
    pub settings: Vec<Setting>,
    /// Where compiled signatures are cached [default: $XDG_CACHE_HOME/vigil or ~/.cache/vigil].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile every signature afresh and cache nothing.
    #[arg(long)]
    pub no_cache: bool,
    /// Load a signature from a URL, pinned by the sha256 of its bytes (repeatable).
    #[arg(long = "plugin", value_name = "URL#sha256=HEX")]
    pub plugins: Vec<crate::plugins::PluginRef>,
    /// Read more `URL#sha256=HEX` plugins from FILE, one per line.
    #[arg(long, value_name = "FILE")]
    pub plugins_file: Option<PathBuf>,
    /// Largest plugin accepted, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub plugin_max_mib: u64,
    /// Time limit for fetching one plugin, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub plugin_timeout_secs: u64,
    /// Attempts per plugin on transient failures (connection errors, HTTP 5xx/429).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub plugin_attempts: usize,
    /// Also trust this PEM CA certificate when fetching plugins over HTTPS.
    #[arg(long, value_name = "FILE")]
    pub plugin_ca: Option<PathBuf>,
}

impl SignatureSource {
    /// No signatures at all (recording, printing events).
    pub fn none() -> Self {
        SignatureSource {
            dirs: Vec::new(),
            no_default_signatures: true,
            signature_memory_mib: 0,
            signature_deadline_ms: 0,
            settings: Vec::new(),
            cache_dir: None,
            no_cache: true,
            plugins: Vec::new(),
            plugins_file: None,
            plugin_max_mib: 0,
            plugin_timeout_secs: 0,
            plugin_attempts: 0,
            plugin_ca: None,
        }
    }
}

impl SignatureSource {
    /// True when no signature source at all was given (`none()`, or `--no-default-signatures`
    /// with no directory or plugin): the run records or prints events and judges nothing.
    pub fn asks_for_none(&self) -> bool {
        self.no_default_signatures
            && self.dirs.is_empty()
            && self.plugins.is_empty()
            && self.plugins_file.is_none()
    }
}

/// One `--config ID:KEY=VALUE`.
#[derive(Clone, Debug)]
pub struct Setting {
    pub signature: String,
    pub key: String,
    pub value: String,
}

fn parse_setting(s: &str) -> Result<Setting, String> {
    let (signature, rest) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?}: expected ID:KEY=VALUE"))?;
    let (key, value) = rest
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected ID:KEY=VALUE"))?;
    if signature.is_empty() || key.is_empty() {
        return Err(format!("{s:?}: signature id and key must not be empty"));
    }
    Ok(Setting {
        signature: signature.to_string(),
        key: key.to_string(),
        value: value.to_string(),
    })
}

/// How findings and Vigil's own state turn into an exit status; shared by run and replay.
#[derive(Args, Debug, Clone)]
pub struct VerdictArgs {
    /// Also write findings as JSON Lines to PATH.
    #[arg(long, value_name = "PATH")]
    pub findings: Option<PathBuf>,
    /// Fail (exit 86) when a finding has at least this severity.
    #[arg(long, value_enum, default_value_t = Severity::Medium)]
    pub fail_on: Severity,
    /// Keep the command's status when Vigil was degraded (lost events, disabled signatures).
    #[arg(long)]
    pub allow_degraded: bool,
    /// Exit 87 when any event was lost, even with --allow-degraded.
    #[arg(long)]
    pub fail_on_loss: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub signatures: SignatureSource,
    #[command(flatten)]
    pub verdict: VerdictArgs,
    /// Ring buffer size in KiB (a power of two, at least the page size).
    #[arg(long, value_name = "KIB", default_value_t = 4096)]
    pub ring_kib: u32,
    /// Watch every process on the host, not only CMD's tree (Vigil's own threads excepted).
    #[arg(long)]
    pub all: bool,
    /// At the end, also write the status line's counters and Vigil's peak memory as JSON to
    /// PATH.
    #[arg(long, value_name = "PATH")]
    pub stats_json: Option<PathBuf>,
    /// The command to watch, and its arguments.
    #[arg(required = true, last = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Args, Debug, Clone)]
pub struct StartArgs {
    #[command(flatten)]
    pub signatures: SignatureSource,
    /// The daemon's directory: pid, log, findings, outcome (created when missing).
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
    /// `vigil stop` exits 86 when a finding has at least this severity.
    #[arg(long, value_enum, default_value_t = Severity::Medium)]
    pub fail_on: Severity,
    /// Destinations the job may contact: `host`, `*.domain`, an address or a CIDR block
    /// (repeatable, or comma/newline separated). Others are flagged in the reports; nothing is
    /// blocked.
    #[arg(long, value_name = "PATTERN")]
    pub egress_allow: Vec<String>,
    /// Watch this process and its descendants [default: the nearest ancestor named
    /// Runner.Worker, else the parent of `vigil start`].
    #[arg(long, value_name = "PID")]
    pub watch_pid: Option<u32>,
    /// Ring buffer size in KiB (a power of two, at least the page size).
    #[arg(long, value_name = "KIB", default_value_t = 4096)]
    pub ring_kib: u32,
    /// How long to wait for the daemon to load its signatures and arm, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub ready_timeout_secs: u64,
}

#[derive(Args, Debug)]
pub struct DaemonArgs {
    #[command(flatten)]
    pub start: StartArgs,
    /// Write end of the readiness pipe.
    #[arg(long)]
    pub ready_fd: i32,
}

#[derive(Args, Debug)]
pub struct StopArgs {
    /// The directory given to `vigil start --state`.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
    /// Write the job summary (Markdown) to FILE.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Write the findings as SARIF 2.1.0 to FILE.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Write the findings as JSON Lines to FILE.
    #[arg(long, value_name = "FILE")]
    pub findings: Option<PathBuf>,
    /// Print GitHub workflow-command annotations (`::error ...`) on stdout.
    #[arg(long)]
    pub annotations: bool,
    /// Keep status 0 when Vigil was degraded or down (findings still fail).
    #[arg(long)]
    pub allow_degraded: bool,
    /// How long to wait for the daemon to flush and finish, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout_secs: u64,
}

#[derive(Args, Debug)]
pub struct RecordArgs {
    /// The record file to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Ring buffer size in KiB (a power of two, at least the page size).
    #[arg(long, value_name = "KIB", default_value_t = 4096)]
    pub ring_kib: u32,
    /// Record every process on the host, not only CMD's tree (Vigil's own threads excepted).
    #[arg(long)]
    pub all: bool,
    /// Keep the command's status when events were lost (by default: exit 87).
    #[arg(long)]
    pub allow_degraded: bool,
    /// The command to watch, and its arguments.
    #[arg(required = true, last = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub signatures: SignatureSource,
    #[command(flatten)]
    pub verdict: VerdictArgs,
    /// A file written by `vigil record`.
    pub file: PathBuf,
}

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// A file written by `vigil record`.
    pub file: PathBuf,
    /// Write the events to FILE in the batched handlers' encoding instead of JSON Lines on
    /// stdout: input for `vigil_sdk::testing::Harness::replay`.
    #[arg(long, value_name = "FILE")]
    pub batch: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SignaturesArgs {
    #[command(subcommand)]
    pub command: SignaturesCommand,
}

#[derive(Subcommand, Debug)]
pub enum SignaturesCommand {
    /// List the signatures that would be loaded.
    List(ListArgs),
    /// Show a component's metadata, imports, interface version and sha256.
    Inspect {
        /// The `.wasm` component.
        file: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Print a Markdown table (id, name, severity, ATT&CK, Tracee id, events) sorted by id:
    /// the README's signature table, generated from the signatures' own metadata.
    #[arg(long)]
    pub markdown: bool,
    #[command(flatten)]
    pub source: SignatureSource,
}

#[derive(Args, Debug)]
pub struct HoldArgs {
    /// Read end of the release pipe.
    #[arg(long)]
    pub fd: i32,
    #[arg(required = true, last = true)]
    pub command: Vec<OsString>,
}

/// Finding severities, ordered.
#[derive(
    ValueEnum,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}
