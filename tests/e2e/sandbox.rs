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
    // Execs spaced wider than the dispatcher's flush interval: each reaches the trapping
    // signature in a call of its own, so it fails three times and is disabled.
    let cmd = format!(
        "for i in 1 2 3 4; do /bin/true; sleep 0.3; done; exec python3 {backdoor} 127.0.0.1 {port}"
    );
    let run = vigil_run("trap-attack", &["--signatures", trap], &["sh", "-c", &cmd]);
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
fn one_poisoned_event_costs_only_itself() {
    if !privileged() {
        return;
    }
    let poison = fixture_dir("vigil-fixture-poison-signature");
    let poison = poison.to_str().unwrap();
    // Both execs land in one batch (the dispatcher flushes 20 ms after a batch's first event).
    // The signature traps on the first; the second must still be judged and reported.
    let run = vigil_run(
        "poison",
        &["--signatures", poison, "--no-default-signatures"],
        &[
            "sh",
            "-c",
            "/bin/echo vigil-e2e-poison; /bin/echo vigil-e2e-mark",
        ],
    );
    let marked = by_signature(&run.findings, "TEST-POISON");
    assert_eq!(marked.len(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("poison fixture: deliberately failing"));
    assert!(
        run.stderr.contains(" 1 event(s) unjudged"),
        "only the poisoned exec is lost: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("signature disabled"), "{}", run.stderr);
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

/// Every way a hostile or broken signature can misbehave at run time, all loaded at once next
/// to the default set: each is contained, and the reverse shell is still caught.
#[test]
fn hostile_signatures_are_contained_while_the_attack_is_caught() {
    if !privileged() {
        return;
    }
    let dirs: Vec<String> = [
        "vigil-fixture-spin",
        "vigil-fixture-memory-bomb",
        "vigil-fixture-flood",
        "vigil-fixture-trap-signature",
    ]
    .iter()
    .map(|f| fixture_dir(f).display().to_string())
    .collect();
    let mut args: Vec<&str> = Vec::new();
    for d in &dirs {
        args.extend(["--signatures", d.as_str()]);
    }
    let listener = Listener::start("echo still-caught; exit\n");
    let port = listener.port.to_string();
    let backdoor = demo("backdoor.py");
    let run = vigil_run(
        "hostile",
        &args,
        &[
            "sh",
            "-c",
            &format!(
                "ls >/dev/null; ls >/dev/null; ls >/dev/null; python3 {backdoor} 127.0.0.1 {port}"
            ),
        ],
    );
    assert!(listener.transcript().contains("still-caught"));
    assert_eq!(run.code, EXIT_FINDING);
    assert_eq!(by_signature(&run.findings, "VGL-0001").len(), 1);
    let spin = format!(
        "vigil: signature disabled: TEST-SPIN: disabled after 3 consecutive failures; \
         last: exceeded its {} ms time limit",
        signature_deadline_ms()
    );
    assert!(run.stderr.contains(&spin), "expected {spin:?}");
    assert!(run
        .stderr
        .contains("vigil: signature disabled: TEST-MEMORY-BOMB"));
    assert!(run
        .stderr
        .contains("memory allocation of 16777216 bytes failed"));
    assert!(run.stderr.contains("vigil: signature disabled: TEST-TRAP"));
    // A burst of 100, then 10 a second: a few seconds of run stay far below 1000 per exec.
    let flood = by_signature(&run.findings, "TEST-FLOOD").len();
    let cap = 100 + 10 * (run.elapsed.as_secs() as usize + 1);
    assert!(
        (100..=cap).contains(&flood),
        "the flood is capped by the rate limit: {flood} findings in {:?}",
        run.elapsed
    );
    let suppressed: u64 = run
        .stderr
        .split(" suppressed by rate limit")
        .next()
        .and_then(|s| s.rsplit('(').next())
        .and_then(|n| n.parse().ok())
        .expect("the status line counts suppressed findings");
    assert!(suppressed >= 1000 - flood as u64, "suppressed {suppressed}");
    assert!(run.stderr.contains("vigil: status degraded"));
}

/// Components that would reach outside the sandbox, or speak another interface version, are
/// refused before anything runs, with a message naming the file and the problem.
#[test]
fn components_outside_the_contract_are_refused_at_load() {
    if !privileged() {
        return;
    }
    let dir = scratch("refused");
    let marker = dir.join("ran");
    let touch = ["touch", marker.to_str().unwrap()];
    for (fixture, expected) in [
        ("vigil-fixture-sockets", "wasi:sockets/tcp@0.2.6, "),
        (
            "vigil-fixture-future-version",
            "built for interface vigil:signature@9.0.0; this Vigil supports \
             vigil:signature@1.0.0, vigil:signature@1.1.0",
        ),
    ] {
        let d = fixture_dir(fixture).display().to_string();
        let run = vigil_run(fixture, &["--signatures", &d], &touch);
        assert_eq!(run.code, EXIT_VIGIL_ERROR, "{fixture}");
        let file = format!("{}.wasm", fixture.replace('-', "_"));
        assert!(run.stderr.contains(&file), "names the file: {}", run.stderr);
        assert!(run.stderr.contains(expected), "says why: {}", run.stderr);
        assert!(!marker.exists(), "nothing runs when a signature is refused");
    }
}

/// Settings reach a signature through `configure`; keys and ids it does not declare are
/// refused before anything runs.
#[test]
fn signature_settings_are_applied_and_checked() {
    if !privileged() {
        return;
    }
    let listener = Listener::start("exit\n");
    let port = listener.port.to_string();
    let allow = format!("VGL-0001:allow-remote=127.0.0.1:{port}");
    let backdoor = demo("backdoor.py");
    let run = vigil_run(
        "settings-allow",
        &["--config", &allow],
        &["python3", &backdoor, "127.0.0.1", &port],
    );
    listener.transcript();
    assert_eq!(run.code, 0, "an allowed peer is not a finding");
    assert!(run.findings.is_empty());

    for (label, setting, expected) in [
        (
            "settings-unknown-key",
            "VGL-0001:allow-everything=yes",
            "signature VGL-0001 has no setting \"allow-everything\" (it accepts: allow-remote)",
        ),
        (
            "settings-unknown-id",
            "VGL-9999:allow-remote=127.0.0.1",
            "--config VGL-9999:allow-remote: no loaded signature has id VGL-9999",
        ),
    ] {
        let run = vigil_run(label, &["--config", setting], &["true"]);
        assert_eq!(run.code, EXIT_VIGIL_ERROR, "{label}");
        assert!(run.stderr.contains(expected), "{label}: {}", run.stderr);
    }
}
