//! Signatures from URLs: `--plugin URL#sha256=HEX` and `--plugins-file FILE`.
//!
//! Every plugin is pinned by the sha256 of its bytes. Bytes are fetched over HTTPS (plain HTTP
//! only from loopback, `file://` from disk), size-capped, with timeouts and retries on
//! transient failures, and checked against the pin before they can reach the compiler; a
//! mismatch is refused. Verified bytes are kept in the cache directory under their digest, so a
//! later run needs no network.

use std::{
    net::IpAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{anyhow, bail, Context, Result};
use backon::{BlockingRetryable, ExponentialBuilder};

use crate::compile_cache::sha256_hex;

/// A plugin reference: where to get it and what its bytes must hash to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginRef {
    pub url: String,
    pub sha256: String,
}

impl std::str::FromStr for PluginRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (url, pin) = s
            .rsplit_once("#sha256=")
            .ok_or_else(|| format!("{s:?}: a plugin must be pinned as URL#sha256=HEX"))?;
        if pin.len() != 64 || !pin.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{s:?}: the sha256 pin must be 64 hex digits"));
        }
        if !(url.starts_with("https://")
            || url.starts_with("http://")
            || url.starts_with("file://"))
        {
            return Err(format!(
                "{s:?}: only https://, http:// (loopback) and file:// URLs"
            ));
        }
        Ok(PluginRef {
            url: url.to_string(),
            sha256: pin.to_ascii_lowercase(),
        })
    }
}

/// Reads a plugins file: one `URL#sha256=HEX` per line; blank lines and `#` comments ignored.
pub fn read_plugins_file(path: &Path) -> Result<Vec<PluginRef>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--plugins-file {}: cannot read", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            l.parse()
                .map_err(|e| anyhow!("--plugins-file {}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// How plugins are fetched.
pub struct FetchPolicy {
    pub max_bytes: u64,
    pub timeout: Duration,
    pub attempts: usize,
    /// Extra PEM root certificates to trust (for a private plugin server).
    pub ca_file: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
}

/// Fetches and verifies one plugin; the returned bytes match its pin.
pub fn fetch(plugin: &PluginRef, policy: &FetchPolicy) -> Result<Vec<u8>> {
    let cached = policy
        .cache_dir
        .as_ref()
        .map(|d| d.join("plugins").join(format!("{}.wasm", plugin.sha256)));
    if let Some(bytes) = cached.as_ref().and_then(|p| std::fs::read(p).ok()) {
        if sha256_hex(&bytes) == plugin.sha256 {
            return Ok(bytes);
        }
    }
    let bytes = if let Some(path) = plugin.url.strip_prefix("file://") {
        read_capped(Path::new(path), policy.max_bytes)?
    } else {
        download(&plugin.url, policy)?
    };
    let digest = sha256_hex(&bytes);
    if digest != plugin.sha256 {
        bail!(
            "{}: sha256 is {digest}, but the pin says {}; refusing it",
            plugin.url,
            plugin.sha256
        );
    }
    if let Some(path) = cached {
        if let Err(e) = store(&path, &bytes) {
            tracing::warn!("could not cache plugin {}: {e:#}", plugin.url);
        }
    }
    Ok(bytes)
}

fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("file://{}: cannot read", path.display()))?
        .len();
    if len > max {
        bail!(
            "file://{}: {len} bytes is over the {max}-byte limit",
            path.display()
        );
    }
    Ok(std::fs::read(path)?)
}

