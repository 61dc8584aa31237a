//! VGL-0018 — the magic SysRq key's setting (`/proc/sys/kernel/sysrq`) or trigger
//! (`/proc/sysrq-trigger`) opened for writing: a process that can crash, reboot or dump the
//! machine at will. Attempts count. Ports Tracee's TRC-1031, on the host.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct SysrqModification;

const SYSRQ: [&str; 2] = ["/proc/sys/kernel/sysrq", "/proc/sysrq-trigger"];

impl Rule for SysrqModification {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0018".into(),
            name: "sysrq modification".into(),
            version: "1.1.0".into(),
            description: "A process opened /proc/sys/kernel/sysrq or /proc/sysrq-trigger for \
                          writing."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1611".into()],
            tags: vec!["impact".into(), "tracee:TRC-1031".into()],
            events: file_watch::CHANGE_KINDS.to_vec(),
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().writing(SYSRQ)
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        file_watch::changes(
            event,
            allow,
            |p| SYSRQ.contains(&p),
            Self::open_interest,
            "sysrq",
        )
    }
}

vigil_sdk::export_signature!(RuleSignature<SysrqModification>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::file_watch::testing::assert_reports_changes;

    #[test]
    fn changes_fire_and_reads_and_other_paths_do_not() {
        assert_reports_changes::<ExportedSignature>(
            &["/proc/sys/kernel/sysrq", "/proc/sysrq-trigger"],
            &["/proc/sys/kernel/hostname", "/tmp/sysrq-trigger"],
        );
    }
}
