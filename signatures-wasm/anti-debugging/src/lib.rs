//! VGL-0012 — anti-debugging: a process called `ptrace(PTRACE_TRACEME)`. Malware does it so no
//! debugger can attach to it later (a process has one tracer at most). Debuggers' children do
//! it too, to be debugged: low severity, and `allow-processes` for a build that runs gdb.
//! Ports Tracee's TRC-102.

use vigil_sdk::{
    allowlist::Allowlist,
    prelude::*,
    ptrace::PTRACE_TRACEME,
    rule::{Rule, RuleSignature},
};

pub struct AntiDebugging;

impl Rule for AntiDebugging {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0012".into(),
            name: "Anti-debugging with PTRACE_TRACEME".into(),
            version: "1.0.0".into(),
            description: "A process asked to be traced by its parent (PTRACE_TRACEME), which \
                          keeps any debugger from attaching to it."
                .into(),
            severity: Severity::Low,
            mitre: vec!["T1622".into()],
            tags: vec!["defense-evasion".into(), "tracee:TRC-102".into()],
            events: vec![EventKind::Ptrace],
            config_keys: Allowlist::config_keys(),
        }
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        match event.data {
            EventData::Ptrace {
                request: PTRACE_TRACEME,
                result,
                ..
            } if !allow.allows_process(event) => {
                vec![Finding::new("process called ptrace(PTRACE_TRACEME)")
                    .with("request", "PTRACE_TRACEME")
                    .with("result", result)]
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(RuleSignature<AntiDebugging>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{event, Harness};

    fn ptrace(request: i64) -> Event<'static> {
        event(
            100,
            "/tmp/packed",
            EventData::Ptrace {
                request,
                target_pid: 0,
                result: 0,
            },
        )
    }

    #[test]
    fn traceme_fires_and_other_requests_do_not() {
        let mut sig = Harness::<ExportedSignature>::new();
        assert_eq!(sig.feed(&ptrace(PTRACE_TRACEME)).len(), 1);
        assert!(sig.feed(&ptrace(16)).is_empty());
        assert!(sig.feed(&ptrace(4)).is_empty());
    }
}
