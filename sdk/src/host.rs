//! What the host offers a signature: logging and process ancestry.
//!
//! Inside Vigil these call into the host; compiled natively (unit tests) they are no-ops that
//! log to stderr and know no ancestry.

use crate::{LogLevel, Process};

/// Writes a line to Vigil's log, attributed to this signature.
pub fn log(level: LogLevel, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::vigil::signature::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

/// The known ancestry of `pid`, nearest first.
pub fn ancestry(pid: u32) -> Vec<Process> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::vigil::signature::host::ancestry(pid);
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = pid;
        Vec::new()
    }
}
