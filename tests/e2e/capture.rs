//! The event catalogue, end to end: each test provokes real syscalls (by number, through
//! ctypes, so the exact syscall is known) under `vigil record`, then reads the recording back
//! with `vigil events` and asserts the decoded fields exactly. The provoking scripts print what
//! they observed (fds, ports, results) as one JSON object, which the assertions compare with.
//!
//! Syscall numbers are x86_64's.

use std::process::Command;

use serde_json::{json, Value};

use crate::harness::*;

pub struct Recording {
    pub code: i32,
    /// The `vigil record` process's pid.
    pub vigil_pid: u32,
    pub stderr: String,
    /// The script's own report (its last stdout line, JSON), or `Null`.
    pub observed: Value,
    pub events: Vec<Value>,
    pub file: std::path::PathBuf,
}

/// `vigil record -o FILE -- cmd...`, then `vigil events FILE`.
pub fn record(name: &str, cmd: &[&str], env: &[(&str, &str)]) -> Recording {
    record_in(&scratch(name), name, &[], cmd, env)
}

/// `vigil record -o DIR/events.rec OPTIONS -- cmd...` in `dir`, then `vigil events`.
pub fn record_in(
    dir: &std::path::Path,
    name: &str,
    options: &[&str],
    cmd: &[&str],
    env: &[(&str, &str)],
) -> Recording {
    let file = dir.join("events.rec");
    let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("record")
        .arg("-o")
        .arg(&file)
        .args(options)
        .arg("--")
        .args(cmd)
        .env_remove("LD_PRELOAD")
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("GITHUB_ACTION")
        .env_remove("GITHUB_JOB")
        .env_remove("GITHUB_RUN_ID")
        .env_remove("GITHUB_WORKFLOW")
        .env_remove("RUNNER_NAME")
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running vigil record");
    let vigil_pid = child.id();
    let out = child.wait_with_output().expect("waiting for vigil record");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!(
        "--- vigil record {name}: exit {:?}\n{stdout}\n{stderr}",
        out.status.code()
    );
    let observed = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    let events = vigil_events(&file);
    Recording {
        code: out.status.code().unwrap_or(-1),
        vigil_pid,
        stderr,
        observed,
        events,
        file,
    }
}

pub fn vigil_events(file: &std::path::Path) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("events")
        .arg(file)
        .output()
        .expect("running vigil events");
    assert!(
        out.status.success(),
        "vigil events failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each event line is JSON"))
        .collect()
}

/// The events of `kind` whose fields include every field of `fields`.
pub fn matching<'a>(events: &'a [Value], kind: &str, fields: &Value) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["kind"] == kind)
        .filter(|e| {
            fields
                .as_object()
                .unwrap()
                .iter()
                .all(|(k, v)| &e[k.as_str()] == v)
        })
        .collect()
}

