//! The event catalogue, kernel-facing kinds: module loading, mounts (with the mount namespace
//! every event carries) and bpf(2) map operations across processes. Same method as
//! `capture.rs`: real syscalls by number under `vigil record`, exact fields from `vigil events`.

use serde_json::json;

use crate::{
    capture::{matching, one, record, script},
    harness::*,
};

/// init_module with an image that is not a module, finit_module with an fd that is not open:
/// both fail with an errno, so nothing is loaded. A kernel without module support has neither
/// syscall nor tracepoint: there the calls fail with ENOSYS and no event exists.
#[test]
fn module_loading_is_reported_with_its_result() {
    if !privileged() {
        return;
    }
    let body = r#"
r = {}
image = ctypes.create_string_buffer(b"not an ELF module", 17)
r["init_module"] = sc(175, image, 17, b"vigil_param=1")
r["finit_module"] = sc(313, 9999, b"vigil_other=2 x", 0)
print(json.dumps(r))
"#;
    let rec = record("modules", &["python3", "-c", &script(body)], &[]);
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    let o = &rec.observed;
    let ev = &rec.events;
    if o["init_module"] == -libc::ENOSYS {
        assert_eq!(o["finit_module"], -libc::ENOSYS);
        assert!(
            matching(ev, "load_module", &json!({})).is_empty(),
            "no module syscalls, no tracepoints, no events"
        );
        return;
    }
    assert!(o["init_module"].as_i64().unwrap() < 0, "{o}");
    one(
        ev,
        "load_module",
        json!({"syscall": "init_module", "fd": null, "params": "vigil_param=1",
               "result": o["init_module"]}),
    );
    assert_eq!(o["finit_module"], -libc::EBADF);
    one(
        ev,
        "load_module",
        json!({"syscall": "finit_module", "fd": 9999, "params": "vigil_other=2 x",
               "result": -libc::EBADF}),
    );
}

