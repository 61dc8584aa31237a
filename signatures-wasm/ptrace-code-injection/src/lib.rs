//! VGL-0005 — code injected with ptrace: `PTRACE_POKETEXT` or `PTRACE_POKEDATA` writes a word
//! into a traced process's memory. Debuggers do it to set breakpoints, which is why debuggers
//! are what `allow-processes` is for; a CI build has no business doing it otherwise.
//! Refused attempts fire too (ESRCH when not attached is still an injection attempt).
//! Ports Tracee's TRC-103.

use vigil_sdk::{
    allowlist::Allowlist,
    prelude::*,
    ptrace::{request_name, PTRACE_POKEDATA, PTRACE_POKETEXT},
    rule::{Rule, RuleSignature},
};

pub struct PtraceCodeInjection;

impl Rule for PtraceCodeInjection {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0005".into(),
            name: "Code injection with ptrace".into(),
            version: "1.0.0".into(),
            description: "A process wrote into another process's memory with ptrace \
                          (PTRACE_POKETEXT/PTRACE_POKEDATA)."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1055.008".into()],
            tags: vec!["injection".into(), "tracee:TRC-103".into()],
            events: vec![EventKind::Ptrace],
            config_keys: Allowlist::config_keys(),
        }
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        match event.data {
            EventData::Ptrace {
                request,
                target_pid,
                result,
            } if matches!(request, PTRACE_POKETEXT | PTRACE_POKEDATA)
                && !allow.allows_process(event) =>
            {
                vec![Finding::new(format!(
                    "{} into the memory of process {target_pid}",
                    request_name(request)
                ))
                .with("request", request_name(request))
                .with("target_pid", target_pid)
                .with("result", result)]
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(RuleSignature<PtraceCodeInjection>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{event, Harness};

    fn ptrace(request: i64) -> Event<'static> {
        event(
            100,
            "/tmp/injector",
            EventData::Ptrace {
                request,
                target_pid: 4242,
                result: 0,
            },
        )
    }

    #[test]
    fn poke_text_and_data_fire() {
        let mut sig = Harness::<ExportedSignature>::new();
        let f = sig.feed(&ptrace(PTRACE_POKETEXT));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence("request"), Some("PTRACE_POKETEXT"));
        assert_eq!(f[0].evidence("target_pid"), Some("4242"));
        assert_eq!(sig.feed(&ptrace(PTRACE_POKEDATA)).len(), 1);
    }

    #[test]
    fn attach_peek_and_allowed_debuggers_are_quiet() {
        let mut sig = Harness::<ExportedSignature>::new();
        for request in [16, 1, 2, 17, 0] {
            assert!(sig.feed(&ptrace(request)).is_empty(), "{request}");
        }
        let mut gdb =
            Harness::<ExportedSignature>::with_settings(&[("allow-processes", "/tmp/injector")])
                .unwrap();
        assert!(gdb.feed(&ptrace(PTRACE_POKETEXT)).is_empty());
    }
}
