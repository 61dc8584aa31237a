//! The Markdown job summary (`$GITHUB_STEP_SUMMARY`, or `vigil stop --summary FILE`): status,
//! findings by step with their process ancestry and evidence, the egress table, the signatures
//! loaded or disabled, and lost events.

use std::{collections::BTreeMap, fmt::Write};

use super::{step_label, FindingView, JobReport, Status};

/// GitHub shows at most 1 MiB of summary per step: past this many destinations the egress
/// table lists only the flagged ones, then a count of the rest.
const EGRESS_ROWS: usize = 300;

/// Renders the summary.
pub fn render(report: &JobReport) -> String {
    let o = report.outcome;
    let mut md = String::new();
    let failing = report
        .findings
        .iter()
        .filter(|f| f.severity >= o.fail_on)
        .count();
    let headline = match (o.status, report.findings.len()) {
        (Status::Down, _) => "Vigil was **down**: this job was not watched to the end".to_string(),
        (_, 0) => "no findings".to_string(),
        (_, n) => format!(
            "**{n} finding(s)**, {failing} at or above `{}`",
            o.fail_on.as_str()
        ),
    };
    let _ = writeln!(md, "## Vigil: {headline}\n");
    let _ = writeln!(
        md,
        "| status | findings | events | lost events | signatures | disabled |\n|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        md,
        "| {} | {} | {} | {} | {} | {} |\n",
        status_cell(o.status),
        report.findings.len(),
        o.events,
        o.lost,
        o.signatures.len(),
        o.disabled.len()
    );
    if let Some(reason) = &o.down_reason {
        let _ = writeln!(md, "> [!CAUTION]\n> Vigil was down: {}\n", cell(reason));
    } else if o.status == Status::Degraded {
        let _ = writeln!(
            md,
            "> [!WARNING]\n> Vigil was degraded: {} lost event(s), {} undecodable record(s), \
             {} failed signature call(s), {} disabled signature(s), {} event(s) some signature \
             could not judge.\n",
            o.lost,
            o.undecodable,
            o.failed_calls,
            o.disabled.len(),
            o.unjudged
        );
    }
    findings_by_step(&mut md, report.findings);
    egress(&mut md, report);
    signatures(&mut md, report);
    md
}

fn status_cell(status: Status) -> String {
    match status {
        Status::Armed => "✅ armed".to_string(),
        Status::Degraded => "⚠️ degraded".to_string(),
        Status::Down => "❌ down".to_string(),
    }
}

fn findings_by_step(md: &mut String, findings: &[FindingView]) {
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(md, "### Findings by step\n");
    let mut by_step: BTreeMap<&str, Vec<&FindingView>> = BTreeMap::new();
    for f in findings {
        by_step.entry(f.step_name()).or_default().push(f);
    }
    for (step, findings) in by_step {
        let job = findings[0]
            .process
            .step
            .as_ref()
            .and_then(|s| s.job.as_deref())
            .map(|j| format!(" (job `{}`)", code(j)))
            .unwrap_or_default();
        let _ = writeln!(md, "#### Step `{}`{job}\n", code(step));
        for f in findings {
            let _ = writeln!(
                md,
                "- **{} {}** {}: {}",
                f.severity.as_str().to_uppercase(),
                cell(&f.signature.id),
                cell(&f.signature.name),
                cell(&f.summary)
            );
            let argv = if f.process.argv.is_empty() {
                f.process.comm.clone()
            } else {
                f.process.argv.join(" ")
            };
            let _ = writeln!(
                md,
                "  - process: `{}` (pid {}, exe `{}`)",
                code(&argv),
                f.process.pid,
                code(&f.process.exe)
            );
            let _ = writeln!(md, "  - ancestry: `{}`", code(&f.ancestry_text()));
            if !f.evidence.is_empty() {
                let _ = writeln!(md, "  - evidence: `{}`", code(&f.evidence_text()));
            }
            let mitre = if f.signature.mitre.is_empty() {
                "-".to_string()
            } else {
                f.signature.mitre.join(", ")
            };
            let _ = writeln!(
                md,
                "  - ATT&CK {}; event `{}` at {}",
                cell(&mitre),
                code(&f.event.kind),
                cell(&f.timestamp)
            );
        }
        md.push('\n');
    }
}

