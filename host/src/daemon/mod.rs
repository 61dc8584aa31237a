//! Daemon mode, for watching a whole CI job: `vigil start` detaches a daemon (`vigil daemon`,
//! a re-exec of this binary in its own session, its output in `DIR/vigil.log`) and returns only
//! once the daemon has armed capture over the job's process tree, or fails within a bounded
//! time. `vigil stop` ([`stop`]) ends it and writes the reports. The daemon runs the same
//! [`crate::run::Pipeline`] as `vigil run` and leaves in its state directory what `stop` needs: its pid
//! (`vigil.pid`), findings as they happen (`findings.jsonl`), what it loaded once armed
//! (`armed.json`) and its outcome when it finished (`outcome.json`).

pub mod scope;
mod serve;
mod start;
pub mod stop;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub use serve::serve;
pub use start::start;

/// The files of a state directory.
pub struct StateDir(PathBuf);

impl StateDir {
    pub fn new(dir: &Path) -> Self {
        StateDir(dir.to_path_buf())
    }
    pub fn log(&self) -> PathBuf {
        self.0.join("vigil.log")
    }
    pub fn pid(&self) -> PathBuf {
        self.0.join("vigil.pid")
    }
    pub fn findings(&self) -> PathBuf {
        self.0.join("findings.jsonl")
    }
    pub fn armed(&self) -> PathBuf {
        self.0.join("armed.json")
    }
    pub fn outcome(&self) -> PathBuf {
        self.0.join("outcome.json")
    }
    /// Marks a daemon that `vigil stop` ended and that finished properly: a later `vigil stop`
    /// reports the same outcome again instead of calling the daemon down.
    pub fn stopped(&self) -> PathBuf {
        self.0.join("stopped")
    }
    /// What `vigil stop` concluded (status, counts, exit status), for the Action's outputs.
    pub fn result(&self) -> PathBuf {
        self.0.join("result.json")
    }
}

/// A process identified beyond its pid (pids are reused): pid and start time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessId {
    pub pid: u32,
    pub start_time: u64,
}

impl ProcessId {
    /// `None` when no such process exists or it is a zombie.
    pub fn of(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after_comm = stat.get(stat.rfind(')')? + 1..)?;
        let fields: Vec<&str> = after_comm.split_whitespace().collect();
        if *fields.first()? == "Z" || *fields.first()? == "X" {
            return None;
        }
        // Field 22 of stat; the 20th after the comm.
        let start_time = fields.get(19)?.parse().ok()?;
        Some(ProcessId { pid, start_time })
    }

    pub fn is_alive(&self) -> bool {
        ProcessId::of(self.pid) == Some(*self)
    }

    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split_whitespace();
        Some(ProcessId {
            pid: parts.next()?.parse().ok()?,
            start_time: parts.next()?.parse().ok()?,
        })
    }
}

pub fn log_tail(state: &StateDir) -> String {
    let text = std::fs::read_to_string(state.log()).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

pub fn read_pid_file(state: &StateDir) -> Result<Option<ProcessId>> {
    match std::fs::read_to_string(state.pid()) {
        Ok(text) => ProcessId::parse(&text)
            .map(Some)
            .with_context(|| format!("{}: not a Vigil pid file", state.pid().display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", state.pid().display())),
    }
}

/// Writes `value` as JSON to `path` atomically: a reader sees all of it or nothing.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(value)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}
