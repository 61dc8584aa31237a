//! `vigil`: runtime threat detection for CI/CD pipelines.
//!
//! One event's path: `capture` (eBPF programs, ring buffer) → `decode` (wire records) →
//! `tracker` (process tree, fd tables: enrichment) → `dispatcher` (signatures in `sandbox`) →
//! `report` (stderr, JSON Lines) → `exit_status`. `recording` keeps that stream in a file that
//! `run`'s pipeline can replay without a kernel.

mod attach_gate;
mod bench;
mod bpf;
mod btf;
mod capture;
mod cli;
mod compile_cache;
mod cwd_tails;
mod daemon;
mod decode;
mod dispatcher;
mod egress;
mod engine_config;
mod event;
mod event_printer;
mod exit_status;
mod hold;
mod host_settings;
mod open_filter;
mod plugins;
mod procfs;
mod recording;
mod report;
mod reports;
mod run;
mod run_stats;
mod sandbox;
mod signature_table;
mod signatures;
mod steps;
mod tracker;
mod wit_event;

use clap::Parser;

/// When this process started, for the "armed in N ms" line.
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

fn main() {
    STARTED.get_or_init(std::time::Instant::now);
    // A bug in Vigil must fail closed with its documented status, never pass for a clean build.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        // Nothing watches the command any more: stop it rather than let it run unwatched.
        let root = run::WATCHED_ROOT.load(std::sync::atomic::Ordering::SeqCst);
        if root != 0 {
            // SAFETY: signalling the child this process started.
            unsafe { libc::kill(root as i32, libc::SIGKILL) };
            eprintln!("vigil: stopped the watched command (pid {root})");
        }
        eprintln!("vigil: internal error; failing closed");
        std::process::exit(exit_status::VIGIL_ERROR);
    }));
    let cli = cli::Cli::parse();
    let code = match cli.command {
        // Runs before logging is set up: it must stay invisible to the watched command.
        cli::Command::Hold(args) => hold::exec_when_released(args),
        command => {
            init_logging();
            if matches!(
                command,
                cli::Command::Run(_) | cli::Command::Record(_) | cli::Command::Daemon(_)
            ) {
                // These attach programs: ask other Vigils' detaches to pause from now.
                attach_gate::announce();
            }
            match command {
                cli::Command::Run(args) => run::run(args),
                cli::Command::Record(args) => run::record(args),
                cli::Command::Replay(args) => run::replay(args),
                cli::Command::Events(args) => run::events(args),
                cli::Command::Signatures(args) => signatures::command(args),
                cli::Command::BenchDispatch(args) => bench::command(args),
                cli::Command::Start(args) => daemon::start(args),
                cli::Command::Stop(args) => daemon::stop::stop(args),
                cli::Command::Daemon(args) => daemon::serve(args),
                cli::Command::Hold(_) => unreachable!(),
            }
        }
    };
    std::process::exit(code);
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("vigil=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // The daemon's stderr is its log file: no colour codes there.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
