//! Ready-made events of the kinds unit tests build most (exec, open), with ordinary defaults,
//! so a test states only what its rule looks at. Built on [`crate::testing::event`].

use crate::{testing::event, Event, EventData};

/// A successful exec of `exe` (also its filename) with `argv`, in process `pid`.
pub fn exec<'a>(pid: u32, exe: &'a str, argv: Vec<&'a str>) -> Event<'a> {
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

/// An `openat` of `path` with `flags` by `exe` in process `pid`, returning `result` (an fd,
/// or a negative errno).
pub fn open<'a>(pid: u32, exe: &'a str, path: &'a str, flags: u64, result: i64) -> Event<'a> {
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
