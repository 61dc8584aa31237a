//! VGL-0020 — a cgroup v1 `release_agent` changed: the kernel runs the program named there as
//! root in the initial namespaces when a cgroup empties (the classic container escape). Fires on
//! a write-open, rename onto or link at any file named `release_agent`, attempts included.
//! Ports Tracee's TRC-1010, on the host.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct CgroupReleaseAgent;

impl Rule for CgroupReleaseAgent {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0020".into(),
            name: "Cgroup release_agent modification".into(),
            version: "1.1.0".into(),
            description:
                "A cgroup release_agent file was changed: the kernel runs that program as root."
                    .into(),
            severity: Severity::High,
            mitre: vec!["T1611".into()],
            tags: vec![
                "privilege-escalation".into(),
                "container-escape".into(),
                "tracee:TRC-1010".into(),
            ],
            events: file_watch::CHANGE_KINDS.to_vec(),
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().writing(["**/release_agent"])
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        file_watch::changes(
            event,
            allow,
            |p| vigil_sdk::paths::basename(p) == "release_agent",
            Self::open_interest,
            "cgroup release_agent",
        )
    }
}

vigil_sdk::export_signature!(RuleSignature<CgroupReleaseAgent>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::file_watch::testing::assert_reports_changes;

    #[test]
    fn changes_fire_and_reads_and_other_paths_do_not() {
        assert_reports_changes::<ExportedSignature>(
            &[
                "/sys/fs/cgroup/rdma/release_agent",
                "/tmp/cgrp/release_agent",
            ],
            &[
                "/sys/fs/cgroup/memory/notify_on_release",
                "/tmp/release_agent.txt",
            ],
        );
    }
}
