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
