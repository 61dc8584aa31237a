//! VGL-0008 — the default dynamic loader (`ld-linux*.so*`, `ld-musl*.so*` under /lib or /usr/lib)
//! changed: replacing it runs the attacker's code before every dynamically linked program.
//! Fires on a write-open, rename onto or link at such a path, refused attempts included. Package
//! managers (and their maintainer scripts) upgrading libc are left alone. Ports Tracee's TRC-1012
//! (its pattern `^/(lib|usr/lib).*/ld.*\.so[^/]*`).

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch, package_manager,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct LoaderModification;

/// `ld*.so*` under /lib* or /usr/lib*.
fn is_loader(path: &str) -> bool {
    let name = vigil_sdk::paths::basename(path);
    (path.starts_with("/lib") || path.starts_with("/usr/lib"))
        && name.starts_with("ld")
        && name.contains(".so")
}

impl Rule for LoaderModification {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0008".into(),
            name: "Default loader modification".into(),
            version: "1.1.0".into(),
            description: "The system's dynamic loader was changed, outside of a package manager."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1574".into()],
            tags: vec!["persistence".into(), "tracee:TRC-1012".into()],
            events: file_watch::CHANGE_KINDS.to_vec(),
            config_keys: Allowlist::config_keys(),
        }
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().writing(["/lib*/**/ld*.so*", "/usr/lib*/**/ld*.so*"])
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        package_manager::unless_installing(
            event,
            file_watch::changes(
                event,
                allow,
                is_loader,
                Self::open_interest,
                "the dynamic loader",
            ),
        )
    }
}

vigil_sdk::export_signature!(RuleSignature<LoaderModification>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::{
        file_watch::testing::{assert_reports_changes, link},
        testing::Harness,
    };

    #[test]
    fn changes_fire_and_reads_and_other_paths_do_not() {
        assert_reports_changes::<ExportedSignature>(
            &[
                "/lib64/ld-linux-x86-64.so.2",
                "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                "/lib/ld-musl-x86_64.so.1",
            ],
            &[
                "/usr/lib/x86_64-linux-gnu/libc.so.6",
                "/tmp/ld-linux-x86-64.so.2",
                "/usr/local/lib/ld.so.1",
                "/usr/lib/ldscripts/elf_x86_64.x",
            ],
        );
    }

    #[test]
    fn links_to_the_loader_directories_fire_and_toolchain_links_do_not() {
        let mut sig = Harness::<ExportedSignature>::new();
        for to in ["/lib64", "/usr/lib", "/"] {
            assert_eq!(sig.feed(&link("/tmp/l", to, true)).len(), 1, "{to}");
        }
        for to in [
            "/usr/lib/jvm/java-17",
            "/usr/lib/llvm-15/bin/clang",
            "/usr/bin",
        ] {
            assert!(sig.feed(&link("/tmp/l", to, true)).is_empty(), "{to}");
        }
    }
}
