//! The rule many signatures share: a process changed, or read, a file of a sensitive set.
//! "Changed" means opened for writing (or to create or truncate), renamed onto, or linked to
//! (a symbolic or hard link made at the sensitive name); the signature supplies the set as a
//! predicate on absolute paths and a phrase naming what the file is.
//!
//! [`runs`] is the same for programs that make such changes (`crontab`, `update-rc.d`).
//!
//! Failed attempts fire too (the finding carries `result`): a step that tries to rewrite
//! sudoers and is refused has still shown what it is.

use crate::{allowlist::Allowlist, open_flags, Event, EventData, EventKind, Finding};

/// The event kinds [`changes`] looks at, for `Metadata::events`.
pub const CHANGE_KINDS: [EventKind; 3] = [EventKind::Open, EventKind::Rename, EventKind::Link];
/// The event kinds [`reads`] looks at.
pub const READ_KINDS: [EventKind; 1] = [EventKind::Open];

/// A change made to a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange<'a> {
    /// The file changed (for a rename, the destination; for a link, the new name).
    pub path: &'a str,
    /// "opened for writing", "renamed onto", "linked".
    pub how: &'static str,
    pub syscall: &'a str,
    /// The rename's source or the link's target.
    pub from: Option<&'a str>,
    /// The open's flags.
    pub flags: Option<u64>,
    pub result: i64,
}

/// The file `data` changes, if it changes one.
pub fn change<'a>(data: &EventData<'a>) -> Option<FileChange<'a>> {
    match *data {
        EventData::Open {
            syscall,
            path,
            flags,
            result,
            ..
        } if open_flags::is_write(flags) => Some(FileChange {
            path,
            how: "opened for writing",
            syscall,
            from: None,
            flags: Some(flags),
            result,
        }),
        EventData::Rename {
            syscall,
            old_path,
            new_path,
            result,
            ..
        } => Some(FileChange {
            path: new_path,
            how: "renamed onto",
            syscall,
            from: Some(old_path),
            flags: None,
            result,
        }),
        EventData::Link {
            syscall,
            target,
            path,
            result,
            ..
        } => Some(FileChange {
            path,
            how: "linked",
            syscall,
            from: Some(target),
            flags: None,
            result,
        }),
        _ => None,
    }
}

/// Evidence every file finding carries.
fn file_finding(summary: String, path: &str, syscall: &str, result: i64) -> Finding {
    Finding::new(summary)
        .with("path", path)
        .with("syscall", syscall)
        .with("result", result)
}

/// A finding when `event` changes a file `watched` accepts and `allow` does not excuse.
/// `what` names the file in the summary ("sudoers", "the dynamic loader").
pub fn changes(
    event: &Event,
    allow: &Allowlist,
    watched: impl Fn(&str) -> bool,
    what: &str,
) -> Vec<Finding> {
    let Some(c) = change(&event.data) else {
        return Vec::new();
    };
    if !watched(c.path) || allow.allows(event, c.path) {
        return Vec::new();
    }
    let mut f = file_finding(
        format!("{what} modified: {} {}", c.path, c.how),
        c.path,
        c.syscall,
        c.result,
    )
    .with("operation", c.how);
    if let Some(from) = c.from {
        f = f.with("from", from);
    }
    if let Some(flags) = c.flags {
        f = f.with("flags", format!("{flags:#o}"));
    }
    vec![f]
}

/// A finding when `event` opens for reading a file `watched` accepts and `allow` does not
/// excuse.
pub fn reads(
    event: &Event,
    allow: &Allowlist,
    watched: impl Fn(&str) -> bool,
    what: &str,
) -> Vec<Finding> {
    match event.data {
        EventData::Open {
            syscall,
            path,
            flags,
            result,
            ..
        } if open_flags::is_read(flags) && watched(path) && !allow.allows(event, path) => {
            vec![
                file_finding(format!("{what} read: {path}"), path, syscall, result)
                    .with("flags", format!("{flags:#o}")),
            ]
        }
        _ => Vec::new(),
    }
}

/// A finding when `event` is an exec of a program named one of `programs` (by the file name
/// of what was executed) that `allow` does not excuse. `what` says what the program does.
pub fn runs(event: &Event, allow: &Allowlist, programs: &[&str], what: &str) -> Vec<Finding> {
    match event.data {
        EventData::Exec { filename, .. }
            if programs.contains(&crate::paths::basename(filename))
                && !allow.allows(event, filename) =>
        {
            vec![Finding::new(format!("{what}: ran {filename}")).with("filename", filename)]
        }
        _ => Vec::new(),
    }
}

