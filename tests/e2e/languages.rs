//! Signatures written in other languages load from a directory next to the default set and
//! catch real behaviour: VGL-0100, written in Python (signatures-wasm/python/interpreter-shell,
//! built by `make python-signatures` with componentize-py), and VGL-0101, written in JavaScript
//! (signatures-wasm/javascript/shell-connect, built by `make js-signatures` with
//! componentize-js).

use std::path::PathBuf;

use crate::harness::*;

/// A generous per-call budget: the Python component is large and, uncached, its first load and
/// call are slow (under emulation especially). Measured calls take well under the 50 ms default.
const DEADLINE_MS: &str = "20000";

/// A directory holding only `file` (e.g. `interpreter-shell.wasm`), one of the signatures
/// `make extra-signatures` builds into target/signatures-extra, or taken from
/// `VIGIL_E2E_EXTRA_SIGNATURES` (the kernel-matrix guest, whose workspace is read-only).
fn extra_signature_dir(file: &str) -> PathBuf {
    let built = std::env::var_os("VIGIL_E2E_EXTRA_SIGNATURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/signatures-extra"))
        .join(file);
    assert!(
        built.is_file(),
        "{} is missing: run `make extra-signatures`",
        built.display()
    );
    let dir = scratch_root().join("extra-signatures").join(file);
    std::fs::create_dir_all(&dir).unwrap();
    let partial = dir.join(format!(".part.{:?}", std::thread::current().id()));
    std::fs::copy(&built, &partial).unwrap();
    std::fs::rename(&partial, dir.join(file)).unwrap();
    dir
}

#[test]
fn python_signature_catches_an_interpreter_spawning_a_shell() {
    if !privileged() {
        return;
    }
    let dir = extra_signature_dir("interpreter-shell.wasm")
        .display()
        .to_string();
    let script = r#"import subprocess; subprocess.run(["sh", "-c", "true"])"#;
    let run = vigil_run(
        "python-signature",
        &[
            "--signatures",
            &dir,
            "--signature-deadline-ms",
            DEADLINE_MS,
            "--fail-on",
            "low",
        ],
        &["python3", "-c", script],
    );
    assert_eq!(
        run.code, EXIT_FINDING,
        "a low finding fails with --fail-on low"
    );
    assert!(
        loaded_with_defaults(&run.stderr, "VGL-0100"),
        "the Python signature loads next to the default set"
    );
    assert_eq!(run.findings.len(), 1, "{:#?}", run.findings);
    let f = &run.findings[0];
    assert_eq!(f["signature"]["id"], "VGL-0100");
    assert_eq!(f["signature"]["name"], "Interpreter spawning a shell");
    assert_eq!(f["signature"]["version"], "1.0.0");
    assert_eq!(f["signature"]["severity"], "low");
    assert_eq!(f["signature"]["mitre"], serde_json::json!(["T1059"]));
    assert_eq!(f["severity"], "low");
    assert_eq!(f["event"]["kind"], "exec");
    assert_eq!(f["event"]["argv"], serde_json::json!(["sh", "-c", "true"]));
    let filename = f["event"]["filename"].as_str().unwrap();
    assert!(filename.ends_with("/sh"), "exec of {filename}");
    assert_eq!(f["process"]["comm"], "sh");
    assert_eq!(
        f["process"]["argv"],
        serde_json::json!(["sh", "-c", "true"])
    );
    let parent = &f["process"]["ancestry"][0];
    assert_eq!(parent["comm"], "python3");
    assert_eq!(f["process"]["ppid"], parent["pid"]);
    assert_eq!(f["evidence"]["shell"], filename);
    assert_eq!(f["evidence"]["shell_argv"], "sh -c true");
    assert_eq!(f["evidence"]["interpreter_pid"], parent["pid"].to_string());
    assert!(f["evidence"]["interpreter"]
        .as_str()
        .unwrap()
        .contains("python3"));
    assert!(f["evidence"]["interpreter_argv"]
        .as_str()
        .unwrap()
        .ends_with(script));
    assert_eq!(
        f["summary"],
        format!(
            "python3 (pid {}) started the shell {filename}",
            parent["pid"]
        )
    );
    assert!(run.stderr.contains("vigil: FINDING [LOW] VGL-0100"));
    assert!(run.stderr.contains("0 failed signature call(s)"));
}

