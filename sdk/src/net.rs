//! Address helpers: allowlists of networks and endpoints as settings give them
//! (`10.0.0.0/8, 127.0.0.1:8080, [::1]:443, ::1`), matched against socket addresses.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use crate::SockAddr;

/// One entry: a network (a bare IP is a /32 or /128), optionally with a port.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    net: IpNet,
    port: Option<u16>,
}

/// A comma-separated list of networks and endpoints.
#[derive(Clone, Debug, Default)]
pub struct AddrList(Vec<Entry>);

impl AddrList {
    /// Parses a setting value; an entry that is not an address is an error naming it.
    pub fn parse(value: &str) -> Result<Self, String> {
        let mut list = AddrList::default();
        list.extend(value)?;
        Ok(list)
    }

    /// Adds the entries of another setting value.
    pub fn extend(&mut self, value: &str) -> Result<(), String> {
        for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            self.0.push(
                parse_entry(item).ok_or_else(|| {
                    format!("{item:?} is not an IP, a network (CIDR) or an IP:PORT")
                })?,
            );
        }
        Ok(())
    }

    /// Whether `ip` (and `port`, for entries that name one) is on the list.
    pub fn contains(&self, ip: IpAddr, port: u16) -> bool {
        self.0
            .iter()
            .any(|e| e.net.contains(&ip) && e.port.is_none_or(|p| p == port))
    }

    /// Whether an internet socket address is on the list (never for other families).
    pub fn contains_addr(&self, addr: &SockAddr) -> bool {
        addr.ip().is_some_and(|ip| self.contains(ip, addr.port()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn parse_entry(item: &str) -> Option<Entry> {
    if let Ok(sa) = item.parse::<SocketAddr>() {
        return Some(Entry {
            net: IpNet::from(sa.ip()),
            port: Some(sa.port()),
        });
    }
    if let Ok(ip) = item.parse::<IpAddr>() {
        return Some(Entry {
            net: IpNet::from(ip),
            port: None,
        });
    }
    item.parse::<IpNet>()
        .ok()
        .map(|net| Entry { net, port: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_endpoints_and_errors() {
        let list = AddrList::parse("10.0.0.0/8, 127.0.0.1:8080, [::1]:443, fd00::/8").unwrap();
        assert!(list.contains("10.1.2.3".parse().unwrap(), 22));
        assert!(list.contains("127.0.0.1".parse().unwrap(), 8080));
        assert!(!list.contains("127.0.0.1".parse().unwrap(), 8081));
        assert!(list.contains("::1".parse().unwrap(), 443));
        assert!(list.contains("fd12::1".parse().unwrap(), 1));
        assert!(!list.contains("192.168.0.1".parse().unwrap(), 80));
        let unix = SockAddr::Unix { path: "/run/x" };
        assert!(!list.contains_addr(&unix));
        let err = AddrList::parse("10.0.0.1, example.com").unwrap_err();
        assert!(err.contains("example.com"), "{err}");
    }
}
