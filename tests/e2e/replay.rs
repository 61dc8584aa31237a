//! Record and replay, kernel-side kind filtering, and lost-event accounting, end to end.

use std::process::Command;

use serde_json::Value;

use crate::{capture::record, harness::*};

struct Replay {
    code: i32,
    stderr: String,
    findings: Vec<Value>,
}

fn vigil_replay(name: &str, file: &std::path::Path) -> Replay {
    let findings = scratch(&format!("{name}-replayed")).join("findings.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("replay")
        .arg("--findings")
        .arg(&findings)
        .arg(file)
        .output()
        .expect("running vigil replay");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!(
        "--- vigil replay {name}: exit {:?}\n{stderr}",
        out.status.code()
    );
    Replay {
        code: out.status.code().unwrap_or(-1),
        stderr,
        findings: std::fs::read_to_string(&findings)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    }
}

#[test]
fn replay_reproduces_the_findings_and_status_of_a_run() {
    if !privileged() {
        return;
    }
    let listener = Listener::start("echo replayed-$((6*7)); exit\n");
    let port = listener.port.to_string();
    let backdoor = demo("backdoor.py");
    let rec = record(
        "replay-attack",
        &["python3", &backdoor, "127.0.0.1", &port],
        &[],
    );
    assert!(listener.transcript().contains("replayed-42"));
    assert_eq!(
        rec.code, 0,
        "record runs no signatures: the command's status"
    );
    assert!(rec.stderr.contains("vigil: status armed"));

    let first = vigil_replay("replay-1", &rec.file);
    assert_eq!(
        first.code, EXIT_FINDING,
        "the recorded attack fails the build"
    );
    let found = by_signature(&first.findings, "VGL-0001");
    assert_eq!(found.len(), 1, "{:#?}", first.findings);
    let f = found[0];
    assert_eq!(f["evidence"]["remote"], format!("127.0.0.1:{port}"));
    assert_eq!(f["event"]["kind"], "dup");
    assert_eq!(f["event"]["new_fd"], 0);
    assert_eq!(f["event"]["target"]["remote"]["port"], listener_port(&port));
    assert_eq!(f["process"]["comm"], "python3");
    assert!(f["process"]["argv"].to_string().contains("backdoor.py"));
    assert!(f["process"]["exe"].as_str().unwrap().contains("python3"));
    assert!(first.stderr.contains("vigil: FINDING [HIGH] VGL-0001"));

    // Nothing of this machine's present enters a replay: twice, byte for byte the same.
    let second = vigil_replay("replay-2", &rec.file);
    assert_eq!(second.code, EXIT_FINDING);
    assert_eq!(first.findings, second.findings);

    // The command's own status is replayed when nothing is found.
    let rec = record("replay-status", &["sh", "-c", "exit 7"], &[]);
    assert_eq!(rec.code, 7);
    let replayed = vigil_replay("replay-status", &rec.file);
    assert_eq!(replayed.code, 7);
    assert!(replayed.findings.is_empty());
    assert!(replayed.stderr.contains("vigil: status armed"));
}

/// A recorded job that stopped the Vigil recording it is found on replay: the replay gives
/// signatures the recorder's pid and output file, not its own.
#[test]
fn a_replay_judges_tampering_with_the_vigil_that_recorded() {
    if !privileged() {
        return;
    }
    // $PPID of the watched root is the recording Vigil.
    let rec = record(
        "replay-tamper",
        &[
            "sh",
            "-c",
            "kill -STOP $PPID; kill -CONT $PPID; : >> events.rec; echo tampered",
        ],
        &[],
    );
    assert_eq!(
        rec.code, 0,
        "record runs no signatures: the command's status"
    );
    let replayed = vigil_replay("replay-tamper", &rec.file);
    assert_eq!(replayed.code, EXIT_FINDING, "{:#?}", replayed.findings);
    let found = by_signature(&replayed.findings, "VGL-0057");
    let signals: Vec<&Value> = found.iter().map(|f| &f["evidence"]["signal"]).collect();
    assert_eq!(signals[..2], ["19", "18"], "{found:#?}");
    for f in &found[..2] {
        assert_eq!(f["event"]["target_pid"], rec.vigil_pid, "{f:#?}");
    }
    assert_eq!(
        found[2]["evidence"]["path"],
        rec.file.display().to_string(),
        "{found:#?}"
    );
}

fn listener_port(port: &str) -> u64 {
    port.parse().unwrap()
}

#[test]
fn bad_record_files_are_clear_errors_with_offsets() {
    if !privileged() {
        return;
    }
    let rec = record("replay-bad", &["sh", "-c", "true"], &[]);
    let bytes = std::fs::read(&rec.file).unwrap();
    let dir = scratch("replay-bad-files");
    let cut = dir.join("cut.rec");
    std::fs::write(&cut, &bytes[..bytes.len() - 5]).unwrap();
    let garbage = dir.join("garbage.rec");
    std::fs::write(&garbage, b"this is not a recording").unwrap();
    for (file, expect) in [
        (&cut, "truncated frame".to_string()),
        (&garbage, "at byte 0: not a Vigil record file".to_string()),
    ] {
        for cmd in ["replay", "events"] {
            let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
                .arg(cmd)
                .arg(file)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(EXIT_VIGIL_ERROR), "{cmd}: {stderr}");
            assert!(stderr.contains(&expect), "{cmd}: {stderr}");
            assert!(stderr.contains("at byte "), "{cmd}: {stderr}");
            assert!(!stderr.contains("panicked"), "{cmd}: {stderr}");
        }
    }
}