/// Asserts exactly one event of `kind` has all of `fields`, and returns it.
#[track_caller]
pub fn one<'a>(events: &'a [Value], kind: &str, fields: Value) -> &'a Value {
    let found = matching(events, kind, &fields);
    if found.len() != 1 {
        let same_kind: Vec<&Value> = events.iter().filter(|e| e["kind"] == kind).collect();
        panic!(
            "expected exactly one {kind} event with {fields}, found {}; all {kind} events:\n{}",
            found.len(),
            same_kind
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    found[0]
}

const PRELUDE: &str = r#"
import ctypes, json, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sc(*args):
    r = libc.syscall(*[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return r if r >= 0 else -ctypes.get_errno()
AT_FDCWD = -100
"#;

/// `body` after a prelude: `sc(nr, *args)` makes a raw syscall and returns `-errno` on failure.
pub fn script(body: &str) -> String {
    format!("{PRELUDE}\n{body}")
}

#[test]
fn file_events_resolve_paths_and_keep_flags() {
    if !privileged() {
        return;
    }
    let body = r#"
d = os.getcwd()
os.mkdir("sub")
r = {}
fd = sc(2, (d + "/a.txt").encode(), 0o1101, 0o640); r["open"] = fd; os.close(fd)
r["openat"] = sc(257, AT_FDCWD, b"rel.txt", 0o1101 | 0o2000000, 0o600)
dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY); r["dfd"] = dfd
how = ctypes.create_string_buffer(struct.pack("QQQ", 0, 0, 4), 24)
r["openat2"] = sc(437, dfd, b"a.txt", how, 24)
r["rename"] = sc(82, b"a.txt", b"b.txt")
r["renameat"] = sc(264, dfd, b"b.txt", AT_FDCWD, b"c.txt")
r["renameat2"] = sc(316, dfd, b"c.txt", dfd, b"d.txt", 1)
r["chmod"] = sc(90, b"d.txt", 0o755)
r["fchmod"] = sc(91, r["openat"], 0o604)
r["fchmodat"] = sc(268, dfd, b"d.txt", 0o700)
r["link"] = sc(86, b"d.txt", b"hard.txt")
r["linkat"] = sc(265, dfd, b"d.txt", AT_FDCWD, b"hard2.txt", 0)
r["symlink"] = sc(88, b"d.txt", b"sym")
r["symlinkat"] = sc(266, b"/etc/hostname", dfd, b"sym2")
r["truncate"] = sc(76, b"d.txt", 5)
r["ftruncate"] = sc(77, r["openat"], 3)
r["unlink"] = sc(87, b"hard.txt")
r["unlinkat"] = sc(263, dfd, b"hard2.txt", 0)
r["unlink_missing"] = sc(263, dfd, b"missing", 0)
r["memfd"] = sc(319, b"vigil-memfd", 1)
os.chdir("sub")
r["after_chdir"] = sc(257, AT_FDCWD, b"../x.txt", 0o101, 0o644)
os.fchdir(dfd)
r["after_fchdir"] = sc(257, AT_FDCWD, b"y.txt", 0o101, 0o644)
r["fchmodat2"] = sc(452, dfd, b"y.txt", 0o640, 0)
r["cwd"] = d
print(json.dumps(r))
"#;
    let rec = record("files", &["python3", "-c", &script(body)], &[]);
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    let o = &rec.observed;
    let d = o["cwd"].as_str().unwrap().to_string();
    let ev = &rec.events;
    let p = |name: &str| format!("{d}/{name}");

    one(
        ev,
        "open",
        json!({"syscall": "open", "path": p("a.txt"), "flags": 0o1101, "mode": 0o640,
               "resolve": null, "result": o["open"]}),
    );
    one(
        ev,
        "open",
        json!({"syscall": "openat", "path": p("rel.txt"), "flags": 0o1101 | 0o2000000,
               "mode": 0o600, "result": o["openat"]}),
    );
    one(
        ev,
        "open",
        json!({"syscall": "openat2", "path": p("a.txt"), "flags": 0, "mode": 0, "resolve": 4,
               "result": o["openat2"]}),
    );
    one(
        ev,
        "rename",
        json!({"syscall": "rename", "old_path": p("a.txt"), "new_path": p("b.txt"),
               "flags": 0, "result": 0}),
    );
    one(
        ev,
        "rename",
        json!({"syscall": "renameat", "old_path": p("b.txt"), "new_path": p("c.txt"),
               "result": 0}),
    );
    one(
        ev,
        "rename",
        json!({"syscall": "renameat2", "old_path": p("c.txt"), "new_path": p("d.txt"),
               "flags": 1, "result": 0}),
    );
    one(
        ev,
        "chmod",
        json!({"syscall": "chmod", "path": p("d.txt"), "mode": 0o755, "result": 0}),
    );
    one(
        ev,
        "chmod",
        json!({"syscall": "fchmod", "path": p("rel.txt"), "mode": 0o604, "result": 0}),
    );
    one(
        ev,
        "chmod",
        json!({"syscall": "fchmodat", "path": p("d.txt"), "mode": 0o700, "result": 0}),
    );
    one(
        ev,
        "link",
        json!({"syscall": "link", "target": p("d.txt"), "path": p("hard.txt"),
               "symbolic": false, "result": 0}),
    );
    one(
        ev,
        "link",
        json!({"syscall": "linkat", "target": p("d.txt"), "path": p("hard2.txt"),
               "symbolic": false, "result": 0}),
    );
    one(
        ev,
        "link",
        json!({"syscall": "symlink", "target": "d.txt", "path": p("sym"), "symbolic": true,
               "result": 0}),
    );
    one(
        ev,
        "link",
        json!({"syscall": "symlinkat", "target": "/etc/hostname", "path": p("sym2"),
               "symbolic": true, "result": 0}),
    );
    one(
        ev,
        "truncate",
        json!({"syscall": "truncate", "path": p("d.txt"), "length": 5, "result": 0}),
    );
    one(
        ev,
        "truncate",
        json!({"syscall": "ftruncate", "path": p("rel.txt"), "length": 3, "result": 0}),
    );
    one(
        ev,
        "unlink",
        json!({"syscall": "unlink", "path": p("hard.txt"), "flags": 0, "result": 0}),
    );
    one(
        ev,
        "unlink",
        json!({"syscall": "unlinkat", "path": p("hard2.txt"), "result": 0}),
    );
    assert_eq!(o["unlink_missing"], -libc::ENOENT);
    one(
        ev,
        "unlink",
        json!({"syscall": "unlinkat", "path": p("missing"), "result": -libc::ENOENT}),
    );
    one(
        ev,
        "memfd_create",
        json!({"name": "vigil-memfd", "flags": 1, "result": o["memfd"]}),
    );
    // The cwd is followed through chdir, not looked up after the fact.
    one(
        ev,
        "open",
        json!({"syscall": "openat", "path": p("x.txt"), "flags": 0o101,
               "result": o["after_chdir"]}),
    );
    // ... and through fchdir to a directory fd.
    one(
        ev,
        "open",
        json!({"syscall": "openat", "path": p("y.txt"), "result": o["after_fchdir"]}),
    );
    // fchmodat2 exists from Linux 6.6: where the kernel lacks it, neither does the event.
    if o["fchmodat2"] == -libc::ENOSYS {
        assert!(matching(ev, "chmod", &json!({"syscall": "fchmodat2"})).is_empty());
    } else {
        one(
            ev,
            "chmod",
            json!({"syscall": "fchmodat2", "path": p("y.txt"), "mode": 0o640, "result": 0}),
        );
    }
    // Common header: the script's own pid and comm, a cgroup id.
    let e = one(ev, "memfd_create", json!({"name": "vigil-memfd"}));
    assert_eq!(e["comm"], "python3");
    assert!(e["pid"].as_u64().unwrap() > 1);
    assert!(e["cgroup_id"].as_u64().unwrap() > 0);
}

#[test]
fn memory_and_process_events() {
    if !privileged() {
        return;
    }
    let body = r#"
import signal, time
r = {}
r["rwx"] = sc(9, 0, 4096, 7, 0x22, -1, 0)
r["rx_file"] = 0
f = os.open("/usr/bin/true", os.O_RDONLY)
sc(9, 0, 4096, 5, 0x2, f, 0)
p = sc(9, 0, 8192, 3, 0x22, -1, 0)
r["rw"] = p
r["mprotect"] = sc(10, p, 4096, 5)
buf = ctypes.create_string_buffer(b"vigil-secret", 16)
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
r["child"] = child
r["attach"] = sc(101, 16, child, 0, 0)
os.waitpid(child, 0)
r["detach"] = sc(101, 17, child, 0, 0)
local = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 16)
remote = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 16)
r["vm_read"] = sc(310, child, local, 1, remote, 1, 0)
r["vm_write"] = sc(311, child, local, 1, remote, 1, 0)
r["kill0"] = sc(62, child, 0)
r["tkill"] = sc(200, child, 0)
r["tgkill"] = sc(234, child, child, 9)
os.waitpid(child, 0)
libc.prctl(15, b"vigil-renamed", 0, 0, 0)
print(json.dumps(r))
"#;
    let rec = record("memory", &["python3", "-c", &script(body)], &[]);
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    let o = &rec.observed;
    let ev = &rec.events;
    let child = o["child"].as_i64().unwrap();

    one(
        ev,
        "mmap",
        json!({"address": 0, "length": 4096, "prot": 7, "flags": 0x22, "fd": -1,
               "writable": true, "anonymous": true, "result": o["rwx"]}),
    );
    assert!(
        matching(ev, "mmap", &json!({"prot": 5, "flags": 2})).is_empty(),
        "file-backed read-execute mappings (every library load) are not reported"
    );
    assert!(
        matching(ev, "mmap", &json!({"result": o["rw"]})).is_empty(),
        "non-executable mappings are not reported"
    );
    one(
        ev,
        "mprotect",
        json!({"address": o["rw"], "length": 4096, "prot": 5, "writable": false,
               "anonymous": true, "result": 0}),
    );
    one(
        ev,
        "ptrace",
        json!({"request": 16, "target_pid": child, "result": 0}),
    );
    one(
        ev,
        "ptrace",
        json!({"request": 17, "target_pid": child, "result": 0}),
    );
    assert_eq!(o["vm_read"], 16);
    one(
        ev,
        "process_vm",
        json!({"syscall": "process_vm_readv", "target_pid": child, "write": false,
               "result": 16}),
    );
    one(
        ev,
        "process_vm",
        json!({"syscall": "process_vm_writev", "target_pid": child, "write": true,
               "result": o["vm_write"]}),
    );
    one(
        ev,
        "kill",
        json!({"syscall": "kill", "target_pid": child, "target_tid": null, "signal": 0,
               "result": 0}),
    );
    one(
        ev,
        "kill",
        json!({"syscall": "tkill", "target_tid": child, "signal": 0, "result": 0}),
    );
    one(
        ev,
        "kill",
        json!({"syscall": "tgkill", "target_pid": child, "target_tid": child, "signal": 9,
               "result": 0}),
    );
    one(
        ev,
        "prctl_set_name",
        json!({"name": "vigil-renamed", "result": 0}),
    );
}

