//! VGL-0013 — dynamic code loading: memory that is writable and executable at once (an
//! `mmap` or `mprotect` asking for W+X), or anonymous memory (where code is written, having no
//! file behind it) made executable by `mprotect`: how packed and in-memory payloads run code
//! that never existed as a file. Ports Tracee's TRC-104 (`mem_prot_alert`, W→X); Vigil sees
//! the protections asked for, not the previous ones, so anonymous memory made executable
//! stands for "was writable".
//!
//! Severity low, where Tracee says medium: on a CI runner, JIT compilers do exactly this all
//! day (V8 in every `node`, the JVM in every Gradle or Maven build, PCRE's JIT in `grep -P`),
//! so on its own it must not fail a build; it is context for other findings. Only successful
//! calls count (a refused one made nothing executable), and one finding per process: a JIT
//! does it thousands of times. The common JIT runtimes themselves (node, the JVM, .NET and the
//! GitHub runner built on it) are allowed by default: from them it says nothing at all; what
//! remains worth a look is a program that is not a JIT doing it.

use std::collections::HashSet;

use vigil_sdk::{allowlist::Allowlist, prelude::*};

pub struct DynamicCodeLoading {
    allow: Allowlist,
    /// Processes already reported (until they exit or exec).
    reported: HashSet<u32>,
}

/// JIT runtimes, allowed unless the user's settings say otherwise (settings add to these).
const JIT_RUNTIMES: &str = "**/node,**/nodejs,**/java,**/dotnet,**/Runner.Worker,\
                            **/Runner.Listener";

impl Default for DynamicCodeLoading {
    fn default() -> Self {
        DynamicCodeLoading {
            allow: Allowlist::new(JIT_RUNTIMES, ""),
            reported: HashSet::new(),
        }
    }
}

/// What is suspicious about a successful mapping or protection change, if anything: the
/// pattern, the address and the length.
fn pattern(data: &EventData) -> Option<(&'static str, u64, u64)> {
    match *data {
        EventData::Mmap {
            length,
            writable: true,
            result,
            ..
        } if result >= 0 => Some(("mmap writable and executable", result as u64, length)),
        EventData::Mprotect {
            address,
            length,
            writable: true,
            result: 0,
            ..
        } => Some(("mprotect writable and executable", address, length)),
        EventData::Mprotect {
            address,
            length,
            anonymous: Some(true),
            result: 0,
            ..
        } => Some(("mprotect anonymous memory executable", address, length)),
        _ => None,
    }
}

impl Signature for DynamicCodeLoading {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0013".into(),
            name: "Dynamic code loading".into(),
            version: "1.0.0".into(),
            description: "A process made memory writable and executable, or made anonymous \
                          memory executable: code that exists in no file."
                .into(),
            severity: Severity::Low,
            mitre: vec!["T1027.002".into()],
            tags: vec!["defense-evasion".into(), "tracee:TRC-104".into()],
            events: vec![
                EventKind::Mmap,
                EventKind::Mprotect,
                EventKind::Exec,
                EventKind::Exit,
            ],
            config_keys: Allowlist::config_keys(),
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        self.allow.configure(settings)
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        if let EventData::Exec { .. } | EventData::Exit { .. } = event.data {
            // A new program (or a reused pid) is judged afresh.
            self.reported.remove(&event.pid);
            return Vec::new();
        }
        match pattern(&event.data) {
            Some((what, address, length))
                if !self.allow.allows_process(event) && self.reported.insert(event.pid) =>
            {
                vec![Finding::new(format!("{what} ({length} bytes)"))
                    .with("pattern", what)
                    .with("address", format!("{address:#x}"))
                    .with("length", length)]
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(DynamicCodeLoading);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{event, Harness};

    fn mmap(pid: u32, writable: bool, result: i64) -> Event<'static> {
        event(
            pid,
            "/tmp/loader",
            EventData::Mmap {
                address: 0,
                length: 4096,
                prot: if writable { 7 } else { 5 },
                flags: 0x22,
                fd: -1,
                writable,
                anonymous: true,
                result,
            },
        )
    }

    fn mprotect(pid: u32, writable: bool, anonymous: Option<bool>) -> Event<'static> {
        event(
            pid,
            "/tmp/loader",
            EventData::Mprotect {
                address: 0x7f00_0000_0000,
                length: 4096,
                prot: if writable { 7 } else { 5 },
                writable,
                anonymous,
                result: 0,
            },
        )
    }

    #[test]
    fn writable_executable_and_anonymous_executable_fire_once_per_process() {
        let mut sig = Harness::<DynamicCodeLoading>::new();
        let f = sig.feed(&mmap(1, true, 0x7f00_0000_0000));
        assert_eq!(
            f[0].evidence("pattern"),
            Some("mmap writable and executable")
        );
        assert_eq!(f[0].evidence("address"), Some("0x7f0000000000"));
        assert!(
            sig.feed(&mprotect(1, true, None)).is_empty(),
            "once per process"
        );
        let f = sig.feed(&mprotect(2, false, Some(true)));
        assert_eq!(
            f[0].evidence("pattern"),
            Some("mprotect anonymous memory executable")
        );
        assert_eq!(sig.feed(&mprotect(3, true, Some(false))).len(), 1);
        // After an exec the process is judged again.
        sig.feed(&event(
            1,
            "/bin/sh",
            EventData::Exec {
                filename: "/bin/sh",
                argv: vec![],
                argv_truncated: false,
                env: Default::default(),
                interpreter: None,
            },
        ));
        assert_eq!(sig.feed(&mprotect(1, true, None)).len(), 1);
    }

    #[test]
    fn jit_runtimes_are_allowed_by_default() {
        let mut sig = Harness::<DynamicCodeLoading>::new();
        for exe in [
            "/usr/bin/node",
            "/opt/java/bin/java",
            "/home/runner/bin/Runner.Worker",
        ] {
            let mut e = mprotect(9, true, None);
            e.process.exe = exe;
            assert!(sig.feed(&e).is_empty(), "{exe}");
        }
        let mut e = mprotect(9, true, None);
        e.process.exe = "/usr/bin/python3.11";
        assert_eq!(sig.feed(&e).len(), 1);
    }

    #[test]
    fn read_execute_file_memory_and_failures_are_quiet() {
        let mut sig = Harness::<DynamicCodeLoading>::new();
        // An anonymous read-execute mmap: a reservation, nothing written into it yet.
        assert!(sig.feed(&mmap(1, false, 0x1000)).is_empty());
        assert!(sig.feed(&mmap(2, true, -12)).is_empty());
        assert!(sig.feed(&mprotect(3, false, Some(false))).is_empty());
        assert!(sig.feed(&mprotect(4, false, None)).is_empty());
    }
}
