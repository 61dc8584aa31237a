//! VGL-0015 — rc scripts changed (`/etc/rc.local`, `/etc/rc.d/`, `/etc/rc?.d/`, `/etc/init.d/`), or
//! `update-rc.d` run: code planted to run as root at every boot. Fires on a write-open, rename
//! onto or link at those paths (attempts included) and on an exec of `update-rc.d`; package
//! managers and their maintainer scripts installing a service are left alone. Ports Tracee's
//! TRC-1026.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch, package_manager,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct RcScriptModification;

const RC_DIRS: &[&str] = &[
    "/etc/rc.d",
    "/etc/init.d",
    "/etc/rc0.d",
    "/etc/rc1.d",
    "/etc/rc2.d",
    "/etc/rc3.d",
    "/etc/rc4.d",
    "/etc/rc5.d",
    "/etc/rc6.d",
    "/etc/rcS.d",
];

fn is_rc_script(path: &str) -> bool {
    path == "/etc/rc.local" || RC_DIRS.iter().any(|d| vigil_sdk::paths::is_under(path, d))
}

impl Rule for RcScriptModification {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0015".into(),
            name: "rc script modification".into(),
            version: "1.1.0".into(),
            description: "A boot-time rc script was changed, or update-rc.d was run, outside \
                          of a package manager."
                .into(),
            severity: Severity::Medium,
            mitre: vec!["T1037.004".into()],
            tags: vec!["persistence".into(), "tracee:TRC-1026".into()],
            events: [file_watch::CHANGE_KINDS.as_slice(), &[EventKind::Exec]].concat(),
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default()
            .writing(["/etc/rc.local"])
            .writing_under(RC_DIRS)
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        let mut found =
            file_watch::changes(event, allow, is_rc_script, Self::open_interest, "rc script");
        found.extend(file_watch::runs(
            event,
            allow,
            &["update-rc.d"],
            "rc script change",
        ));
        package_manager::unless_installing(event, found)
    }
}

vigil_sdk::export_signature!(RuleSignature<RcScriptModification>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::file_watch::testing::assert_reports_changes;
    use vigil_sdk::testing::{self, Harness};

    #[test]
    fn changes_fire_and_reads_and_other_paths_do_not() {
        assert_reports_changes::<ExportedSignature>(
            &[
                "/etc/rc.local",
                "/etc/init.d/evil",
                "/etc/rc2.d/S01evil",
                "/etc/rc.d/rc.local",
            ],
            &[
                "/etc/rc.conf.d/x",
                "/etc/initramfs-tools/x",
                "/tmp/etc/rc.local",
            ],
        );
    }

    #[test]
    fn update_rc_d_fires_and_package_scripts_do_not() {
        let exec = |pid| testing::exec(pid, "/usr/sbin/update-rc.d");
        let mut sig = Harness::<ExportedSignature>::new();
        assert_eq!(sig.feed(&exec(200)).len(), 1);
        testing::set_ancestry(201, vec![testing::ancestor(2, "/usr/bin/dpkg", &["dpkg"])]);
        assert!(sig.feed(&exec(201)).is_empty());
    }
}