fn store(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::create_dir_all(path.parent().expect("cache path has a parent"))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Why a download attempt failed, and whether trying again can help.
#[derive(Debug)]
struct Failure {
    message: String,
    transient: bool,
}

fn download(url: &str, policy: &FetchPolicy) -> Result<Vec<u8>> {
    check_scheme(url)?;
    let agent = agent(policy)?;
    let attempt = || -> Result<Vec<u8>, Failure> {
        let mut response = agent.get(url).call().map_err(|e| Failure {
            message: e.to_string(),
            transient: true,
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(Failure {
                message: format!("HTTP {status}"),
                // Server errors and throttling may pass; a 404 will not.
                transient: status.is_server_error() || status.as_u16() == 429,
            });
        }
        response
            .body_mut()
            .with_config()
            .limit(policy.max_bytes)
            .read_to_vec()
            .map_err(|e| Failure {
                transient: !matches!(e, ureq::Error::BodyExceedsLimit(_)),
                message: match e {
                    ureq::Error::BodyExceedsLimit(_) => {
                        format!("body is over the {}-byte limit", policy.max_bytes)
                    }
                    other => other.to_string(),
                },
            })
    };
    attempt
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_times(policy.attempts.saturating_sub(1)),
        )
        .when(|f: &Failure| f.transient)
        .notify(|f: &Failure, wait: Duration| {
            tracing::warn!("fetching {url}: {}; retrying in {wait:?}", f.message)
        })
        .call()
        .map_err(|f| anyhow!("{url}: {}", f.message))
}

/// HTTPS anywhere; plain HTTP only to loopback, where no one can tamper in transit (and the
/// digest is checked regardless).
fn check_scheme(url: &str) -> Result<()> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let rest = url.strip_prefix("http://").unwrap_or_default();
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        bail!("{url}: plugins are fetched over https:// (plain http:// only from loopback)");
    }
    Ok(())
}

fn agent(policy: &FetchPolicy) -> Result<ureq::Agent> {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let mut tls = TlsConfig::builder();
    if let Some(ca) = &policy.ca_file {
        let pem = std::fs::read(ca).with_context(|| format!("--plugin-ca {}", ca.display()))?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| anyhow!("--plugin-ca {}: not a PEM certificate: {e}", ca.display()))?;
        tls = tls.root_certs(RootCerts::new_with_certs(&[cert]));
    }
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(policy.timeout))
        .timeout_connect(Some(policy.timeout.min(Duration::from_secs(10))))
        .http_status_as_error(false)
        .max_redirects(3)
        .tls_config(tls.build())
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn plugin_refs_parse_and_refuse() {
        let r: PluginRef = format!("https://example.org/a.wasm#sha256={}", PIN.to_uppercase())
            .parse()
            .unwrap();
        assert_eq!(r.url, "https://example.org/a.wasm");
        assert_eq!(r.sha256, PIN);
        assert!("https://example.org/a.wasm".parse::<PluginRef>().is_err());
        assert!("https://x/a.wasm#sha256=abc".parse::<PluginRef>().is_err());
        assert!(format!("ftp://x/a#sha256={PIN}")
            .parse::<PluginRef>()
            .is_err());
    }

    #[test]
    fn plain_http_only_from_loopback() {
        assert!(check_scheme("http://127.0.0.1:8000/a.wasm").is_ok());
        assert!(check_scheme("http://[::1]:8000/a.wasm").is_ok());
        assert!(check_scheme("http://localhost/a.wasm").is_ok());
        assert!(check_scheme("http://example.org/a.wasm").is_err());
        assert!(check_scheme("http://10.0.0.1/a.wasm").is_err());
        assert!(check_scheme("https://example.org/a.wasm").is_ok());
    }

    #[test]
    fn file_plugins_are_checked_against_their_pin() {
        let dir = std::env::temp_dir().join(format!("vigil-plugin-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("p.wasm");
        std::fs::write(&file, b"not really wasm").unwrap();
        let policy = FetchPolicy {
            max_bytes: 1024,
            timeout: Duration::from_secs(1),
            attempts: 1,
            ca_file: None,
            cache_dir: None,
        };
        let good = PluginRef {
            url: format!("file://{}", file.display()),
            sha256: sha256_hex(b"not really wasm"),
        };
        assert_eq!(fetch(&good, &policy).unwrap(), b"not really wasm");
        let bad = PluginRef {
            sha256: PIN.into(),
            ..good.clone()
        };
        let err = fetch(&bad, &policy).unwrap_err().to_string();
        assert!(err.contains("refusing"), "{err}");
        let small = FetchPolicy {
            max_bytes: 4,
            ..policy
        };
        assert!(fetch(&good, &small)
            .unwrap_err()
            .to_string()
            .contains("limit"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