/// The nearest honest behaviours: Python running a program directly (no shell), a shell
/// starting a shell, a shell running Python. Nothing fires, and the command's status stands.
#[test]
fn python_signature_ignores_honest_neighbours() {
    if !privileged() {
        return;
    }
    let dir = extra_signature_dir("interpreter-shell.wasm")
        .display()
        .to_string();
    let run = vigil_run(
        "python-signature-honest",
        &[
            "--signatures",
            &dir,
            "--signature-deadline-ms",
            DEADLINE_MS,
            "--fail-on",
            "low",
        ],
        &[
            "sh",
            "-c",
            r#"python3 -c 'import subprocess; subprocess.run(["true"]); subprocess.run(["ls", "/"], stdout=subprocess.DEVNULL)'; sh -c 'sh -c "exit 0"'; exit 5"#,
        ],
    );
    assert_eq!(run.code, 5, "no finding: the command's own status");
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
    assert!(loaded_with_defaults(&run.stderr, "VGL-0100"));
    assert!(run.stderr.contains("vigil: status armed"));
    assert!(run.stderr.contains("0 failed signature call(s)"));
}

#[test]
fn javascript_signature_catches_a_shell_connecting_out() {
    if !privileged() {
        return;
    }
    let dir = extra_signature_dir("shell-connect.wasm")
        .display()
        .to_string();
    let listener = Listener::start("");
    let port = listener.port;
    // bash's /dev/tcp: the shell itself connects, then closes; stdio is never redirected.
    let script = format!("exec 3<>/dev/tcp/127.0.0.1/{port} && exec 3>&-");
    let run = vigil_run(
        "javascript-signature",
        &["--signatures", &dir, "--signature-deadline-ms", DEADLINE_MS],
        &["bash", "-c", &script],
    );
    listener.transcript();
    assert_eq!(run.code, EXIT_FINDING, "a medium finding fails the build");
    assert!(
        loaded_with_defaults(&run.stderr, "VGL-0101"),
        "the JavaScript signature loads next to the default set"
    );
    assert_eq!(run.findings.len(), 1, "{:#?}", run.findings);
    let f = &run.findings[0];
    let remote = format!("127.0.0.1:{port}");
    assert_eq!(f["signature"]["id"], "VGL-0101");
    assert_eq!(f["signature"]["name"], "Shell opened a network connection");
    assert_eq!(f["signature"]["version"], "1.0.0");
    assert_eq!(f["signature"]["severity"], "medium");
    assert_eq!(f["signature"]["mitre"], serde_json::json!(["T1059.004"]));
    assert_eq!(f["severity"], "medium");
    assert_eq!(f["event"]["kind"], "connect");
    assert_eq!(f["event"]["family"], "inet");
    assert_eq!(f["event"]["address"]["ip"], "127.0.0.1");
    assert_eq!(f["event"]["address"]["port"], port);
    assert_eq!(f["event"]["result"], 0);
    assert_eq!(f["process"]["comm"], "bash");
    assert_eq!(
        f["process"]["argv"],
        serde_json::json!(["bash", "-c", script])
    );
    assert_eq!(f["evidence"]["remote"], remote.as_str());
    assert_eq!(f["evidence"]["fd"], f["event"]["fd"].to_string());
    assert_eq!(f["evidence"]["shell"], f["process"]["exe"]);
    assert_eq!(
        f["summary"],
        format!("bash (pid {}) connected to {remote}", f["process"]["pid"])
    );
    assert!(run.stderr.contains("vigil: FINDING [MEDIUM] VGL-0101"));
    assert!(run.stderr.contains("0 failed signature call(s)"));
}

/// The nearest honest behaviour: a shell runs a program that connects (Python here, curl or
/// git in a real build). The connection is not the shell's own: nothing fires.
#[test]
fn javascript_signature_ignores_programs_a_shell_runs() {
    if !privileged() {
        return;
    }
    let dir = extra_signature_dir("shell-connect.wasm")
        .display()
        .to_string();
    let listener = Listener::start("");
    let script = format!(
        "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {})).close()'; exit 4",
        listener.port
    );
    let run = vigil_run(
        "javascript-signature-honest",
        &["--signatures", &dir, "--signature-deadline-ms", DEADLINE_MS],
        &["bash", "-c", &script],
    );
    listener.transcript();
    assert_eq!(run.code, 4, "no finding: the command's own status");
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
    assert!(loaded_with_defaults(&run.stderr, "VGL-0101"));
    assert!(run.stderr.contains("0 failed signature call(s)"));
}
