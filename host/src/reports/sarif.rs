//! SARIF 2.1.0 for code scanning: one rule per loaded signature, one result per finding. A
//! runtime finding has no line of source; on GitHub its location is the workflow file that ran
//! the job (from `GITHUB_WORKFLOW_REF`).

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{FindingView, JobReport, Status};
use crate::{cli::Severity, report::SignatureReport};

/// The schema SARIF files name.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF log. `workflow_file`: the repository path of the workflow that ran the job.
pub fn render(report: &JobReport, workflow_file: Option<&str>) -> Value {
    let o = report.outcome;
    let mut rules: Vec<Value> = o.signatures.iter().map(|s| rule(&s.signature)).collect();
    let mut rule_ids: Vec<String> = o
        .signatures
        .iter()
        .map(|s| s.signature.id.clone())
        .collect();
    let mut results = Vec::new();
    for f in report.findings {
        let index = match rule_ids.iter().position(|id| *id == f.signature.id) {
            Some(i) => i,
            None => {
                // A finding from a signature the outcome does not list (the daemon went down
                // before saying what it loaded): describe the rule from the finding.
                rules.push(rule(&f.signature));
                rule_ids.push(f.signature.id.clone());
                rule_ids.len() - 1
            }
        };
        results.push(result(f, index, workflow_file));
    }
    let notifications: Vec<Value> = match o.status {
        Status::Armed => vec![],
        status => vec![json!({
            "level": if status == Status::Down { "error" } else { "warning" },
            "message": {"text": format!(
                "Vigil was {}: {}",
                status.as_str(),
                o.down_reason.as_deref().unwrap_or("some activity may have gone unjudged")
            )},
        })],
    };
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "Vigil",
                "semanticVersion": o.vigil_version,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": o.status != Status::Down,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

fn rule(s: &SignatureReport) -> Value {
    let mut tags = vec!["security".to_string()];
    tags.extend(s.mitre.iter().cloned());
    let description = if s.description.is_empty() {
        &s.name
    } else {
        &s.description
    };
    json!({
        "id": s.id,
        "name": s.name,
        "shortDescription": {"text": s.name},
        "fullDescription": {"text": description},
        "defaultConfiguration": {"level": level(s.severity)},
        "properties": {
            "tags": tags,
            "security-severity": security_severity(s.severity),
        },
    })
}

fn result(f: &FindingView, rule_index: usize, workflow_file: Option<&str>) -> Value {
    let step = f.step_name();
    let mut fingerprint = Sha256::new();
    for part in [&f.signature.id, step, &f.process.exe, &f.summary] {
        fingerprint.update(part.as_bytes());
        fingerprint.update([0]);
    }
    let locations: Vec<Value> = workflow_file
        .map(|file| {
            json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": file},
                    "region": {"startLine": 1},
                },
                "message": {"text": format!("step {step}")},
            })
        })
        .into_iter()
        .collect();
    json!({
        "ruleId": f.signature.id,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": format!(
            "{} (step {step}; process {}; evidence {})",
            f.summary,
            f.ancestry_text(),
            f.evidence_text()
        )},
        "locations": locations,
        "partialFingerprints": {"vigilFinding/v1": format!("{:x}", fingerprint.finalize())},
        "properties": {
            "step": step,
            "severity": f.severity.as_str(),
            "timestamp": f.timestamp,
            "process": {"pid": f.process.pid, "comm": f.process.comm, "exe": f.process.exe,
                        "argv": f.process.argv},
            "evidence": f.evidence,
            "event": f.event.kind,
        },
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's 0.0-10.0 scale (as a string) for its critical/high/medium/low bands.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.5",
    }
}

/// The repository path of the workflow file, from `GITHUB_WORKFLOW_REF`
/// (`owner/repo/.github/workflows/ci.yml@refs/heads/main`).
pub fn workflow_file_from_env() -> Option<String> {
    let r = std::env::var("GITHUB_WORKFLOW_REF").ok()?;
    let path = r.split('@').next()?;
    let at = path.find(".github/workflows/")?;
    Some(path[at..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::fixtures;

    #[test]
    fn one_rule_per_signature_one_result_per_finding() {
        let outcome = fixtures::outcome();
        let findings = [fixtures::finding()];
        let log = render(
            &JobReport {
                outcome: &outcome,
                findings: &findings,
            },
            Some(".github/workflows/ci.yml"),
        );
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "VGL-0001");
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["properties"]["security-severity"],
            "8.0"
        );
        let r = &run["results"][0];
        assert_eq!(r["ruleId"], "VGL-0001");
        assert_eq!(r["ruleIndex"], 0);
        assert_eq!(r["level"], "error");
        assert_eq!(r["properties"]["step"], "__run_2");
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            ".github/workflows/ci.yml"
        );
    }
}
