//! VGL-0014 — an executable hidden from a casual `ls`. Tracee's TRC-1015 watches an ELF header
//! being written to a path containing `/.`; Vigil sees no file contents, so it approximates
//! from what it does see: a file *made executable* — `chmod`/`fchmod` to a mode with an
//! execute bit, or created (`open` with `O_CREAT`) with one — or *executed*, whose path is
//! hidden. ELF or script alike: both run. "Hidden" is narrower than Tracee's `/.` on purpose:
//! on a runner, tools live in hidden directories of the home (`~/.cargo/bin`, `~/.rustup`,
//! `node_modules/.bin`) and that says nothing. So a path is hidden when
//!
//! - its own name starts with a dot (`/home/runner/.x`), or
//! - it lies under a hidden directory inside a world-writable temporary place (`/tmp/.X/s`,
//!   `/dev/shm/.cache/miner`), where droppers hide.
//!
//! Executing a hidden file fires wherever it is. Making one executable fires only inside the
//! temporary places: elsewhere tools keep hidden executable templates they never run by that
//! name (pyenv's `~/.pyenv/shims/.pyenv-shim`, rewritten at every `pip install`).
//!
//! Only successful calls count: a failed chmod or create leaves nothing behind. One finding per
//! path. git is allowed by default: `git init` and `git clone` create the sample hooks in
//! `.git/hooks/` executable, which under `/tmp` is a hidden directory (hooks written by anything
//! else are VGL-0052's business). Tune with `allow-processes` and `allow-paths`.

use std::collections::HashSet;

use vigil_sdk::{
    allowlist::{Allowlist, GIT},
    open_flags::O_CREAT,
    paths::{basename, is_under},
    prelude::*,
};

const TEMP_DIRS: [&str; 4] = ["/tmp", "/var/tmp", "/dev/shm", "/run/shm"];
const ANY_EXECUTE: u32 = 0o111;

pub struct HiddenExecutable {
    allow: Allowlist,
    /// Paths already reported.
    reported: HashSet<String>,
}

impl Default for HiddenExecutable {
    fn default() -> Self {
        HiddenExecutable {
            allow: Allowlist::new(GIT, ""),
            reported: HashSet::new(),
        }
    }
}

fn is_hidden_name(name: &str) -> bool {
    name.starts_with('.') && name != "." && name != ".."
}

/// Whether `path` is hidden in the sense above.
fn is_hidden(path: &str) -> bool {
    is_hidden_name(basename(path))
        || TEMP_DIRS
            .iter()
            .any(|dir| is_under(path, dir) && path[dir.len()..].split('/').any(is_hidden_name))
}

/// The path an event makes executable or executes, and how.
fn executable<'a>(event: &Event<'a>) -> Option<(&'a str, &'static str)> {
    match event.data {
        EventData::Chmod {
            path, mode, result, ..
        } if result >= 0 && mode & ANY_EXECUTE != 0 => Some((path, "made executable")),
        EventData::Open {
            path,
            flags,
            mode,
            result,
            ..
        } if result >= 0 && flags & O_CREAT != 0 && mode & ANY_EXECUTE != 0 => {
            Some((path, "created executable"))
        }
        // The program as the kernel resolved it (absolute), when Vigil could read it; the
        // filename as given (perhaps relative) otherwise.
        EventData::Exec { filename, .. } => {
            let exe = event.process.exe;
            Some((
                if exe.starts_with('/') { exe } else { filename },
                "executed",
            ))
        }
        _ => None,
    }
}

