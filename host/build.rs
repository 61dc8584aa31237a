//! Builds what the `vigil` binary embeds: the eBPF object (via aya-build, on the installed
//! toolchain with `-Z build-std=core`) and the default signature set (wasm32-wasip2
//! components, and in release builds their native code, so that a first run starts without
//! compiling them). The product is then one self-contained binary.

#[path = "src/engine_config.rs"]
mod engine_config;

use std::{
    env,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, Context, Result};

/// Signature crates embedded as the default set.
const DEFAULT_SIGNATURES: &[&str] = &[
    "vigil-sig-stdio-over-socket",
    "vigil-sig-proc-mem-read",
    "vigil-sig-proc-mem-write",
    "vigil-sig-process-vm-write",
    "vigil-sig-ptrace-code-injection",
    "vigil-sig-anti-debugging",
    "vigil-sig-kernel-module-load",
    "vigil-sig-fileless-execution",
    "vigil-sig-ld-preload",
    "vigil-sig-loader-modification",
    "vigil-sig-sudoers-modification",
    "vigil-sig-core-pattern-modification",
    "vigil-sig-sysrq-modification",
    "vigil-sig-kcore-read",
    "vigil-sig-cgroup-release-agent",
    "vigil-sig-cgroup-notify-on-release",
    "vigil-sig-aslr-inspection",
    "vigil-sig-rc-script-modification",
    "vigil-sig-scheduled-task-modification",
    "vigil-sig-dynamic-code-loading",
    "vigil-sig-disk-mount",
    "vigil-sig-docker-socket-access",
    "vigil-sig-hidden-executable",
    "vigil-sig-foreign-process-read",
    "vigil-sig-credential-files",
    "vigil-sig-workflow-tampering",
    "vigil-sig-dropped-executable",
    "vigil-sig-token-hunting",
    "vigil-sig-crypto-mining",
    "vigil-sig-network-service-shell",
    "vigil-sig-vigil-tampering",
];

fn main() -> Result<()> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir
        .parent()
        .context("workspace root")?
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);

    build_ebpf(&workspace)?;
    build_signatures(&workspace, &out_dir)?;
    Ok(())
}

fn build_ebpf(workspace: &Path) -> Result<()> {
    // The eBPF target needs unstable `-Z build-std`; RUSTC_BOOTSTRAP lets the stable toolchain
    // (the only one we can rely on) accept it.
    // SAFETY: build scripts are single-threaded at this point.
    env::set_var("RUSTC_BOOTSTRAP", "1");
    let toolchain = env::var("RUSTUP_TOOLCHAIN").unwrap_or_else(|_| "stable".into());
    let root_dir = workspace.join("host-ebpf/programs");
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("host-ebpf/common").display()
    );
    aya_build::build_ebpf(
        [aya_build::Package {
            name: "vigil-ebpf",
            root_dir: root_dir.to_str().context("non-UTF-8 path")?,
            ..Default::default()
        }],
        aya_build::Toolchain::Custom(&toolchain),
    )
    .context("building the eBPF programs (is bpf-linker installed? `make build` installs it)")
}

