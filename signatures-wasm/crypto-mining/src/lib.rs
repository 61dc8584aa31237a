//! VGL-0055 — cryptocurrency mining: pool DNS names, stratum connections, miner programs.
//!
//! Free CI minutes are mined. Three signs, of different strength:
//! - a miner program started (xmrig and kin), or any program given a `stratum+tcp://` URL:
//!   high;
//! - a DNS query for a known mining pool: high;
//! - a TCP connection to a port stratum pools commonly use (3333, 5555, 14444...): low on its
//!   own, because those ports are ordinary elsewhere — 4444 and 5555 are favourite ports of
//!   test servers and reverse-shell demos — and the evidence says it is only a port.

use vigil_sdk::{paths::basename, prelude::*};

/// Mining-pool domains (a query for the name or any subdomain fires).
const POOL_DOMAINS: &[&str] = &[
    "supportxmr.com",
    "minexmr.com",
    "moneroocean.stream",
    "hashvault.pro",
    "xmrpool.eu",
    "c3pool.com",
    "nanopool.org",
    "2miners.com",
    "f2pool.com",
    "herominers.com",
    "nicehash.com",
    "unmineable.com",
    "ethermine.org",
    "miningpoolhub.com",
    "viabtc.com",
    "antpool.com",
    "poolin.com",
    "kryptex.network",
    "zpool.ca",
    "mining-dutch.nl",
];

/// Ports mining pools commonly serve stratum on.
const STRATUM_PORTS: &[u16] = &[
    3333, 4444, 5555, 7777, 8888, 9999, 14433, 14444, 45560, 45700,
];

/// Miner program names (basenames of the exe, and of argv[0] in case it was renamed).
const MINERS: &[&str] = &[
    "xmrig",
    "xmrig-notls",
    "xmr-stak",
    "xmr-stak-rx",
    "minerd",
    "cpuminer",
    "cpuminer-multi",
    "cgminer",
    "bfgminer",
    "ethminer",
    "t-rex",
    "lolminer",
    "nbminer",
    "gminer",
    "phoenixminer",
    "nanominer",
    "teamredminer",
    "srbminer-multi",
];

const EXTRA_POOL: &str = "extra-pool";
const EXTRA_MINER: &str = "extra-miner";
const ALLOW_PORT_PEER: &str = "allow-port-peer";

#[derive(Default)]
pub struct CryptoMining {
    pools: Vec<String>,
    miners: Vec<String>,
    /// Peers (IP or IP:PORT) whose stratum-port connections are ordinary here.
    allowed_peers: Vec<String>,
}

/// Whether `name` is `domain` or one of its subdomains.
fn in_domain(name: &str, domain: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == domain
        || name
            .strip_suffix(domain)
            .is_some_and(|head| head.ends_with('.'))
}

/// Whether `haystack` contains the lowercase ASCII `needle`, in any case.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn list(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(',')
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
}

impl CryptoMining {
    fn pool(&self, name: &str) -> Option<String> {
        POOL_DOMAINS
            .iter()
            .map(|d| d.to_string())
            .chain(self.pools.iter().cloned())
            .find(|d| in_domain(name, d))
    }

    /// Compared without allocating: this runs on every exec.
    fn is_miner(&self, path: &str) -> bool {
        let name = basename(path);
        MINERS.iter().any(|m| m.eq_ignore_ascii_case(name))
            || self.miners.iter().any(|m| m.eq_ignore_ascii_case(name))
    }
}

