//! VGL-0019 — `/proc/kcore` opened for reading: the kernel's memory, and with it every process's
//! secrets. Any path ending in `/proc/kcore` counts (the host's /proc mounted elsewhere).
//! Ports Tracee's TRC-1021, on the host.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct KcoreRead;

impl Rule for KcoreRead {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0019".into(),
            name: "Kernel memory read through /proc/kcore".into(),
            version: "1.0.0".into(),
            description: "A process opened /proc/kcore, the kernel's memory, for reading.".into(),
            severity: Severity::Medium,
            mitre: vec!["T1611".into()],
            tags: vec!["credential-access".into(), "tracee:TRC-1021".into()],
            events: file_watch::READ_KINDS.to_vec(),
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().reading(["**/proc/kcore"])
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        file_watch::reads(
            event,
            allow,
            |p| p.ends_with("/proc/kcore"),
            "kernel memory",
        )
    }
}

vigil_sdk::export_signature!(RuleSignature<KcoreRead>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::file_watch::testing::assert_reports_reads;

    #[test]
    fn reads_fire_and_other_paths_do_not() {
        assert_reports_reads::<ExportedSignature>(
            &["/proc/kcore", "/host/proc/kcore"],
            &["/proc/kmsg", "/tmp/kcore", "/proc/kcore.txt"],
        );
    }
}