fn egress(md: &mut String, report: &JobReport) {
    let rows: Vec<_> = report
        .outcome
        .egress
        .iter()
        .flat_map(|s| {
            let step = step_label(s.step.as_deref());
            s.names
                .iter()
                .map(move |d| (step, "DNS name", d))
                .chain(s.addresses.iter().map(move |d| (step, "address", d)))
        })
        .collect();
    let _ = writeln!(md, "### Egress\n");
    if rows.is_empty() {
        let _ = writeln!(md, "No DNS queries or network connections were seen.\n");
        return;
    }
    let flagged = rows.iter().filter(|(_, _, d)| d.flagged).count();
    if flagged > 0 {
        let _ = writeln!(
            md,
            "{flagged} destination(s) outside `egress-allow` (audit only: nothing was blocked).\n"
        );
    }
    let _ = writeln!(
        md,
        "| step | kind | destination | count | first by | egress-allow |\n|---|---|---|---|---|---|"
    );
    let total = rows.len();
    let shown: Vec<_> = if total > EGRESS_ROWS {
        rows.into_iter()
            .filter(|(_, _, d)| d.flagged)
            .take(EGRESS_ROWS)
            .collect()
    } else {
        rows
    };
    for (step, kind, d) in &shown {
        let _ = writeln!(
            md,
            "| `{}` | {kind} | `{}` | {} | `{}` | {} |",
            code(step),
            code(&d.target),
            d.count,
            code(&d.first_by),
            if d.flagged { "⚠️ outside" } else { "ok" }
        );
    }
    if shown.len() < total {
        let _ = writeln!(
            md,
            "\n{} more destination(s) not listed here (the table is capped at {EGRESS_ROWS}).",
            total - shown.len()
        );
    }
    md.push('\n');
}

fn signatures(md: &mut String, report: &JobReport) {
    let o = report.outcome;
    let _ = writeln!(
        md,
        "<details><summary>Signatures loaded ({})</summary>\n",
        o.signatures.len()
    );
    let _ = writeln!(
        md,
        "| id | name | version | severity | source | state |\n|---|---|---|---|---|---|"
    );
    for (s, origin) in o.signatures.iter().map(|s| (&s.signature, &s.origin)) {
        let state = o.disabled.iter().find(|d| d.id == s.id).map_or_else(
            || "active".to_string(),
            |d| format!("**disabled**: {}", cell(&d.reason)),
        );
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | `{}` | {state} |",
            cell(&s.id),
            cell(&s.name),
            cell(&s.version),
            s.severity.as_str(),
            code(origin)
        );
    }
    let _ = writeln!(
        md,
        "\n{} event(s) judged, {} lost, {} undecodable, {} failed signature call(s), {} finding(s) \
         suppressed by rate limit.\n\n</details>",
        o.events, o.lost, o.undecodable, o.failed_calls, o.suppressed
    );
}

/// Text safe inside a table cell or a list item: no line breaks, no column separators, no
/// HTML.
fn cell(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text safe inside an inline code span (which cannot hold a backtick or a line break).
fn code(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
        .replace('`', "'")
        .replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::fixtures;

    #[test]
    fn lists_findings_by_step_with_ancestry_evidence_and_egress() {
        let outcome = fixtures::outcome();
        let findings = [fixtures::finding()];
        let md = render(&JobReport {
            outcome: &outcome,
            findings: &findings,
        });
        assert!(
            md.contains("## Vigil: **1 finding(s)**, 1 at or above `medium`"),
            "{md}"
        );
        assert!(md.contains("| ✅ armed | 1 | 42 | 0 | 1 | 0 |"), "{md}");
        assert!(md.contains("#### Step `__run_2` (job `build`)"), "{md}");
        assert!(
            md.contains("ancestry: `sh(7) <- python3(6) <- bash(5)`"),
            "{md}"
        );
        assert!(md.contains("evidence: `remote=127.0.0.1:4444`"), "{md}");
        assert!(
            md.contains("| `__run_2` | DNS name | `evil.example` | 1 | `python3` | ⚠️ outside |")
        );
        assert!(md.contains("| `__run_2` | address | `127.0.0.1:4444` | 2 | `python3` | ok |"));
        // A description holding a table separator cannot break the table.
        assert!(!md.contains("stdio | on"));
    }

    #[test]
    fn a_long_egress_table_keeps_the_flagged_rows() {
        use crate::egress::Destination;
        let mut outcome = fixtures::outcome();
        let many = (0..EGRESS_ROWS + 5).map(|i| Destination {
            target: format!("10.0.0.{i}:443"),
            count: 1,
            flagged: i == 7,
            first_by: "curl".into(),
        });
        outcome.egress[0].addresses = many.collect();
        let md = render(&JobReport {
            outcome: &outcome,
            findings: &[],
        });
        assert!(
            md.contains("| `10.0.0.7:443` | 1 | `curl` | ⚠️ outside |"),
            "{md}"
        );
        assert!(!md.contains("10.0.0.8:443"));
        // The flagged DNS name and address stay; every other row is counted.
        let rest = EGRESS_ROWS + 5 + 1 - 2;
        assert!(
            md.contains(&format!("{rest} more destination(s) not listed here")),
            "{md}"
        );
    }

    #[test]
    fn down_says_so() {
        let mut outcome = fixtures::outcome();
        outcome.status = Status::Down;
        outcome.down_reason = Some("the daemon (pid 9) died".into());
        let md = render(&JobReport {
            outcome: &outcome,
            findings: &[],
        });
        assert!(md.contains("Vigil was **down**"), "{md}");
        assert!(
            md.contains("> Vigil was down: the daemon (pid 9) died"),
            "{md}"
        );
        assert!(md.contains("❌ down"));
    }
}