#[test]
fn network_and_dns_events() {
    if !privileged() {
        return;
    }
    let body = r#"
def query(name, qtype, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)
r = {}
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(7)
r["listener"] = s.fileno(); r["port"] = s.getsockname()[1]
c = socket.create_connection(("127.0.0.1", r["port"]))
conn, peer = s.accept()
r["conn"] = conn.fileno(); r["client_port"] = peer[1]
c2 = socket.create_connection(("127.0.0.1", r["port"]))
addr = ctypes.create_string_buffer(16); alen = ctypes.c_uint32(16)
r["accept"] = sc(43, s.fileno(), addr, ctypes.byref(alen)); r["client2_port"] = c2.getsockname()[1]
r["dup"] = os.dup2(conn.fileno(), 100)
# A sink on 127.0.0.2:53 so connected sends are not refused by ICMP.
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.bind(("127.0.0.2", 53))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r["udp"] = u.fileno()
q = query("exfil.vigil.test", 1, 0x4242)
r["sendto"] = u.sendto(q, ("127.0.0.2", 53))
u.sendto(b"not dns", ("127.0.0.2", 53))
u.sendto(query("not.port53.test", 1, 7), ("127.0.0.1", 5353))
u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u2.connect(("127.0.0.2", 53))
r["udp2"] = u2.fileno()
r["send"] = u2.send(query("connected.vigil.test", 28, 0x4343))
r["sendmsg"] = u2.sendmsg([query("msg.vigil.test", 16, 0x4444)])
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32), ("iov", ctypes.POINTER(iovec)),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]
class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]
payload = ctypes.create_string_buffer(query("mmsg.vigil.test", 65, 0x4545))
iov = iovec(ctypes.cast(payload, ctypes.c_void_p), len(payload.raw) - 1)
m = mmsghdr(msghdr(None, 0, ctypes.pointer(iov), 1, None, 0, 0), 0)
r["sendmmsg"] = sc(307, u2.fileno(), ctypes.byref(m), 1, 0)
print(json.dumps(r))
"#;
    let rec = record("network", &["python3", "-c", &script(body)], &[]);
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    let o = &rec.observed;
    let ev = &rec.events;
    let port = o["port"].as_u64().unwrap();
    let lo = |port: u64| json!({"type": "inet", "ip": "127.0.0.1", "port": port});

    one(
        ev,
        "bind",
        json!({"fd": o["listener"], "family": "inet", "address": lo(0), "result": 0}),
    );
    one(
        ev,
        "listen",
        json!({"fd": o["listener"], "backlog": 7, "result": 0}),
    );
    one(
        ev,
        "accept",
        json!({"syscall": "accept4", "fd": o["listener"], "family": "inet",
               "address": lo(o["client_port"].as_u64().unwrap()),
               "flags": libc::SOCK_CLOEXEC, "result": o["conn"]}),
    );
    one(
        ev,
        "accept",
        json!({"syscall": "accept", "fd": o["listener"], "family": "inet",
               "address": lo(o["client2_port"].as_u64().unwrap()), "flags": 0,
               "result": o["accept"]}),
    );
    // The accepted fd is known as a socket with its peer when it is dup'd.
    one(
        ev,
        "dup",
        json!({"old_fd": o["conn"], "new_fd": 100, "result": 100,
               "target": {"type": "socket", "family": "inet", "socket_type": 1,
                          "remote": lo(o["client_port"].as_u64().unwrap())}}),
    );
    let dns = |syscall: &str, fd: &Value, id: u16, name: &str, qtype: u16, tname: &str| {
        let server = json!({"type": "inet", "ip": "127.0.0.2", "port": 53});
        json!({"syscall": syscall, "fd": fd, "server": server, "id": id, "name": name,
               "query_type": qtype, "query_type_name": tname})
    };
    let e = one(
        ev,
        "dns_query",
        dns("sendto", &o["udp"], 0x4242, "exfil.vigil.test", 1, "A"),
    );
    assert_eq!(e["result"], o["sendto"]);
    let e = one(
        ev,
        "dns_query",
        dns(
            "sendto",
            &o["udp2"],
            0x4343,
            "connected.vigil.test",
            28,
            "AAAA",
        ),
    );
    assert_eq!(e["result"], o["send"]);
    let e = one(
        ev,
        "dns_query",
        dns("sendmsg", &o["udp2"], 0x4444, "msg.vigil.test", 16, "TXT"),
    );
    assert_eq!(e["result"], o["sendmsg"]);
    let e = one(
        ev,
        "dns_query",
        dns(
            "sendmmsg",
            &o["udp2"],
            0x4545,
            "mmsg.vigil.test",
            65,
            "HTTPS",
        ),
    );
    assert_eq!(e["result"], 1);
    assert_eq!(
        ev.iter().filter(|e| e["kind"] == "dns_query").count(),
        4,
        "not DNS, or not to port 53: not a DNS query"
    );
    let _ = port;
}