/// A child moves to a private mount namespace, mounts a tmpfs (and fails two mounts), then
/// goes back with setns: every event carries the namespace it was in at the time, so the
/// mounts are told apart from the host's.
#[test]
fn mounts_report_their_result_and_namespace() {
    if !privileged() {
        return;
    }
    let body = r#"
def ns():
    return os.stat("/proc/self/ns/mnt").st_ino
d = os.getcwd()
os.mkdir("mnt")
host_ns = os.open("/proc/self/ns/mnt", os.O_RDONLY)
r = {"cwd": d, "root_ns": ns()}
rd, wr = os.pipe()
pid = os.fork()
if pid == 0:
    res = {"unshare": sc(272, 0x20000), "child_ns": ns()}
    res["private"] = sc(165, b"none", b"/", 0, 0x40000 | 0x4000, 0)
    res["tmpfs"] = sc(165, b"vigil-tmpfs", b"mnt", b"tmpfs", 0x2 | 0x8, b"size=1m")
    res["bad_fs"] = sc(165, b"vigil-none", b"mnt", b"vigil-nofs", 0, 0)
    res["no_target"] = sc(165, b"vigil-tmpfs2", (d + "/missing").encode(), b"tmpfs", 0, 0)
    # setns resets the root to the namespace's own: where a chroot'ed environment (the kernel
    # matrix guest) has no /proc. Ask through a handle on /proc/self/ns opened before.
    nsdir = os.open("/proc/self/ns", os.O_RDONLY)
    res["setns"] = sc(308, host_ns, 0x20000)
    res["back_ns"] = os.stat("mnt", dir_fd=nsdir).st_ino
    res["marker"] = sc(319, b"vigil-back-home", 0)
    os.write(wr, json.dumps(res).encode())
    os._exit(0)
os.waitpid(pid, 0)
os.close(wr)
r.update(json.loads(os.read(rd, 4096)))
r["child"] = pid
r["root_marker"] = sc(319, b"vigil-root", 0)
print(json.dumps(r))
"#;
    let rec = record("mounts", &["python3", "-c", &script(body)], &[]);
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    let o = &rec.observed;
    let ev = &rec.events;
    let child = &o["child"];
    let (root_ns, child_ns) = (&o["root_ns"], &o["child_ns"]);
    assert_ne!(root_ns, child_ns, "{o}");
    assert_eq!(&o["back_ns"], root_ns);
    let mnt = format!("{}/mnt", o["cwd"].as_str().unwrap());

    // unshare is reported from where it left the caller: the new namespace.
    one(
        ev,
        "unshare",
        json!({"pid": child, "flags": 0x20000, "result": 0, "mnt_ns": child_ns}),
    );
    one(
        ev,
        "mount",
        json!({"pid": child, "source": "none", "target": "/", "fstype": "",
               "flags": 0x40000 | 0x4000, "result": 0, "mnt_ns": child_ns}),
    );
    one(
        ev,
        "mount",
        json!({"pid": child, "source": "vigil-tmpfs", "target": mnt, "fstype": "tmpfs",
               "flags": 0x2 | 0x8, "result": 0, "mnt_ns": child_ns}),
    );
    assert_eq!(o["bad_fs"], -libc::ENODEV);
    one(
        ev,
        "mount",
        json!({"pid": child, "source": "vigil-none", "target": mnt, "fstype": "vigil-nofs",
               "flags": 0, "result": -libc::ENODEV, "mnt_ns": child_ns}),
    );
    assert_eq!(o["no_target"], -libc::ENOENT);
    one(
        ev,
        "mount",
        json!({"pid": child, "source": "vigil-tmpfs2",
               "target": format!("{}/missing", o["cwd"].as_str().unwrap()),
               "fstype": "tmpfs", "result": -libc::ENOENT, "mnt_ns": child_ns}),
    );
    one(
        ev,
        "setns",
        json!({"pid": child, "nstype": 0x20000, "result": 0, "mnt_ns": root_ns}),
    );
    one(
        ev,
        "memfd_create",
        json!({"pid": child, "name": "vigil-back-home", "mnt_ns": root_ns}),
    );
    one(
        ev,
        "memfd_create",
        json!({"name": "vigil-root", "mnt_ns": root_ns}),
    );
    // The child's exit: it has dropped its namespaces by then, yet is still placed.
    one(
        ev,
        "exit",
        json!({"pid": child, "code": 0, "mnt_ns": root_ns}),
    );
    assert!(
        ev.iter()
            .all(|e| e["mnt_ns"] == *root_ns || e["mnt_ns"] == *child_ns),
        "every event has one of the two namespaces"
    );
}

/// One process creates a BPF map; a process it starts (not sharing the fd: it asks for the
/// map by id) updates and deletes in it. Each map command names the map by its system-wide id
/// and the process seen creating it, so work on someone else's map stands out.
#[test]
fn bpf_map_operations_on_another_process_map() {
    if !privileged() {
        return;
    }
    let body = r#"
import subprocess
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, len(attr))
    return sc(321, cmd, buf, len(attr))
