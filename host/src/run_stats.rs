//! `vigil run --stats-json FILE`: the run's counters and Vigil's own peak memory as one JSON
//! object, for `make bench` and other tools that should not parse the status line.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

/// What the status line says, plus the command's status and Vigil's peak resident set.
#[derive(Debug, Serialize)]
pub struct RunStats {
    /// `armed` or `degraded`, as on the status line.
    pub state: &'static str,
    pub findings: usize,
    pub suppressed_findings: u64,
    /// Kernel records read from the ring buffer.
    pub events: u64,
    /// Records the kernel could not put in the ring buffer.
    pub lost: u64,
    pub undecodable: u64,
    pub failed_signature_calls: u64,
    pub disabled_signatures: usize,
    /// Events some signature could not judge because its call failed or it was disabled.
    pub unjudged_events: u64,
    /// The watched command's own exit status (128 + N for signal N).
    pub command_status: i32,
    /// This process's own usage (all its threads, never the watched command's).
    #[serde(flatten)]
    pub usage: OwnUsage,
}

/// What this process itself used, from `getrusage(RUSAGE_SELF)`: children are excluded, so
/// the watched command's memory and CPU never count as Vigil's.
#[derive(Debug, Serialize)]
pub struct OwnUsage {
    /// Peak resident set, KiB.
    pub peak_rss_kib: u64,
    /// CPU time in user space and in the kernel, milliseconds.
    pub cpu_user_ms: u64,
    pub cpu_system_ms: u64,
}

pub fn own_usage() -> Result<OwnUsage> {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Err(std::io::Error::last_os_error()).context("getrusage(RUSAGE_SELF)");
    }
    let ms = |t: libc::timeval| {
        u64::try_from(t.tv_sec).unwrap_or(0) * 1000 + u64::try_from(t.tv_usec).unwrap_or(0) / 1000
    };
    Ok(OwnUsage {
        // Linux reports ru_maxrss in KiB.
        peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        cpu_user_ms: ms(usage.ru_utime),
        cpu_system_ms: ms(usage.ru_stime),
    })
}

/// Creates (or empties) the stats file before the command runs, so a path that cannot be
/// written refuses the run instead of failing after it.
pub fn prepare(path: &Path) -> Result<()> {
    std::fs::File::create(path)
        .map(drop)
        .with_context(|| format!("--stats-json {}: cannot create", path.display()))
}

pub fn write(path: &Path, stats: &RunStats) -> Result<()> {
    let mut json = serde_json::to_vec_pretty(stats)?;
    json.push(b'\n');
    std::fs::write(path, json)
        .with_context(|| format!("--stats-json {}: cannot write", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_usage_counts_memory_this_process_touched() {
        // 32 MiB, every page written so it is resident.
        let block = vec![1u8; 32 << 20];
        std::hint::black_box(&block);
        let usage = own_usage().unwrap();
        assert!(
            usage.peak_rss_kib >= 32 << 10,
            "peak {} KiB after touching 32 MiB",
            usage.peak_rss_kib
        );
    }
}
