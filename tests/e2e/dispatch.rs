//! The two handler shapes and the batching between them and the kernel, end to end: typed
//! records carry the exact fields, batches reach signatures while the command still runs, and
//! a recording turned into a batch file is what the SDK's native harness replays.

use std::process::Command;

use crate::{capture::record, harness::*};

#[test]
fn typed_handler_gets_exact_wit_records() {
    if !privileged() {
        return;
    }
    let echo = fixture_dir("vigil-fixture-typed-echo");
    let dir = scratch("typed-echo-files");
    let dir = dir.to_str().unwrap();
    let script = format!(
        "cd {dir} && echo x > vigil-typed-echo-a && mv vigil-typed-echo-a vigil-typed-echo-b \
         && rm vigil-typed-echo-b"
    );
    let run = vigil_run(
        "typed-echo",
        &[
            "--no-default-signatures",
            "--signatures",
            echo.to_str().unwrap(),
        ],
        &["sh", "-c", &script],
    );
    assert_eq!(run.code, 0, "info findings do not fail the build");
    let found = by_signature(&run.findings, "TEST-TYPED");
    let evidence = |summary: &str| {
        found
            .iter()
            .find(|f| f["summary"] == summary)
            .unwrap_or_else(|| panic!("no {summary} finding in {found:?}"))["evidence"]
            .clone()
    };
    let open = evidence("open");
    assert_eq!(open["syscall"], "openat");
    assert_eq!(open["path"], format!("{dir}/vigil-typed-echo-a"));
    // O_WRONLY | O_CREAT | O_TRUNC, as the shell's `>` opens.
    assert_eq!(open["flags"], "577");
    assert_eq!(open["mode"], "666");
    assert!(open["result"].as_str().unwrap().parse::<i64>().unwrap() >= 0);
    let rename = evidence("rename");
    assert_eq!(rename["old_path"], format!("{dir}/vigil-typed-echo-a"));
    assert_eq!(rename["new_path"], format!("{dir}/vigil-typed-echo-b"));
    assert_eq!(rename["result"], "0");
    let unlink = evidence("unlink");
    assert_eq!(unlink["path"], format!("{dir}/vigil-typed-echo-b"));
    assert_eq!(unlink["result"], "0");
}

