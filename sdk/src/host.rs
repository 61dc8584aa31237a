//! What the host offers a signature: logging and process ancestry.
//!
//! Inside Vigil these call into the host; compiled natively (unit tests) logging goes to
//! stderr and ancestry comes from [`crate::testing::set_ancestry`].

use crate::LogLevel;

/// A process in an ancestry answer (owned: it outlives the batch).
pub type Ancestor = vigil_event::Process<String>;

/// Writes a line to Vigil's log, attributed to this signature.
pub fn log(level: LogLevel, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::vigil::signature::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

/// The known ancestry of `pid`, nearest first (parent, grandparent, ...).
pub fn ancestry(pid: u32) -> Vec<Ancestor> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::vigil::signature::host::ancestry(pid)
        .into_iter()
        .map(|p| Ancestor {
            pid: p.pid,
            ppid: p.ppid,
            comm: p.comm,
            exe: p.exe,
            argv: p.argv,
        })
        .collect();
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::ancestry_of(pid)
}
