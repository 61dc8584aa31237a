//! Compiled-signature cache: each component is compiled once per content and engine, then
//! deserialized in a fraction of a millisecond on later runs.
//!
//! Entries are keyed by the component's sha256 and wasmtime's compatibility hash, and live in a
//! directory Vigil creates itself with mode 0700. Precompiled code is only ever read from that
//! directory, never from outside: a directory owned by someone else, or writable by group or
//! others, is not used.

use std::{
    hash::{Hash, Hasher},
    os::unix::fs::{MetadataExt, PermissionsExt},
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};
use wasmtime::{component::Component, Engine};

pub struct CompileCache {
    dir: Option<PathBuf>,
    engine_key: String,
}

impl CompileCache {
    /// A cache in `dir`, or a pass-through one when `dir` is `None` or unsafe to use.
    pub fn new(engine: &Engine, dir: Option<&Path>) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = format!("{:016x}", hasher.finish());
        let dir = dir.and_then(|d| match prepare_dir(d) {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::warn!("not using the compile cache: {e:#}");
                None
            }
        });
        CompileCache { dir, engine_key }
    }

    /// Compiles `bytes` (whose sha256 is `digest`), or loads the cached artifact.
    pub fn component(&self, engine: &Engine, digest: &str, bytes: &[u8]) -> Result<Component> {
        let Some(dir) = &self.dir else {
            return Ok(Component::new(engine, bytes)?);
        };
        let path = dir.join(format!("{digest}-{}.cwasm", self.engine_key));
        if path.is_file() {
            // SAFETY: the file was written by `serialize` below into a directory only this user
            // can write (checked in `prepare_dir`), for this engine's configuration.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => return Ok(c),
                Err(e) => tracing::warn!("discarding cache entry {}: {e:#}", path.display()),
            }
        }
        let component = Component::new(engine, bytes)?;
        if let Err(e) = store(&path, &component) {
            tracing::warn!("could not cache {}: {e:#}", path.display());
        }
        Ok(component)
    }
}

fn store(path: &Path, component: &Component) -> Result<()> {
    let bytes = component.serialize()?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn prepare_dir(dir: &Path) -> Result<PathBuf> {
    let dir = dir.join("compiled");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let meta = std::fs::metadata(&dir)?;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        anyhow::bail!("{} is owned by uid {}, not {me}", dir.display(), meta.uid());
    }
    if meta.permissions().mode() & 0o022 != 0 {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    Ok(dir)
}

/// Where the cache lives unless told otherwise: `$XDG_CACHE_HOME/vigil` or `~/.cache/vigil`.
pub fn default_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("vigil"))
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}
