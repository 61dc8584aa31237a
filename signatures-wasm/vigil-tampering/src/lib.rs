//! VGL-0057 — tampering with Vigil itself.
//!
//! An attacker who knows the job is watched blinds the watcher first: signals Vigil (stops or
//! kills it), attaches to it with ptrace or reads/writes its memory, rewrites or deletes its
//! findings, or loads a BPF program of its own (which can hide activity from, or interfere
//! with, Vigil's programs). Vigil's own threads are never captured, so every such event comes
//! from the watched job.
//!
//! Vigil's pid and output files are facts only the host knows: it provides them as the
//! settings `vigil-pid` and `vigil-outputs` to any signature declaring those keys. Attempts
//! fire even when they fail.

use vigil_sdk::{
    file_access::{is_write_open, proc_file, ProcOwner},
    paths::GlobList,
    prelude::*,
};

const VIGIL_PID: &str = "vigil-pid";
const VIGIL_OUTPUTS: &str = "vigil-outputs";
const VIGIL_EXE: &str = "vigil-exe";
const PROTECT_PATH: &str = "protect-path";
/// bpf(2) command numbers (uapi/linux/bpf.h).
const BPF_PROG_LOAD: u32 = 5;
/// Signal 0: no signal, only the question whether the target exists.
const EXISTENCE_PROBE: i32 = 0;

#[derive(Default)]
pub struct VigilTampering {
    vigil_pid: Option<u32>,
    /// Vigil's own executable: its invocations (`vigil stop` ending the daemon) are Vigil's
    /// own work, not tampering.
    vigil_exe: Option<String>,
    /// Vigil's outputs and any paths the user protects.
    protected: GlobList,
}

impl VigilTampering {
    fn is_vigil(&self, pid: i64) -> bool {
        self.vigil_pid.is_some_and(|v| i64::from(v) == pid)
    }

    fn tamper(&self, what: String, evidence: &[(&str, String)]) -> Vec<Finding> {
        let finding = evidence
            .iter()
            .fold(Finding::new(what), |f, (k, v)| f.with(*k, v));
        vec![finding]
    }
}

