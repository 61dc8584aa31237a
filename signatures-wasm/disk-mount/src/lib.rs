//! VGL-0023 — a block device mounted: from a privileged container, mounting the host's disk
//! (`mount /dev/sda1 /mnt`) gives the whole host's files; on a runner, a build has no reason to
//! mount disks. Fires on a `mount` whose source is under `/dev/` that is not a bind, move or
//! remount (binding `/dev/null` over a file is how sandboxes hide files, not a disk mount).
//! Attempts that fail fire too: trying to reach a disk is the behaviour. Ports Tracee's
//! TRC-1014, on the host.

use vigil_sdk::{
    allowlist::Allowlist,
    prelude::*,
    rule::{Rule, RuleSignature},
};

const MS_REMOUNT: u64 = 32;
const MS_BIND: u64 = 4096;
const MS_MOVE: u64 = 8192;

pub struct DiskMount;

impl Rule for DiskMount {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0023".into(),
            name: "Disk mount".into(),
            version: "1.0.0".into(),
            description: "A process mounted (or tried to mount) a device from /dev.".into(),
            severity: Severity::High,
            mitre: vec!["T1611".into()],
            tags: vec!["privilege-escalation".into(), "tracee:TRC-1014".into()],
            events: vec![EventKind::Mount],
            config_keys: Allowlist::config_keys(),
        }
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        match event.data {
            EventData::Mount {
                source,
                target,
                fstype,
                flags,
                result,
            } if source.starts_with("/dev/")
                && flags & (MS_REMOUNT | MS_BIND | MS_MOVE) == 0
                && !allow.allows(event, source) =>
            {
                vec![Finding::new(format!("mounted {source} on {target}"))
                    .with("source", source)
                    .with("target", target)
                    .with("fstype", fstype)
                    .with("result", result)]
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(RuleSignature<DiskMount>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{event, Harness};

    fn mount(source: &'static str, fstype: &'static str, flags: u64) -> Event<'static> {
        event(
            100,
            "/usr/bin/mount",
            EventData::Mount {
                source,
                target: "/mnt",
                fstype,
                flags,
                result: -2,
            },
        )
    }

    #[test]
    fn devices_fire_even_when_refused() {
        let f = Harness::<ExportedSignature>::new().feed(&mount("/dev/sda1", "ext4", 0));
        assert_eq!(f[0].evidence("source"), Some("/dev/sda1"));
        assert_eq!(f[0].evidence("result"), Some("-2"));
    }

    #[test]
    fn pseudo_filesystems_and_binds_are_quiet() {
        let mut sig = Harness::<ExportedSignature>::new();
        assert!(sig.feed(&mount("tmpfs", "tmpfs", 0)).is_empty());
        assert!(sig.feed(&mount("proc", "proc", 0)).is_empty());
        assert!(sig.feed(&mount("/dev/null", "", MS_BIND)).is_empty());
        assert!(sig.feed(&mount("/dev/sda1", "", MS_REMOUNT)).is_empty());
        let mut allowed =
            Harness::<ExportedSignature>::with_settings(&[("allow-paths", "/dev/loop*")]).unwrap();
        assert!(allowed.feed(&mount("/dev/loop3", "ext4", 0)).is_empty());
    }
}
