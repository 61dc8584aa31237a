//! The rule many signatures share: a process changed, or read, a file of a sensitive set.
//! "Changed" means opened for writing (or to create or truncate), renamed onto, or linked to
//! (a symbolic or hard link made at the sensitive name); the signature supplies the set as a
//! predicate on absolute paths and a phrase naming what the file is.
//!
//! [`runs`] is the same for programs that make such changes (`crontab`, `update-rc.d`).
//!
//! Failed attempts fire too (the finding carries `result`): a step that tries to rewrite
//! sudoers and is refused has still shown what it is.
//!
//! A link made *to* a watched file, or to a directory above the signature's watched paths, is
//! a change too. Vigil judges a path as it is written, so a later write through such a link
//! (`ln -s /etc /tmp/e; echo ... >> /tmp/e/cron.d/x`) would go unseen: making the link is the
//! step that can be caught, wherever the write goes next.

use crate::{
    allowlist::Allowlist, open_flags, paths, Event, EventData, EventKind, Finding, OpenInterest,
};

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

/// Where a link leads: a hard link's target (Vigil resolved it), or a symbolic link's text
/// resolved against the directory of the link, `.` and `..` taken lexically. `None` when that
/// cannot be known: a hard link's target Vigil could not make absolute, or a relative
/// symbolic link whose own path is not absolute.
pub fn link_destination(path: &str, target: &str, symbolic: bool) -> Option<String> {
    let joined = if target.starts_with('/') {
        target.to_string()
    } else if symbolic && path.starts_with('/') {
        let dir = &path[..path.rfind('/').expect("absolute")];
        format!("{dir}/{target}")
    } else {
        return None;
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// Whether `dir` is a directory every path the anchored glob `pattern` matches goes through:
/// `/`, or a match of the glob's leading components before any `**` (`/etc` and
/// `/etc/sudoers.d` for `/etc/sudoers.d/**`; `/usr` and `/usr/lib*` for
/// `/usr/lib*/**/ld*.so*`, whose `**` would otherwise put every toolchain under `/usr/lib`
/// above the loader). A glob that begins with `**` names no directory, so none is above it.
fn above(pattern: &str, dir: &str) -> bool {
    if !pattern.starts_with('/') {
        return false;
    }
    dir == "/"
        || pattern
            .match_indices('/')
            .skip(1)
            .map(|(end, _)| &pattern[..end])
            .take_while(|leading| !leading.contains("**"))
            .any(|leading| paths::glob(leading, dir))
}

/// The destination of the link `data` makes, when it leads to a file `watched` accepts or to a
/// directory above a glob the signature's `interest` writes.
fn link_into(
    data: &EventData,
    watched: impl Fn(&str) -> bool,
    interest: impl FnOnce() -> OpenInterest,
) -> Option<String> {
    let EventData::Link {
        target,
        path,
        symbolic,
        ..
    } = *data
    else {
        return None;
    };
    let dest = link_destination(path, target, symbolic)?;
    let leads_in = watched(&dest) || interest().writes.iter().any(|g| above(g, &dest));
    leads_in.then_some(dest)
}

/// A finding when `event` changes a file `watched` accepts and `allow` does not excuse, or
/// makes a link into what the signature watches (`watched`, and the directories above the
/// globs its `interest` writes: pass the signature's own `open_interest`). `what` names the
/// file in the summary ("sudoers", "the dynamic loader").
pub fn changes(
    event: &Event,
    allow: &Allowlist,
    watched: impl Fn(&str) -> bool,
    interest: impl FnOnce() -> OpenInterest,
    what: &str,
) -> Vec<Finding> {
    let Some(c) = change(&event.data) else {
        return Vec::new();
    };
    if allow.allows(event, c.path) {
        return Vec::new();
    }
    if !watched(c.path) {
        return match link_into(&event.data, &watched, interest) {
            Some(dest) if !allow.allows(event, &dest) => vec![file_finding(
                format!(
                    "{what} reachable through a new link: {} leads to {dest}",
                    c.path
                ),
                c.path,
                c.syscall,
                c.result,
            )
            .with("operation", "linked to")
            .with("leads_to", dest)
            .with("from", c.from.unwrap_or_default())],
            _ => Vec::new(),
        };
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
        testing::{event, open, rename, Harness},
        Event, EventData, Signature,
    };

    /// A successful link made at `path` to `target` by `ln` (process 100).
    pub fn link<'a>(path: &'a str, target: &'a str, symbolic: bool) -> Event<'a> {
        event(
            100,
            "/usr/bin/ln",
            EventData::Link {
                syscall: if symbolic { "symlinkat" } else { "linkat" },
                target,
                path,
                symbolic,
                result: 0,
            },
        )
    }

    /// `S` reports each of `watched` written, renamed onto or linked to (with its path as
    /// evidence), and neither reads of them nor writes of `ignored`.
    pub fn assert_reports_changes<S: Signature>(watched: &[&str], ignored: &[&str]) {
        let mut sig = Harness::<S>::new();
        for &path in watched {
            let f = sig.feed(&open("/usr/bin/sh", path, O_WRONLY | O_CREAT | O_TRUNC));
            assert_eq!(f.len(), 1, "a write of {path}");
            assert_eq!(f[0].evidence("path"), Some(path));
            let f = sig.feed(&rename("/usr/bin/mv", "/tmp/x", path));
            assert_eq!(f.len(), 1, "a rename onto {path}");
            for symbolic in [true, false] {
                let f = sig.feed(&link("/tmp/vigil-link", path, symbolic));
                assert_eq!(f.len(), 1, "a link to {path} (symbolic: {symbolic})");
                assert_eq!(f[0].evidence("leads_to"), Some(path));
            }
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
    use super::{testing::link, *};
    use crate::testing::event;

    fn open(path: &'static str, flags: u64) -> Event<'static> {
        crate::testing::open("/usr/bin/tee", path, flags)
    }

    fn is_target(p: &str) -> bool {
        p == "/etc/target" || crate::paths::is_under(p, "/etc/target.d")
    }

    fn interest() -> OpenInterest {
        OpenInterest::default()
            .writing(["/etc/target"])
            .writing_under(&["/etc/target.d"])
    }

    #[test]
    fn link_destinations_are_resolved_against_the_link() {
        let dest = |path, target, symbolic| link_destination(path, target, symbolic);
        assert_eq!(dest("/tmp/e", "/etc", true).as_deref(), Some("/etc"));
        assert_eq!(
            dest("/tmp/a/e", "../../etc/./target", true).as_deref(),
            Some("/etc/target")
        );
        assert_eq!(
            dest("/tmp/e", "cron.d", true).as_deref(),
            Some("/tmp/cron.d")
        );
        assert_eq!(dest("/tmp/e", "/", true).as_deref(), Some("/"));
        assert_eq!(dest("/tmp/e", "../..", true).as_deref(), Some("/"));
        // A hard link's target is a path Vigil resolved, never relative to the link.
        assert_eq!(
            dest("/tmp/h", "/etc/target", false).as_deref(),
            Some("/etc/target")
        );
        assert_eq!(dest("e", "etc", true), None);
        assert_eq!(dest("/tmp/h", "etc/target", false), None);
    }

    #[test]
    fn directories_above_anchored_globs_are_found() {
        for dir in ["/", "/etc", "/etc/sudoers.d"] {
            assert!(above("/etc/sudoers.d/**", dir), "{dir}");
        }
        for dir in ["/et", "/etc/sudoers", "/tmp", "/etc/sudoers.d/x"] {
            assert!(!above("/etc/sudoers.d/**", dir), "{dir}");
        }
        assert!(above("/etc/sudoers", "/etc"));
        assert!(!above("/etc/sudoers", "/etc/sudoers"));
        assert!(above("/usr/lib*/**/ld*.so*", "/usr/lib64"));
        assert!(above("/usr/lib*/**/ld*.so*", "/usr"));
        assert!(!above("/usr/lib*/**/ld*.so*", "/usr/lib/jvm/java-17"));
        assert!(!above("/usr/lib*/**/ld*.so*", "/usr/lib/llvm-15/bin/clang"));
        assert!(!above("/lib*/**/ld*.so*", "/usr"));
        assert!(!above("**/release_agent", "/"));
        assert!(!above("**/release_agent", "/sys/fs/cgroup"));
    }

    #[test]
    fn links_into_what_is_watched_are_changes() {
        let allow = Allowlist::default();
        let judge = |e: &Event| changes(e, &allow, is_target, interest, "target");
        // A symbolic link to a directory above the watched ones, to one of them, to a watched
        // file by a relative path; a hard link to a watched file.
        for (target, path, symbolic, leads_to) in [
            ("/etc", "/tmp/e", true, "/etc"),
            ("/", "/tmp/r", true, "/"),
            ("/etc/target.d", "/tmp/d", true, "/etc/target.d"),
            ("../etc/target", "/tmp/f", true, "/etc/target"),
            ("/etc/target.d/x", "/tmp/h", false, "/etc/target.d/x"),
        ] {
            let f = judge(&link(path, target, symbolic));
            assert_eq!(f.len(), 1, "{path} -> {target}");
            assert_eq!(f[0].evidence("path"), Some(path));
            assert_eq!(f[0].evidence("leads_to"), Some(leads_to));
            assert_eq!(f[0].evidence("from"), Some(target));
            assert_eq!(f[0].evidence("operation"), Some("linked to"));
        }
        // Links elsewhere, and a link whose destination the allowlist excuses.
        for (target, path) in [
            ("/etc/other", "/tmp/o"),
            ("/usr", "/tmp/u"),
            ("x", "/tmp/x"),
        ] {
            assert!(judge(&link(path, target, true)).is_empty(), "{target}");
        }
        let mut allowed = Allowlist::default();
        allowed
            .configure(&[("allow-paths".into(), "/etc/target".into())])
            .unwrap();
        let f = changes(
            &link("/tmp/f", "/etc/target", true),
            &allowed,
            is_target,
            interest,
            "t",
        );
        assert!(f.is_empty());
    }

    #[test]
    fn writes_renames_and_links_are_changes() {
        let allow = Allowlist::default();
        let f = changes(
            &open("/etc/target", 0o1101),
            &allow,
            is_target,
            interest,
            "target",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence("path"), Some("/etc/target"));
        assert_eq!(f[0].evidence("flags"), Some("0o1101"));
        assert!(changes(&open("/etc/target", 0), &allow, is_target, interest, "t").is_empty());
        assert!(changes(&open("/etc/other", 1), &allow, is_target, interest, "t").is_empty());
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
        let f = changes(&rename, &allow, is_target, interest, "target");
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
        let f = changes(&link, &allow, is_target, interest, "target");
        assert_eq!(f[0].evidence("result"), Some("-13"));
        let mut allowed = Allowlist::default();
        allowed
            .configure(&[("allow-processes".into(), "/usr/bin/tee".into())])
            .unwrap();
        assert!(changes(&open("/etc/target", 1), &allowed, is_target, interest, "t").is_empty());
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
