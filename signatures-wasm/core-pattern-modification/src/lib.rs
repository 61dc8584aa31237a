//! VGL-0011 — `/proc/sys/kernel/core_pattern` written: a `|program` there makes the kernel run that
//! program as root, outside any container, whenever a process dumps core. Fires on any open for
//! writing (an attempt counts; opening without writing changes nothing, but shows the intent).
//! Ports Tracee's TRC-1011, on the host.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct CorePatternModification;

const CORE_PATTERN: &str = "/proc/sys/kernel/core_pattern";

impl Rule for CorePatternModification {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0011".into(),
            name: "core_pattern modification".into(),
            version: "1.1.0".into(),
            description: "A process opened /proc/sys/kernel/core_pattern for writing: the \
                          kernel runs a |program given there as root."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1611".into()],
            tags: vec![
                "privilege-escalation".into(),
                "container-escape".into(),
                "tracee:TRC-1011".into(),
            ],
            events: file_watch::CHANGE_KINDS.to_vec(),
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().writing([CORE_PATTERN])
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        file_watch::changes(
            event,
            allow,
            |p| p == CORE_PATTERN,
            Self::open_interest,
            "core_pattern",
        )
    }
}

vigil_sdk::export_signature!(RuleSignature<CorePatternModification>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::file_watch::testing::assert_reports_changes;

    #[test]
    fn changes_fire_and_reads_and_other_paths_do_not() {
        assert_reports_changes::<ExportedSignature>(
            &["/proc/sys/kernel/core_pattern"],
            &["/proc/sys/kernel/core_uses_pid", "/tmp/core_pattern"],
        );
    }
}
