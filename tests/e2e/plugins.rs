//! Signatures loaded from pinned URLs: fetched from loopback HTTP(S) servers, checked against
//! their sha256 before compiling, refused on any mismatch or transport failure.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use crate::harness::*;

/// The Python test server (tests/e2e/plugin_server.py) on 127.0.0.1.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(dir: &Path, tls: Option<(&Path, &Path)>) -> Self {
        let mut cmd = Command::new("python3");
        cmd.arg(workspace().join("tests/e2e/plugin_server.py"))
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::piped());
        if let Some((cert, key)) = tls {
            cmd.arg("--tls").arg(cert).arg(key);
        }
        let mut child = cmd.spawn().expect("starting the plugin server");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the server prints its port");
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A throwaway CA and a server certificate for 127.0.0.1 signed by it, made with openssl.
/// Returns (CA certificate, server certificate, server key).
fn test_pki(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let p = |name: &str| dir.join(name);
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(Stdio::null())
            .status()
            .expect("running openssl");
        assert!(status.success(), "openssl {args:?}");
    };
    std::fs::write(
        p("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=vigil-test-ca",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "leaf.ext",
        "-out",
        "cert.pem",
    ]);
    (p("ca.pem"), p("cert.pem"), p("key.pem"))
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn pinned_plugins_over_https_and_loopback_http() {
    if !privileged() {
        return;
    }
    let dir = scratch("plugins");
    // The plugin served is Vigil's own reverse-shell signature, loaded without the default
    // set: if the finding appears, the plugin is what caught it.
    let served = fixture_dir("vigil-sig-stdio-over-socket");
    let wasm = served.join("vigil_sig_stdio_over_socket.wasm");
    let pin = sha256_of(&wasm);
    let (ca, cert, key) = test_pki(&dir);
    let https = Server::start(&served, Some((&cert, &key)));
    let http = Server::start(&served, None);
    let cache = dir.join("cache");
    let cert_s = ca.display().to_string();
    let cache_s = cache.display().to_string();

    for (label, url, extra) in [
        (
            "https",
            format!(
                "https://127.0.0.1:{}/vigil_sig_stdio_over_socket.wasm",
                https.port
            ),
            vec!["--plugin-ca", cert_s.as_str()],
        ),
        (
            "http-loopback",
            format!(
                "http://127.0.0.1:{}/vigil_sig_stdio_over_socket.wasm",
                http.port
            ),
            vec![],
        ),
        (
            "flaky-then-ok",
            format!(
                "http://127.0.0.1:{}/flaky/vigil_sig_stdio_over_socket.wasm",
                http.port
            ),
            vec![],
        ),
    ] {
        let listener = Listener::start("exit\n");
        let port = listener.port.to_string();
        let plugin = format!("{url}#sha256={pin}");
        let mut args = vec!["--no-default-signatures", "--no-cache", "--plugin", &plugin];
        args.extend(extra.iter());
        let backdoor = demo("backdoor.py");
        let run = vigil_run(
            &format!("plugin-{label}"),
            &args,
            &["python3", &backdoor, "127.0.0.1", &port],
        );
        listener.transcript();
        assert_eq!(
            run.code, EXIT_FINDING,
            "{label}: the plugin caught the shell"
        );
        assert_eq!(by_signature(&run.findings, "VGL-0001").len(), 1, "{label}");
    }

    // Verified bytes are cached by digest: the second run needs no server at all.
    let plugin = format!(
        "http://127.0.0.1:{}/vigil_sig_stdio_over_socket.wasm#sha256={pin}",
        http.port
    );
    let args = [
        "--no-default-signatures",
        "--cache-dir",
        &cache_s,
        "--plugin",
        &plugin,
    ];
    assert_eq!(vigil_run("plugin-cache-fill", &args, &["true"]).code, 0);
    drop(http);
    assert_eq!(vigil_run("plugin-cache-hit", &args, &["true"]).code, 0);
}

#[test]
fn bad_plugins_are_refused_before_anything_runs() {
    if !privileged() {
        return;
    }
    let dir = scratch("bad-plugins");
    let served = fixture_dir("vigil-sig-stdio-over-socket");
    let pin = sha256_of(&served.join("vigil_sig_stdio_over_socket.wasm"));
    let wrong = "0".repeat(64);
    let (_ca, cert, key) = test_pki(&dir);
    let https = Server::start(&served, Some((&cert, &key)));
    let http = Server::start(&served, None);
    let marker = dir.join("ran");
    let touch = ["touch", marker.to_str().unwrap()];
    let base = |p: u16| format!("http://127.0.0.1:{p}");

    for (label, plugin, extra, expected) in [
        (
            "wrong-digest",
            format!(
                "{}/vigil_sig_stdio_over_socket.wasm#sha256={wrong}",
                base(http.port)
            ),
            vec![],
            format!("sha256 is {pin}, but the pin says {wrong}; refusing it"),
        ),
        (
            "not-found",
            format!("{}/nothing-here.wasm#sha256={pin}", base(http.port)),
            vec![],
            "HTTP 404".to_string(),
        ),
        (
            "timeout",
            format!("{}/slow#sha256={pin}", base(http.port)),
            vec!["--plugin-timeout-secs", "2", "--plugin-attempts", "1"],
            "/slow: ".to_string(),
        ),
        (
            "oversized",
            format!("{}/big#sha256={pin}", base(http.port)),
            vec!["--plugin-max-mib", "1"],
            "body is over the 1048576-byte limit".to_string(),
        ),
        (
            "untrusted-certificate",
            format!(
                "https://127.0.0.1:{}/vigil_sig_stdio_over_socket.wasm#sha256={pin}",
                https.port
            ),
            vec!["--plugin-attempts", "1"],
            "https://127.0.0.1".to_string(),
        ),
    ] {
        let mut args = vec!["--no-cache", "--plugin", plugin.as_str()];
        args.extend(extra.iter());
        let run = vigil_run(&format!("bad-plugin-{label}"), &args, &touch);
        assert_eq!(run.code, EXIT_VIGIL_ERROR, "{label}");
        assert!(
            run.stderr.contains(&expected),
            "{label}: expected {expected:?} in {}",
            run.stderr
        );
        assert!(
            !marker.exists(),
            "{label}: nothing runs when a plugin is refused"
        );
    }
}

#[test]
fn the_default_set_starts_from_embedded_code() {
    if !privileged() {
        return;
    }
    // Release builds carry the default set's native code: a first run compiles nothing, so it
    // writes nothing to an empty compile cache.
    let cache = scratch("embedded-code-cache");
    let cache_s = cache.display().to_string();
    let run = vigil_run("embedded-code", &["--cache-dir", &cache_s], &["true"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stderr.contains("precompiled code not usable"),
        "{}",
        run.stderr
    );
    let compiled = std::fs::read_dir(cache.join("compiled"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(compiled, 0, "the default set was compiled at run time");
}
