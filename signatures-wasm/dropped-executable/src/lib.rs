//! VGL-0053 — a file dropped into a temporary or hidden directory during the job, then run.
//!
//! Droppers fetch a payload into /tmp, /dev/shm or a dot-directory and execute it. Builds do
//! the same thing honestly: compilers link test binaries into `target/` — under /tmp when the
//! checkout is there — and run them. The difference is who wrote the file: this remembers
//! files written (opened for writing, renamed or linked into place) during the run in those
//! places by processes that are not build tools, and fires when one of them is executed.
//! Files that existed before the run, or that a compiler or linker produced, never fire;
//! neither do package managers' well-known directories (`allow-path`).
//!
//! An ELF binary dropped and run is high; a script (the executed file is not the process's
//! exe: an interpreter ran it) is low, since tests write and run throwaway scripts routinely.

use std::collections::HashMap;

use vigil_sdk::{file_access::is_write_open, paths::GlobList, prelude::*};

/// Where droppers put payloads: world-writable temporary directories.
const TEMP_DIRS: &[&str] = &["/tmp", "/var/tmp", "/dev/shm", "/run/shm"];

/// Compilers, assemblers and linkers (exe globs): what they write is a build output.
const BUILD_TOOLS: &str =
    "**/ld,**/ld.*,**/*-ld,**/*-ld.*,**/lld,**/ld.lld,**/rust-lld,**/wasm-ld,**/mold,**/collect2,\
     **/cc1,**/cc1plus,**/as,**/*-as,**/gcc*,**/*-gcc*,**/g++*,**/*-g++*,**/cc,**/c++,\
     **/clang*,**/rustc,**/cargo,**/go,**/pkg/tool/*/link,**/pkg/tool/*/compile,**/javac,\
     **/gold,**/*-gold,**/zig,**/tcc,**/strip,**/*-strip,**/objcopy,**/*-objcopy";

/// Package managers' own directories: they unpack executables there as a matter of course.
const PACKAGE_DIRS: &str = "**/.venv/**,**/.local/bin/**,**/.local/lib/**,**/.cargo/**,\
     **/.rustup/**,**/node_modules/**,**/.npm/**,**/.cache/**,**/.pyenv/**,**/.nvm/**,\
     **/.gradle/**,**/.m2/**";

/// Remembered drops at most (each file written in a watched place until unlinked): enough
/// for any build; past it, the oldest half is forgotten rather than growing without bound.
const MAX_TRACKED: usize = 16_384;

const ALLOW_EXE: &str = "allow-exe";
const ALLOW_PATH: &str = "allow-path";

/// Who dropped a file.
#[derive(Clone, Debug)]
struct Drop {
    comm: String,
    exe: String,
    pid: u32,
    order: u64,
}

pub struct DroppedExecutable {
    dropped: HashMap<String, Drop>,
    next_order: u64,
    build_tools: GlobList,
    allowed_paths: GlobList,
}

impl Default for DroppedExecutable {
    fn default() -> Self {
        DroppedExecutable {
            dropped: HashMap::new(),
            next_order: 0,
            build_tools: GlobList::parse(BUILD_TOOLS),
            allowed_paths: GlobList::parse(PACKAGE_DIRS),
        }
    }
}

/// Whether `path` is in a temporary directory or has a hidden component (`.x`).
fn is_watched_place(path: &str) -> bool {
    TEMP_DIRS
        .iter()
        .any(|dir| vigil_sdk::paths::is_under(path, dir))
        || path
            .split('/')
            .any(|c| c.starts_with('.') && c != "." && c != "..")
}

impl DroppedExecutable {
    /// Records that `writer` put content at `path` (or forgets the path when a build tool did).
    fn written(&mut self, event: &Event, path: &str) {
        if !path.starts_with('/') || !is_watched_place(path) {
            return;
        }
        if self.build_tools.matches(event.process.exe) || self.allowed_paths.matches(path) {
            self.dropped.remove(path);
            return;
        }
        if self.dropped.len() >= MAX_TRACKED {
            let mut orders: Vec<u64> = self.dropped.values().map(|d| d.order).collect();
            orders.sort_unstable();
            let median = orders[orders.len() / 2];
            self.dropped.retain(|_, d| d.order >= median);
        }
        self.next_order += 1;
        self.dropped.insert(
            path.to_string(),
            Drop {
                comm: event.comm.to_string(),
                exe: event.process.exe.to_string(),
                pid: event.pid,
                order: self.next_order,
            },
        );
    }

