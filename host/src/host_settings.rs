//! Settings the host itself provides: facts about this Vigil process that no event tells a
//! signature — its pid, the files it writes its findings to — so a signature can notice the
//! watched job tampering with Vigil. A signature receives one only when it declares the key
//! (`vigil-pid`, `vigil-exe`, `vigil-outputs`); a user's `--config` for the same key comes after and wins.

use std::{path::Path, sync::OnceLock};

/// Declared by a signature that wants Vigil's process id.
pub const VIGIL_PID: &str = "vigil-pid";
/// Declared by a signature that wants Vigil's executable (to tell Vigil's own invocations,
/// such as `vigil stop`, from the job's).
pub const VIGIL_EXE: &str = "vigil-exe";
/// Declared by a signature that wants Vigil's output files (comma-separated absolute paths).
pub const VIGIL_OUTPUTS: &str = "vigil-outputs";

static OUTPUTS: OnceLock<String> = OnceLock::new();

/// Records this run's output files, once, before signatures are loaded.
pub fn set_outputs<'a>(paths: impl IntoIterator<Item = &'a Path>) {
    let absolute: Vec<String> = paths
        .into_iter()
        .map(|p| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .display()
                .to_string()
        })
        .collect();
    let _ = OUTPUTS.set(absolute.join(","));
}

/// The host's settings among `declared` keys.
pub fn for_keys<'a>(declared: impl IntoIterator<Item = &'a str>) -> Vec<(String, String)> {
    declared
        .into_iter()
        .filter_map(|key| match key {
            VIGIL_PID => Some((key.to_string(), std::process::id().to_string())),
            VIGIL_EXE => std::env::current_exe()
                .ok()
                .map(|exe| (key.to_string(), exe.display().to_string())),
            VIGIL_OUTPUTS => OUTPUTS
                .get()
                .filter(|o| !o.is_empty())
                .map(|o| (key.to_string(), o.clone())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_declared_keys_are_provided() {
        assert!(for_keys(["allow-exe"]).is_empty());
        let pid = for_keys([VIGIL_PID, "other"]);
        assert_eq!(
            pid,
            [(VIGIL_PID.to_string(), std::process::id().to_string())]
        );
        set_outputs([Path::new("findings.jsonl")]);
        let outputs = for_keys([VIGIL_OUTPUTS]);
        assert!(outputs[0].1.starts_with('/') && outputs[0].1.ends_with("/findings.jsonl"));
    }
}