fn build_signatures(workspace: &Path, out_dir: &Path) -> Result<()> {
    for dir in ["signatures-wasm", "sdk", "wit"] {
        println!("cargo:rerun-if-changed={}", workspace.join(dir).display());
    }
    let target_dir = workspace.join("target/wasm");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(&target_dir);
    for name in DEFAULT_SIGNATURES {
        cmd.args(["-p", name]);
    }
    // Signatures run once per event: whole-program optimisation pays for itself there, and
    // only there (the host's own build would take minutes longer).
    cmd.env("CARGO_PROFILE_RELEASE_LTO", "fat")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1");
    // Do not let the outer build's compiler wrappers and flags leak into the Wasm build.
    for key in [
        "RUSTC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_BOOTSTRAP",
    ] {
        cmd.env_remove(key);
    }
    let status = cmd.status().context("running cargo for the signatures")?;
    if !status.success() {
        bail!(
            "building the default signatures for wasm32-wasip2 failed ({status}); \
             is the target installed? `make build` installs it"
        );
    }

    let mut components = Vec::new();
    for name in DEFAULT_SIGNATURES {
        let file = format!("{}.wasm", name.replace('-', "_"));
        let built = target_dir.join("wasm32-wasip2/release").join(&file);
        let dst = out_dir.join(&file);
        std::fs::copy(&built, &dst)
            .with_context(|| format!("copying {} to {}", built.display(), dst.display()))?;
        components.push((*name, dst));
    }
    let precompiled = if precompile_wanted() {
        precompile(&components)?
    } else {
        vec![None; components.len()]
    };
    let mut embedded = String::from("&[\n");
    for ((name, wasm), code) in components.iter().zip(&precompiled) {
        let code = match code {
            Some(path) => format!(
                "Some(include_bytes!({:?}).as_slice())",
                path.display().to_string()
            ),
            None => "None".to_string(),
        };
        embedded.push_str(&format!(
            "    ({name:?}, include_bytes!({:?}).as_slice(), {code}),\n",
            wasm.display().to_string()
        ));
    }
    embedded.push_str("]\n");
    std::fs::write(out_dir.join("default_signatures.rs"), embedded)?;
    Ok(())
}

/// Release builds embed native code (compiling 31 components takes seconds of CPU at every
/// first start otherwise); debug builds skip it to keep the edit-compile loop short.
/// `VIGIL_PRECOMPILE=0` or `=1` overrides.
fn precompile_wanted() -> bool {
    println!("cargo:rerun-if-env-changed=VIGIL_PRECOMPILE");
    match env::var("VIGIL_PRECOMPILE").as_deref() {
        Ok("0") => false,
        Ok("1") => true,
        _ => env::var("PROFILE").as_deref() == Ok("release"),
    }
}

/// x86-64-v2: what the embedded code may use of the CPU (any x86-64 CPU since about 2009).
/// Without this Cranelift would use every feature of the build machine (AVX-512 here), and a
/// runner without them would have to compile the set at every start.
const X86_64_V2: &[&str] = &[
    "has_sse3",
    "has_ssse3",
    "has_sse41",
    "has_sse42",
    "has_popcnt",
    "has_cmpxchg16b",
];

/// Compiles each component with the engine configuration the binary uses, one thread each.
fn precompile(components: &[(&str, PathBuf)]) -> Result<Vec<Option<PathBuf>>> {
    let mut config = engine_config::engine_config();
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64") {
        // An explicit target turns off the detection of the build machine's CPU.
        config
            .target(&env::var("TARGET")?)
            .map_err(|e| anyhow::anyhow!("wasmtime target: {e:#}"))?;
        for flag in X86_64_V2 {
            // SAFETY: only the code's CPU requirements change; wasmtime checks them against the
            // running CPU before it runs any of it.
            unsafe {
                config.cranelift_flag_enable(flag);
            }
        }
    }
    let engine = wasmtime::Engine::new(&config)?;
    std::thread::scope(|scope| {
        let jobs: Vec<_> = components
            .iter()
            .map(|(name, wasm)| {
                let engine = &engine;
                scope.spawn(move || -> Result<Option<PathBuf>> {
                    let bytes = std::fs::read(wasm)?;
                    let code = engine
                        .precompile_component(&bytes)
                        .map_err(|e| anyhow::anyhow!("precompiling {name}: {e:#}"))?;
                    let dst = wasm.with_extension("cwasm");
                    std::fs::write(&dst, code)?;
                    Ok(Some(dst))
                })
            })
            .collect();
        jobs.into_iter()
            .map(|job| {
                job.join()
                    .unwrap_or_else(|_| bail!("precompiling thread panicked"))
            })
            .collect()
    })
}