impl Signature for HiddenExecutable {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0014".into(),
            name: "Hidden executable".into(),
            version: "1.0.0".into(),
            description: "A file with a hidden name (or in a hidden directory under /tmp, \
                          /var/tmp or /dev/shm) was executed, or made or created executable \
                          in one of those temporary places."
                .into(),
            severity: Severity::Medium,
            mitre: vec!["T1564.001".into()],
            tags: vec!["defense-evasion".into(), "tracee:TRC-1015".into()],
            events: vec![EventKind::Open, EventKind::Chmod, EventKind::Exec],
            config_keys: Allowlist::config_keys(),
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        self.allow.configure(settings)
    }

    fn open_interest(&self) -> OpenInterest {
        // Creating a file with an execute bit, anywhere.
        OpenInterest::default().writing(["**"])
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        match executable(event) {
            Some((path, how))
                if is_hidden(path)
                    && (how == "executed" || TEMP_DIRS.iter().any(|dir| is_under(path, dir)))
                    && !self.allow.allows(event, path)
                    && self.reported.insert(path.to_string()) =>
            {
                vec![Finding::new(format!("hidden file {how}: {path}"))
                    .with("path", path)
                    .with("operation", how)]
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(HiddenExecutable);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{event, Harness};

    fn chmod(path: &'static str, mode: u32) -> Event<'static> {
        event(
            100,
            "/usr/bin/chmod",
            EventData::Chmod {
                syscall: "fchmodat",
                path,
                mode,
                result: 0,
            },
        )
    }

    fn create(path: &'static str, mode: u32) -> Event<'static> {
        event(
            100,
            "/usr/bin/cp",
            EventData::Open {
                syscall: "openat",
                path,
                flags: 0o1101,
                mode,
                resolve: None,
                result: 3,
            },
        )
    }

    #[test]
    fn hidden_names_and_hidden_temp_dirs_fire_once_per_path() {
        let mut sig = Harness::<HiddenExecutable>::new();
        let f = sig.feed(&chmod("/tmp/.backdoor", 0o755));
        assert_eq!(f[0].evidence("path"), Some("/tmp/.backdoor"));
        assert!(sig.feed(&chmod("/tmp/.backdoor", 0o700)).is_empty());
        let f = sig.feed(&create("/tmp/.X11-cache/miner", 0o777));
        assert_eq!(f[0].evidence("operation"), Some("created executable"));
        assert_eq!(sig.feed(&chmod("/dev/shm/.a/b/c", 0o100)).len(), 1);
    }

    #[test]
    fn tool_dirs_plain_files_and_data_are_quiet() {
        let mut sig = Harness::<HiddenExecutable>::new();
        for path in [
            "/home/runner/.cargo/bin/cargo-nextest",
            "/work/node_modules/.bin/tsc",
            "/work/target/release/vigil",
            "/tmp/build/a.out",
            "/tmp/./x",
        ] {
            assert!(sig.feed(&chmod(path, 0o755)).is_empty(), "{path}");
        }
        // Outside the temporary places, only running a hidden file counts (pyenv's templates).
        assert!(sig
            .feed(&chmod("/root/.pyenv/shims/.pyenv-shim", 0o755))
            .is_empty());
        // Not executable.
        assert!(sig.feed(&chmod("/home/runner/.netrc", 0o600)).is_empty());
        assert!(sig
            .feed(&create("/home/runner/.bash_history", 0o644))
            .is_empty());
        let mut tuned =
            Harness::<HiddenExecutable>::with_settings(&[("allow-paths", "/tmp/.local-hook")])
                .unwrap();
        assert!(tuned.feed(&chmod("/tmp/.local-hook", 0o755)).is_empty());
    }

    #[test]
    fn git_creating_its_sample_hooks_is_quiet_and_others_are_not() {
        let hook = |exe: &'static str| {
            event(
                7,
                exe,
                EventData::Open {
                    syscall: "openat",
                    path: "/tmp/w/repo/.git/hooks/pre-commit.sample",
                    flags: 0o1101,
                    mode: 0o755,
                    resolve: None,
                    result: 3,
                },
            )
        };
        let mut sig = Harness::<HiddenExecutable>::new();
        assert!(sig.feed(&hook("/usr/local/bin/git")).is_empty());
        assert!(sig.feed(&hook("/usr/lib/git-core/git")).is_empty());
        assert_eq!(sig.feed(&hook("/usr/bin/python3")).len(), 1);
    }

    #[test]
    fn executing_a_hidden_file_fires() {
        let f = Harness::<HiddenExecutable>::new().feed(&vigil_sdk::testing::exec(100, "/tmp/.x"));
        assert_eq!(f[0].evidence("operation"), Some("executed"));
    }
}