/// The default signatures say which opens they want (interface 1.1.0), and Vigil spares them
/// the rest; a 1.0.0 component cannot say, so it still gets every open, reads included, when
/// loaded next to them.
#[test]
fn a_1_0_component_still_gets_every_open() {
    if !privileged() {
        return;
    }
    let echo = fixture_dir("vigil-fixture-typed-echo");
    let dir = scratch("typed-echo-reads");
    let dir = dir.to_str().unwrap();
    let script = format!("cd {dir} && echo x > vigil-typed-echo-r && cat vigil-typed-echo-r");
    let run = vigil_run(
        "typed-echo-reads",
        &["--signatures", echo.to_str().unwrap()],
        &["sh", "-c", &script],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let reads: Vec<_> = by_signature(&run.findings, "TEST-TYPED")
        .into_iter()
        .filter(|f| f["summary"] == "open")
        .filter(|f| {
            let flags: u64 = f["evidence"]["flags"].as_str().unwrap().parse().unwrap();
            flags & 0o3 == 0
        })
        .collect();
    assert!(
        reads
            .iter()
            .any(|f| f["evidence"]["path"] == format!("{dir}/vigil-typed-echo-r")),
        "no read open of the marked file reached the 1.0.0 component: {:?}",
        run.findings
    );
}

/// An open of a path no loaded signature wants is not even emitted by the kernel, while the
/// opens they do want still are; one signature that cannot say which opens it wants (the 1.0.0
/// fixture) brings them all back.
#[test]
fn the_kernel_skips_opens_no_signature_wants() {
    if !privileged() {
        return;
    }
    let echo = fixture_dir("vigil-fixture-typed-echo");
    let dir = scratch("open-filter");
    let secret = dir.join("repo/.git/config");
    std::fs::create_dir_all(secret.parent().unwrap()).unwrap();
    std::fs::write(&secret, "[remote]\n").unwrap();
    let secret = secret.to_str().unwrap();
    // 2000 reads of a file nobody watches (the shell's own `<`, no fork), then one read of a
    // checkout's git config by a program that is not git.
    let script = format!(
        "i=0; while [ $i -lt 2000 ]; do read x < /etc/hostname; i=$((i+1)); done; \
         cat {secret} >/dev/null"
    );
    let events = |name: &str, extra: &[&str]| {
        let mut args = vec!["--fail-on", "critical"];
        args.extend(extra);
        let run = vigil_run(name, &args, &["sh", "-c", &script]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        (status_count(&run.stderr, "event(s)"), run.findings)
    };
    let (filtered, findings) = events("open-filter-default", &[]);
    let (all, _) = events(
        "open-filter-with-1-0",
        &["--signatures", echo.to_str().unwrap()],
    );
    assert!(
        filtered + 1900 < all,
        "{filtered} events with the default set, {all} when every open is wanted"
    );
    assert!(
        by_signature(&findings, "VGL-0051")
            .iter()
            .any(|f| f["evidence"]["path"] == secret),
        "the read of {secret} did not reach VGL-0051: {findings:?}"
    );
}

/// How many events Vigil captured from the Python `script`, which must raise no critical
/// finding.
fn events_of_quiet_script(name: &str, script: &str) -> u64 {
    let run = vigil_run(name, &["--fail-on", "critical"], &["python3", "-c", script]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    status_count(&run.stderr, "event(s)")
}

/// A close is not even emitted when Vigil never learned of its fd: 2000 read-only opens of a
/// file (skipped by the kernel), each closed, add no event, while 2000 opens of a directory
/// (always emitted: later paths may be relative to it), each closed, add both.
#[test]
fn the_kernel_skips_closes_of_fds_vigil_never_learned() {
    if !privileged() {
        return;
    }
    let events = |name: &str, flags: &str, path: &str| {
        let script =
            format!("import os\nfor _ in range(2000):\n    os.close(os.open({path:?}, {flags}))\n");
        events_of_quiet_script(name, &script)
    };
    let files = events("close-filter-files", "os.O_RDONLY", "/etc/hostname");
    let dirs = events("close-filter-dirs", "os.O_RDONLY | os.O_DIRECTORY", "/etc");
    assert!(
        files + 3900 < dirs,
        "{files} events for 2000 opens and closes of a file, {dirs} for those of a directory"
    );
}

/// The close of an fd a child inherited is reported although the child never opened it, so
/// the fd's number, reused by an open the kernel skips, is not taken for the old directory:
/// `openat` relative to it resolves to where it really points (from /proc), and the read of
/// the SSH key there is found. Were the close missed, the path would resolve under `decoy/`.
#[test]
fn an_inherited_fd_closed_and_reused_resolves_to_its_new_file() {
    if !privileged() {
        return;
    }
    let name = "fd-reuse";
    let dir = scratch("fd-reuse-files");
    let (decoy, ssh) = (dir.join("decoy"), dir.join("home/.ssh"));
    std::fs::create_dir_all(&decoy).unwrap();
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("id_rsa"), "not a key\n").unwrap();
    let findings = scratch_root()
        .join(format!("{name}-{}", std::process::id()))
        .join("findings.jsonl");
    // The child keeps the reused fd open until the finding is written (30 s at most), so
    // /proc can answer for it whenever Vigil asks.
    let script = format!(
        r#"
import os, time
d = os.open({decoy:?}, os.O_RDONLY | os.O_DIRECTORY)
pid = os.fork()
if pid == 0:
    os.close(d)
    n = os.open({ssh:?}, os.O_RDONLY)
    assert n == d, (n, d)
    os.close(os.open("id_rsa", os.O_RDONLY, dir_fd=n))
    for _ in range(300):
        if os.path.exists({findings:?}) and os.path.getsize({findings:?}) > 0:
            break
        time.sleep(0.1)
    os._exit(0)
os.waitpid(pid, 0)
"#,
        decoy = decoy.to_str().unwrap(),
        ssh = ssh.to_str().unwrap(),
        findings = findings.to_str().unwrap(),
    );
    let run = vigil_run(
        name,
        &["--fail-on", "critical"],
        &["python3", "-c", &script],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let key = format!("{}/id_rsa", ssh.display());
    assert!(
        by_signature(&run.findings, "VGL-0051")
            .iter()
            .any(|f| f["evidence"]["path"] == key),
        "the read of {key} through a reused fd was not found: {:?}",
        run.findings
    );
}

/// A relative open is judged in the kernel once Vigil knows the cwd (it has had time to apply
/// the chdir): 2000 opens of a file by a plain relative path add almost no event, while the
/// same opens by `./`, which the kernel leaves to the host, add one each.
#[test]
fn the_kernel_judges_relative_opens_in_a_cwd_vigil_knows() {
    if !privileged() {
        return;
    }
    let dir = scratch("relative-opens-files");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/f"), "x\n").unwrap();
    let events = |name: &str, path: &str| {
        let script = format!(
            "import os, time\nos.chdir({dir:?})\ntime.sleep(0.5)\nfor _ in range(2000):\n    os.close(os.open({path:?}, os.O_RDONLY))\n",
            dir = dir.to_str().unwrap()
        );
        events_of_quiet_script(name, &script)
    };
    let judged = events("relative-opens-judged", "sub/f");
    let kept = events("relative-opens-kept", "./sub/f");
    assert!(
        judged + 1900 < kept,
        "{judged} events for 2000 opens of sub/f, {kept} for those of ./sub/f"
    );
}

/// What the kernel knows of a cwd is tied to the chdir it came from. A process that has sat
/// in a plain directory long enough for Vigil to tell the kernel about it, then changes to
/// `~/.ssh` and at once reads `id_rsa` by relative path, is found: the kernel does not judge
/// that read by the old directory. Reads there once the kernel judges by the new directory,
/// and by a child it forked, are found too; that the kernel did judge them is shown by 2000
/// opens of `sub/notes` just before, which add no event, where the same opens as
/// `./sub/notes` (left to the host) add one each.
#[test]
fn relative_reads_after_chdir_are_judged_in_the_new_cwd() {
    if !privileged() {
        return;
    }
    let dir = scratch("relative-after-chdir-files");
    let (plain, ssh) = (dir.join("plain"), dir.join("home/.ssh"));
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::create_dir_all(&ssh).unwrap();
    for key in ["id_rsa", "id_ed25519", "id_ecdsa"] {
        std::fs::write(plain.join(key), "not a key\n").unwrap();
        std::fs::write(ssh.join(key), "not a key\n").unwrap();
    }
    std::fs::write(plain.join("notes"), "x\n").unwrap();
    std::fs::create_dir_all(ssh.join("sub")).unwrap();
    std::fs::write(ssh.join("sub/notes"), "x\n").unwrap();
    let run = |name: &str, notes: &str| {
        let script = format!(
            r#"
import os, time
os.chdir({plain:?})
time.sleep(0.5)
for _ in range(200):
    os.close(os.open("notes", os.O_RDONLY))
os.chdir({ssh:?})
os.close(os.open("id_rsa", os.O_RDONLY))
time.sleep(0.5)
for _ in range(2000):
    os.close(os.open({notes:?}, os.O_RDONLY))
os.close(os.open("id_ed25519", os.O_RDONLY))
pid = os.fork()
if pid == 0:
    os.close(os.open("id_ecdsa", os.O_RDONLY))
    os._exit(0)
os.waitpid(pid, 0)
"#,
            plain = plain.to_str().unwrap(),
            ssh = ssh.to_str().unwrap(),
        );
        let run = vigil_run(
            name,
            &["--fail-on", "critical"],
            &["python3", "-c", &script],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let found = by_signature(&run.findings, "VGL-0051");
        for key in ["id_rsa", "id_ed25519", "id_ecdsa"] {
            let path = format!("{}/{key}", ssh.display());
            assert!(
                found.iter().any(|f| f["evidence"]["path"] == path),
                "{name}: the relative read of {path} was not found: {:?}",
                run.findings
            );
        }
        assert!(
            !found.iter().any(|f| f["evidence"]["path"]
                .as_str()
                .unwrap_or("")
                .contains("/plain/")),
            "{found:?}"
        );
        status_count(&run.stderr, "event(s)")
    };
    let judged = run("relative-after-chdir", "sub/notes");
    let kept = run("relative-after-chdir-kept", "./sub/notes");
    assert!(
        judged + 1500 < kept,
        "{judged} events with 2000 opens of sub/notes, {kept} with ./sub/notes: the kernel did \
         not judge by the new cwd when id_ed25519 was read"
    );
}

/// `cd /proc/<runner> && cat environ`: a cwd under a path some signature names by its start
/// is never judged by the kernel, so the relative read of the runner's environment is found.
#[test]
fn a_relative_read_under_proc_is_found() {
    if !privileged() {
        return;
    }
    let dir = scratch("relative-proc-read-setup");
    let runner = dir.join("Runner.Worker");
    std::fs::copy("/bin/bash", &runner).unwrap();
    let step = r#"python3 -c 'import os; os.chdir(f"/proc/{os.getppid()}"); open("environ", "rb").read(); print("read-relative")'; true"#;
    let run = vigil_run(
        "relative-proc-read",
        &[],
        &[runner.to_str().unwrap(), "-c", step],
    );
    assert!(run.stdout.contains("read-relative"), "{}", run.stderr);
    assert_eq!(run.code, EXIT_FINDING, "{}", run.stderr);
    let found = by_signature(&run.findings, "VGL-0050");
    assert!(
        found.iter().any(|f| f["evidence"]["read"] == "environ"),
        "{:?}",
        run.findings
    );
}

/// A batch is flushed on a timer, not only when full or at the end: the finding of a short
/// attack is in the findings file while the command is still running.
#[test]
fn findings_are_reported_while_the_command_still_runs() {
    if !privileged() {
        return;
    }
    let name = "flush-timer";
    let findings = scratch_root()
        .join(format!("{name}-{}", std::process::id()))
        .join("findings.jsonl");
    let listener = Listener::start("exit\n");
    let script = format!(
        "python3 {} 127.0.0.1 {port}; i=0; \
         while [ ! -s {f} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; \
         [ -s {f} ] && echo seen-while-running",
        demo("backdoor.py"),
        port = listener.port,
        f = findings.display(),
    );
    let run = vigil_run(name, &[], &["sh", "-c", &script]);
    listener.transcript();
    assert_eq!(run.code, EXIT_FINDING);
    assert_eq!(by_signature(&run.findings, "VGL-0001").len(), 1);
    assert!(
        run.stdout.contains("seen-while-running"),
        "the finding was only written after the command ended"
    );
}

/// `vigil events --batch` writes exactly the bytes batched signatures receive; the SDK's
/// harness replays them through the real signature compiled natively.
#[test]
fn a_recording_replays_through_the_native_harness() {
    if !privileged() {
        return;
    }
    let listener = Listener::start("exit\n");
    let port = listener.port.to_string();
    let rec = record(
        "batch-file",
        &["python3", &demo("backdoor.py"), "127.0.0.1", &port],
        &[],
    );
    listener.transcript();
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    let batch = rec.file.with_extension("batch");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["events", "--batch"])
        .arg(&batch)
        .arg(&rec.file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&batch).unwrap();

    // Every recorded event is in the file, in order, with its process.
    let events: Vec<_> = vigil_event::batch::read(&bytes)
        .map(|e| e.expect("well-formed batch"))
        .collect();
    assert_eq!(events.len(), rec.events.len());
    let dup = events
        .iter()
        .find(|e| {
            matches!(
                e.data,
                vigil_event::EventData::Dup {
                    new_fd: 0,
                    target: vigil_event::FdTarget::Socket { .. },
                    ..
                }
            )
        })
        .expect("the backdoor dups its socket onto stdin");
    assert!(dup.process.exe.contains("python"), "{:?}", dup.process);
    assert!(dup.process.argv.iter().any(|a| a.ends_with("backdoor.py")));

    let mut harness =
        vigil_sdk::testing::Harness::<vigil_sig_stdio_over_socket::StdioOverSocket>::new();
    let found = harness.replay(&bytes);
    assert_eq!(found.len(), 1, "{found:?}");
    let (position, finding) = &found[0];
    assert_eq!(
        finding.evidence("remote"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert!(matches!(
        events[*position].data,
        vigil_event::EventData::Dup { .. }
    ));
}
