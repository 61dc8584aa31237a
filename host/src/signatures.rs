//! Which signatures a run loads: the default set embedded in the binary, plus every `*.wasm`
//! in each `--signatures DIR`. Any file that cannot be loaded is an error naming it: Vigil never
//! runs with fewer signatures than it was asked to. Components compile in parallel and through
//! the compile cache.

use std::{borrow::Cow, collections::HashMap, path::Path, time::Duration};

use anyhow::{bail, Context, Result};

use crate::{
    cli::{ListArgs, SignatureSource, SignaturesArgs, SignaturesCommand},
    compile_cache, exit_status, plugins,
    sandbox::{Compiled, Limits, LoadedSignature, Metadata, Runtime, Shape, SharedTracker},
    signature_table,
};

/// One embedded signature: crate name, component bytes, and the native code `build.rs`
/// precompiled from them (release builds only).
type Embedded = (&'static str, &'static [u8], Option<&'static [u8]>);

/// The embedded default set.
static DEFAULT_SET: &[Embedded] = include!(concat!(env!("OUT_DIR"), "/default_signatures.rs"));

/// Component bytes with where they came from.
pub struct SignatureFile {
    pub origin: String,
    pub bytes: Cow<'static, [u8]>,
    /// Native code for `bytes`, only ever for the embedded set.
    pub precompiled: Option<&'static [u8]>,
}

/// Gathers the components asked for, without compiling them.
pub fn collect(source: &SignatureSource) -> Result<Vec<SignatureFile>> {
    let mut files = Vec::new();
    if !source.no_default_signatures {
        for (name, bytes, precompiled) in DEFAULT_SET {
            files.push(SignatureFile {
                origin: format!("builtin:{name}"),
                bytes: Cow::Borrowed(bytes),
                precompiled: *precompiled,
            });
        }
    }
    for dir in &source.dirs {
        files.extend(read_dir(dir)?);
    }
    let mut plugins = source.plugins.clone();
    if let Some(file) = &source.plugins_file {
        plugins.extend(plugins::read_plugins_file(file)?);
    }
    let policy = plugins::FetchPolicy {
        max_bytes: source.plugin_max_mib << 20,
        timeout: Duration::from_secs(source.plugin_timeout_secs),
        attempts: source.plugin_attempts.max(1),
        ca_file: source.plugin_ca.clone(),
        cache_dir: cache_dir(source),
    };
    for plugin in &plugins {
        files.push(SignatureFile {
            origin: plugin.url.clone(),
            bytes: Cow::Owned(plugins::fetch(plugin, &policy)?),
            precompiled: None,
        });
    }
    if files.is_empty() {
        bail!(
            "no signatures to run: --no-default-signatures was given and no --signatures DIR \
             or --plugin"
        );
    }
    Ok(files)
}

fn cache_dir(source: &SignatureSource) -> Option<std::path::PathBuf> {
    if source.no_cache {
        None
    } else {
        source.cache_dir.clone().or_else(compile_cache::default_dir)
    }
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
    paths.into_iter().map(|p| read_file(&p)).collect()
}

fn read_file(path: &Path) -> Result<SignatureFile> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("{}: cannot read signature", path.display()))?;
    Ok(SignatureFile {
        origin: path.display().to_string(),
        bytes: Cow::Owned(bytes),
        precompiled: None,
    })
}

/// The runtime for a source's cache settings.
pub fn runtime(source: &SignatureSource) -> Result<Runtime> {
    Runtime::new(cache_dir(source).as_deref())
}

