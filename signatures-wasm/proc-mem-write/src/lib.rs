//! VGL-0003 — code injected through another process's `/proc/<pid>/mem`.
//!
//! Fires on an open for writing of `/proc/<pid>/mem` (or `/proc/<pid>/task/<tid>/mem`)
//! naming a process other than the opener: writing there patches the other process's code or
//! data, ptrace-free. Refused attempts fire too. Ports Tracee's TRC-1024, on the host.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch,
    prelude::*,
    proc_paths,
    rule::{Rule, RuleSignature},
};

pub struct ProcMemWrite;

impl Rule for ProcMemWrite {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0003".into(),
            name: "Code injection through /proc/<pid>/mem".into(),
            version: "1.0.0".into(),
            description: "A process opened another process's /proc/<pid>/mem for writing, \
                          to inject code into it."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1055.009".into()],
            tags: vec!["injection".into(), "tracee:TRC-1024".into()],
            events: vec![EventKind::Open],
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().writing(["/proc/**"])
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        let EventData::Open { path, .. } = event.data else {
            return Vec::new();
        };
        match proc_paths::other_process_file(event, path, "mem") {
            Some(target) => file_watch::changes(
                event,
                allow,
                |_| true,
                Self::open_interest,
                "another process's memory",
            )
            .into_iter()
            .map(|f| f.with("target_pid", target))
            .collect(),
            None => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(RuleSignature<ProcMemWrite>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{self, Harness};

    fn open(path: &'static str, flags: u64) -> Event<'static> {
        testing::open("/usr/bin/python3", path, flags)
    }

    #[test]
    fn writing_another_process_memory_fires() {
        let mut sig = Harness::<ExportedSignature>::new();
        let f = sig.feed(&open("/proc/4242/mem", 1));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence("target_pid"), Some("4242"));
        assert_eq!(sig.feed(&open("/proc/4242/task/4250/mem", 2)).len(), 1);
    }

    #[test]
    fn reads_own_memory_and_other_files_are_quiet() {
        let mut sig = Harness::<ExportedSignature>::new();
        assert!(sig.feed(&open("/proc/4242/mem", 0)).is_empty());
        assert!(sig.feed(&open("/proc/self/mem", 2)).is_empty());
        assert!(sig.feed(&open("/proc/100/mem", 1)).is_empty());
        assert!(sig.feed(&open("/proc/4242/attr/current", 1)).is_empty());
    }
}
