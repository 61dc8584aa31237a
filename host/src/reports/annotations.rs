//! GitHub workflow-command annotations (`::error title=...::message` on stdout): one per
//! finding (an error when it fails the job, a warning below `--fail-on`), one for a degraded or
//! down monitor, one per destination outside `egress-allow`.

use super::{step_label, JobReport, Status};

/// The annotation lines, each ending in a newline.
pub fn render(report: &JobReport) -> String {
    let o = report.outcome;
    let mut out = String::new();
    match o.status {
        Status::Down => command(
            &mut out,
            "error",
            "Vigil was down",
            o.down_reason
                .as_deref()
                .unwrap_or("the monitor was not running at the end of the job"),
        ),
        Status::Degraded => command(
            &mut out,
            "warning",
            "Vigil was degraded",
            &format!(
                "{} lost event(s), {} failed signature call(s), {} disabled signature(s)",
                o.lost,
                o.failed_calls,
                o.disabled.len()
            ),
        ),
        Status::Armed => {}
    }
    for f in report.findings {
        let level = if f.severity >= o.fail_on {
            "error"
        } else {
            "warning"
        };
        let title = format!(
            "Vigil {} {} ({})",
            f.signature.id,
            f.signature.name,
            f.severity.as_str()
        );
        let message = format!(
            "{} in step {}: {} [{}]",
            f.summary,
            f.step_name(),
            f.ancestry_text(),
            f.evidence_text()
        );
        command(&mut out, level, &title, &message);
    }
    for step in &o.egress {
        for d in step
            .names
            .iter()
            .chain(&step.addresses)
            .filter(|d| d.flagged)
        {
            command(
                &mut out,
                "warning",
                "Vigil egress outside egress-allow",
                &format!(
                    "step {} contacted {} ({}x, first by {})",
                    step_label(step.step.as_deref()),
                    d.target,
                    d.count,
                    d.first_by
                ),
            );
        }
    }
    out
}

fn command(out: &mut String, level: &str, title: &str, message: &str) {
    out.push_str(&format!(
        "::{level} title={}::{}\n",
        escape_property(title),
        escape_data(message)
    ));
}

/// The runner's escaping for a command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The runner's escaping for a command's property values.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{cli::Severity, reports::fixtures};

    #[test]
    fn findings_become_errors_or_warnings_by_fail_on() {
        let mut outcome = fixtures::outcome();
        let findings = [fixtures::finding()];
        let text = render(&JobReport {
            outcome: &outcome,
            findings: &findings,
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "::error title=Vigil VGL-0001 Standard input/output over socket (high)::sh has stdin \
             on a socket to 127.0.0.1:4444 in step __run_2: sh(7) <- python3(6) <- bash(5) \
             [remote=127.0.0.1:4444]"
        );
        assert_eq!(
            lines[1],
            "::warning title=Vigil egress outside egress-allow::step __run_2 contacted \
             evil.example (1x, first by python3)"
        );
        assert_eq!(lines.len(), 2);
        outcome.fail_on = Severity::Critical;
        let text = render(&JobReport {
            outcome: &outcome,
            findings: &findings,
        });
        assert!(text.starts_with("::warning title=Vigil VGL-0001"), "{text}");
    }

    #[test]
    fn messages_cannot_inject_commands() {
        assert_eq!(escape_data("a\n::error::x%"), "a%0A::error::x%25");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
