//! Fuzzes the ring-buffer record decoder and the tracker on arbitrary kernel records
//! (several per input, split on a length prefix so sequences build up tracker state).
#![no_main]

// The host's decoding and enrichment modules, compiled here from their sources (the `vigil`
// crate is a binary). They must sit at the crate root: they refer to each other as `crate::*`.
#[allow(dead_code)]
#[path = "../../host/src/bpf.rs"]
mod bpf;
#[allow(dead_code)]
#[path = "../../host/src/decode.rs"]
mod decode;
#[allow(dead_code, unused_imports)]
#[path = "../../host/src/event.rs"]
mod event;
#[allow(dead_code)]
#[path = "../../host/src/procfs.rs"]
mod procfs;
#[allow(dead_code)]
#[path = "../../host/src/recording.rs"]
mod recording;
#[allow(dead_code)]
#[path = "../../host/src/steps.rs"]
mod steps;
#[allow(dead_code)]
#[path = "../../host/src/tracker.rs"]
mod tracker;

use libfuzzer_sys::fuzz_target;

/// A tracker that never touches this machine's /proc: every question is answered from what
/// the input supplied (nothing, here), as in `vigil replay`.
fn offline_tracker() -> tracker::Tracker {
    tracker::Tracker::with_io(procfs::ProcIo::replay(), 0)
}

fuzz_target!(|data: &[u8]| {
    let mut t = offline_tracker();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let len = (len as usize * 16).min(tail.len());
        let (record, next) = tail.split_at(len);
        rest = next;
        if let Ok(record) = decode::decode(record) {
            if let Some(ev) = t.apply(record) {
                let _ = serde_json::to_string(&ev);
            }
        }
    }
    // Decoding must also hold for one whole input.
    let _ = decode::decode(data);
});
