//! The native test harness: runs a signature with plain `cargo test`, no Wasm and no kernel,
//! the way Vigil would — settings checked against the declared keys, only selected kinds
//! delivered — on hand-built events or on a batch file recorded with `vigil events --batch`.
//!
//! ```ignore
//! let mut h = Harness::<MySignature>::new();
//! let findings = h.feed(&testing::event(42, "/usr/bin/bash", EventData::Fork { child_pid: 43 }));
//! assert!(findings.is_empty());
//! let caught = h.replay(include_bytes!("../tests/attack.batch"));
//! ```

use std::{cell::RefCell, collections::HashMap};

use crate::{
    host::Ancestor, kinds, open_interest::Matcher, Event, EventData, Finding, Metadata, Signature,
};

/// One signature, driven natively.
pub struct Harness<S: Signature> {
    signature: S,
    metadata: Metadata,
    /// The signature's own `open_interest`, asked once configured, as Vigil does.
    opens: Matcher,
}

impl<S: Signature> Default for Harness<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Signature> Harness<S> {
    pub fn new() -> Self {
        let signature = S::default();
        Harness {
            opens: interest_of(&signature),
            signature,
            metadata: S::metadata(),
        }
    }

    /// A harness whose signature was configured with `settings`; fails as Vigil would on a key
    /// the signature does not declare, or on a value it refuses.
    pub fn with_settings(settings: &[(&str, &str)]) -> Result<Self, String> {
        let mut h = Self::new();
        for (key, _) in settings {
            if !h.metadata.config_keys.iter().any(|k| k.name == *key) {
                return Err(format!("{} has no setting {key:?}", h.metadata.id));
            }
        }
        let owned: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        h.signature.configure(&owned)?;
        h.opens = interest_of(&h.signature);
        Ok(h)
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The findings for one event; none when the signature did not select its kind, or the
    /// event is an open its `open_interest` does not want.
    pub fn feed(&mut self, event: &Event) -> Vec<Finding> {
        let wanted = match event.data {
            EventData::Open { path, flags, .. } => self.opens.wants(path, flags),
            _ => true,
        };
        if wanted && kinds::selects(&self.metadata, event.data.kind()) {
            self.signature.on_event(event)
        } else {
            Vec::new()
        }
    }

    /// The findings for events in order.
    pub fn feed_all<'a>(
        &mut self,
        events: impl IntoIterator<Item = &'a Event<'a>>,
    ) -> Vec<Finding> {
        events.into_iter().flat_map(|e| self.feed(e)).collect()
    }

    /// The findings for a batch file (`vigil events --batch OUT RECORDING`), each with the
    /// position of its event in the file. Panics on a malformed file: it is a test input.
    pub fn replay(&mut self, batch: &[u8]) -> Vec<(usize, Finding)> {
        let mut out = Vec::new();
        for (i, event) in vigil_event::batch::read(batch).enumerate() {
            let event = event.unwrap_or_else(|e| panic!("event {i} of the batch file: {e}"));
            out.extend(self.feed(&event).into_iter().map(|f| (i, f)));
        }
        out
    }
}

/// The signature's interest, checked as Vigil checks it: a test fails on one Vigil would refuse.
fn interest_of<S: Signature>(signature: &S) -> Matcher {
    let interest = signature.open_interest();
    if let Err(e) = interest.check() {
        panic!("{}: {e}", S::metadata().id);
    }
    interest.matcher()
}

/// An event in process `pid` running `exe`, with the other fields zero or empty: enough for
/// most rules. Adjust fields on the result (`e.process.argv = ...`, `e.event.uid = ...`).
pub fn event<'a>(pid: u32, exe: &'a str, data: EventData<'a>) -> Event<'a> {
    let comm = crate::paths::basename(exe);
    vigil_event::Observed {
        event: vigil_event::Event {
            timestamp_ns: 0,
            pid,
            tid: pid,
            uid: 0,
            gid: 0,
            cgroup_id: 0,
            mnt_ns: 0,
            comm,
            data,
        },
        process: vigil_event::Process {
            pid,
            ppid: 1,
            comm,
            exe,
            argv: vec![exe],
        },
    }
}

thread_local! {
    static ANCESTRY: RefCell<HashMap<u32, Vec<Ancestor>>> = RefCell::new(HashMap::new());
}

/// What [`crate::host::ancestry`] answers for `pid` in native tests on this thread.
pub fn set_ancestry(pid: u32, ancestors: Vec<Ancestor>) {
    ANCESTRY.with(|a| a.borrow_mut().insert(pid, ancestors));
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn ancestry_of(pid: u32) -> Vec<Ancestor> {
    ANCESTRY.with(|a| a.borrow().get(&pid).cloned().unwrap_or_default())
}

/// An ancestor for [`set_ancestry`].
pub fn ancestor(pid: u32, exe: &str, argv: &[&str]) -> Ancestor {
    Ancestor {
        pid,
        ppid: 0,
        comm: crate::paths::basename(exe).to_string(),
        exe: exe.to_string(),
        argv: argv.iter().map(|a| a.to_string()).collect(),
    }
}

/// An `openat` of `path` with `flags` by process 100 running `exe`, succeeding (fd 3).
pub fn open<'a>(exe: &'a str, path: &'a str, flags: u64) -> Event<'a> {
    let mut e = open_as(100, exe, path, flags, 3);
    if let EventData::Open { mode, .. } = &mut e.event.data {
        *mode = 0o644;
    }
    e
}

/// An `openat` of `path` with `flags` by `exe` in process `pid`, returning `result` (an fd,
/// or a negative errno).
pub fn open_as<'a>(pid: u32, exe: &'a str, path: &'a str, flags: u64, result: i64) -> Event<'a> {
    event(
        pid,
        exe,
        EventData::Open {
            syscall: "openat",
            path,
            flags,
            mode: 0,
            resolve: None,
            result,
        },
    )
}

/// A successful `rename` of `from` onto `to` by process 100 running `exe`.
pub fn rename<'a>(exe: &'a str, from: &'a str, to: &'a str) -> Event<'a> {
    event(
        100,
        exe,
        EventData::Rename {
            syscall: "rename",
            old_path: from,
            new_path: to,
            flags: 0,
            result: 0,
        },
    )
}

/// A successful exec of `filename` (as given, and as the process's exe) by process `pid`,
/// with no environment of note; set `env` on the result for one.
pub fn exec(pid: u32, filename: &str) -> Event<'_> {
    exec_argv(pid, filename, vec![filename])
}

/// A successful exec of `exe` (also its filename) with `argv`, in process `pid`.
pub fn exec_argv<'a>(pid: u32, exe: &'a str, argv: Vec<&'a str>) -> Event<'a> {
    event(
        pid,
        exe,
        EventData::Exec {
            filename: exe,
            argv,
            argv_truncated: false,
            env: Default::default(),
            interpreter: None,
        },
    )
}
