//! VGL-0002 — another process's memory read through `/proc/<pid>/mem`: how the 2025
//! tj-actions/changed-files compromise dumped the runner's memory to harvest its secrets.
//!
//! Fires on an open for reading of `/proc/<pid>/mem` (or `/proc/<pid>/task/<tid>/mem`) naming
//! a process other than the opener; its own memory (`/proc/self/mem`, its own pid) is
//! ordinary. Refused attempts fire too: trying is the behaviour. Fires on the host, where
//! Tracee's TRC-1023 it ports is about any process.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch,
    prelude::*,
    proc_paths,
    rule::{Rule, RuleSignature},
};

pub struct ProcMemRead;

impl Rule for ProcMemRead {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0002".into(),
            name: "Process memory read through /proc".into(),
            version: "1.0.0".into(),
            description: "A process opened another process's /proc/<pid>/mem for reading, \
                          as memory-scraping credential stealers do."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1003.007".into()],
            tags: vec!["credential-access".into(), "tracee:TRC-1023".into()],
            events: file_watch::READ_KINDS.to_vec(),
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().reading(["/proc/**"])
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        let EventData::Open { path, .. } = event.data else {
            return Vec::new();
        };
        let Some(target) = proc_paths::other_process_file(event, path, "mem") else {
            return Vec::new();
        };
        let what = format!("memory of process {target}");
        file_watch::reads(event, allow, |_| true, &what)
            .into_iter()
            .map(|f| f.with("target_pid", target))
            .collect()
    }
}

vigil_sdk::export_signature!(RuleSignature<ProcMemRead>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{self, Harness};

    fn open(path: &'static str, flags: u64, result: i64) -> Event<'static> {
        let mut e = testing::open("/usr/bin/python3", path, flags);
        if let EventData::Open { result: r, .. } = &mut e.event.data {
            *r = result;
        }
        e
    }

    #[test]
    fn reading_another_process_memory_fires() {
        let mut sig = Harness::<ExportedSignature>::new();
        let f = sig.feed(&open("/proc/4242/mem", 0, 3));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence("target_pid"), Some("4242"));
        assert_eq!(f[0].evidence("path"), Some("/proc/4242/mem"));
        // Read-write counts; a refused attempt too.
        assert_eq!(sig.feed(&open("/proc/4242/task/4243/mem", 2, -13)).len(), 1);
    }

    #[test]
    fn own_memory_other_files_and_writes_are_quiet() {
        let mut sig = Harness::<ExportedSignature>::new();
        assert!(sig.feed(&open("/proc/self/mem", 0, 3)).is_empty());
        assert!(sig.feed(&open("/proc/100/mem", 0, 3)).is_empty());
        assert!(sig.feed(&open("/proc/4242/maps", 0, 3)).is_empty());
        assert!(sig.feed(&open("/proc/4242/mem", 1, 3)).is_empty());
    }

    #[test]
    fn allowlisted_debuggers_are_quiet() {
        let mut sig =
            Harness::<ExportedSignature>::with_settings(&[("allow-processes", "/usr/bin/python3")])
                .unwrap();
        assert!(sig.feed(&open("/proc/4242/mem", 0, 3)).is_empty());
    }
}
