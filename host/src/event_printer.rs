//! `vigil events`: writes a recording's events out, as JSON Lines for people and tools, or in
//! the batched handlers' encoding (`--batch`) for the SDK's native test harness.

use std::io::Write;

use anyhow::{Context, Result};

use crate::{
    event::{batch, Event},
    tracker::Tracker,
};

pub enum EventPrinter {
    Json(Box<dyn Write>),
    Batch(Box<dyn Write>),
}

impl EventPrinter {
    /// Writes `event`; `tracker` knows the process it happened in.
    pub fn print(&mut self, event: &Event, tracker: &Tracker) -> Result<()> {
        match self {
            EventPrinter::Json(out) => {
                let mut line = serde_json::to_vec(event)?;
                line.push(b'\n');
                out.write_all(&line)?;
            }
            EventPrinter::Batch(out) => {
                let known = tracker.process(event.pid);
                let process = vigil_event::Process {
                    pid: event.pid,
                    ppid: known.map_or(0, |p| p.ppid),
                    comm: known.map_or(event.comm.as_str(), |p| p.comm.as_str()),
                    exe: known.map_or("", |p| p.exe.as_str()),
                    argv: known
                        .map_or_else(Vec::new, |p| p.argv.iter().map(String::as_str).collect()),
                };
                let mut bytes = Vec::new();
                batch::push(&mut bytes, event, &process).context("encoding an event")?;
                out.write_all(&bytes)?;
            }
        }
        Ok(())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        match self {
            EventPrinter::Json(out) | EventPrinter::Batch(out) => out.flush(),
        }
    }
}
