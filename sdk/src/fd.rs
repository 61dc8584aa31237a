//! Helpers about file descriptors and the sockets behind them.

use crate::{AddressFamily, FdTarget, SocketAddress, SocketInfo};

/// `EINPROGRESS`: a non-blocking connect that is under way counts as connecting.
pub const EINPROGRESS: i64 = 115;

/// True for fds 0, 1 and 2.
pub fn is_stdio(fd: i32) -> bool {
    (0..=2).contains(&fd)
}

/// The name of a stdio fd, for evidence.
pub fn stdio_name(fd: i32) -> &'static str {
    match fd {
        0 => "stdin",
        1 => "stdout",
        2 => "stderr",
        _ => "fd",
    }
}

impl AddressFamily {
    /// AF_INET or AF_INET6.
    pub fn is_inet(&self) -> bool {
        matches!(self, AddressFamily::Inet | AddressFamily::Inet6)
    }
}

impl SocketAddress {
    /// The port of an internet address (0 otherwise).
    pub fn port(&self) -> u16 {
        match self {
            SocketAddress::Inet(a) => a.port,
            _ => 0,
        }
    }
}

impl std::fmt::Display for SocketAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SocketAddress::Inet(a) if a.ip.contains(':') => write!(f, "[{}]:{}", a.ip, a.port),
            SocketAddress::Inet(a) => write!(f, "{}:{}", a.ip, a.port),
            SocketAddress::Unix(p) => write!(f, "unix:{p}"),
            SocketAddress::Unknown => f.write_str("unknown"),
        }
    }
}

impl FdTarget {
    /// The socket behind the fd, if it is one.
    pub fn socket(&self) -> Option<&SocketInfo> {
        match self {
            FdTarget::Socket(s) => Some(s),
            _ => None,
        }
    }
}

impl SocketInfo {
    /// An internet socket with a connected peer (a non-zero peer port).
    pub fn is_connected_inet(&self) -> bool {
        self.family.is_inet() && self.remote.as_ref().is_some_and(|r| r.port() != 0)
    }
}