addr = ctypes.addressof
if len(sys.argv) == 1:
    r = {"creator": os.getpid()}
    r["create"] = fd = bpf(0, struct.pack("IIII", 1, 4, 4, 8))
    info = ctypes.create_string_buffer(80)
    r["info"] = bpf(15, struct.pack("IIQ", fd, 80, addr(info)))
    r["id"] = struct.unpack_from("II", info.raw)[1]
    os.mkdir("bpffs")
    sc(272, 0x20000)
    sc(165, b"none", b"/", 0, 0x40000 | 0x4000, 0)
    r["mount_bpffs"] = sc(165, b"bpf", b"bpffs", b"bpf", 0, 0)
    r["pin_path"] = os.path.abspath("bpffs/vigil-map")
    pin = ctypes.create_string_buffer(r["pin_path"].encode())
    r["pin"] = bpf(6, struct.pack("QII", addr(pin), fd, 0))
    out = subprocess.run([sys.executable, __file__, str(r["id"]), r["pin_path"]],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    r["other"] = json.loads(out)
    print(json.dumps(r))
else:
    map_id, pin = int(sys.argv[1]), sys.argv[2].encode()
    k = ctypes.create_string_buffer(struct.pack("I", 7))
    v = ctypes.create_string_buffer(struct.pack("I", 9))
    o = {"pid": os.getpid()}
    o["by_id"] = fd = bpf(14, struct.pack("I", map_id))
    o["update"] = bpf(2, struct.pack("IIQQQ", fd, 0, addr(k), addr(v), 0))
    o["delete"] = bpf(3, struct.pack("IIQQQ", fd, 0, addr(k), 0, 0))
    keys = ctypes.create_string_buffer(struct.pack("II", 1, 2))
    vals = ctypes.create_string_buffer(struct.pack("II", 3, 4))
    o["update_batch"] = bpf(26, struct.pack("QQQQIIQQ", 0, 0, addr(keys), addr(vals), 2, fd, 0, 0))
    path = ctypes.create_string_buffer(pin)
    o["by_pin"] = pfd = bpf(7, struct.pack("QII", addr(path), 0, 0))
    o["lookup"] = bpf(1, struct.pack("IIQQQ", pfd, 0, addr(keys), addr(v), 0))
    o["missing"] = bpf(14, struct.pack("I", 0x7ffffff0))
    print(json.dumps(o))
"#;
    // The script runs itself again as the second process, so it is a file.
    let dir = scratch("bpf-maps");
    let file = dir.join("maps.py");
    std::fs::write(&file, script(body)).unwrap();
    let rec = crate::capture::record_in(
        &dir,
        "bpf-maps",
        &[],
        &["python3", file.to_str().unwrap()],
        &[],
    );
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    let o = &rec.observed;
    let other = &o["other"];
    let ev = &rec.events;
    let (creator, id, fd) = (&o["creator"], &o["id"], &o["create"]);
    assert!(id.as_u64().unwrap() > 0, "{o}");
    let map = |fd: &serde_json::Value| json!({"fd": fd, "id": id, "created_by": creator});

    one(
        ev,
        "bpf",
        json!({"pid": creator, "cmd_name": "BPF_MAP_CREATE", "cmd": 0, "attr_head": 1,
               "map": map(fd), "path": null, "result": fd}),
    );
    let pin = &o["pin_path"];
    assert_eq!(o["pin"], 0, "{o}");
    one(
        ev,
        "bpf",
        json!({"pid": creator, "cmd_name": "BPF_OBJ_PIN", "map": null, "path": pin,
               "result": 0}),
    );
    // The other process: every command on the map names its creator, not itself.
    let pid = &other["pid"];
    let by_id = &other["by_id"];
    one(
        ev,
        "bpf",
        json!({"pid": pid, "cmd_name": "BPF_MAP_GET_FD_BY_ID", "attr_head": id,
               "map": map(by_id), "result": by_id}),
    );
    for (cmd, name) in [(2, "BPF_MAP_UPDATE_ELEM"), (3, "BPF_MAP_DELETE_ELEM")] {
        one(
            ev,
            "bpf",
            json!({"pid": pid, "cmd": cmd, "cmd_name": name, "attr_head": by_id,
                   "map": map(by_id), "result": 0}),
        );
    }
    assert_eq!(other["update_batch"], 0, "{other}");
    one(
        ev,
        "bpf",
        json!({"pid": pid, "cmd": 26, "cmd_name": "BPF_MAP_UPDATE_BATCH", "attr_head": 0,
               "map": map(by_id), "result": 0}),
    );
    let by_pin = &other["by_pin"];
    one(
        ev,
        "bpf",
        json!({"pid": pid, "cmd_name": "BPF_OBJ_GET", "map": null, "path": pin,
               "result": by_pin}),
    );
    one(
        ev,
        "bpf",
        json!({"pid": pid, "cmd_name": "BPF_MAP_LOOKUP_ELEM", "map": map(by_pin),
               "result": 0}),
    );
    assert_eq!(other["missing"], -libc::ENOENT);
    one(
        ev,
        "bpf",
        json!({"pid": pid, "cmd_name": "BPF_MAP_GET_FD_BY_ID", "attr_head": 0x7ffffff0u32,
               "map": {"fd": null, "id": 0x7ffffff0u32, "created_by": null},
               "result": -libc::ENOENT}),
    );
    assert_ne!(pid, creator);
}