/// Compiles and checks every signature; the first bad one fails the whole load.
pub fn load(
    runtime: &Runtime,
    source: &SignatureSource,
    tracker: SharedTracker,
) -> Result<Vec<LoadedSignature>> {
    let files = collect(source)?;
    // Compiling is the slow part of startup: one thread per component.
    let compiled: Vec<Result<Compiled>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|f| {
                scope.spawn(|| {
                    let compiled = runtime.compile(&f.origin, &f.bytes, f.precompiled);
                    // Compiled (or copied out of the binary): the embedded bytes are not read
                    // again on this path, so they need not stay resident.
                    if let Cow::Borrowed(bytes) = f.bytes {
                        release_pages(bytes);
                    }
                    if let Some(code) = f.precompiled {
                        release_pages(code);
                    }
                    compiled
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| bail!("compiler thread panicked"))
            })
            .collect()
    });

    let mut loaded: Vec<LoadedSignature> = Vec::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    let limits = || Limits {
        memory_bytes: (source.signature_memory_mib as usize) << 20,
        deadline: Duration::from_millis(source.signature_deadline_ms),
    };
    for compiled in compiled {
        let compiled = compiled?;
        let origin = compiled.origin.clone();
        let sig = runtime.load(compiled, limits(), &source.settings, tracker.clone())?;
        if let Some(first) = ids.insert(sig.metadata.id.clone(), origin.clone()) {
            bail!(
                "signature id {} is defined twice: by {first} and by {origin}",
                sig.metadata.id
            );
        }
        loaded.push(sig);
    }
    for setting in &source.settings {
        if !ids.contains_key(&setting.signature) {
            bail!(
                "--config {}:{}: no loaded signature has id {}",
                setting.signature,
                setting.key,
                setting.signature
            );
        }
    }
    Ok(loaded)
}

/// Lets the kernel drop this process's pages of `bytes`, a part of the binary's read-only data,
/// from its resident set: ~20 MiB for the embedded set, a quarter of Vigil's footprint.
/// Only whole pages inside `bytes` are touched.
fn release_pages(bytes: &'static [u8]) {
    // SAFETY: sysconf has no preconditions.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    let start = (bytes.as_ptr() as usize).next_multiple_of(page);
    let end = (bytes.as_ptr() as usize + bytes.len()) / page * page;
    if end > start {
        // SAFETY: [start, end) lies inside `bytes`, in the executable's private, read-only file
        // mapping; discarded pages of such a mapping are read back from the file, unchanged, if
        // they are ever touched again (the kernel refuses writes to a running executable).
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
    }
}

/// `vigil signatures ...`
pub fn command(args: SignaturesArgs) -> i32 {
    let result = match args.command {
        SignaturesCommand::List(args) => list(&args),
        SignaturesCommand::Inspect { file } => inspect(&file),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("vigil: {e:#}");
            exit_status::VIGIL_ERROR
        }
    }
}

fn list(args: &ListArgs) -> Result<()> {
    let source = &args.source;
    let runtime = runtime(source)?;
    let sigs = load(&runtime, source, SharedTracker::default())?;
    if args.markdown {
        let metadata: Vec<&Metadata> = sigs.iter().map(|s| &s.metadata).collect();
        print!("{}", signature_table::markdown(&metadata));
        return Ok(());
    }
    println!(
        "{:<12} {:<40} {:<9} {:<12} {:<24} {:<14} SOURCE",
        "ID", "NAME", "SEVERITY", "ATT&CK", "EVENTS", "SHA256"
    );
    for s in &sigs {
        let m = &s.metadata;
        let events: Vec<&str> = m.events.iter().map(|k| k.as_str()).collect();
        println!(
            "{:<12} {:<40} {:<9} {:<12} {:<24} {:<14} {}",
            m.id,
            m.name,
            m.severity.as_str(),
            m.mitre.join(","),
            events.join(","),
            &s.sha256[..12],
            s.origin
        );
    }
    Ok(())
}

