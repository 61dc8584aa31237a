//! Package managers: installing a package writes exactly where persistence also goes (cron
//! jobs, rc scripts, sudoers drop-ins, the dynamic loader), and CI jobs install packages all
//! the time. Signatures watching those places leave changes made by a package manager, or by
//! its maintainer scripts (its descendants), alone. Only the system's own binaries count: a
//! program that merely calls itself `dpkg` from /tmp is not one.

use crate::{host, Event, Finding};

/// The package managers' executables, as `/proc/<pid>/exe` names them.
pub const EXECUTABLES: &[&str] = &[
    "/usr/bin/dpkg",
    "/bin/dpkg",
    "/usr/bin/rpm",
    "/bin/rpm",
    "/sbin/apk",
    "/usr/sbin/apk",
    "/usr/bin/pacman",
];

pub fn is_package_manager(exe: &str) -> bool {
    EXECUTABLES.contains(&exe)
}

/// Whether the process behind `event` is a package manager or runs under one. Asks the host
/// for the ancestry: call it only once the rule has matched.
pub fn run_by_package_manager(event: &Event) -> bool {
    is_package_manager(event.process.exe)
        || host::ancestry(event.pid)
            .iter()
            .any(|a| is_package_manager(&a.exe))
}

/// `findings`, or none when the process behind `event` is [`run_by_package_manager`]. Asks
/// the host only when there is something to drop.
pub fn unless_installing(event: &Event, findings: Vec<Finding>) -> Vec<Finding> {
    if !findings.is_empty() && run_by_package_manager(event) {
        return Vec::new();
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{testing, EventData};

    #[test]
    fn package_managers_and_their_scripts() {
        let e = |pid, exe| testing::event(pid, exe, EventData::Exit { code: None });
        assert!(run_by_package_manager(&e(1, "/usr/bin/dpkg")));
        assert!(!run_by_package_manager(&e(2, "/tmp/dpkg")));
        testing::set_ancestry(
            3,
            vec![
                testing::ancestor(2, "/usr/bin/bash", &["sh", "postinst"]),
                testing::ancestor(1, "/usr/bin/dpkg", &["dpkg", "-i"]),
            ],
        );
        assert!(run_by_package_manager(&e(3, "/usr/bin/ln")));
        testing::set_ancestry(4, vec![testing::ancestor(1, "/usr/bin/make", &["make"])]);
        assert!(!run_by_package_manager(&e(4, "/usr/bin/ln")));
    }
}