impl Signature for VigilTampering {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0057".into(),
            name: "Tampering with Vigil".into(),
            version: "1.0.0".into(),
            description: "A watched process signalled Vigil, attached to it or touched its \
                          memory, wrote or removed its findings, or loaded a BPF program: an \
                          attempt to blind the monitor."
                .into(),
            severity: Severity::Critical,
            mitre: vec!["T1562.001".into(), "T1070".into()],
            tags: vec!["ci".into(), "defense-evasion".into()],
            events: vec![
                EventKind::Kill,
                EventKind::Ptrace,
                EventKind::ProcessVm,
                EventKind::Open,
                EventKind::Truncate,
                EventKind::Unlink,
                EventKind::Rename,
                EventKind::Bpf,
            ],
            config_keys: vec![
                ConfigKey {
                    name: VIGIL_PID.into(),
                    description: "Vigil's process id (provided by the host).".into(),
                },
                ConfigKey {
                    name: VIGIL_EXE.into(),
                    description: "Vigil's executable (provided by the host).".into(),
                },
                ConfigKey {
                    name: VIGIL_OUTPUTS.into(),
                    description: "Comma-separated paths of Vigil's outputs (provided by the \
                                  host)."
                        .into(),
                },
                ConfigKey {
                    name: PROTECT_PATH.into(),
                    description: "Comma-separated globs of further paths no watched process \
                                  may write or remove (e.g. the Vigil binary, its config)."
                        .into(),
                },
            ],
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        for (key, value) in settings {
            match key.as_str() {
                VIGIL_PID => {
                    self.vigil_pid = Some(
                        value
                            .trim()
                            .parse()
                            .map_err(|_| format!("{VIGIL_PID}: {value:?} is not a process id"))?,
                    )
                }
                VIGIL_EXE => self.vigil_exe = Some(value.trim().to_string()),
                VIGIL_OUTPUTS | PROTECT_PATH => self.protected.extend(value),
                _ => return Err(format!("unknown setting {key:?}")),
            }
        }
        Ok(())
    }

    fn open_interest(&self) -> OpenInterest {
        OpenInterest::default()
            .reading(["/proc/**"])
            .writing(["/proc/**"])
            .writing(self.protected.patterns().iter().cloned())
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        if self
            .vigil_exe
            .as_deref()
            .is_some_and(|exe| exe == event.process.exe)
        {
            return Vec::new();
        }
        match &event.data {
            EventData::Kill {
                target_pid, signal, ..
            } if self.is_vigil(i64::from(*target_pid)) || *target_pid == -1 => {
                // kill(-1, sig) signals every process the caller may: Vigil included.
                let mut f = self.tamper(
                    format!("{} sent signal {signal} to Vigil", event.comm),
                    &[
                        ("signal", signal.to_string()),
                        ("target_pid", target_pid.to_string()),
                    ],
                );
                if *signal == EXISTENCE_PROBE {
                    // Signal 0 only asks whether Vigil is running: reconnaissance.
                    f[0] = f[0].clone().severity(Severity::Medium);
                }
                f
            }
            EventData::Ptrace {
                request,
                target_pid,
                ..
            } if self.is_vigil(i64::from(*target_pid)) => self.tamper(
                format!("{} used ptrace on Vigil", event.comm),
                &[("request", request.to_string())],
            ),
            EventData::ProcessVm {
                syscall,
                target_pid,
                ..
            } if self.is_vigil(i64::from(*target_pid)) => self.tamper(
                format!("{} called {syscall} on Vigil", event.comm),
                &[("syscall", syscall.to_string())],
            ),
            EventData::Open { path, flags, .. } => match proc_file(path) {
                Some((ProcOwner::Pid(pid), file))
                    if self.is_vigil(i64::from(pid)) && file == "mem" =>
                {
                    self.tamper(
                        format!("{} opened Vigil's memory", event.comm),
                        &[("path", path.to_string())],
                    )
                }
                _ if is_write_open(*flags) && self.protected.matches(path) => self.tamper(
                    format!("{} opened Vigil's output {path} for writing", event.comm),
                    &[("path", path.to_string())],
                ),
                _ => Vec::new(),
            },
            EventData::Truncate { path, .. } | EventData::Unlink { path, .. }
                if self.protected.matches(path) =>
            {
                self.tamper(
                    format!("{} truncated or removed Vigil's output {path}", event.comm),
                    &[("path", path.to_string())],
                )
            }
            EventData::Rename {
                old_path, new_path, ..
            } if self.protected.matches(old_path) || self.protected.matches(new_path) => self
                .tamper(
                    format!("{} renamed over Vigil's output", event.comm),
                    &[("path", new_path.to_string())],
                ),
            EventData::Bpf {
                cmd,
                attr_head,
                result,
                ..
            } if *cmd == BPF_PROG_LOAD => {
                let mut f = self.tamper(
                    format!("{} loaded a BPF program", event.comm),
                    &[
                        (
                            "program_type",
                            attr_head.map(|t| t.to_string()).unwrap_or_default(),
                        ),
                        ("result", result.to_string()),
                    ],
                );
                // Foreign BPF can blind Vigil but is not aimed at it for certain.
                f[0] = f[0].clone().severity(Severity::High);
                f
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(VigilTampering);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing;
    use vigil_sdk::testing::{event, Harness};

    fn watched() -> Harness<VigilTampering> {
        Harness::with_settings(&[(VIGIL_PID, "500"), (VIGIL_OUTPUTS, "/w/findings.jsonl")]).unwrap()
    }

    fn kill(target_pid: i32, signal: i32) -> Event<'static> {
        event(
            9,
            "/usr/bin/kill",
            EventData::Kill {
                syscall: "kill",
                target_pid,
                target_tid: None,
                signal,
                result: 0,
            },
        )
    }

    fn open(path: &'static str, flags: u64) -> Event<'static> {
        testing::open_as(9, "/usr/bin/python3", path, flags, 3)
    }

    #[test]
    fn signals_to_vigil_fire() {
        let mut sig = watched();
        let f = sig.feed(&kill(500, 19));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, None);
        assert_eq!(f[0].evidence("signal"), Some("19"));
        assert_eq!(sig.feed(&kill(-1, 9)).len(), 1, "kill -1 reaches Vigil too");
        assert_eq!(sig.feed(&kill(500, 0))[0].severity, Some(Severity::Medium));
        assert!(sig.feed(&kill(501, 9)).is_empty());
    }

    #[test]
    fn ptrace_memory_and_outputs_fire() {
        let mut sig = watched();
        let ptrace = event(
            9,
            "/usr/bin/gdb",
            EventData::Ptrace {
                request: 16,
                target_pid: 500,
                result: 0,
            },
        );
        assert_eq!(sig.feed(&ptrace).len(), 1);
        assert_eq!(sig.feed(&open("/proc/500/mem", 0)).len(), 1);
        assert_eq!(sig.feed(&open("/w/findings.jsonl", 0o1001)).len(), 1);
        assert!(
            sig.feed(&open("/w/findings.jsonl", 0)).is_empty(),
            "reading is fine"
        );
        let unlink = event(
            9,
            "/usr/bin/rm",
            EventData::Unlink {
                syscall: "unlinkat",
                path: "/w/findings.jsonl",
                flags: 0,
                result: 0,
            },
        );
        assert_eq!(sig.feed(&unlink).len(), 1);
    }

    #[test]
    fn bpf_program_loads_fire_high_and_map_lookups_do_not() {
        let mut sig = watched();
        let bpf = |cmd| {
            event(
                9,
                "/tmp/loader",
                EventData::Bpf {
                    cmd,
                    cmd_name: "BPF_PROG_LOAD",
                    attr_head: Some(1),
                    map: None,
                    path: None,
                    result: -22,
                },
            )
        };
        assert_eq!(sig.feed(&bpf(5))[0].severity, Some(Severity::High));
        assert!(sig.feed(&bpf(1)).is_empty());
    }

    #[test]
    fn without_the_host_settings_only_bpf_and_user_paths_count() {
        let mut sig = Harness::<VigilTampering>::new();
        assert!(sig.feed(&kill(500, 9)).is_empty());
        assert!(sig.feed(&open("/proc/500/mem", 0)).is_empty());
        assert!(Harness::<VigilTampering>::with_settings(&[(VIGIL_PID, "x")]).is_err());
        // `vigil stop` (Vigil's own executable) ending the daemon is not tampering.
        let mut own = Harness::<VigilTampering>::with_settings(&[
            (VIGIL_PID, "500"),
            (VIGIL_EXE, "/usr/local/bin/vigil"),
        ])
        .unwrap();
        let mut stop = kill(500, 15);
        stop.process.exe = "/usr/local/bin/vigil";
        assert!(own.feed(&stop).is_empty());
        assert_eq!(own.feed(&kill(500, 15)).len(), 1);
        let mut sig =
            Harness::<VigilTampering>::with_settings(&[(PROTECT_PATH, "/opt/vigil/**")]).unwrap();
        assert_eq!(sig.feed(&open("/opt/vigil/bin/vigil", 0o1)).len(), 1);
    }
}
