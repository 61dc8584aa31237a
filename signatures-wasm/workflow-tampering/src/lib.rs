//! VGL-0052 — workflow files or git hooks written by a build step.
//!
//! A job that rewrites `.github/workflows/` plants itself in the repository (the next push
//! runs it with the repository's secrets), and a `.git/hooks/` file written by a build step
//! runs on the next git command — in this job or on a developer's machine. git writes both
//! when it checks out or initialises a repository; anything else writing there fires.
//!
//! Writes are opens for writing, renames, links, truncations and chmods landing on those
//! paths. Attempts fire even when they fail: an honest build does not try.

use vigil_sdk::{allowlist::GIT, file_access::is_write_open, paths::GlobList, prelude::*};

const PROTECTED: &[(&str, &str)] = &[
    ("**/.github/workflows/**", "workflow"),
    ("**/.github/actions/**", "local action"),
    ("**/.git/hooks/**", "git hook"),
];

const ALLOW_EXE: &str = "allow-exe";
const EXTRA_PATH: &str = "extra-path";

pub struct WorkflowTampering {
    protected: Vec<(GlobList, &'static str)>,
    writers: GlobList,
}

impl Default for WorkflowTampering {
    fn default() -> Self {
        WorkflowTampering {
            protected: PROTECTED
                .iter()
                .map(|(glob, what)| (GlobList::parse(glob), *what))
                .collect(),
            writers: GlobList::parse(GIT),
        }
    }
}

impl WorkflowTampering {
    fn finding(&self, event: &Event, path: &str, how: &str) -> Vec<Finding> {
        if self.writers.matches(event.process.exe) {
            return Vec::new();
        }
        let Some((_, what)) = self.protected.iter().find(|(g, _)| g.matches(path)) else {
            return Vec::new();
        };
        vec![
            Finding::new(format!("{} {how} the {what} {path}", event.comm))
                .with("path", path)
                .with("file", *what)
                .with("operation", how)
                .with("writer_exe", event.process.exe),
        ]
    }
}

impl Signature for WorkflowTampering {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0052".into(),
            name: "Workflow or git hook written by a build step".into(),
            version: "1.0.0".into(),
            description: "A process other than git wrote, renamed, linked or changed the mode \
                          of a file under .github/workflows, .github/actions or .git/hooks: \
                          persistence in the repository or its next git command."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1195.002".into(), "T1546".into()],
            tags: vec!["ci".into(), "persistence".into()],
            events: vec![
                EventKind::Open,
                EventKind::Rename,
                EventKind::Link,
                EventKind::Truncate,
                EventKind::Chmod,
            ],
            config_keys: vec![
                ConfigKey {
                    name: ALLOW_EXE.into(),
                    description: "Comma-separated exe globs of processes allowed to write \
                                  these files (e.g. a hook manager such as pre-commit's \
                                  interpreter); added to git's."
                        .into(),
                },
                ConfigKey {
                    name: EXTRA_PATH.into(),
                    description: "Comma-separated path globs of further files no build step \
                                  may write (e.g. **/CODEOWNERS)."
                        .into(),
                },
            ],
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        for (key, value) in settings {
            match key.as_str() {
                ALLOW_EXE => self.writers.extend(value),
                EXTRA_PATH => self
                    .protected
                    .push((GlobList::parse(value), "protected file")),
                _ => return Err(format!("unknown setting {key:?}")),
            }
        }
        Ok(())
    }

    fn open_interest(&self) -> OpenInterest {
        OpenInterest::default().writing(
            self.protected
                .iter()
                .flat_map(|(globs, _)| globs.patterns().iter().cloned()),
        )
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        match &event.data {
            EventData::Open { path, flags, .. } if is_write_open(*flags) => {
                self.finding(event, path, "wrote")
            }
            EventData::Rename { new_path, .. } => self.finding(event, new_path, "renamed onto"),
            EventData::Link { path, .. } => self.finding(event, path, "linked"),
            EventData::Truncate { path, .. } => self.finding(event, path, "truncated"),
            EventData::Chmod { path, .. } => self.finding(event, path, "changed the mode of"),
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(WorkflowTampering);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing;
    use vigil_sdk::testing::{event, Harness};

    fn open(exe: &'static str, path: &'static str, flags: u64) -> Event<'static> {
        testing::open_as(9, exe, path, flags, 3)
    }

    #[test]
    fn build_step_writing_a_workflow_or_hook_fires() {
        let mut sig = Harness::<WorkflowTampering>::new();
        let f = sig.feed(&open(
            "/usr/bin/python3",
            "/w/r/.github/workflows/ci.yml",
            0o1101,
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence("file"), Some("workflow"));
        assert_eq!(f[0].evidence("operation"), Some("wrote"));
        let f = sig.feed(&open("/usr/bin/bash", "/w/r/.git/hooks/pre-commit", 0o101));
        assert_eq!(f[0].evidence("file"), Some("git hook"));
        let rename = event(
            9,
            "/usr/bin/mv",
            EventData::Rename {
                syscall: "renameat2",
                old_path: "/tmp/x",
                new_path: "/w/r/.git/hooks/post-checkout",
                flags: 0,
                result: 0,
            },
        );
        assert_eq!(
            sig.feed(&rename)[0].evidence("operation"),
            Some("renamed onto")
        );
        let chmod = event(
            9,
            "/usr/bin/chmod",
            EventData::Chmod {
                syscall: "fchmodat",
                path: "/w/r/.git/hooks/pre-push",
                mode: 0o755,
                result: 0,
            },
        );
        assert_eq!(sig.feed(&chmod).len(), 1);
    }

    #[test]
    fn git_writing_and_anyone_reading_are_quiet() {
        let mut sig = Harness::<WorkflowTampering>::new();
        assert!(sig
            .feed(&open(
                "/usr/bin/git",
                "/w/r/.github/workflows/ci.yml",
                0o1101
            ))
            .is_empty());
        assert!(sig
            .feed(&open(
                "/usr/lib/git-core/git",
                "/w/r/.git/hooks/pre-commit.sample",
                0o1101
            ))
            .is_empty());
        assert!(sig
            .feed(&open(
                "/usr/bin/python3",
                "/w/r/.github/workflows/ci.yml",
                0
            ))
            .is_empty());
        assert!(sig
            .feed(&open("/usr/bin/python3", "/w/r/.git/config", 0o1101))
            .is_empty());
        assert!(sig
            .feed(&open("/usr/bin/python3", "/w/r/docs/.github.md", 0o1101))
            .is_empty());
    }

    #[test]
    fn settings_allow_writers_and_protect_more() {
        let mut sig = Harness::<WorkflowTampering>::with_settings(&[
            (ALLOW_EXE, "/opt/hooks/*"),
            (EXTRA_PATH, "**/CODEOWNERS"),
        ])
        .unwrap();
        assert!(sig
            .feed(&open("/opt/hooks/install", "/w/r/.git/hooks/pre-commit", 1))
            .is_empty());
        assert_eq!(
            sig.feed(&open("/usr/bin/sed", "/w/r/CODEOWNERS", 1)).len(),
            1
        );
        assert!(Harness::<WorkflowTampering>::with_settings(&[("x", "y")]).is_err());
    }
}
