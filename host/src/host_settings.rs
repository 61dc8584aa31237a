//! Settings the host itself provides: facts about this Vigil process that no event tells a
//! signature — its pid, the files it writes its findings to — so a signature can notice the
//! watched job tampering with Vigil. A signature receives one only when it declares the key
//! (`vigil-pid`, `vigil-exe`, `vigil-outputs`); a user's `--config` for the same key comes after and wins.
//!
//! A replay gives the facts of the Vigil that recorded the job, which is what the job could
//! have aimed at; a recording older than those facts gives none.

use std::{path::Path, sync::OnceLock};

/// Declared by a signature that wants Vigil's process id.
pub const VIGIL_PID: &str = "vigil-pid";
/// Declared by a signature that wants Vigil's executable (to tell Vigil's own invocations,
/// such as `vigil stop`, from the job's).
pub const VIGIL_EXE: &str = "vigil-exe";
/// Declared by a signature that wants Vigil's output files (comma-separated absolute paths).
pub const VIGIL_OUTPUTS: &str = "vigil-outputs";

/// The facts about one Vigil process; `None` where it is not known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub pid: Option<u32>,
    pub exe: Option<String>,
    /// Absolute paths.
    pub outputs: Vec<String>,
}

impl Facts {
    /// This process, writing `outputs`.
    pub fn this_process<'a>(outputs: impl IntoIterator<Item = &'a Path>) -> Self {
        Facts {
            pid: Some(std::process::id()),
            exe: std::env::current_exe()
                .ok()
                .map(|exe| exe.display().to_string()),
            outputs: outputs
                .into_iter()
                .map(|p| {
                    std::path::absolute(p)
                        .unwrap_or_else(|_| p.to_path_buf())
                        .display()
                        .to_string()
                })
                .collect(),
        }
    }

    /// The settings among `declared` keys these facts give.
    fn settings<'a>(&self, declared: impl IntoIterator<Item = &'a str>) -> Vec<(String, String)> {
        declared
            .into_iter()
            .filter_map(|key| {
                let value = match key {
                    VIGIL_PID => self.pid.map(|pid| pid.to_string()),
                    VIGIL_EXE => self.exe.clone(),
                    VIGIL_OUTPUTS if !self.outputs.is_empty() => Some(self.outputs.join(",")),
                    _ => None,
                }?;
                Some((key.to_string(), value))
            })
            .collect()
    }
}

static FACTS: OnceLock<Facts> = OnceLock::new();

/// Sets the facts signatures receive, once, before they are loaded: this process's (see
/// [`Facts::this_process`]) in a live run, the recorder's in a replay.
pub fn set(facts: Facts) {
    let _ = FACTS.set(facts);
}

/// The host's settings among `declared` keys: from the facts [`set`], or this process's (with
/// no outputs) when none were.
pub fn for_keys<'a>(declared: impl IntoIterator<Item = &'a str>) -> Vec<(String, String)> {
    FACTS
        .get_or_init(|| Facts::this_process([]))
        .settings(declared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_declared_and_known_facts_are_provided() {
        let live = Facts::this_process([Path::new("findings.jsonl")]);
        assert!(live.settings(["allow-exe"]).is_empty());
        assert_eq!(
            live.settings([VIGIL_PID, "other"]),
            [(VIGIL_PID.to_string(), std::process::id().to_string())]
        );
        let outputs = live.settings([VIGIL_OUTPUTS]);
        assert!(outputs[0].1.starts_with('/') && outputs[0].1.ends_with("/findings.jsonl"));

        // A recording's facts are given as recorded; a recording without them gives none.
        let recorded = Facts {
            pid: Some(4),
            exe: Some("/opt/vigil".into()),
            outputs: vec!["/w/a.rec".into(), "/w/b.jsonl".into()],
        };
        assert_eq!(
            recorded.settings([VIGIL_PID, VIGIL_EXE, VIGIL_OUTPUTS]),
            [
                (VIGIL_PID.to_string(), "4".to_string()),
                (VIGIL_EXE.to_string(), "/opt/vigil".to_string()),
                (VIGIL_OUTPUTS.to_string(), "/w/a.rec,/w/b.jsonl".to_string()),
            ]
        );
        assert!(Facts::default()
            .settings([VIGIL_PID, VIGIL_EXE, VIGIL_OUTPUTS])
            .is_empty());
    }
}
