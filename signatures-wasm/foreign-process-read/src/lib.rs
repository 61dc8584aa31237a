//! VGL-0050 — another process's environment or memory read, the CI runner's above all.
//!
//! In CI the secrets of a job live in the runner process (`Runner.Worker` holds every masked
//! secret of the job in memory) and in the environment of the steps they were given to. The
//! 2025 tj-actions/changed-files compromise dumped them with a script reading
//! `/proc/<runner pid>/mem`. This fires when a process opens `/proc/<pid>/environ` or
//! `/proc/<pid>/mem` of a process that is not itself, or calls `process_vm_readv` on one.
//!
//! `/proc/<pid>/mem` of an arbitrary process is TRC-1023's ground (ported separately); here a
//! `mem` read fires only when the target is one of the reader's own ancestors — what a step
//! dumping its runner does — so the two do not report the same thing twice. When the target
//! is the runner (its exe or comm matches `runner-exe`), the finding is critical.
//!
//! Attempts fire even when they fail: a step trying to read its runner's memory is the attack,
//! whether or not the kernel let it.

use vigil_sdk::{
    file_access::{is_other_process, proc_file, ProcOwner},
    host::{ancestry, Ancestor},
    paths::{basename, GlobList},
    prelude::*,
};

const RUNNER_EXE: &str = "runner-exe";
const ALLOW_EXE: &str = "allow-exe";
/// The GitHub Actions runner's processes (and any runner named the same way).
const DEFAULT_RUNNERS: &str = "**/Runner.Worker,**/Runner.Listener,Runner.Worker,Runner.Listener";
/// Process listers: procps reads every process's environ even for `ps -ef`.
const PROCESS_LISTERS: &str = "**/ps,**/top,**/htop,**/pgrep,**/pkill,**/pidof,**/pstree";

/// Whether a process lister was asked to show environments: ps's BSD-style `e` option
/// (`ps eww`, `ps auxe`), the way to dump another process's environment with ps.
fn shows_environment(argv: &[&str]) -> bool {
    argv.iter().skip(1).any(|arg| {
        !arg.starts_with('-') && arg.chars().all(|c| c.is_ascii_alphabetic()) && arg.contains('e')
    })
}

pub struct ForeignProcessRead {
    /// Globs matched against a target's exe path and its comm.
    runners: GlobList,
    /// Readers (exe globs) allowed to read others' environment, e.g. a process monitor.
    allowed: GlobList,
    listers: GlobList,
}

impl Default for ForeignProcessRead {
    fn default() -> Self {
        ForeignProcessRead {
            runners: GlobList::parse(DEFAULT_RUNNERS),
            allowed: GlobList::default(),
            listers: GlobList::parse(PROCESS_LISTERS),
        }
    }
}

impl ForeignProcessRead {
    /// The finding for reading `what` of process `target`, or none when it is not worth one.
    fn judge(&self, event: &Event, target: u32, what: &str, only_ancestors: bool) -> Vec<Finding> {
        let exe = event.process.exe;
        let listing = self.listers.matches(exe) && !shows_environment(&event.process.argv);
        if self.allowed.matches(exe) || (listing && what == "environ") {
            return Vec::new();
        }
        let ancestor: Option<Ancestor> = ancestry(event.pid).into_iter().find(|a| a.pid == target);
        if only_ancestors && ancestor.is_none() {
            return Vec::new();
        }
        let runner = ancestor
            .as_ref()
            .filter(|a| self.runners.matches(&a.exe) || self.runners.matches(&a.comm));
        let mut finding = match (&runner, &ancestor) {
            (Some(r), _) => Finding::new(format!(
                "{} read the {what} of the CI runner {} (pid {target})",
                event.comm,
                basename(&r.exe)
            ))
            .severity(Severity::Critical),
            (None, Some(a)) => Finding::new(format!(
                "{} read the {what} of its ancestor {} (pid {target})",
                event.comm, a.comm
            )),
            (None, None) => Finding::new(format!(
                "{} read the {what} of process {target}",
                event.comm
            )),
        };
        finding = finding.with("target_pid", target).with("read", what);
        if let Some(a) = &ancestor {
            finding = finding
                .with("target_comm", &a.comm)
                .with("target_exe", &a.exe);
        }
        vec![finding]
    }
}

