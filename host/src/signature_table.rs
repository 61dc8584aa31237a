//! The README's signature table, generated from the signatures' own metadata
//! (`vigil signatures list --markdown`, written into README.md by `make signature-table`) so the
//! documentation cannot drift from what the signatures declare.

use crate::sandbox::Metadata;

/// The Tracee signature a signature ports, from its `tracee:TRC-NNN` tag.
fn tracee_id(metadata: &Metadata) -> Option<&str> {
    metadata.tags.iter().find_map(|t| t.strip_prefix("tracee:"))
}

/// A table cell: pipes would end the cell early, newlines the row, and `<pid>` would be
/// read as an HTML tag.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}

/// A Markdown table of `signatures`, one row each, sorted by id.
pub fn markdown(signatures: &[&Metadata]) -> String {
    let mut rows: Vec<&&Metadata> = signatures.iter().collect();
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    let mut out = String::from(
        "| id | name | severity | ATT&CK | Tracee | events |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for m in rows {
        let events: Vec<&str> = m.events.iter().map(|k| k.as_str()).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            cell(&m.id),
            cell(&m.name),
            m.severity.as_str(),
            cell(&m.mitre.join(", ")),
            cell(tracee_id(m).unwrap_or("")),
            events.join(", "),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Severity;
    use vigil_event::Kind;

    fn metadata(id: &str, name: &str, tags: &[&str]) -> Metadata {
        Metadata {
            id: id.into(),
            name: name.into(),
            version: "1.0.0".into(),
            description: String::new(),
            severity: Severity::High,
            mitre: vec!["T1055".into(), "T1055.009".into()],
            tags: tags.iter().map(|t| t.to_string()).collect(),
            events: vec![Kind::Open, Kind::ProcessVm],
            config_keys: Vec::new(),
        }
    }

    #[test]
    fn rows_are_sorted_with_the_tracee_id_from_tags() {
        let b = metadata("VGL-0002", "Pipes | and <tags>", &["tracee:TRC-1024"]);
        let a = metadata("VGL-0001", "First", &["injection"]);
        let table = markdown(&[&b, &a]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[2],
            "| VGL-0001 | First | high | T1055, T1055.009 |  | open, process_vm |"
        );
        assert_eq!(
            lines[3],
            "| VGL-0002 | Pipes \\| and &lt;tags&gt; | high | T1055, T1055.009 | TRC-1024 | open, process_vm |"
        );
    }
}
