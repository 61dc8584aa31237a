//! After a run, Vigil's programs are detached in the background by a `vigil-detach` process,
//! which gives way to any Vigil starting meanwhile (the attach gate): detaching and attaching
//! contend for one kernel lock, and steps run back to back must not wait on each other.

use std::{
    collections::BTreeMap,
    fs::File,
    os::{fd::AsRawFd, unix::process::CommandExt},
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::harness::*;

/// Where Vigil keeps the attach gate's lock files (the first place `AttachGate::system` could
/// create them).
fn gate_dir() -> PathBuf {
    [
        PathBuf::from("/run/lock"),
        PathBuf::from("/var/lock"),
        std::env::temp_dir(),
    ]
    .into_iter()
    .find(|dir| dir.join("vigil-attach.lock").is_file())
    .expect("Vigil created the attach gate's files")
}

/// Holds the gate as a starting Vigil does: the turnstile, then the gate, both shared, waiting
/// for the close in flight.
struct Gate {
    _held: [File; 2],
}

impl Gate {
    fn hold() -> Self {
        let files = ["vigil-attach-turnstile.lock", "vigil-attach.lock"].map(|name| {
            let file = File::open(gate_dir().join(name)).expect("Vigil created the gate's files");
            // SAFETY: flock on a descriptor this test owns.
            assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH) }, 0);
            file
        });
        Gate { _held: files }
    }
}

/// The `vigil-detach` processes of process group `group`, with how many attachments (BPF
/// links, perf events) each holds.
fn detachers(group: u32) -> BTreeMap<u32, usize> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != "vigil-detach" {
            continue;
        }
        // After the command's name: state, parent, process group. An exited one waits to be
        // reaped by whoever adopted it: it is gone for this test.
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .map(|(_, rest)| rest.split(' ').take(3).collect())
            .unwrap_or_default();
        let [state, _, pgrp] = fields[..] else {
            continue;
        };
        if state == "Z" || pgrp.parse() != Ok(group) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let held = fds
            .flatten()
            .filter(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|target| {
                    let target = target.to_string_lossy();
                    target == "anon_inode:bpf_link" || target == "anon_inode:[perf_event]"
                })
            })
            .count();
        found.insert(pid, held);
    }
    found
}

/// `vigil run -- true` as the leader of a process group of its own, whose id it returns. Its
/// background detacher stays in that group, which tells it apart from the detachers of other
/// tests' runs: those that ended while this one armed (15 s in the emulated kernel guest) have
/// spent their patience on it, and close without waiting.
fn run_in_own_group() -> u32 {
    let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["run", "--", "true"])
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running vigil");
    let group = child.id();
    let out = child.wait_with_output().expect("waiting for vigil");
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("--- vigil detach-gate: {}\n{stderr}", out.status);
    assert!(out.status.success(), "{stderr}");
    group
}

#[test]
fn the_background_detach_waits_while_a_vigil_attaches_then_detaches_everything() {
    if !privileged() {
        return;
    }
    let group = run_in_own_group();

    // Ours has ~100 attachments to close at several per second: it is still at it.
    let gate = Gate::hold();
    let before = detachers(group);
    assert!(
        before.values().any(|&held| held > 0),
        "no vigil-detach process of the run holds attachments: {before:?}"
    );
    // Well within a detacher's patience (10 s in all).
    std::thread::sleep(Duration::from_millis(1000));
    let during = detachers(group);
    for (pid, held) in &before {
        assert_eq!(
            during.get(pid),
            Some(held),
            "vigil-detach {pid} closed attachments while a Vigil held the gate"
        );
    }

    drop(gate);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left: Vec<u32> = detachers(group).into_keys().collect();
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "vigil-detach {left:?} still running 120 s after the gate opened"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