fn inspect(path: &Path) -> Result<()> {
    let file = read_file(path)?;
    let runtime = Runtime::new(None)?;
    println!("file:      {}", file.origin);
    println!("size:      {} bytes", file.bytes.len());
    println!("sha256:    {}", compile_cache::sha256_hex(&file.bytes));
    let compiled = runtime.compile(&file.origin, &file.bytes, file.precompiled)?;
    let (imports, exports) = runtime.interface(&compiled);
    println!("exports:   {}", exports.join(", "));
    println!(
        "handler:   {}",
        match compiled.shape {
            Shape::Batched => "batched (batch-detector: many encoded events per call)",
            Shape::Typed => "typed (detector: one event per call, as WIT records)",
        }
    );
    println!(
        "imports:   {}",
        if imports.is_empty() {
            "none".into()
        } else {
            imports.join("\n           ")
        }
    );
    let sig = runtime.load(
        compiled,
        Limits {
            memory_bytes: 64 << 20,
            deadline: Duration::from_millis(1000),
        },
        &[],
        SharedTracker::default(),
    )?;
    let m = &sig.metadata;
    println!("id:        {}", m.id);
    println!("name:      {}", m.name);
    println!("version:   {}", m.version);
    println!("severity:  {}", m.severity.as_str());
    println!("ATT&CK:    {}", m.mitre.join(", "));
    println!("tags:      {}", m.tags.join(", "));
    let events: Vec<&str> = m.events.iter().map(|k| k.as_str()).collect();
    println!("events:    {}", events.join(", "));
    for k in &m.config_keys {
        println!("setting:   {} — {}", k.name, k.description);
    }
    if m.events.contains(&crate::event::Kind::Open) {
        match sig.open_interest().map(|o| o.interest()) {
            Some(o) => println!(
                "opens:     reads [{}], writes [{}]",
                o.reads.join(", "),
                o.writes.join(", ")
            ),
            None => println!("opens:     all (no file-interest export)"),
        }
    }
    println!("about:     {}", m.description);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every default signature that selects opens says which it wants: one that did not would
    /// receive every open of a build, and keep the kernel from filtering them.
    #[test]
    fn default_signatures_say_which_opens_they_want() {
        let runtime = Runtime::new(None).unwrap();
        let (read, write) = (0, 0o1101);
        let mut loaded = Vec::new();
        for (name, bytes, code) in DEFAULT_SET {
            let compiled = runtime.compile(name, bytes, *code).unwrap();
            let limits = Limits {
                memory_bytes: 64 << 20,
                deadline: Duration::from_secs(5),
            };
            let sig = runtime
                .load(compiled, limits, &[], SharedTracker::default())
                .unwrap();
            loaded.push(sig);
            let sig = loaded.last().unwrap();
            if !sig.selects(crate::event::Kind::Open) {
                continue;
            }
            let opens = sig
                .open_interest()
                .unwrap_or_else(|| panic!("{name} selects opens but does not say which"));
            // Nothing in the default set wants a compiler reading a header.
            assert!(!opens.wants("/usr/include/stdio.h", read), "{name}");
            if sig.metadata.id == "VGL-0051" {
                assert!(opens.wants("/home/runner/.ssh/id_ed25519", read));
                assert!(opens.wants("/home/runner/work/r/r/.git/config", read));
                assert!(!opens.wants("/home/runner/work/r/r/src/main.c", read));
            }
            if sig.metadata.id == "VGL-0009" {
                assert!(opens.wants("/etc/sudoers.d/ci", write));
                assert!(!opens.wants("/etc/sudoers", read));
            }
        }
        // Every read glob has a form the kernel can check (one that had none, like `**/*.pem`,
        // would make the kernel emit every read of the build). Writes: some signatures want
        // them all.
        let filter = crate::open_filter::OpenFilter::of(&loaded);
        assert_eq!(
            filter.bits(),
            vigil_ebpf_common::OPEN_FILTER_READS,
            "{filter:?}"
        );
    }

    #[test]
    fn embedded_code_that_does_not_load_falls_back_to_compiling() {
        let runtime = Runtime::new(None).unwrap();
        let (name, bytes, _) = DEFAULT_SET[0];
        let compiled = runtime
            .compile(name, bytes, Some(b"not native code".as_slice()))
            .expect("the component itself still compiles");
        assert_eq!(compiled.shape, Shape::Batched);
    }

    #[test]
    fn release_builds_embed_code_this_machine_runs() {
        if cfg!(debug_assertions) {
            // Debug builds skip precompiling unless VIGIL_PRECOMPILE=1 (build.rs).
            return;
        }
        let engine = wasmtime::Engine::new(&crate::engine_config::engine_config()).unwrap();
        for (name, _, code) in DEFAULT_SET {
            let code = code.unwrap_or_else(|| panic!("{name}: no precompiled code embedded"));
            // SAFETY: the code was produced by this crate's build script.
            unsafe { wasmtime::component::Component::deserialize(&engine, code) }
                .unwrap_or_else(|e| panic!("{name}: embedded code refused: {e:#}"));
        }
    }
}
