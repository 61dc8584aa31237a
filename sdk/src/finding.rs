//! Building findings.

use crate::{Finding, Severity};

impl Finding {
    /// A finding with a one-line summary and no evidence yet.
    pub fn new(summary: impl Into<String>) -> Self {
        Finding {
            summary: summary.into(),
            severity: None,
            evidence: Vec::new(),
        }
    }

    /// Adds one evidence entry.
    pub fn with(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.evidence.push((key.into(), value.to_string()));
        self
    }

    /// Overrides the signature's severity for this finding.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    /// The value of an evidence key, if present.
    pub fn evidence(&self, key: &str) -> Option<&str> {
        self.evidence
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
