//! VGL-0009 — sudoers changed (`/etc/sudoers`, anything under `/etc/sudoers.d/`): a step granting
//! itself or a later process root without a password. Fires on a write-open, rename onto or link
//! at those paths, refused attempts included; package managers installing sudo's own files are
//! left alone. Ports Tracee's TRC-1028.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch, package_manager,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct SudoersModification;

fn is_sudoers(path: &str) -> bool {
    path == "/etc/sudoers" || vigil_sdk::paths::is_under(path, "/etc/sudoers.d")
}

impl Rule for SudoersModification {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0009".into(),
            name: "Sudoers modification".into(),
            version: "1.1.0".into(),
            description: "/etc/sudoers or a file in /etc/sudoers.d was changed, outside of a \
                          package manager."
                .into(),
            severity: Severity::Medium,
            mitre: vec!["T1548.003".into()],
            tags: vec![
                "privilege-escalation".into(),
                "persistence".into(),
                "tracee:TRC-1028".into(),
            ],
            events: file_watch::CHANGE_KINDS.to_vec(),
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().writing(["/etc/sudoers", "/etc/sudoers.d", "/etc/sudoers.d/**"])
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        package_manager::unless_installing(
            event,
            file_watch::changes(event, allow, is_sudoers, Self::open_interest, "sudoers"),
        )
    }
}

vigil_sdk::export_signature!(RuleSignature<SudoersModification>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::file_watch::testing::assert_reports_changes;

    #[test]
    fn changes_fire_and_reads_and_other_paths_do_not() {
        assert_reports_changes::<ExportedSignature>(
            &["/etc/sudoers", "/etc/sudoers.d/90-ci"],
            &[
                "/etc/sudoers.tmp",
                "/etc/sudo.conf",
                "/tmp/etc/sudoers",
                "/etc/sudoers.d.bak/x",
            ],
        );
    }
}
