//! The allowlists a signature accepts as settings: processes by executable glob
//! (`allow-processes`) and paths by glob (`allow-paths`), so every signature is tuned with the
//! same two keys and the same syntax (comma-separated globs, see [`crate::paths::glob`]).

use crate::{paths::GlobList, ConfigKey, Event};

/// Setting: executables (globs on the absolute path) whose events are legitimate.
pub const ALLOW_PROCESSES: &str = "allow-processes";
/// Setting: paths (globs) whose use is legitimate.
pub const ALLOW_PATHS: &str = "allow-paths";

/// git itself (`git` and its helper programs), whose own work in `.git/` is never an attack.
pub const GIT: &str = "**/git,**/git-core/*";

/// Processes and paths a signature leaves alone.
#[derive(Clone, Debug, Default)]
pub struct Allowlist {
    processes: GlobList,
    paths: GlobList,
}

impl Allowlist {
    /// An allowlist that starts with `processes` and `paths` (comma-separated globs, empty
    /// for none): a signature's defaults for honest tools. Settings add to them.
    pub fn new(processes: &str, paths: &str) -> Self {
        Allowlist {
            processes: GlobList::parse(processes),
            paths: GlobList::parse(paths),
        }
    }

    /// The two settings, for `Metadata::config_keys`.
    pub fn config_keys() -> Vec<ConfigKey> {
        vec![
            ConfigKey {
                name: ALLOW_PROCESSES.into(),
                description: "Comma-separated globs of executables (absolute paths) this \
                              signature ignores, e.g. /usr/bin/visudo,/opt/**/bin/*."
                    .into(),
            },
            ConfigKey {
                name: ALLOW_PATHS.into(),
                description: "Comma-separated globs of paths this signature ignores.".into(),
            },
        ]
    }

    /// Applies settings; any key but the two allowlists is refused, naming it.
    pub fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        for (key, value) in settings {
            match key.as_str() {
                ALLOW_PROCESSES => self.processes.extend(value),
                ALLOW_PATHS => self.paths.extend(value),
                _ => return Err(format!("unknown setting {key:?}")),
            }
        }
        Ok(())
    }

    /// Whether the process that caused `event` is allowed (by its executable).
    pub fn allows_process(&self, event: &Event) -> bool {
        !event.process.exe.is_empty() && self.processes.matches(event.process.exe)
    }

    /// Whether `event`, touching `path`, is allowed: by its process or by the path.
    pub fn allows(&self, event: &Event, path: &str) -> bool {
        self.allows_process(event) || self.paths.matches(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{testing::event, EventData};

    #[test]
    fn processes_and_paths() {
        let mut allow = Allowlist::new("/usr/bin/visudo", "");
        allow
            .configure(&[
                (ALLOW_PROCESSES.into(), "/opt/**/bin/*".into()),
                (ALLOW_PATHS.into(), "/etc/sudoers.d/ci-*".into()),
            ])
            .unwrap();
        let e = |exe| event(7, exe, EventData::Exit { code: None });
        assert!(allow.allows_process(&e("/usr/bin/visudo")));
        assert!(allow.allows_process(&e("/opt/tool/1.0/bin/x")));
        assert!(!allow.allows_process(&e("/usr/bin/tee")));
        assert!(allow.allows(&e("/usr/bin/tee"), "/etc/sudoers.d/ci-runner"));
        assert!(!allow.allows(&e("/usr/bin/tee"), "/etc/sudoers.d/evil"));
        assert!(allow.configure(&[("allow".into(), "x".into())]).is_err());
    }
}
