//! VGL-0021 — a cgroup v1 `notify_on_release` changed: turning it on arms the `release_agent`
//! (VGL-0020) for that cgroup, the other half of the same escape. Fires on a write-open, rename
//! onto or link at any file named `notify_on_release`, attempts included. Ports Tracee's TRC-106,
//! on the host.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct CgroupNotifyOnRelease;

impl Rule for CgroupNotifyOnRelease {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0021".into(),
            name: "Cgroup notify_on_release modification".into(),
            version: "1.1.0".into(),
            description:
                "A cgroup notify_on_release file was changed, arming the cgroup's release_agent."
                    .into(),
            severity: Severity::High,
            mitre: vec!["T1611".into()],
            tags: vec![
                "privilege-escalation".into(),
                "container-escape".into(),
                "tracee:TRC-106".into(),
            ],
            events: file_watch::CHANGE_KINDS.to_vec(),
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().writing(["**/notify_on_release"])
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        file_watch::changes(
            event,
            allow,
            |p| vigil_sdk::paths::basename(p) == "notify_on_release",
            Self::open_interest,
            "cgroup notify_on_release",
        )
    }
}

vigil_sdk::export_signature!(RuleSignature<CgroupNotifyOnRelease>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::file_watch::testing::assert_reports_changes;

    #[test]
    fn changes_fire_and_reads_and_other_paths_do_not() {
        assert_reports_changes::<ExportedSignature>(
            &[
                "/sys/fs/cgroup/memory/x/notify_on_release",
                "/tmp/cgrp/notify_on_release",
            ],
            &[
                "/sys/fs/cgroup/memory/release_agent",
                "/tmp/notify_on_release.bak",
            ],
        );
    }
}
