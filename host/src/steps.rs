//! Which workflow step a process belongs to. The runner starts every step's processes with
//! `GITHUB_ACTION` (the step's id: `__run_2`, or the action's name) in their environment;
//! capture reads that variable, among a few allowlisted ones, at every exec. A process belongs
//! to the step named by its own exec, or else by its nearest ancestor's: the process tree
//! decides, never the time at which something happened.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::tracker::Tracker;

/// A workflow step, as the runner names it in the environment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Step {
    /// `GITHUB_ACTION`.
    pub action: String,
    /// `GITHUB_JOB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// `GITHUB_WORKFLOW`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// `GITHUB_RUN_ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
}

impl Step {
    /// The step an exec's selected environment names, if it names one.
    pub fn from_env<'a>(env: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Arc<Step>> {
        let mut step = Step {
            action: String::new(),
            job: None,
            workflow: None,
            run_id: None,
        };
        for (name, value) in env {
            match name {
                "GITHUB_ACTION" => step.action = value.to_string(),
                "GITHUB_JOB" => step.job = Some(value.to_string()),
                "GITHUB_WORKFLOW" => step.workflow = Some(value.to_string()),
                "GITHUB_RUN_ID" => step.run_id = Some(value.to_string()),
                _ => {}
            }
        }
        (!step.action.is_empty()).then(|| Arc::new(step))
    }
}

/// The step `pid` belongs to: its own exec's, else its nearest ancestor's.
pub fn step_of(tracker: &Tracker, pid: u32) -> Option<Arc<Step>> {
    let own = tracker.process(pid)?;
    own.step.clone().or_else(|| {
        tracker
            .ancestry(pid)
            .into_iter()
            .find_map(|a| a.step.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_needs_github_action() {
        assert_eq!(Step::from_env([("GITHUB_JOB", "build")]), None);
        let step = Step::from_env([
            ("LD_PRELOAD", "/x.so"),
            ("GITHUB_ACTION", "__run_2"),
            ("GITHUB_JOB", "build"),
        ])
        .unwrap();
        assert_eq!(step.action, "__run_2");
        assert_eq!(step.job.as_deref(), Some("build"));
        assert_eq!(step.workflow, None);
    }
}
