//! VGL-0022 — `/proc/sys/kernel/randomize_va_space` read: exploits check whether address space
//! layout randomization is on before choosing their technique. Informational: some test suites
//! read it too. Ports Tracee's TRC-109.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct AslrInspection;

const RANDOMIZE_VA_SPACE: &str = "/proc/sys/kernel/randomize_va_space";

impl Rule for AslrInspection {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0022".into(),
            name: "ASLR inspection".into(),
            version: "1.0.0".into(),
            description: "A process read /proc/sys/kernel/randomize_va_space, whether ASLR is on."
                .into(),
            severity: Severity::Info,
            mitre: vec!["T1068".into()],
            tags: vec!["discovery".into(), "tracee:TRC-109".into()],
            events: file_watch::READ_KINDS.to_vec(),
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().reading([RANDOMIZE_VA_SPACE])
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        file_watch::reads(event, allow, |p| p == RANDOMIZE_VA_SPACE, "ASLR setting")
    }
}

vigil_sdk::export_signature!(RuleSignature<AslrInspection>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::file_watch::testing::assert_reports_reads;

    #[test]
    fn reads_fire_and_other_paths_do_not() {
        assert_reports_reads::<ExportedSignature>(
            &["/proc/sys/kernel/randomize_va_space"],
            &["/proc/sys/kernel/randomize", "/proc/sys/kernel/pid_max"],
        );
    }
}
