//! Vigil's exit statuses. Without a failing finding, `vigil run` exits with the watched
//! command's own status (128 + N when it was killed by signal N).

/// A finding reached `--fail-on`.
pub const FINDING: i32 = 86;
/// Vigil itself failed or was degraded (could not load eBPF, bad signature, lost events,
/// disabled signatures without `--allow-degraded`): fail closed, never mistaken for clean.
pub const VIGIL_ERROR: i32 = 87;

pub const HELP: &str = "\
Exit status:
  the command's own  no finding reached --fail-on (128+N if the command died of signal N)
  86                 a finding at or above --fail-on
  87                 Vigil itself failed or was degraded (never 0 in that case)";

/// Everything the exit status depends on besides the command's own status.
pub struct Verdict {
    /// The most severe finding, if any.
    pub worst: Option<crate::cli::Severity>,
    pub fail_on: crate::cli::Severity,
    pub lost: u64,
    pub fail_on_loss: bool,
    /// Lost events, undecodable records, failed or disabled signatures, or (daemon) down.
    pub degraded: bool,
    pub allow_degraded: bool,
    pub command_code: i32,
}

/// Chooses the exit status (`vigil run`, `replay`, `stop` alike) and says why on stderr when
/// it is not the command's own.
pub fn choose(v: &Verdict) -> i32 {
    if v.worst.is_some_and(|w| w >= v.fail_on) {
        eprintln!(
            "vigil: failing: findings at or above {} (command exited {})",
            v.fail_on.as_str(),
            v.command_code
        );
        return FINDING;
    }
    if v.lost > 0 && v.fail_on_loss {
        eprintln!("vigil: failing: {} event(s) lost (--fail-on-loss)", v.lost);
        return VIGIL_ERROR;
    }
    if v.degraded && !v.allow_degraded {
        eprintln!("vigil: failing: Vigil was degraded or down (use --allow-degraded to accept)");
        return VIGIL_ERROR;
    }
    v.command_code
}
