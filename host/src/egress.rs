//! The egress table of a watched job: every DNS name queried and every network address
//! connected to, per workflow step, flagged when outside the `--egress-allow` patterns (an
//! audit: nothing is blocked). Names come from DNS queries and addresses from connects; Vigil
//! does not see DNS answers, so a name pattern allows names and an address or CIDR pattern
//! allows addresses.

use std::{collections::BTreeMap, net::IpAddr};

use anyhow::{bail, Result};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::{
    event::{Event, EventData, SockAddr},
    steps,
    tracker::Tracker,
};

/// One `--egress-allow` pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum AllowPattern {
    /// An address or a CIDR block.
    Net(IpNet),
    /// A host name (`example.com`) or every name under a domain (`*.example.com`).
    Host(String),
}

impl std::str::FromStr for AllowPattern {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(net) = s.parse::<IpNet>() {
            return Ok(AllowPattern::Net(net));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(AllowPattern::Net(IpNet::from(ip)));
        }
        if s.contains('/') {
            return Err(format!(
                "{s:?}: not a CIDR block (expected e.g. 10.0.0.0/8)"
            ));
        }
        let name = s.strip_prefix("*.").unwrap_or(s);
        let valid = !name.is_empty()
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if !valid {
            return Err(format!(
                "{s:?}: not a host name, *.domain, address or CIDR block"
            ));
        }
        Ok(AllowPattern::Host(s.to_ascii_lowercase()))
    }
}

impl AllowPattern {
    fn allows_name(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        match self {
            AllowPattern::Net(_) => false,
            AllowPattern::Host(h) => match h.strip_prefix("*.") {
                Some(domain) => name
                    .strip_suffix(domain)
                    .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1),
                None => name == *h,
            },
        }
    }

    fn allows_ip(&self, ip: IpAddr) -> bool {
        match self {
            AllowPattern::Net(net) => net.contains(&ip),
            AllowPattern::Host(_) => false,
        }
    }
}

/// One name or address a step contacted.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Destination {
    /// A DNS name, or `ip:port`.
    pub target: String,
    /// How many queries or connects.
    pub count: u64,
    /// Outside `--egress-allow` (never set when no pattern was given).
    pub flagged: bool,
    /// The command that first contacted it.
    pub first_by: String,
}

/// Everything one step contacted.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StepEgress {
    /// `GITHUB_ACTION` of the step, or `None` for processes outside any step.
    pub step: Option<String>,
    pub names: Vec<Destination>,
    pub addresses: Vec<Destination>,
}

#[derive(Default)]
struct Contacts {
    names: BTreeMap<String, Destination>,
    addresses: BTreeMap<String, Destination>,
}

/// Collects destinations as events go by.
pub struct Egress {
    allow: Vec<AllowPattern>,
    steps: BTreeMap<Option<String>, Contacts>,
}

impl Egress {
    pub fn new(allow: Vec<AllowPattern>) -> Self {
        Egress {
            allow,
            steps: BTreeMap::new(),
        }
    }

    /// Notes the destination of a DNS query or an internet connect; ignores other events.
    pub fn observe(&mut self, event: &Event, tracker: &Tracker) {
        let (target, flagged, is_name) = match &event.data {
            EventData::DnsQuery { name, .. } if !name.is_empty() => {
                let flagged =
                    !self.allow.is_empty() && !self.allow.iter().any(|p| p.allows_name(name));
                (name.trim_end_matches('.').to_string(), flagged, true)
            }
            EventData::Connect {
                address: SockAddr::Inet { ip, port },
                ..
            } => {
                let flagged =
                    !self.allow.is_empty() && !self.allow.iter().any(|p| p.allows_ip(*ip));
                (
                    std::net::SocketAddr::new(*ip, *port).to_string(),
                    flagged,
                    false,
                )
            }
            _ => return,
        };
        let step = steps::step_of(tracker, event.pid).map(|s| s.action.clone());
        let contacts = self.steps.entry(step).or_default();
        let table = if is_name {
            &mut contacts.names
        } else {
            &mut contacts.addresses
        };
        table
            .entry(target.clone())
            .or_insert_with(|| Destination {
                target,
                count: 0,
                flagged,
                first_by: tracker
                    .process(event.pid)
                    .map_or_else(|| event.comm.clone(), |p| p.comm.clone()),
            })
            .count += 1;
    }

    /// The table, one entry per step.
    pub fn table(&self) -> Vec<StepEgress> {
        self.steps
            .iter()
            .map(|(step, c)| StepEgress {
                step: step.clone(),
                names: c.names.values().cloned().collect(),
                addresses: c.addresses.values().cloned().collect(),
            })
            .collect()
    }
}

/// Parses the patterns, naming the bad one.
pub fn parse_patterns(patterns: &[String]) -> Result<Vec<AllowPattern>> {
    let mut out = Vec::new();
    for p in patterns.iter().flat_map(|p| p.split([',', '\n'])) {
        if p.trim().is_empty() {
            continue;
        }
        match p.parse() {
            Ok(pattern) => out.push(pattern),
            Err(e) => bail!("--egress-allow {e}"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(s: &str) -> AllowPattern {
        s.parse().unwrap()
    }

    #[test]
    fn patterns_allow_what_they_name() {
        assert!(pattern("github.com").allows_name("GitHub.com."));
        assert!(!pattern("github.com").allows_name("api.github.com"));
        assert!(pattern("*.github.com").allows_name("api.github.com"));
        assert!(!pattern("*.github.com").allows_name("github.com"));
        assert!(!pattern("*.github.com").allows_name("evilgithub.com"));
        assert!(pattern("10.0.0.0/8").allows_ip("10.1.2.3".parse().unwrap()));
        assert!(!pattern("10.0.0.0/8").allows_ip("11.1.2.3".parse().unwrap()));
        assert!(pattern("::1").allows_ip("::1".parse().unwrap()));
        assert!(!pattern("github.com").allows_ip("10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn bad_patterns_are_named() {
        let err = parse_patterns(&["ok.com, 10.0.0.0/99".into()]).unwrap_err();
        assert!(err.to_string().contains("10.0.0.0/99"), "{err}");
        let err = parse_patterns(&["exa mple.com".into()]).unwrap_err();
        assert!(err.to_string().contains("exa mple.com"), "{err}");
        assert_eq!(
            parse_patterns(&["a.com\n\n*.b.org".into()]).unwrap().len(),
            2
        );
    }
}