#[test]
fn identity_namespace_and_kernel_events() {
    if !privileged() {
        return;
    }
    let body = r#"
r = {}
hdr = struct.pack("Ii", 0x20080522, 0)
data = ctypes.create_string_buffer(24)
sc(125, ctypes.create_string_buffer(hdr, 8), data)
eff0, perm0, inh0, eff1, perm1, inh1 = struct.unpack("6I", data.raw)
r["eff"] = eff0 | eff1 << 32; r["perm"] = perm0 | perm1 << 32; r["inh"] = inh0 | inh1 << 32
r["capset"] = sc(126, ctypes.create_string_buffer(hdr, 8), data)
attr = ctypes.create_string_buffer(struct.pack("I", 1) + b"\0" * 124, 128)
r["bpf"] = sc(321, 5, attr, 128)
ns = os.open("/proc/self/ns/uts", os.O_RDONLY); r["nsfd"] = ns
r["setns"] = sc(308, ns, 0x04000000)
pid = os.fork()
if pid == 0:
    res = [sc(272, 0x04000000 | 0x20000)]
    res.append(sc(165, b"/", b"/", 0, 0x40000 | 0x4000, 0))
    res.append(sc(165, b"vigil-tmpfs", b"/tmp", b"tmpfs", 0, 0))
    res.append(sc(119, 1000, 1000, 1000))
    res.append(sc(114, 0xffffffff, 1001))
    res.append(sc(106, 1002))
    res.append(sc(113, 0xffffffff, 0))
    res.append(sc(117, 1000, 1000, 1000))
    res.append(sc(105, 0))
    os.write(1, (json.dumps(res) + "\n").encode())
    os._exit(0)
os.waitpid(pid, 0)
r["child"] = pid
print(json.dumps(r))
"#;
    let rec = record("identity", &["python3", "-c", &script(body)], &[]);
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    let o = &rec.observed;
    let ev = &rec.events;
    let child = o["child"].as_u64().unwrap();

    one(
        ev,
        "capset",
        json!({"effective": o["eff"], "permitted": o["perm"], "inheritable": o["inh"],
               "result": o["capset"]}),
    );
    assert_eq!(o["capset"], 0);
    one(
        ev,
        "bpf",
        json!({"cmd": 5, "cmd_name": "BPF_PROG_LOAD", "attr_head": 1, "result": o["bpf"]}),
    );
    assert!(
        o["bpf"].as_i64().unwrap() < 0,
        "an empty program is refused"
    );
    one(
        ev,
        "setns",
        json!({"fd": o["nsfd"], "nstype": 0x04000000, "result": 0}),
    );
    one(
        ev,
        "unshare",
        json!({"pid": child, "flags": 0x04000000 | 0x20000, "result": 0}),
    );
    one(
        ev,
        "mount",
        json!({"pid": child, "source": "/", "target": "/", "fstype": "",
               "flags": 0x40000 | 0x4000, "result": 0}),
    );
    one(
        ev,
        "mount",
        json!({"pid": child, "source": "vigil-tmpfs", "target": "/tmp", "fstype": "tmpfs",
               "flags": 0, "result": 0}),
    );
    one(
        ev,
        "setgid",
        json!({"syscall": "setresgid", "real": 1000, "effective": 1000, "saved": 1000,
               "result": 0}),
    );
    one(
        ev,
        "setgid",
        json!({"syscall": "setregid", "real": null, "effective": 1001, "saved": null,
               "result": 0}),
    );
    one(
        ev,
        "setgid",
        json!({"syscall": "setgid", "real": null, "effective": 1002, "result": 0}),
    );
    one(
        ev,
        "setuid",
        json!({"syscall": "setreuid", "real": null, "effective": 0, "result": 0}),
    );
    one(
        ev,
        "setuid",
        json!({"syscall": "setresuid", "real": 1000, "effective": 1000, "saved": 1000,
               "result": 0}),
    );
    let e = one(
        ev,
        "setuid",
        json!({"syscall": "setuid", "effective": 0, "result": -libc::EPERM}),
    );
    assert_eq!(
        e["uid"], 1000,
        "the header carries the caller's ids at the time"
    );
    assert_eq!(e["gid"], 1002);
}

