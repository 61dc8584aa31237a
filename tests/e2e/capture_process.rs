//! The event catalogue, process side: the interpreter of an executed script, and `--all`
//! (every process on the host, never Vigil's own).

use std::{os::unix::fs::PermissionsExt, process::Command};

use serde_json::json;

use crate::{
    capture::{matching, one, record_in, Recording},
    harness::*,
};

/// Scripts executed directly name their interpreter (as their `#!` line does); binaries and a
/// `#!/usr/bin/env` script's second exec do not.
#[test]
fn script_exec_names_its_interpreter() {
    if !privileged() {
        return;
    }
    let dir = scratch("interpreter");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    write("direct.sh", "#!/bin/sh\nexit 0\n");
    write("spaced.sh", "#!  /bin/sh -e\nexit 0\n");
    write("via-env.sh", "#!/usr/bin/env sh\nexit 0\n");
    write("not-a-script", "\u{7f}ELF but not really\n");
    let rec = record_in(
        &dir,
        "interpreter",
        &[],
        &[
            "sh",
            "-c",
            "./direct.sh && ./spaced.sh && ./via-env.sh && /bin/true && { ./not-a-script; true; }",
        ],
        &[],
    );
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    let ev = &rec.events;
    one(
        ev,
        "exec",
        json!({"filename": "./direct.sh", "argv": ["./direct.sh"], "interpreter": "/bin/sh"}),
    );
    one(
        ev,
        "exec",
        json!({"filename": "./spaced.sh", "interpreter": "/bin/sh"}),
    );
    one(
        ev,
        "exec",
        json!({"filename": "./via-env.sh", "interpreter": "/usr/bin/env"}),
    );
    // env then runs sh itself, found on PATH: an ordinary binary.
    let sh = matching(ev, "exec", &json!({"argv": ["sh", "./via-env.sh"]}));
    assert_eq!(sh.len(), 1, "{sh:?}");
    assert_eq!(sh[0]["interpreter"], json!(null));
    one(
        ev,
        "exec",
        json!({"filename": "/bin/true", "interpreter": null}),
    );
    // A file that is neither ELF nor script does not execute: no exec event at all.
    assert!(matching(ev, "exec", &json!({"filename": "./not-a-script"})).is_empty());
}

/// Records `sh -c ...` with `options` while a process the test started beforehand (not the
/// command's descendant) opens a marker file. It acts only once the command tells it to,
/// through a FIFO, and the command waits for it the same way, so it acts while capture is
/// armed. Returns the recording, the outside process's pid and the marker's path.
fn record_with_outside_process(name: &str, options: &[&str]) -> (Recording, u32, String) {
    let dir = scratch(name);
    let go = dir.join("go");
    let done = dir.join("done");
    let marker = dir.join("outside-marker").display().to_string();
    for fifo in [&go, &done] {
        let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid path; creating a FIFO.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    }
    let outside_code = format!(
        "import os\n\
         open({go:?}).read()\n\
         fd = os.open({marker:?}, os.O_RDONLY | os.O_CREAT, 0o600)\n\
         os.close(fd)\n\
         open({done:?}, 'w').write(f'{{fd}}\\n')\n",
        go = go.to_str().unwrap(),
        done = done.to_str().unwrap()
    );
    let mut outside = Command::new("python3")
        .arg("-c")
        .arg(&outside_code)
        .spawn()
        .expect("starting the outside process");
    let rec = record_in(
        &dir,
        name,
        options,
        &["sh", "-c", "echo go > go && cat done"],
        &[],
    );
    assert!(outside.wait().unwrap().success());
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    // `cat done` printed the fd the outside process got.
    assert!(rec.observed.is_i64(), "{}", rec.observed);
    assert!(
        !matching(&rec.events, "exec", &json!({"argv": ["cat", "done"]})).is_empty(),
        "the command's own tree is watched"
    );
    (rec, outside.id(), marker)
}

/// With `--all`, a process that is not the command's descendant is watched too, while
/// Vigil's own thread group never appears; without it, the same process is not watched.
#[test]
fn all_scope_sees_outside_processes_but_never_vigil() {
    if !privileged() {
        return;
    }
    let all = ["--all", "--ring-kib", "65536", "--allow-degraded"];
    let (rec, outside, marker) = record_with_outside_process("scope-all", &all);
    let ev = &rec.events;
    let seen = one(
        ev,
        "open",
        json!({"path": marker,
               "flags": libc::O_RDONLY | libc::O_CREAT | libc::O_CLOEXEC, "mode": 0o600,
               "result": rec.observed}),
    );
    assert_eq!(seen["pid"], outside, "the outside process itself");
    assert_eq!(seen["comm"], "python3");
    assert!(
        ev.iter().all(|e| e["pid"] != rec.vigil_pid),
        "Vigil's own activity (reading /proc for every new process, writing the record) \
         never appears"
    );

    let (rec, outside, marker) = record_with_outside_process("scope-tree", &[]);
    assert!(
        rec.events.iter().all(|e| e["pid"] != outside),
        "without --all, a process outside the command's tree is not watched"
    );
    assert!(matching(&rec.events, "open", &json!({"path": marker})).is_empty());
}