    fn executed(&self, event: &Event, filename: &str) -> Vec<Finding> {
        // The kernel's exe path of a file deleted after it started says so.
        let exe = event.process.exe.trim_end_matches(" (deleted)");
        let (path, script) = if self.dropped.contains_key(exe) {
            (exe, false)
        } else if self.dropped.contains_key(filename) {
            (filename, true)
        } else {
            return Vec::new();
        };
        let drop = &self.dropped[path];
        let mut finding = Finding::new(format!(
            "{} ran {path}, dropped during the job by {} (pid {})",
            event.comm, drop.comm, drop.pid
        ))
        .with("path", path)
        .with("dropped_by", &drop.exe)
        .with("dropped_by_pid", drop.pid);
        if script {
            finding = finding
                .severity(Severity::Low)
                .with("interpreter", event.process.exe);
        }
        vec![finding]
    }
}

impl Signature for DroppedExecutable {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0053".into(),
            name: "Dropped executable run from a temporary or hidden path".into(),
            version: "1.0.0".into(),
            description: "A file written during the job into /tmp, /var/tmp, /dev/shm or a \
                          hidden directory by a process other than a compiler or linker was \
                          then executed: the shape of a dropper."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1105".into(), "T1204.002".into(), "T1564.001".into()],
            tags: vec!["ci".into(), "execution".into()],
            events: vec![
                EventKind::Open,
                EventKind::Rename,
                EventKind::Link,
                EventKind::Unlink,
                EventKind::Exec,
            ],
            config_keys: vec![
                ConfigKey {
                    name: ALLOW_EXE.into(),
                    description: "Comma-separated exe globs of further build tools whose \
                                  outputs may be run (added to the compilers and linkers)."
                        .into(),
                },
                ConfigKey {
                    name: ALLOW_PATH.into(),
                    description: format!(
                        "Comma-separated path globs where executables may be dropped and \
                         run; added to {PACKAGE_DIRS}."
                    ),
                },
            ],
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        for (key, value) in settings {
            match key.as_str() {
                ALLOW_EXE => self.build_tools.extend(value),
                ALLOW_PATH => self.allowed_paths.extend(value),
                _ => return Err(format!("unknown setting {key:?}")),
            }
        }
        Ok(())
    }

    fn open_interest(&self) -> OpenInterest {
        // What is written anywhere may be run later.
        OpenInterest::default().writing(["**"])
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        match &event.data {
            // Failed writes put nothing on disk.
            EventData::Open {
                path,
                flags,
                result,
                ..
            } if *result >= 0 && is_write_open(*flags) => self.written(event, path),
            EventData::Rename {
                old_path,
                new_path,
                result,
                ..
            } if *result >= 0 => {
                // The content moves; who wrote it matters, not who moved it.
                match self.dropped.remove(*old_path) {
                    Some(drop) => {
                        self.dropped.insert(new_path.to_string(), drop);
                    }
                    None => self.written(event, new_path),
                }
            }
            EventData::Link {
                target,
                path,
                symbolic: false,
                result,
                ..
            } if *result >= 0 => {
                if let Some(drop) = self.dropped.get(*target).cloned() {
                    self.dropped.insert(path.to_string(), drop);
                }
            }
            EventData::Unlink { path, result, .. } if *result >= 0 => {
                // Keep it while a process may still run it as "(deleted)": an exec of a
                // deleted file names its old path, so only forget when nobody could.
                self.dropped.remove(*path);
            }
            EventData::Exec { filename, .. } => return self.executed(event, filename),
            _ => {}
        }
        Vec::new()
    }
}

