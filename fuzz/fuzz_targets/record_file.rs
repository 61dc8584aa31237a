//! Fuzzes the record-file reader and everything a replay does with what it reads: framing,
//! bincode, wire decoding, and enrichment with recorded /proc answers.
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
    let Ok(frames) = recording::parse(data) else {
        return;
    };
    let mut t = offline_tracker();
    for (i, (_, frame)) in frames.iter().enumerate() {
        let answers = frames[i + 1..].iter().map_while(|(_, f)| match f {
            recording::Frame::Proc(a) => Some(a.clone()),
            _ => None,
        });
        match frame {
            recording::Frame::Root { pid, ppid, argv } => {
                t.io.feed(answers);
                t.add_root(*pid, *ppid, argv.clone());
                t.io.settle();
            }
            recording::Frame::Kernel(bytes) => {
                t.io.feed(answers);
                if let Ok(record) = decode::decode(bytes) {
                    if let Some(ev) = t.apply(record) {
                        let _ = serde_json::to_string(&ev);
                        let _ = t.ancestry(ev.pid);
                    }
                }
                t.io.settle();
            }
            _ => {}
        }
    }
});