impl Signature for ForeignProcessRead {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0050".into(),
            name: "Another process's environment or memory read".into(),
            version: "1.0.0".into(),
            description: "A process read another process's environment (/proc/PID/environ) or \
                          memory (process_vm_readv; /proc/PID/mem of an ancestor such as the \
                          CI runner): how secrets are stolen from a runner."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1003".into(), "T1552".into(), "T1055".into()],
            tags: vec!["ci".into(), "credential-access".into()],
            events: vec![EventKind::Open, EventKind::ProcessVm],
            config_keys: vec![
                ConfigKey {
                    name: RUNNER_EXE.into(),
                    description: format!(
                        "Comma-separated globs of the runner's exe paths or comms (a read of \
                         their memory is critical); added to {DEFAULT_RUNNERS}."
                    ),
                },
                ConfigKey {
                    name: ALLOW_EXE.into(),
                    description: "Comma-separated exe globs of processes allowed to read other \
                                  processes' environment and memory (e.g. a profiler)."
                        .into(),
                },
            ],
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        for (key, value) in settings {
            match key.as_str() {
                RUNNER_EXE => self.runners.extend(value),
                ALLOW_EXE => self.allowed.extend(value),
                _ => return Err(format!("unknown setting {key:?}")),
            }
        }
        Ok(())
    }

    fn open_interest(&self) -> OpenInterest {
        // /proc/<pid>/mem and environ, opened any way.
        OpenInterest::default()
            .reading(["/proc/**"])
            .writing(["/proc/**"])
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        match &event.data {
            EventData::Open { path, .. } => match proc_file(path) {
                Some((owner @ ProcOwner::Pid(target), file @ ("environ" | "mem")))
                    if is_other_process(owner, event.pid, event.tid) =>
                {
                    self.judge(event, target, file, file == "mem")
                }
                _ => Vec::new(),
            },
            EventData::ProcessVm {
                target_pid,
                write: false,
                ..
            } if *target_pid > 0 && *target_pid as u32 != event.pid => {
                self.judge(event, *target_pid as u32, "memory", false)
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(ForeignProcessRead);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing;
    use vigil_sdk::testing::{ancestor, event, set_ancestry, Harness};

    fn open(pid: u32, path: &'static str) -> Event<'static> {
        testing::open_as(pid, "/usr/bin/python3", path, 0, -13)
    }

    fn with_runner_parent(pid: u32) {
        let mut runner = ancestor(700, "/home/runner/actions-runner/bin/Runner.Worker", &[]);
        runner.comm = "Runner.Worker".into();
        set_ancestry(pid, vec![ancestor(701, "/usr/bin/bash", &["bash"]), runner]);
    }

    #[test]
    fn runner_memory_read_is_critical() {
        with_runner_parent(42);
        let f = Harness::<ForeignProcessRead>::new().feed(&open(42, "/proc/700/mem"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Some(Severity::Critical));
        assert_eq!(f[0].evidence("target_pid"), Some("700"));
        assert_eq!(f[0].evidence("read"), Some("mem"));
        assert_eq!(f[0].evidence("target_comm"), Some("Runner.Worker"));
    }

    #[test]
    fn environ_of_any_other_process_fires() {
        set_ancestry(43, vec![]);
        let f = Harness::<ForeignProcessRead>::new().feed(&open(43, "/proc/9/environ"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, None);
        assert_eq!(f[0].evidence("read"), Some("environ"));
        // An ancestor's environment, named by its thread path, too.
        with_runner_parent(44);
        let f = Harness::<ForeignProcessRead>::new().feed(&open(44, "/proc/701/task/701/environ"));
        assert_eq!(f[0].evidence("target_comm"), Some("bash"));
    }

    #[test]
    fn own_entries_and_other_files_are_quiet() {
        with_runner_parent(45);
        let mut sig = Harness::<ForeignProcessRead>::new();
        for path in [
            "/proc/self/environ",
            "/proc/self/mem",
            "/proc/45/environ",
            "/proc/thread-self/mem",
            "/proc/700/cmdline",
            "/proc/700/status",
        ] {
            assert!(sig.feed(&open(45, path)).is_empty(), "{path}");
        }
        // mem of a process that is not an ancestor is TRC-1023's to report.
        assert!(sig.feed(&open(45, "/proc/9/mem")).is_empty());
    }

    #[test]
    fn ps_listing_is_quiet_unless_it_shows_environments() {
        with_runner_parent(48);
        let mut sig = Harness::<ForeignProcessRead>::new();
        let mut ps = testing::open_as(48, "/usr/bin/ps", "/proc/700/environ", 0, 3);
        for argv in [
            vec!["ps", "-ef"],
            vec!["ps", "aux"],
            vec!["ps", "-o", "pid,comm"],
        ] {
            ps.process.argv = argv;
            assert!(sig.feed(&ps).is_empty(), "{:?}", ps.process.argv);
        }
        for argv in [vec!["ps", "eww", "-p", "700"], vec!["ps", "auxe"]] {
            ps.process.argv = argv;
            assert_eq!(sig.feed(&ps).len(), 1, "{:?}", ps.process.argv);
        }
    }

    #[test]
    fn process_vm_readv_of_another_process_fires() {
        let vm = |target_pid, write| {
            event(
                46,
                "/tmp/dumper",
                EventData::ProcessVm {
                    syscall: "process_vm_readv",
                    target_pid,
                    write,
                    result: 4096,
                },
            )
        };
        with_runner_parent(46);
        let mut sig = Harness::<ForeignProcessRead>::new();
        let f = sig.feed(&vm(700, false));
        assert_eq!(f[0].severity, Some(Severity::Critical));
        assert_eq!(f[0].evidence("read"), Some("memory"));
        assert!(sig.feed(&vm(46, false)).is_empty());
        assert!(
            sig.feed(&vm(700, true)).is_empty(),
            "writes are another signature's"
        );
    }

    #[test]
    fn settings_name_runners_and_allowed_readers() {
        set_ancestry(47, vec![ancestor(600, "/opt/ci/agent", &[])]);
        let mut sig =
            Harness::<ForeignProcessRead>::with_settings(&[(RUNNER_EXE, "/opt/ci/agent")]).unwrap();
        assert_eq!(
            sig.feed(&open(47, "/proc/600/environ"))[0].severity,
            Some(Severity::Critical)
        );
        let mut sig =
            Harness::<ForeignProcessRead>::with_settings(&[(ALLOW_EXE, "/usr/bin/python*")])
                .unwrap();
        assert!(sig.feed(&open(47, "/proc/600/environ")).is_empty());
        assert!(Harness::<ForeignProcessRead>::with_settings(&[("runner", "x")]).is_err());
    }
}
