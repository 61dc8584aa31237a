//! VGL-0004 — another process's memory written with `process_vm_writev`.
//!
//! Fires when a process writes into the address space of a process other than itself: code or
//! data injection with no ptrace attach. Refused attempts (EPERM, ESRCH) fire too: trying is
//! the behaviour. Ports Tracee's TRC-1025.

use vigil_sdk::{
    allowlist::Allowlist,
    prelude::*,
    rule::{Rule, RuleSignature},
};

pub struct ProcessVmWrite;

impl Rule for ProcessVmWrite {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0004".into(),
            name: "Code injection with process_vm_writev".into(),
            version: "1.0.0".into(),
            description: "A process wrote into another process's memory with \
                          process_vm_writev."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1055".into()],
            tags: vec!["injection".into(), "tracee:TRC-1025".into()],
            events: vec![EventKind::ProcessVm],
            config_keys: Allowlist::config_keys(),
        }
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        match event.data {
            EventData::ProcessVm {
                syscall,
                target_pid,
                write: true,
                result,
            } if !(target_pid as u32 == event.pid
                || target_pid as u32 == event.tid
                || allow.allows_process(event)) =>
            {
                vec![
                    Finding::new(format!("wrote into the memory of process {target_pid}"))
                        .with("target_pid", target_pid)
                        .with("syscall", syscall)
                        .with("result", result),
                ]
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(RuleSignature<ProcessVmWrite>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{event, Harness};

    fn vm(target_pid: i32, write: bool) -> Event<'static> {
        event(
            100,
            "/tmp/inject",
            EventData::ProcessVm {
                syscall: if write {
                    "process_vm_writev"
                } else {
                    "process_vm_readv"
                },
                target_pid,
                write,
                result: 16,
            },
        )
    }

    #[test]
    fn writing_another_process_fires() {
        let f = Harness::<ExportedSignature>::new().feed(&vm(4242, true));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence("target_pid"), Some("4242"));
        assert_eq!(f[0].evidence("syscall"), Some("process_vm_writev"));
    }

    #[test]
    fn reads_and_self_writes_are_quiet() {
        let mut sig = Harness::<ExportedSignature>::new();
        assert!(sig.feed(&vm(4242, false)).is_empty());
        assert!(sig.feed(&vm(100, true)).is_empty());
        let mut allowed =
            Harness::<ExportedSignature>::with_settings(&[("allow-processes", "/tmp/*")]).unwrap();
        assert!(allowed.feed(&vm(4242, true)).is_empty());
    }
}
