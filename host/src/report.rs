//! Findings and how they are reported: a readable block on stderr and JSON Lines.

use std::{
    io::Write,
    time::{Duration, UNIX_EPOCH},
};

use serde::Serialize;

use crate::{
    cli::Severity,
    event::Event,
    sandbox::{Metadata, RawFinding},
    tracker::Tracker,
};

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// RFC 3339, UTC, nanoseconds.
    pub timestamp: String,
    pub signature: SignatureReport,
    /// The finding's severity: the signature's, unless the finding overrode it.
    pub severity: Severity,
    pub summary: String,
    pub evidence: serde_json::Map<String, serde_json::Value>,
    pub process: ProcessReport,
    pub event: Event,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct SignatureReport {
    pub id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub severity: Severity,
    pub mitre: Vec<String>,
    pub tags: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProcessReport {
    pub pid: u32,
    pub ppid: u32,
    pub tid: u32,
    pub uid: u32,
    pub gid: u32,
    pub comm: String,
    pub exe: String,
    pub argv: Vec<String>,
    /// Parent first, then grandparent, ...
    pub ancestry: Vec<AncestorReport>,
    /// The workflow step whose process tree this process belongs to (see `steps`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<crate::steps::Step>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AncestorReport {
    pub pid: u32,
    pub comm: String,
    pub exe: String,
    pub argv: Vec<String>,
}

impl ProcessReport {
    pub fn new(tracker: &Tracker, event: &Event) -> Self {
        let p = tracker.process(event.pid);
        ProcessReport {
            pid: event.pid,
            ppid: p.map_or(0, |p| p.ppid),
            tid: event.tid,
            uid: event.uid,
            gid: event.gid,
            comm: p.map_or_else(|| event.comm.clone(), |p| p.comm.clone()),
            exe: p.map(|p| p.exe.clone()).unwrap_or_default(),
            argv: p.map(|p| p.argv.clone()).unwrap_or_default(),
            ancestry: tracker
                .ancestry(event.pid)
                .into_iter()
                .map(|a| AncestorReport {
                    pid: a.pid,
                    comm: a.comm.clone(),
                    exe: a.exe.clone(),
                    argv: a.argv.clone(),
                })
                .collect(),
            step: crate::steps::step_of(tracker, event.pid).map(|s| (*s).clone()),
        }
    }
}

impl SignatureReport {
    pub fn of(meta: &Metadata) -> Self {
        SignatureReport {
            id: meta.id.clone(),
            name: meta.name.clone(),
            version: meta.version.clone(),
            description: meta.description.clone(),
            severity: meta.severity,
            mitre: meta.mitre.clone(),
            tags: meta.tags.clone(),
        }
    }
}

impl Finding {
    pub fn new(meta: &Metadata, raw: RawFinding, process: ProcessReport, event: &Event) -> Self {
        let time = UNIX_EPOCH + Duration::from_nanos(event.timestamp_ns);
        Finding {
            timestamp: humantime::format_rfc3339_nanos(time).to_string(),
            signature: SignatureReport::of(meta),
            severity: raw.severity.unwrap_or(meta.severity),
            summary: if raw.summary.is_empty() {
                meta.description.clone()
            } else {
                raw.summary
            },
            evidence: raw
                .evidence
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect(),
            process,
            event: event.clone(),
        }
    }

    /// The human-readable block printed on stderr.
    pub fn render(&self) -> String {
        let p = &self.process;
        let mut out = format!(
            "vigil: FINDING [{}] {} {}\n  summary:  {}\n  ATT&CK:   {}\n  process:  pid {} (ppid {}) {} exe={}\n  argv:     {}\n",
            self.severity.as_str().to_uppercase(),
            self.signature.id,
            self.signature.name,
            self.summary,
            if self.signature.mitre.is_empty() { "-".to_string() } else { self.signature.mitre.join(", ") },
            p.pid,
            p.ppid,
            p.comm,
            p.exe,
            shell_words(&p.argv),
        );
        if !p.ancestry.is_empty() {
            let chain: Vec<String> = p
                .ancestry
                .iter()
                .map(|a| format!("{}({})", a.comm, a.pid))
                .collect();
            out.push_str(&format!("  ancestry: {}\n", chain.join(" <- ")));
        }
        if !self.evidence.is_empty() {
            let ev: Vec<String> = self
                .evidence
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            out.push_str(&format!("  evidence: {}\n", ev.join(" ")));
        }
        out.push_str(&format!(
            "  event:    {} at {}\n",
            self.event.data.kind().as_str(),
            self.timestamp
        ));
        out
    }
}

fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes findings as they come: stderr always, a JSON Lines file when asked.
pub struct Reporter {
    jsonl: Option<std::io::BufWriter<std::fs::File>>,
    pub findings: Vec<Finding>,
}

impl Reporter {
    pub fn new(jsonl: Option<&std::path::Path>) -> anyhow::Result<Self> {
        use anyhow::Context;
        let jsonl = match jsonl {
            Some(path) => Some(std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating findings file {}", path.display()))?,
            )),
            None => None,
        };
        Ok(Reporter {
            jsonl,
            findings: Vec::new(),
        })
    }

    pub fn report(&mut self, finding: Finding) -> anyhow::Result<()> {
        eprint!("{}", finding.render());
        if let Some(out) = self.jsonl.as_mut() {
            serde_json::to_writer(&mut *out, &finding)?;
            out.write_all(b"\n")?;
            out.flush()?;
        }
        self.findings.push(finding);
        Ok(())
    }
}