impl Signature for CryptoMining {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0055".into(),
            name: "Cryptocurrency mining".into(),
            version: "1.0.0".into(),
            description: "A miner program was started or given a stratum URL, a mining pool's \
                          name was resolved, or a connection was made to a port stratum pools \
                          use (low on its own: those ports have honest uses)."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1496".into()],
            tags: vec!["ci".into(), "impact".into(), "mining".into()],
            events: vec![EventKind::Exec, EventKind::DnsQuery, EventKind::Connect],
            config_keys: vec![
                ConfigKey {
                    name: EXTRA_POOL.into(),
                    description: "Comma-separated further pool domains.".into(),
                },
                ConfigKey {
                    name: EXTRA_MINER.into(),
                    description: "Comma-separated further miner program names.".into(),
                },
                ConfigKey {
                    name: ALLOW_PORT_PEER.into(),
                    description: "Comma-separated peers (IP, or IP:PORT with IPv6 in \
                                  brackets) whose connections on stratum ports are ordinary."
                        .into(),
                },
            ],
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        for (key, value) in settings {
            match key.as_str() {
                EXTRA_POOL => self.pools.extend(list(value)),
                EXTRA_MINER => self.miners.extend(list(value)),
                ALLOW_PORT_PEER => self.allowed_peers.extend(list(value)),
                _ => return Err(format!("unknown setting {key:?}")),
            }
        }
        Ok(())
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        match &event.data {
            EventData::Exec { argv, .. } => {
                let renamed = argv.first().is_some_and(|a0| self.is_miner(a0));
                if self.is_miner(event.process.exe) || renamed {
                    return vec![Finding::new(format!("miner {} started", event.comm))
                        .with("exe", event.process.exe)
                        .with("sign", "miner program")];
                }
                match argv.iter().find(|a| contains_ignore_case(a, "stratum+")) {
                    Some(url) => {
                        vec![
                            Finding::new(format!("{} was given a mining pool URL", event.comm))
                                .with("url", url)
                                .with("sign", "stratum URL"),
                        ]
                    }
                    None => Vec::new(),
                }
            }
            EventData::DnsQuery { name, .. } => match self.pool(name) {
                Some(pool) => {
                    vec![
                        Finding::new(format!("{} looked up the mining pool {name}", event.comm))
                            .with("name", name)
                            .with("pool", pool)
                            .with("sign", "pool DNS name"),
                    ]
                }
                None => Vec::new(),
            },
            // Refused connections still show intent; the low severity keeps them cheap.
            EventData::Connect {
                family, address, ..
            } if family.is_inet() && STRATUM_PORTS.contains(&address.port()) => {
                let ip = address.ip().map(|ip| ip.to_string()).unwrap_or_default();
                let peer = address.to_string();
                if self.allowed_peers.iter().any(|a| *a == ip || *a == peer) {
                    return Vec::new();
                }
                vec![Finding::new(format!(
                    "{} connected to {peer}, a port mining pools use",
                    event.comm
                ))
                .severity(Severity::Low)
                .with("remote", peer)
                .with("sign", "stratum port only (also used by test servers)")]
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(CryptoMining);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing;
    use vigil_sdk::testing::{event, Harness};

    fn exec(exe: &'static str, argv: Vec<&'static str>) -> Event<'static> {
        testing::exec_argv(40, exe, argv)
    }

    fn dns(name: &'static str) -> Event<'static> {
        event(
            40,
            "/usr/bin/python3",
            EventData::DnsQuery {
                syscall: "sendto",
                fd: 3,
                server: SockAddr::Inet {
                    ip: "127.0.0.53".parse().unwrap(),
                    port: 53,
                },
                id: 1,
                name,
                query_type: 1,
                query_type_name: "A",
                result: 30,
            },
        )
    }

    fn connect(port: u16) -> Event<'static> {
        event(
            40,
            "/usr/bin/python3",
            EventData::Connect {
                fd: 3,
                family: Family::Inet,
                address: SockAddr::Inet {
                    ip: "127.0.0.1".parse().unwrap(),
                    port,
                },
                result: 0,
            },
        )
    }

    #[test]
    fn miners_and_stratum_urls_fire_high() {
        let mut sig = Harness::<CryptoMining>::new();
        assert_eq!(sig.feed(&exec("/tmp/xmrig", vec!["xmrig"])).len(), 1);
        assert_eq!(
            sig.feed(&exec("/tmp/.x/kworker", vec!["xmrig", "-o", "p"]))
                .len(),
            1
        );
        let f = sig.feed(&exec("/tmp/k", vec!["k", "-o", "stratum+tcp://pool:3333"]));
        assert_eq!(f[0].evidence("sign"), Some("stratum URL"));
        assert_eq!(f[0].severity, None);
    }

    #[test]
    fn pool_lookups_fire_and_lookalikes_do_not() {
        let mut sig = Harness::<CryptoMining>::new();
        let f = sig.feed(&dns("pool.supportxmr.com."));
        assert_eq!(f[0].evidence("pool"), Some("supportxmr.com"));
        assert_eq!(sig.feed(&dns("XMRPOOL.EU")).len(), 1);
        assert!(sig.feed(&dns("notsupportxmr.com")).is_empty());
        assert!(sig.feed(&dns("github.com")).is_empty());
    }

    #[test]
    fn stratum_ports_are_low_and_allowable() {
        let mut sig = Harness::<CryptoMining>::new();
        let f = sig.feed(&connect(3333));
        assert_eq!(f[0].severity, Some(Severity::Low));
        assert!(sig.feed(&connect(443)).is_empty());
        let mut sig =
            Harness::<CryptoMining>::with_settings(&[(ALLOW_PORT_PEER, "127.0.0.1")]).unwrap();
        assert!(sig.feed(&connect(4444)).is_empty());
    }

    #[test]
    fn settings_extend_the_lists() {
        let mut sig = Harness::<CryptoMining>::with_settings(&[
            (EXTRA_POOL, "pool.example.org"),
            (EXTRA_MINER, "mysterytool"),
        ])
        .unwrap();
        assert_eq!(sig.feed(&dns("eu.pool.example.org")).len(), 1);
        assert_eq!(
            sig.feed(&exec("/usr/bin/mysterytool", vec!["mysterytool"]))
                .len(),
            1
        );
        assert!(Harness::<CryptoMining>::with_settings(&[("x", "y")]).is_err());
    }
}
