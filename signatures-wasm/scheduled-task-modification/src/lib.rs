//! VGL-0016 — scheduled tasks changed: the cron tables (`/etc/crontab`, `/etc/cron.d/`,
//! `/etc/cron.{hourly,daily,weekly,monthly}/`, `/etc/anacrontab`, `/var/spool/cron/`, which holds
//! users' crontabs and at jobs), or `crontab`, `at` or `batch` run. A CI job that plants one
//! outlives itself on a persistent runner. Fires on a write-open, rename onto or link at those
//! paths (attempts included) and on those execs; package managers and their maintainer scripts
//! are left alone. Ports Tracee's TRC-1027.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch, package_manager,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct ScheduledTaskModification;

const SCHEDULERS: &[&str] = &["crontab", "at", "batch"];

const FILES: &[&str] = &["/etc/crontab", "/etc/anacrontab"];
const DIRS: &[&str] = &[
    "/etc/cron.d",
    "/etc/cron.hourly",
    "/etc/cron.daily",
    "/etc/cron.weekly",
    "/etc/cron.monthly",
    "/var/spool/cron",
];

fn is_schedule(path: &str) -> bool {
    FILES.contains(&path) || DIRS.iter().any(|d| vigil_sdk::paths::is_under(path, d))
}

impl Rule for ScheduledTaskModification {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0016".into(),
            name: "Scheduled task modification".into(),
            version: "1.1.0".into(),
            description: "A cron table or at job was changed, or crontab/at/batch was run, \
                          outside of a package manager."
                .into(),
            severity: Severity::Medium,
            mitre: vec!["T1053.003".into()],
            tags: vec!["persistence".into(), "tracee:TRC-1027".into()],
            events: [file_watch::CHANGE_KINDS.as_slice(), &[EventKind::Exec]].concat(),
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().writing(FILES).writing_under(DIRS)
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        let mut found = file_watch::changes(
            event,
            allow,
            is_schedule,
            Self::open_interest,
            "scheduled task",
        );
        found.extend(file_watch::runs(
            event,
            allow,
            SCHEDULERS,
            "scheduled task change",
        ));
        package_manager::unless_installing(event, found)
    }
}

vigil_sdk::export_signature!(RuleSignature<ScheduledTaskModification>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::file_watch::testing::assert_reports_changes;
    use vigil_sdk::testing::{self, Harness};

    #[test]
    fn changes_fire_and_reads_and_other_paths_do_not() {
        assert_reports_changes::<ExportedSignature>(
            &[
                "/etc/crontab",
                "/etc/cron.d/evil",
                "/etc/cron.daily/x",
                "/var/spool/cron/crontabs/root",
                "/var/spool/cron/atjobs/a0001",
            ],
            &["/etc/cron.deny.bak", "/tmp/etc/crontab", "/etc/cronx/x"],
        );
    }

    #[test]
    fn running_crontab_or_at_fires() {
        let exec = |filename| testing::exec(300, filename);
        let mut sig = Harness::<ExportedSignature>::new();
        assert_eq!(sig.feed(&exec("/usr/bin/crontab")).len(), 1);
        assert_eq!(sig.feed(&exec("/usr/bin/at")).len(), 1);
        assert!(sig.feed(&exec("/usr/bin/cat")).is_empty());
    }
}
