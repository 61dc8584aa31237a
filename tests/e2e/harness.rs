//! Shared helpers: privileges, running vigil, loopback listeners, fixtures, findings.

use std::{
    io::{Read, Write},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
    thread::JoinHandle,
    time::Duration,
};

use serde_json::Value;

pub const EXIT_FINDING: i32 = 86;
pub const EXIT_VIGIL_ERROR: i32 = 87;

/// True when kernel tests can run. Under CI, not being root is a test failure.
pub fn privileged() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but the end-to-end tests are not running as root: they must run");
        }
        eprintln!("SKIPPED: end-to-end eBPF tests need root (run `sudo make test`)");
    }
    root
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn demo(file: &str) -> String {
    workspace().join("demo").join(file).display().to_string()
}

/// Where the tests write: `VIGIL_E2E_SCRATCH` when set (the kernel-matrix guest, whose
/// workspace is read-only), otherwise `target/e2e`.
pub fn scratch_root() -> PathBuf {
    std::env::var_os("VIGIL_E2E_SCRATCH")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/e2e"))
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = scratch_root().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Run {
    pub code: i32,
    /// Wall time of the whole `vigil run`.
    pub elapsed: Duration,
    pub stdout: String,
    pub stderr: String,
    pub findings: Vec<Value>,
}

/// `vigil run [vigil_args] --findings F -- cmd...`
pub fn vigil_run(name: &str, vigil_args: &[&str], cmd: &[&str]) -> Run {
    let dir = scratch(name);
    let findings = dir.join("findings.jsonl");
    let started = std::time::Instant::now();
    let out: Output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("run")
        .args(vigil_args)
        .arg("--findings")
        .arg(&findings)
        .arg("--")
        .args(cmd)
        .output()
        .expect("running vigil");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        elapsed: started.elapsed(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        findings: std::fs::read_to_string(&findings)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("each findings line is JSON"))
            .collect(),
    };
    eprintln!(
        "--- vigil {name}: exit {}\n{}\n{}",
        run.code, run.stdout, run.stderr
    );
    run
}

/// The per-call signature deadline vigil runs with here (the kernel-matrix guest raises it
/// through the environment to suit an emulated CPU).
pub fn signature_deadline_ms() -> u64 {
    std::env::var("VIGIL_SIGNATURE_DEADLINE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

/// The "attacker": a loopback listener that sends `script` to whoever connects and collects
/// what comes back until the peer closes (bounded by a timeout).
pub struct Listener {
    pub port: u16,
    handle: JoinHandle<String>,
}

impl Listener {
    pub fn start(script: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            // Bounded: if vigil fails before the shell ever connects, the test must fail on
            // its assertions, not hang here.
            listener.set_nonblocking(true).unwrap();
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            let mut conn = loop {
                match listener.accept() {
                    Ok((conn, _)) => break conn,
                    Err(_) if std::time::Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(20))
                    }
                    Err(_) => return String::new(),
                }
            };
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let _ = conn.write_all(script.as_bytes());
            let mut got = Vec::new();
            let _ = conn.read_to_end(&mut got);
            String::from_utf8_lossy(&got).into_owned()
        });
        Listener { port, handle }
    }

    /// What the shell sent back.
    pub fn transcript(self) -> String {
        self.handle.join().unwrap()
    }
}

/// Builds the Wasm test fixtures once and returns the directory holding `name.wasm`.
/// With `VIGIL_E2E_FIXTURES` set to a directory of prebuilt fixtures, cargo is not run (the
/// kernel-matrix guest has no writable workspace to build in).
pub fn fixture_dir(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let built_dir = BUILT.get_or_init(|| {
        if let Some(prebuilt) = std::env::var_os("VIGIL_E2E_FIXTURES") {
            return PathBuf::from(prebuilt);
        }
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(workspace())
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                // Every workspace package named vigil-fixture-*.
                "-p",
                "vigil-fixture-*",
                "--target-dir",
            ])
            .arg(workspace().join("target/wasm"))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .status()
            .expect("running cargo for the fixtures");
        assert!(status.success(), "building the Wasm fixtures failed");
        workspace().join("target/wasm/wasm32-wasip2/release")
    });
    let file = format!("{}.wasm", name.replace('-', "_"));
    let built = built_dir.join(&file);
    let dir = scratch_root().join("fixtures").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    // Copy then rename, so a test running concurrently never loads a half-written file.
    let partial = dir.join(format!(".{file}.{:?}", std::thread::current().id()));
    std::fs::copy(&built, &partial)
        .unwrap_or_else(|e| panic!("copying fixture {}: {e}", built.display()));
    std::fs::rename(&partial, dir.join(&file)).unwrap();
    dir
}

/// Findings of one signature.
pub fn by_signature<'a>(findings: &'a [Value], id: &str) -> Vec<&'a Value> {
    findings
        .iter()
        .filter(|f| f["signature"]["id"] == id)
        .collect()
}

/// The `key` evidence of each of `found` ("" where it has none), in order.
pub fn evidence<'a>(found: &'a [&Value], key: &str) -> Vec<&'a str> {
    found
        .iter()
        .map(|f| f["evidence"][key].as_str().unwrap_or(""))
        .collect()
}

/// Whether vigil's "loaded N signature(s): ID, ID..." line lists the default set's VGL-0001
/// and `id` (the default set grows; the tests only care that both were loaded together).
pub fn loaded_with_defaults(stderr: &str, id: &str) -> bool {
    stderr
        .lines()
        .filter_map(|l| l.split_once(" signature(s): ").map(|(_, ids)| ids))
        .any(|ids| {
            let ids: Vec<&str> = ids.split(", ").map(str::trim).collect();
            ids.contains(&"VGL-0001") && ids.contains(&id)
        })
}

/// The number in the status line's "N event(s)" / "N lost".
pub fn status_count(stderr: &str, what: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("vigil: status "))
        .unwrap_or_else(|| panic!("no status line in {stderr}"));
    let words: Vec<&str> = line.split([' ', ',']).collect();
    let at = words
        .iter()
        .position(|w| *w == what)
        .unwrap_or_else(|| panic!("no {what} in {line}"));
    words[at - 1].parse().unwrap()
}