vigil_sdk::export_signature!(DroppedExecutable);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing;
    use vigil_sdk::testing::{event, Harness};

    fn write(exe: &'static str, path: &'static str) -> Event<'static> {
        testing::open_as(20, exe, path, 0o1101, 3)
    }

    fn exec(exe: &'static str, filename: &'static str) -> Event<'static> {
        event(
            21,
            exe,
            EventData::Exec {
                filename,
                argv: vec![filename],
                argv_truncated: false,
                env: Default::default(),
                interpreter: None,
            },
        )
    }

    #[test]
    fn payload_fetched_into_tmp_and_run_fires() {
        let mut sig = Harness::<DroppedExecutable>::new();
        assert!(sig.feed(&write("/usr/bin/curl", "/tmp/x")).is_empty());
        let f = sig.feed(&exec("/tmp/x", "/tmp/x"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, None);
        assert_eq!(f[0].evidence("path"), Some("/tmp/x"));
        assert_eq!(f[0].evidence("dropped_by"), Some("/usr/bin/curl"));
        // Run after deletion: the exe says "(deleted)".
        sig.feed(&write("/usr/bin/python3", "/dev/shm/.k"));
        assert_eq!(
            sig.feed(&exec("/dev/shm/.k (deleted)", "/dev/shm/.k"))
                .len(),
            1
        );
    }

    #[test]
    fn hidden_directories_renames_and_links_follow_the_payload() {
        let mut sig = Harness::<DroppedExecutable>::new();
        sig.feed(&write("/usr/bin/wget", "/home/runner/.x/part"));
        sig.feed(&event(
            20,
            "/usr/bin/mv",
            EventData::Rename {
                syscall: "renameat2",
                old_path: "/home/runner/.x/part",
                new_path: "/home/runner/work/bin/tool",
                flags: 0,
                result: 0,
            },
        ));
        let f = sig.feed(&exec(
            "/home/runner/work/bin/tool",
            "/home/runner/work/bin/tool",
        ));
        assert_eq!(f[0].evidence("dropped_by"), Some("/usr/bin/wget"));
    }

    #[test]
    fn scripts_are_low() {
        let mut sig = Harness::<DroppedExecutable>::new();
        sig.feed(&write("/usr/bin/bash", "/tmp/run.sh"));
        let f = sig.feed(&exec("/usr/bin/bash", "/tmp/run.sh"));
        assert_eq!(f[0].severity, Some(Severity::Low));
        assert_eq!(f[0].evidence("interpreter"), Some("/usr/bin/bash"));
    }

    #[test]
    fn build_outputs_old_files_and_package_dirs_are_quiet() {
        let mut sig = Harness::<DroppedExecutable>::new();
        let test_bin = "/tmp/w/crate/target/debug/deps/honest-1f2e";
        sig.feed(&write("/usr/bin/x86_64-linux-gnu-ld.bfd", test_bin));
        assert!(sig.feed(&exec(test_bin, test_bin)).is_empty());
        // A file some tool wrote, then a linker overwrote, is a build output.
        sig.feed(&write("/usr/bin/cp", "/tmp/w/a.out"));
        sig.feed(&write("/usr/bin/ld", "/tmp/w/a.out"));
        assert!(sig.feed(&exec("/tmp/w/a.out", "/tmp/w/a.out")).is_empty());
        // Present before the run.
        assert!(sig.feed(&exec("/tmp/tool", "/tmp/tool")).is_empty());
        sig.feed(&write("/usr/bin/python3", "/root/.local/bin/ruff"));
        assert!(sig.feed(&exec("/root/.local/bin/ruff", "ruff")).is_empty());
        // Written outside watched places.
        sig.feed(&write("/usr/bin/curl", "/w/bin/tool"));
        assert!(sig.feed(&exec("/w/bin/tool", "/w/bin/tool")).is_empty());
        // Unlinked, then something else at that path ran: not the dropped file.
        sig.feed(&write("/usr/bin/curl", "/tmp/y"));
        sig.feed(&event(
            20,
            "/usr/bin/rm",
            EventData::Unlink {
                syscall: "unlinkat",
                path: "/tmp/y",
                flags: 0,
                result: 0,
            },
        ));
        assert!(sig.feed(&exec("/tmp/y", "/tmp/y")).is_empty());
    }

    #[test]
    fn toolchain_executables_are_build_tools() {
        let tools = GlobList::parse(BUILD_TOOLS);
        for exe in [
            "/usr/bin/x86_64-linux-gnu-ld.bfd",
            "/usr/bin/ld.gold",
            "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld",
            "/usr/lib/gcc/x86_64-linux-gnu/12/collect2",
            "/usr/libexec/gcc/x86_64-linux-gnu/12/cc1",
            "/usr/bin/x86_64-linux-gnu-as",
            "/usr/bin/x86_64-linux-gnu-gcc-12",
            "/usr/bin/gcc-12",
            "/usr/bin/clang-16",
            "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/rustc",
            "/usr/lib/go/pkg/tool/linux_amd64/link",
        ] {
            assert!(tools.matches(exe), "{exe}");
        }
        for exe in [
            "/usr/bin/curl",
            "/usr/bin/python3.11",
            "/usr/bin/bash",
            "/usr/bin/cp",
        ] {
            assert!(!tools.matches(exe), "{exe}");
        }
    }

    #[test]
    fn settings_add_build_tools_and_paths() {
        let mut sig = Harness::<DroppedExecutable>::with_settings(&[
            (ALLOW_EXE, "/opt/bazel/*"),
            (ALLOW_PATH, "/tmp/tools/**"),
        ])
        .unwrap();
        sig.feed(&write("/opt/bazel/linker", "/tmp/out/t"));
        sig.feed(&write("/usr/bin/curl", "/tmp/tools/x"));
        assert!(sig.feed(&exec("/tmp/out/t", "/tmp/out/t")).is_empty());
        assert!(sig.feed(&exec("/tmp/tools/x", "/tmp/tools/x")).is_empty());
        assert!(Harness::<DroppedExecutable>::with_settings(&[("x", "y")]).is_err());
    }
}
