//! VGL-0010 — a kernel module loaded (`init_module` / `finit_module`): a rootkit's way into the
//! kernel, and something a CI build never needs. Attempts that fail (a bad image, no
//! privilege) fire too: the attempt is the behaviour. Ports Tracee's TRC-1017, which watches
//! the module actually loading; Vigil sees the syscall.

use vigil_sdk::{
    allowlist::Allowlist,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct KernelModuleLoad;

impl Rule for KernelModuleLoad {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0010".into(),
            name: "Kernel module loading".into(),
            version: "1.0.0".into(),
            description: "A process loaded (or tried to load) a kernel module.".into(),
            severity: Severity::Medium,
            mitre: vec!["T1547.006".into()],
            tags: vec![
                "persistence".into(),
                "rootkit".into(),
                "tracee:TRC-1017".into(),
            ],
            events: vec![EventKind::LoadModule],
            config_keys: Allowlist::config_keys(),
        }
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        match event.data {
            EventData::LoadModule {
                syscall,
                fd,
                params,
                result,
            } if !allow.allows_process(event) => {
                let mut f = Finding::new(format!("kernel module load with {syscall}"))
                    .with("syscall", syscall)
                    .with("params", params)
                    .with("result", result);
                if let Some(fd) = fd {
                    f = f.with("fd", fd);
                }
                vec![f]
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(RuleSignature<KernelModuleLoad>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{event, Harness};

    fn load(exe: &'static str, result: i64) -> Event<'static> {
        event(
            100,
            exe,
            EventData::LoadModule {
                syscall: "finit_module",
                fd: Some(3),
                params: "",
                result,
            },
        )
    }

    #[test]
    fn any_load_fires_even_when_refused() {
        let mut sig = Harness::<ExportedSignature>::new();
        let f = sig.feed(&load("/usr/sbin/insmod", 0));
        assert_eq!(f[0].evidence("syscall"), Some("finit_module"));
        assert_eq!(f[0].evidence("fd"), Some("3"));
        assert_eq!(sig.feed(&load("/tmp/x", -8)).len(), 1);
    }

    #[test]
    fn allowed_loaders_are_quiet() {
        let mut sig =
            Harness::<ExportedSignature>::with_settings(&[("allow-processes", "/usr/sbin/*")])
                .unwrap();
        assert!(sig.feed(&load("/usr/sbin/modprobe", 0)).is_empty());
        assert!(Harness::<ExportedSignature>::new()
            .feed(&event(1, "/x", EventData::Exit { code: None }))
            .is_empty());
    }
}