#[test]
fn exec_carries_only_the_allowlisted_environment() {
    if !privileged() {
        return;
    }
    let secret = "ghp_vigilE2Esecret0123456789";
    let rec = record(
        "exec-env",
        &["sh", "-c", "/bin/true"],
        &[
            ("LD_PRELOAD", ""),
            ("LD_LIBRARY_PATH", "/opt/vigil-e2e/lib"),
            ("GITHUB_JOB", "build"),
            ("GITHUB_ACTION", "__run_2"),
            ("GITHUB_TOKEN", secret),
            ("LD_PRELOADX", "not-this"),
        ],
    );
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    let env = json!({"LD_PRELOAD": "", "LD_LIBRARY_PATH": "/opt/vigil-e2e/lib",
                     "GITHUB_JOB": "build", "GITHUB_ACTION": "__run_2"});
    let sh = one(
        &rec.events,
        "exec",
        json!({"argv": ["sh", "-c", "/bin/true"]}),
    );
    assert_eq!(sh["env"], env);
    assert!(sh["filename"].as_str().unwrap().ends_with("/sh"));
    let t = one(&rec.events, "exec", json!({"filename": "/bin/true"}));
    assert_eq!(t["env"], env, "inherited by the child's exec");
    let bytes = std::fs::read(&rec.file).unwrap();
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "no other environment value ever reaches the recording"
    );
}
