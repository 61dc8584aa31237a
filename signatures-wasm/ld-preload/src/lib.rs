//! VGL-0007 — LD_PRELOAD hijacking: a library forced into programs ahead of their own, to hook
//! them (hide files, steal what they read, run code in every process). Fires on
//!
//! - an exec with `LD_PRELOAD` set to a library not allowed by `allow-paths` (reported once per
//!   distinct value: every child inherits it, and that is one incident);
//! - a change (write-open, rename onto, link at) of `/etc/ld.so.preload`, which preloads into
//!   every program on the machine. Refused attempts fire too.
//!
//! `LD_LIBRARY_PATH`, which Tracee's TRC-107 also reports, is not: CI toolchains
//! (hostedtoolcache Pythons, JDKs, CUDA) set it for every step, so it says nothing on a runner.
//! fakeroot (Debian package builds) preloads its own library and is allowed by default.

use std::collections::HashSet;

use vigil_sdk::{allowlist::Allowlist, file_watch, prelude::*};

const PRELOAD_FILE: &str = "/etc/ld.so.preload";
/// Libraries honest build tools preload.
const HONEST_LIBRARIES: &str = "/**/libfakeroot*.so*";

pub struct LdPreload {
    allow: Allowlist,
    /// LD_PRELOAD values already reported.
    reported: HashSet<String>,
}

impl Default for LdPreload {
    fn default() -> Self {
        LdPreload {
            allow: Allowlist::new("", HONEST_LIBRARIES),
            reported: HashSet::new(),
        }
    }
}

impl Signature for LdPreload {
    fn metadata() -> Metadata {
        let mut events = vec![EventKind::Exec];
        events.extend(file_watch::CHANGE_KINDS);
        Metadata {
            id: "VGL-0007".into(),
            name: "Library preloading (LD_PRELOAD, /etc/ld.so.preload)".into(),
            version: "1.1.0".into(),
            description: "A program was started with LD_PRELOAD, or /etc/ld.so.preload was \
                          changed: code forced into other programs."
                .into(),
            severity: Severity::Medium,
            mitre: vec!["T1574.006".into()],
            tags: vec!["persistence".into(), "tracee:TRC-107".into()],
            events,
            config_keys: Allowlist::config_keys(),
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        self.allow.configure(settings)
    }

    fn open_interest(&self) -> OpenInterest {
        OpenInterest::default().writing([PRELOAD_FILE])
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        let EventData::Exec { filename, env, .. } = &event.data else {
            return file_watch::changes(
                event,
                &self.allow,
                |p| p == PRELOAD_FILE,
                || self.open_interest(),
                PRELOAD_FILE,
            );
        };
        let Some(&value) = env.get("LD_PRELOAD") else {
            return Vec::new();
        };
        // ld.so splits the list on spaces and colons.
        let foreign = value
            .split([' ', ':'])
            .find(|lib| !lib.is_empty() && !self.allow.allows(event, lib));
        match foreign {
            Some(lib) if self.reported.insert(value.to_string()) => {
                vec![
                    Finding::new(format!("{filename} started with LD_PRELOAD={value}"))
                        .with("library", lib)
                        .with("ld_preload", value)
                        .with("filename", *filename),
                ]
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(LdPreload);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::Harness;

    fn exec(preload: Option<&'static str>) -> Event<'static> {
        let mut e = vigil_sdk::testing::exec(10, "/usr/bin/ls");
        if let EventData::Exec { env, .. } = &mut e.event.data {
            env.extend(preload.map(|v| ("LD_PRELOAD", v)));
        }
        e
    }

    #[test]
    fn a_preloaded_library_fires_once_per_value() {
        let mut sig = Harness::<LdPreload>::new();
        let f = sig.feed(&exec(Some("/tmp/evil.so")));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence("library"), Some("/tmp/evil.so"));
        assert!(sig.feed(&exec(Some("/tmp/evil.so"))).is_empty());
        assert_eq!(sig.feed(&exec(Some("/tmp/other.so"))).len(), 1);
    }

    #[test]
    fn no_preload_and_allowed_libraries_are_quiet() {
        let mut sig = Harness::<LdPreload>::new();
        assert!(sig.feed(&exec(None)).is_empty());
        assert!(sig
            .feed(&exec(Some(
                "/usr/lib/x86_64-linux-gnu/libfakeroot/libfakeroot-sysv.so"
            )))
            .is_empty());
        let mut tuned =
            Harness::<LdPreload>::with_settings(&[("allow-paths", "/opt/asan/*.so")]).unwrap();
        assert!(tuned.feed(&exec(Some("/opt/asan/libasan.so"))).is_empty());
        // One foreign library among allowed ones still fires.
        assert_eq!(
            tuned
                .feed(&exec(Some("/opt/asan/libasan.so:/tmp/x.so")))
                .len(),
            1
        );
    }

    #[test]
    fn changing_ld_so_preload_fires() {
        let mut sig = Harness::<LdPreload>::new();
        let open = |path, flags| vigil_sdk::testing::open("/usr/bin/tee", path, flags);
        let f = sig.feed(&open("/etc/ld.so.preload", 0o1101));
        assert_eq!(f[0].evidence("path"), Some("/etc/ld.so.preload"));
        // Every program reads it: reading is ordinary.
        assert!(sig.feed(&open("/etc/ld.so.preload", 0)).is_empty());
        assert!(sig.feed(&open("/etc/ld.so.cache", 1)).is_empty());
    }
}
