//! Compiled-signature cache: each component is compiled once per content and engine, then
//! deserialized in a fraction of a millisecond on later runs.
//!
//! Entries are keyed by the component's sha256 and wasmtime's compatibility hash, and live in a
//! directory Vigil creates itself with mode 0700. Precompiled code is only ever read from that
//! directory, never from outside: a directory owned by someone else, or writable by group or
//! others, is not used.
//!
//! The cache stays bounded: entries for another engine (an older Vigil) can never be used
//! again and are removed, and past [`MAX_BYTES`] the least recently used go first.

use std::{
    hash::{Hash, Hasher},
    os::unix::fs::{MetadataExt, PermissionsExt},
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};
use wasmtime::{component::Component, Engine};

/// What the cache may hold on disk; a compiled signature is typically 0.3-1 MiB.
const MAX_BYTES: u64 = 256 << 20;

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
        if let Some(dir) = &dir {
            if let Err(e) = prune(dir, &engine_key, MAX_BYTES) {
                tracing::warn!("could not prune the compile cache {}: {e:#}", dir.display());
            }
        }
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
                Ok(c) => {
                    // Recently used: pruning goes by modification time.
                    let _ = set_modified(&path, std::time::SystemTime::now());
                    return Ok(c);
                }
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

/// Removes entries compiled for another engine and leftovers of interrupted writes, then the
/// least recently used entries until the rest fit in `max_bytes`.
fn prune(dir: &Path, engine_key: &str, max_bytes: u64) -> Result<()> {
    let current = format!("-{engine_key}.cwasm");
    let mut kept = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let meta = entry.metadata()?;
        if !meta.is_file() {
            continue;
        }
        let stale_tmp = name.contains(".tmp")
            && meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(3600));
        if (name.ends_with(".cwasm") && !name.ends_with(&current)) || stale_tmp {
            remove(&entry.path());
        } else if name.ends_with(&current) {
            kept.push((meta.modified()?, meta.len(), entry.path()));
        }
    }
    let mut total: u64 = kept.iter().map(|(_, len, _)| len).sum();
    kept.sort();
    for (_, len, path) in kept {
        if total <= max_bytes {
            break;
        }
        remove(&path);
        total -= len;
    }
    Ok(())
}

fn set_modified(path: &Path, when: std::time::SystemTime) -> std::io::Result<()> {
    std::fs::File::options()
        .append(true)
        .open(path)?
        .set_modified(when)
}

fn remove(path: &Path) {
    // Another Vigil may have removed it first; either way it is gone.
    if let Err(e) = std::fs::remove_file(path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::debug!("could not remove {}: {e}", path.display());
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dir: &Path, name: &str, len: usize, age_secs: u64) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, vec![0u8; len]).unwrap();
        let when = std::time::SystemTime::now() - std::time::Duration::from_secs(age_secs);
        set_modified(&path, when).unwrap();
        path
    }

    #[test]
    fn pruning_drops_other_engines_then_the_least_recently_used() {
        let dir = std::env::temp_dir().join(format!("vigil-prune-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let old_engine = entry(&dir, "aa-0000000000000000.cwasm", 10, 0);
        let oldest = entry(&dir, "bb-1111111111111111.cwasm", 400, 300);
        let older = entry(&dir, "cc-1111111111111111.cwasm", 400, 200);
        let newest = entry(&dir, "dd-1111111111111111.cwasm", 400, 100);
        let fresh_tmp = entry(&dir, "ee-1111111111111111.tmp42", 10, 0);
        let stale_tmp = entry(&dir, "ff-1111111111111111.tmp43", 10, 7200);
        let unrelated = entry(&dir, "notes.txt", 10, 0);

        prune(&dir, "1111111111111111", 900).unwrap();

        assert!(
            !old_engine.exists(),
            "another engine's entry is never usable"
        );
        assert!(!oldest.exists(), "the least recently used goes first");
        assert!(older.exists() && newest.exists(), "800 bytes fit in 900");
        assert!(fresh_tmp.exists(), "a write in progress is left alone");
        assert!(!stale_tmp.exists());
        assert!(unrelated.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
