//! Which signatures a run loads: the default set embedded in the binary, plus every `*.wasm`
//! in each `--signatures DIR`. Any file that cannot be loaded is an error naming it: Vigil never
//! runs with fewer signatures than it was asked to.

use std::{borrow::Cow, collections::HashMap, path::Path, time::Duration};

use anyhow::{bail, Context, Result};

use crate::{
    cli::{SignatureSource, SignaturesArgs, SignaturesCommand},
    exit_status,
    sandbox::{Limits, LoadedSignature, Runtime, SharedTracker},
};

/// (crate name, component bytes) of the embedded default set.
static DEFAULT_SET: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/default_signatures.rs"));

/// Component bytes with where they came from.
pub struct SignatureFile {
    pub origin: String,
    pub bytes: Cow<'static, [u8]>,
}

/// Gathers the components asked for, without compiling them.
pub fn collect(source: &SignatureSource) -> Result<Vec<SignatureFile>> {
    let mut files = Vec::new();
    if !source.no_default_signatures {
        for (name, bytes) in DEFAULT_SET {
            files.push(SignatureFile {
                origin: format!("builtin:{name}"),
                bytes: Cow::Borrowed(bytes),
            });
        }
    }
    for dir in &source.dirs {
        files.extend(read_dir(dir)?);
    }
    if files.is_empty() {
        bail!("no signatures to run: --no-default-signatures was given and no --signatures DIR");
    }
    Ok(files)
}

fn read_dir(dir: &Path) -> Result<Vec<SignatureFile>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("--signatures {}: cannot read directory", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("--signatures {}: cannot list directory", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "wasm") {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        bail!(
            "--signatures {}: no *.wasm files in this directory",
            dir.display()
        );
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path)
                .with_context(|| format!("{}: cannot read signature", path.display()))?;
            Ok(SignatureFile {
                origin: path.display().to_string(),
                bytes: Cow::Owned(bytes),
            })
        })
        .collect()
}

/// Compiles and checks every signature; the first bad one fails the whole load.
pub fn load(
    runtime: &Runtime,
    source: &SignatureSource,
    tracker: SharedTracker,
) -> Result<Vec<LoadedSignature>> {
    let mut loaded: Vec<LoadedSignature> = Vec::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    for file in collect(source)? {
        let limits = Limits {
            memory_bytes: (source.signature_memory_mib as usize) << 20,
            deadline: Duration::from_millis(source.signature_deadline_ms),
        };
        let sig = runtime.load(&file.origin, &file.bytes, limits, tracker.clone())?;
        if let Some(first) = ids.insert(sig.metadata.id.clone(), file.origin.clone()) {
            bail!(
                "signature id {} is defined twice: by {first} and by {}",
                sig.metadata.id,
                file.origin
            );
        }
        loaded.push(sig);
    }
    Ok(loaded)
}

/// `vigil signatures ...`
pub fn command(args: SignaturesArgs) -> i32 {
    match args.command {
        SignaturesCommand::List(source) => match list(&source) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("vigil: {e:#}");
                exit_status::VIGIL_ERROR
            }
        },
    }
}

fn list(source: &SignatureSource) -> Result<()> {
    let runtime = Runtime::new()?;
    let tracker = SharedTracker::default();
    let sigs = load(&runtime, source, tracker)?;
    println!(
        "{:<12} {:<40} {:<9} {:<12} {:<20} SOURCE",
        "ID", "NAME", "SEVERITY", "ATT&CK", "EVENTS"
    );
    for s in &sigs {
        let m = &s.metadata;
        let events: Vec<&str> = m.events.iter().map(|k| k.as_str()).collect();
        println!(
            "{:<12} {:<40} {:<9} {:<12} {:<20} {}",
            m.id,
            m.name,
            m.severity.as_str(),
            m.mitre.join(","),
            events.join(","),
            s.origin
        );
    }
    Ok(())
}
