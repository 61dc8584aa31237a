//! Quiet on honest builds: a realistic CI job under `vigil run` with the whole default
//! signature set — C and Rust compiled and tested, git init/commit/clone, a package installed
//! from a loopback file server, archives, curl — must raise no finding of medium or higher.
//!
//! The job works in a directory under the system temp dir, as CI jobs often do: compilers then
//! write and run executables under /tmp, which the dropped-executable signature must tell
//! apart from a dropper.

use crate::harness::*;

/// The job: every step must succeed (`set -e`), and it prints what the test checks.
const JOB: &str = r#"
set -eu
W="$1"
cd "$W"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 CARGO_TERM_COLOR=never

# C: compile, link, run the program and its test.
cat > hello.c <<'C'
#include <stdio.h>
int add(int a, int b) { return a + b; }
#ifndef TEST
int main(void) { printf("hello-from-c %d\n", add(40, 2)); return 0; }
#else
int main(void) { return add(2, 2) == 4 ? 0 : 1; }
#endif
C
gcc -O2 -Wall -o hello hello.c
./hello
gcc -DTEST -o hello_test hello.c && ./hello_test && echo c-tests-passed

# Rust: a tiny crate with no dependencies, built and tested offline.
cargo build --offline --quiet --manifest-path crate/Cargo.toml
cargo test --offline --quiet --manifest-path crate/Cargo.toml 2>&1 | grep -q "test result: ok" \
  && echo rust-tests-passed

# git: a repository, a commit, a local clone, a commit in the clone.
git init -q -b main repo
cp hello.c repo/
git -C repo add hello.c
git -C repo -c user.name=ci -c user.email=ci@example.invalid commit -q -m "first"
git clone -q "file://$W/repo" clone
echo "// more" >> clone/hello.c
git -C clone -c user.name=ci -c user.email=ci@example.invalid commit -q -am "second"
git -C clone log --oneline | wc -l | grep -q 2 && echo git-done

# A wheel, built offline, served from loopback, installed by pip.
python3 make_wheel.py dist
python3 serve.py dist port &
SERVER=$!
while [ ! -s port ]; do sleep 0.05; done
PORT=$(cat port)
pip install --quiet --no-index --find-links "http://127.0.0.1:$PORT/" --target site vigil-honest
PYTHONPATH=site python3 -c 'import vigil_honest; print("pip-installed", vigil_honest.ANSWER)'

# Archives and curl.
tar czf src.tgz hello.c crate
mkdir unpacked && tar xzf src.tgz -C unpacked
gzip -k hello.c && gzip -dc hello.c.gz | cmp - hello.c && echo archives-done
curl -sf "http://127.0.0.1:$PORT/" -o index.html && grep -q vigil_honest index.html && echo curl-done
kill "$SERVER"
wait "$SERVER" || true
"#;

/// Writes a pure-Python wheel by hand (no `wheel` package needed): a zip with the module and
/// the dist-info files pip reads.
const MAKE_WHEEL: &str = r#"
import base64, hashlib, os, sys, zipfile
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
files = {
    "vigil_honest/__init__.py": "ANSWER = 42\n",
    "vigil_honest-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: vigil-honest\nVersion: 1.0\n",
    "vigil_honest-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: vigil-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
for name, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{name},sha256={digest},{len(text)}")
record.append("vigil_honest-1.0.dist-info/RECORD,,")
files["vigil_honest-1.0.dist-info/RECORD"] = "\n".join(record) + "\n"
with zipfile.ZipFile(os.path.join(out, "vigil_honest-1.0-py3-none-any.whl"), "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
"#;

/// A loopback file server on a free port, which it writes to a file once listening.
const SERVE: &str = r#"
import functools, http.server, os, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=sys.argv[1]))
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_port))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
"#;

const CARGO_TOML: &str = r#"[package]
name = "honest"
version = "0.1.0"
edition = "2021"

[workspace]
"#;

const LIB_RS: &str = r#"pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[cfg(test)]
mod tests {
    #[test]
    fn adds() {
        assert_eq!(super::add(2, 2), 4);
    }
}
"#;

/// Severities that fail the test.
fn is_medium_or_higher(severity: &str) -> bool {
    matches!(severity, "medium" | "high" | "critical")
}

#[test]
fn honest_build_raises_no_medium_finding() {
    if !privileged() {
        return;
    }
    let work = std::env::temp_dir().join(format!("vigil-honest-build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("crate/src")).unwrap();
    std::fs::write(work.join("crate/Cargo.toml"), CARGO_TOML).unwrap();
    std::fs::write(work.join("crate/src/lib.rs"), LIB_RS).unwrap();
    std::fs::write(work.join("make_wheel.py"), MAKE_WHEEL).unwrap();
    std::fs::write(work.join("serve.py"), SERVE).unwrap();
    let dir = work.display().to_string();

    // The job finds cargo where the one building these tests is (the kernel-matrix guest's
    // PATH does not have rustup's directory).
    let cargo_dir = std::path::Path::new(env!("CARGO")).parent().unwrap();
    let path = format!(
        "{}:{}",
        cargo_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let job = format!("export PATH={path:?}\n{JOB}");
    let run = vigil_run("honest-build", &[], &["bash", "-c", &job, "job", &dir]);
    let _ = std::fs::remove_dir_all(&work);

    for step in [
        "hello-from-c 42",
        "c-tests-passed",
        "rust-tests-passed",
        "git-done",
        "pip-installed 42",
        "archives-done",
        "curl-done",
    ] {
        assert!(
            run.stdout.contains(step),
            "the job's step {step:?} did not run"
        );
    }
    assert_eq!(run.code, 0, "an honest build passes");
    assert!(run.stderr.contains("vigil: status armed"), "{}", run.stderr);
    let loud: Vec<_> = run
        .findings
        .iter()
        .filter(|f| is_medium_or_higher(f["severity"].as_str().unwrap_or("")))
        .collect();
    assert!(loud.is_empty(), "findings on an honest build: {loud:#?}");
}