#[test]
fn the_kernel_does_not_emit_kinds_nobody_selected() {
    if !privileged() {
        return;
    }
    let opens = "for i in range(400):\n    open('/etc/hostname').close()";
    let rec = record("filter-record", &["python3", "-c", opens], &[]);
    let recorded_opens = rec
        .events
        .iter()
        .filter(|e| e["kind"] == "open" && e["path"] == "/etc/hostname")
        .count();
    assert_eq!(recorded_opens, 400, "record selects every kind");
    let recorded = status_count(&rec.stderr, "event(s)");

    // VGL-0001 alone selects dup, connect and exit: no open records at all. (The default
    // pack as a whole selects opens; VGL-0001's component, built next to the fixtures, is
    // loaded by itself.)
    let only_dup_connect_exit = fixture_dir("vigil-sig-stdio-over-socket");
    let run = vigil_run(
        "filter-run",
        &[
            "--no-default-signatures",
            "--signatures",
            only_dup_connect_exit.to_str().unwrap(),
        ],
        &["python3", "-c", opens],
    );
    assert!(run.stderr.contains("loaded 1 signature(s): VGL-0001"));
    assert_eq!(run.code, 0);
    let ran = status_count(&run.stderr, "event(s)");
    assert!(
        ran + 400 <= recorded,
        "run saw {ran} records, record {recorded}: opens were emitted anyway"
    );
}

#[test]
fn lost_events_are_counted_and_fail_on_loss_fails() {
    if !privileged() {
        return;
    }
    let storm = "import os\nfor i in range(200000):\n    os.close(os.dup(0))";
    let run = vigil_run(
        "loss-fail",
        &["--ring-kib", "4", "--allow-degraded", "--fail-on-loss"],
        &["python3", "-c", storm],
    );
    let lost = status_count(&run.stderr, "lost");
    assert!(lost > 0, "a 4 KiB ring cannot hold this storm");
    assert_eq!(run.code, EXIT_VIGIL_ERROR);
    assert!(run.stderr.contains("vigil: status degraded"));
    assert!(run.stderr.contains(&format!(
        "vigil: failing: {lost} event(s) lost (--fail-on-loss)"
    )));

    let run = vigil_run(
        "loss-allowed",
        &["--ring-kib", "4", "--allow-degraded"],
        &["python3", "-c", storm],
    );
    assert!(status_count(&run.stderr, "lost") > 0);
    assert_eq!(
        run.code, 0,
        "--allow-degraded alone keeps the command's status"
    );
}

#[test]
fn stats_json_repeats_the_status_line_and_adds_vigils_own_usage() {
    if !privileged() {
        return;
    }
    let dir = scratch("stats-json");
    let stats_path = dir.join("stats.json");
    let stats_arg = stats_path.to_str().unwrap();
    // The command also makes 256 MiB resident: Vigil's own peak must not include it.
    let storm = "import os, sys\nheld = b'x' * (256 << 20)\n\
                 for i in range(200000):\n    os.close(os.dup(0))\nsys.exit(3)";
    let run = vigil_run(
        "stats-json",
        &[
            "--ring-kib",
            "4",
            "--allow-degraded",
            "--stats-json",
            stats_arg,
        ],
        &["python3", "-c", storm],
    );
    assert_eq!(
        run.code, 3,
        "the command's status, kept by --allow-degraded"
    );
    let stats: Value = serde_json::from_slice(&std::fs::read(&stats_path).unwrap()).unwrap();
    assert_eq!(stats["state"], "degraded");
    assert_eq!(stats["command_status"], 3);
    let lost = status_count(&run.stderr, "lost");
    assert!(lost > 0, "a 4 KiB ring cannot hold this storm");
    assert_eq!(stats["lost"], lost);
    assert_eq!(stats["events"], status_count(&run.stderr, "event(s)"));
    assert_eq!(stats["findings"], 0);
    assert_eq!(stats["unjudged_events"], 0);
    let rss = stats["peak_rss_kib"].as_u64().unwrap();
    assert!(
        (1024..200 << 10).contains(&rss),
        "peak RSS {rss} KiB: Vigil is tens of MiB, the command's 256 MiB must not count"
    );
    let cpu = stats["cpu_user_ms"].as_u64().unwrap() + stats["cpu_system_ms"].as_u64().unwrap();
    assert!(
        cpu > 0,
        "reading {lost} lost and more kept records took no CPU"
    );
}

#[test]
fn an_unwritable_stats_json_path_refuses_the_run_before_the_command() {
    if !privileged() {
        return;
    }
    let dir = scratch("stats-json-bad");
    let marker = dir.join("ran");
    let bad = dir.join("missing-dir").join("stats.json");
    let run = vigil_run(
        "stats-json-bad",
        &["--stats-json", bad.to_str().unwrap()],
        &["touch", marker.to_str().unwrap()],
    );
    assert_eq!(run.code, EXIT_VIGIL_ERROR);
    assert!(
        run.stderr
            .contains(&format!("--stats-json {}: cannot create", bad.display())),
        "{}",
        run.stderr
    );
    assert!(
        !marker.exists(),
        "the command ran although the run was refused"
    );
}
