//! The reports of a watched job, written by `vigil stop` from what the daemon left in its state
//! directory: the job's outcome (status, signatures, counters, egress) and its findings as
//! JSON Lines. Each report is a module: the Markdown job summary, workflow-command annotations,
//! and SARIF 2.1.0.

pub mod annotations;
pub mod sarif;
pub mod summary;

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::{
    cli::Severity, egress::StepEgress, report::SignatureReport, sandbox::LoadedSignature,
    steps::Step,
};

/// Whether Vigil watched the whole job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Watching all along, nothing lost.
    Armed,
    /// Watching, but some events or signature calls were lost, or a signature was disabled.
    Degraded,
    /// Not watching at the end: the daemon died, was killed, or never started.
    Down,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Armed => "armed",
            Status::Degraded => "degraded",
            Status::Down => "down",
        }
    }
}

/// A loaded signature, as the reports list it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignatureInfo {
    #[serde(flatten)]
    pub signature: SignatureReport,
    /// `builtin:NAME`, a file path or a plugin URL.
    pub origin: String,
}

impl SignatureInfo {
    pub fn of(s: &LoadedSignature) -> Self {
        SignatureInfo {
            signature: SignatureReport::of(&s.metadata),
            origin: s.origin.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DisabledSignature {
    pub id: String,
    pub reason: String,
}

/// What the daemon knew about the job: written when armed (status armed, no counters yet) and
/// again when it finished.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobOutcome {
    pub status: Status,
    /// Why the status is down; `vigil stop` fills it in.
    #[serde(default)]
    pub down_reason: Option<String>,
    pub vigil_version: String,
    /// The root of the watched process tree.
    pub watched_pid: u32,
    pub fail_on: Severity,
    pub signatures: Vec<SignatureInfo>,
    pub disabled: Vec<DisabledSignature>,
    pub events: u64,
    pub lost: u64,
    pub undecodable: u64,
    pub failed_calls: u64,
    /// Events some signature could not judge (its call failed, or it was disabled).
    #[serde(default)]
    pub unjudged: u64,
    /// Findings dropped by the per-signature rate limit.
    pub suppressed: u64,
    pub egress: Vec<StepEgress>,
}

impl JobOutcome {
    /// What is known before any event: `status` with no counters.
    pub fn new(
        status: Status,
        watched_pid: u32,
        fail_on: Severity,
        signatures: Vec<SignatureInfo>,
    ) -> Self {
        JobOutcome {
            status,
            down_reason: None,
            vigil_version: env!("CARGO_PKG_VERSION").to_string(),
            watched_pid,
            fail_on,
            signatures,
            disabled: Vec::new(),
            events: 0,
            lost: 0,
            undecodable: 0,
            failed_calls: 0,
            unjudged: 0,
            suppressed: 0,
            egress: Vec::new(),
        }
    }
}

/// A finding as the JSON Lines file holds it; the fields the reports use.
#[derive(Clone, Debug, Deserialize)]
pub struct FindingView {
    pub timestamp: String,
    pub signature: SignatureReport,
    pub severity: Severity,
    pub summary: String,
    #[serde(default)]
    pub evidence: serde_json::Map<String, serde_json::Value>,
    pub process: ProcessView,
    pub event: EventView,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ProcessView {
    pub pid: u32,
    pub comm: String,
    #[serde(default)]
    pub exe: String,
    #[serde(default)]
    pub argv: Vec<String>,
    #[serde(default)]
    pub ancestry: Vec<AncestorView>,
    #[serde(default)]
    pub step: Option<Step>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct AncestorView {
    pub pid: u32,
    pub comm: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct EventView {
    pub kind: String,
}

impl FindingView {
    /// The step's name, or a placeholder for processes outside any step.
    pub fn step_name(&self) -> &str {
        step_label(self.process.step.as_ref().map(|s| s.action.as_str()))
    }

    /// `k=v` pairs of the evidence.
    pub fn evidence_text(&self) -> String {
        self.evidence
            .iter()
            .map(|(k, v)| match v.as_str() {
                Some(s) => format!("{k}={s}"),
                None => format!("{k}={v}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `comm(pid) <- parent(pid) <- ...`, the process first.
    pub fn ancestry_text(&self) -> String {
        std::iter::once(format!("{}({})", self.process.comm, self.process.pid))
            .chain(
                self.process
                    .ancestry
                    .iter()
                    .map(|a| format!("{}({})", a.comm, a.pid)),
            )
            .collect::<Vec<_>>()
            .join(" <- ")
    }
}

/// How reports name a step (`None`: a process outside any workflow step).
pub fn step_label(step: Option<&str>) -> &str {
    step.unwrap_or("(outside any step)")
}

/// Reads a findings file written by the daemon; a missing file holds no findings.
pub fn read_findings(path: &Path) -> Result<Vec<FindingView>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{}: line {}: not a finding", path.display(), i + 1))
        })
        .collect()
}

/// Everything the reports need.
pub struct JobReport<'a> {
    pub outcome: &'a JobOutcome,
    pub findings: &'a [FindingView],
}

#[cfg(test)]
pub mod fixtures {
    use super::*;
    use crate::egress::{Destination, StepEgress};

    pub fn outcome() -> JobOutcome {
        JobOutcome {
            status: Status::Armed,
            down_reason: None,
            vigil_version: "0.1.0".into(),
            watched_pid: 100,
            fail_on: Severity::Medium,
            signatures: vec![SignatureInfo {
                signature: SignatureReport {
                    id: "VGL-0001".into(),
                    name: "Standard input/output over socket".into(),
                    version: "1.0.0".into(),
                    description: "A shell's stdio | on a socket".into(),
                    severity: Severity::High,
                    mitre: vec!["T1059.004".into()],
                    tags: vec![],
                },
                origin: "builtin:stdio-over-socket".into(),
            }],
            disabled: vec![],
            events: 42,
            lost: 0,
            undecodable: 0,
            failed_calls: 0,
            unjudged: 0,
            suppressed: 0,
            egress: vec![StepEgress {
                step: Some("__run_2".into()),
                names: vec![Destination {
                    target: "evil.example".into(),
                    count: 1,
                    flagged: true,
                    first_by: "python3".into(),
                }],
                addresses: vec![Destination {
                    target: "127.0.0.1:4444".into(),
                    count: 2,
                    flagged: false,
                    first_by: "python3".into(),
                }],
            }],
        }
    }

    pub fn finding() -> FindingView {
        serde_json::from_value(serde_json::json!({
            "timestamp": "2026-11-29T20:00:00.000000000Z",
            "signature": {"id": "VGL-0001", "name": "Standard input/output over socket",
                          "version": "1.0.0", "description": "d", "severity": "high",
                          "mitre": ["T1059.004"], "tags": []},
            "severity": "high",
            "summary": "sh has stdin on a socket to 127.0.0.1:4444",
            "evidence": {"remote": "127.0.0.1:4444"},
            "process": {"pid": 7, "comm": "sh", "exe": "/usr/bin/dash", "argv": ["sh", "-i"],
                        "ancestry": [{"pid": 6, "comm": "python3"}, {"pid": 5, "comm": "bash"}],
                        "step": {"action": "__run_2", "job": "build"}},
            "event": {"kind": "dup"}
        }))
        .unwrap()
    }
}