/// Assertions for the unit tests of signatures built on [`changes`] and [`reads`].
#[cfg(not(target_arch = "wasm32"))]
pub mod testing {
    use crate::{
        open_flags::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY},
        testing::{open, rename, Harness},
        Signature,
    };

    /// `S` reports each of `watched` written or renamed onto (with its path as evidence), and
    /// neither reads of them nor writes of `ignored`.
    pub fn assert_reports_changes<S: Signature>(watched: &[&str], ignored: &[&str]) {
        let mut sig = Harness::<S>::new();
        for &path in watched {
            let f = sig.feed(&open("/usr/bin/sh", path, O_WRONLY | O_CREAT | O_TRUNC));
            assert_eq!(f.len(), 1, "a write of {path}");
            assert_eq!(f[0].evidence("path"), Some(path));
            let f = sig.feed(&rename("/usr/bin/mv", "/tmp/x", path));
            assert_eq!(f.len(), 1, "a rename onto {path}");
            assert!(sig.feed(&open("/usr/bin/cat", path, O_RDONLY)).is_empty());
        }
        for &path in ignored {
            assert!(
                sig.feed(&open("/usr/bin/sh", path, O_WRONLY)).is_empty(),
                "{path}"
            );
        }
    }

    /// `S` reports each of `watched` opened for reading, and not reads of `ignored`.
    pub fn assert_reports_reads<S: Signature>(watched: &[&str], ignored: &[&str]) {
        let mut sig = Harness::<S>::new();
        for &path in watched {
            let f = sig.feed(&open("/usr/bin/cat", path, O_RDONLY));
            assert_eq!(f.len(), 1, "a read of {path}");
            assert_eq!(f[0].evidence("path"), Some(path));
        }
        for &path in ignored {
            assert!(
                sig.feed(&open("/usr/bin/cat", path, O_RDONLY)).is_empty(),
                "{path}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::event;

    fn open(path: &'static str, flags: u64) -> Event<'static> {
        crate::testing::open("/usr/bin/tee", path, flags)
    }

    fn is_target(p: &str) -> bool {
        p == "/etc/target"
    }

    #[test]
    fn writes_renames_and_links_are_changes() {
        let allow = Allowlist::default();
        let f = changes(&open("/etc/target", 0o1101), &allow, is_target, "target");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence("path"), Some("/etc/target"));
        assert_eq!(f[0].evidence("flags"), Some("0o1101"));
        assert!(changes(&open("/etc/target", 0), &allow, is_target, "t").is_empty());
        assert!(changes(&open("/etc/other", 1), &allow, is_target, "t").is_empty());
        let rename = event(
            5,
            "/usr/bin/mv",
            EventData::Rename {
                syscall: "renameat2",
                old_path: "/tmp/x",
                new_path: "/etc/target",
                flags: 0,
                result: 0,
            },
        );
        let f = changes(&rename, &allow, is_target, "target");
        assert_eq!(f[0].evidence("from"), Some("/tmp/x"));
        assert_eq!(f[0].evidence("operation"), Some("renamed onto"));
        let link = event(
            5,
            "/usr/bin/ln",
            EventData::Link {
                syscall: "symlink",
                target: "/tmp/x",
                path: "/etc/target",
                symbolic: true,
                result: -13,
            },
        );
        let f = changes(&link, &allow, is_target, "target");
        assert_eq!(f[0].evidence("result"), Some("-13"));
        let mut allowed = Allowlist::default();
        allowed
            .configure(&[("allow-processes".into(), "/usr/bin/tee".into())])
            .unwrap();
        assert!(changes(&open("/etc/target", 1), &allowed, is_target, "t").is_empty());
    }

    #[test]
    fn runs_matches_program_names() {
        let exec = |filename| crate::testing::exec(5, filename);
        let allow = Allowlist::default();
        let f = runs(&exec("/usr/bin/crontab"), &allow, &["crontab"], "cron");
        assert_eq!(f[0].evidence("filename"), Some("/usr/bin/crontab"));
        assert!(runs(&exec("/usr/bin/crontab2"), &allow, &["crontab"], "cron").is_empty());
    }

    #[test]
    fn reads_only_count_readable_opens() {
        let allow = Allowlist::default();
        assert_eq!(
            reads(&open("/etc/target", 0), &allow, is_target, "t").len(),
            1
        );
        assert_eq!(
            reads(&open("/etc/target", 2), &allow, is_target, "t").len(),
            1
        );
        assert!(reads(&open("/etc/target", 1), &allow, is_target, "t").is_empty());
        assert!(reads(&open("/etc/other", 0), &allow, is_target, "t").is_empty());
    }
}
