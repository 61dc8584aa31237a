//! A broken signature is contained: it is disabled and reported, the others keep catching
//! attacks, and Vigil's own failures never pass for a clean build.

use crate::harness::*;

#[test]
fn trapping_signature_is_contained_and_others_still_catch() {
    if !privileged() {
        return;
    }
    let trap = fixture_dir("vigil-fixture-trap-signature");
    let trap = trap.to_str().unwrap();
    let listener = Listener::start("exit\n");
    let port = listener.port.to_string();
    let backdoor = demo("backdoor.py");
    let run = vigil_run(
        "trap-attack",
        &["--signatures", trap],
        &["python3", &backdoor, "127.0.0.1", &port],
    );
    listener.transcript();
    assert_eq!(
        run.code, EXIT_FINDING,
        "the good signature still fails the build"
    );
    assert_eq!(by_signature(&run.findings, "VGL-0001").len(), 1);
    assert!(by_signature(&run.findings, "TEST-TRAP").is_empty());
    assert!(run.stderr.contains("vigil: signature disabled: TEST-TRAP"));
    assert!(
        run.stderr.contains("trap fixture: deliberately failing"),
        "the signature's own panic message is reported"
    );
    assert!(run.stderr.contains("vigil: status degraded"));
}

#[test]
fn degraded_run_fails_closed_unless_allowed() {
    if !privileged() {
        return;
    }
    let trap = fixture_dir("vigil-fixture-trap-signature");
    let trap = trap.to_str().unwrap();
    let run = vigil_run(
        "trap-benign",
        &["--signatures", trap],
        &["sh", "-c", "true"],
    );
    assert_eq!(
        run.code, EXIT_VIGIL_ERROR,
        "a degraded run is not a clean build"
    );
    assert!(run.findings.is_empty());
    let run = vigil_run(
        "trap-benign-allowed",
        &["--signatures", trap, "--allow-degraded"],
        &["sh", "-c", "exit 3"],
    );
    assert_eq!(run.code, 3);
}

#[test]
fn bad_signature_file_is_refused_and_command_never_runs() {
    if !privileged() {
        return;
    }
    let dir = scratch("bad-signature");
    let sigs = dir.join("sigs");
    std::fs::create_dir_all(&sigs).unwrap();
    std::fs::write(sigs.join("broken.wasm"), b"\0asm\x01\0\0\0garbage").unwrap();
    let marker = dir.join("ran");
    let run = vigil_run(
        "bad-signature-run",
        &["--signatures", sigs.to_str().unwrap()],
        &["touch", marker.to_str().unwrap()],
    );
    assert_eq!(run.code, EXIT_VIGIL_ERROR);
    assert!(
        run.stderr.contains("broken.wasm"),
        "the error names the file: {}",
        run.stderr
    );
    assert!(
        !marker.exists(),
        "the command must not run when Vigil cannot watch it"
    );

    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = vigil_run(
        "empty-signature-dir",
        &["--signatures", empty.to_str().unwrap()],
        &["true"],
    );
    assert_eq!(run.code, EXIT_VIGIL_ERROR);
    assert!(run.stderr.contains("no *.wasm files"));
}
