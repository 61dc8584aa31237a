//! Vigil's enriched events: what signatures see (converted to WIT types in `sandbox`) and what
//! findings carry in JSON.

use std::net::IpAddr;

use serde::Serialize;

/// One event, attributed to a process.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// Nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub uid: u32,
    pub gid: u32,
    pub comm: String,
    #[serde(flatten)]
    pub data: EventData,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventData {
    Exec {
        filename: String,
        argv: Vec<String>,
        argv_truncated: bool,
    },
    Fork {
        child_pid: u32,
    },
    Exit {
        code: Option<i32>,
    },
    Socket {
        family: Family,
        socket_type: u32,
        protocol: u32,
        result: i64,
    },
    Connect {
        fd: i32,
        family: Family,
        address: SockAddr,
        result: i64,
    },
    Dup {
        old_fd: i32,
        new_fd: i32,
        target: FdTarget,
        result: i64,
    },
    Close {
        fd: i32,
        target: FdTarget,
        result: i64,
    },
}

impl EventData {
    pub fn kind(&self) -> Kind {
        match self {
            EventData::Exec { .. } => Kind::Exec,
            EventData::Fork { .. } => Kind::Fork,
            EventData::Exit { .. } => Kind::Exit,
            EventData::Socket { .. } => Kind::Socket,
            EventData::Connect { .. } => Kind::Connect,
            EventData::Dup { .. } => Kind::Dup,
            EventData::Close { .. } => Kind::Close,
        }
    }
}

/// Event kinds, as signatures select them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Exec,
    Fork,
    Exit,
    Socket,
    Connect,
    Dup,
    Close,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Exec => "exec",
            Kind::Fork => "fork",
            Kind::Exit => "exit",
            Kind::Socket => "socket",
            Kind::Connect => "connect",
            Kind::Dup => "dup",
            Kind::Close => "close",
        }
    }
}

/// Socket address families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Inet,
    Inet6,
    Unix,
    Netlink,
    Other(u32),
}

impl Family {
    pub fn from_raw(af: u32) -> Self {
        match af as i32 {
            libc::AF_INET => Family::Inet,
            libc::AF_INET6 => Family::Inet6,
            libc::AF_UNIX => Family::Unix,
            libc::AF_NETLINK => Family::Netlink,
            _ => Family::Other(af),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SockAddr {
    Inet { ip: IpAddr, port: u16 },
    Unix { path: String },
    Unknown,
}

impl std::fmt::Display for SockAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SockAddr::Inet { ip, port } => write!(f, "{}", std::net::SocketAddr::new(*ip, *port)),
            SockAddr::Unix { path } => write!(f, "unix:{path}"),
            SockAddr::Unknown => f.write_str("unknown"),
        }
    }
}

/// What an fd referred to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FdTarget {
    Socket {
        family: Family,
        socket_type: u32,
        remote: Option<SockAddr>,
    },
    Pipe,
    File {
        path: String,
    },
    Unknown,
}
