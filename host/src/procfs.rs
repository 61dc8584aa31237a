//! Reading /proc: the fallback for processes and fds Vigil did not see being created
//! (inherited from before capture was armed, or from syscalls not traced).

use std::{fs, net::IpAddr};

use crate::event::{Family, FdTarget, SockAddr};

/// Basic facts about a live process.
pub struct ProcInfo {
    pub ppid: u32,
    pub comm: String,
    pub exe: String,
    pub argv: Vec<String>,
}

pub fn process(pid: u32) -> Option<ProcInfo> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm may contain spaces and parentheses: split at the last ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat[open + 1..close].to_string();
    let ppid = stat[close + 1..].split_whitespace().nth(1)?.parse().ok()?;
    let exe = fs::read_link(format!("/proc/{pid}/exe"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let argv = fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default();
    Some(ProcInfo {
        ppid,
        comm,
        exe,
        argv,
    })
}

/// The executable of a live process.
pub fn exe(pid: u32) -> Option<String> {
    fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// What `fd` of `pid` refers to right now.
pub fn fd_target(pid: u32, fd: i32) -> Option<FdTarget> {
    let link = fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok()?;
    let link = link.to_string_lossy();
    if let Some(inode) = link
        .strip_prefix("socket:[")
        .and_then(|s| s.strip_suffix(']'))
    {
        let inode: u64 = inode.parse().ok()?;
        return Some(socket_by_inode(pid, inode).unwrap_or(FdTarget::Socket {
            family: Family::Other(0),
            socket_type: 0,
            remote: None,
        }));
    }
    if link.starts_with("pipe:[") {
        return Some(FdTarget::Pipe);
    }
    if link.starts_with('/') {
        return Some(FdTarget::File {
            path: link.into_owned(),
        });
    }
    Some(FdTarget::Unknown)
}

/// Finds a socket by inode in the process's network namespace tables.
fn socket_by_inode(pid: u32, inode: u64) -> Option<FdTarget> {
    for (table, family, socket_type) in [
        ("tcp", Family::Inet, libc::SOCK_STREAM),
        ("tcp6", Family::Inet6, libc::SOCK_STREAM),
        ("udp", Family::Inet, libc::SOCK_DGRAM),
        ("udp6", Family::Inet6, libc::SOCK_DGRAM),
    ] {
        let Ok(text) = fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 9 && cols[9].parse::<u64>().ok() == Some(inode) {
                let remote = parse_hex_endpoint(cols[2]).filter(|(_, port)| *port != 0);
                return Some(FdTarget::Socket {
                    family,
                    socket_type: socket_type as u32,
                    remote: remote.map(|(ip, port)| SockAddr::Inet { ip, port }),
                });
            }
        }
    }
    if let Ok(text) = fs::read_to_string(format!("/proc/{pid}/net/unix")) {
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 6 && cols[6].parse::<u64>().ok() == Some(inode) {
                let socket_type = u32::from_str_radix(cols[4], 16).unwrap_or(0);
                return Some(FdTarget::Socket {
                    family: Family::Unix,
                    socket_type,
                    remote: cols.get(7).map(|p| SockAddr::Unix {
                        path: p.to_string(),
                    }),
                });
            }
        }
    }
    None
}

/// Parses `/proc/net/tcp` endpoints: `0100007F:115C` (IPv4) or 32 hex digits (IPv6), each
/// 32-bit word in host byte order.
pub fn parse_hex_endpoint(s: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let words: Vec<u32> = (0..addr.len() / 8)
        .map(|i| u32::from_str_radix(&addr[i * 8..i * 8 + 8], 16))
        .collect::<Result<_, _>>()
        .ok()?;
    let ip = match words.as_slice() {
        [w] => IpAddr::from(w.to_ne_bytes()),
        [a, b, c, d] => {
            let mut bytes = [0u8; 16];
            for (i, w) in [a, b, c, d].into_iter().enumerate() {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&w.to_ne_bytes());
            }
            IpAddr::from(bytes)
        }
        _ => return None,
    };
    Some((ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_endpoints() {
        assert_eq!(
            parse_hex_endpoint("0100007F:115C"),
            Some(("127.0.0.1".parse().unwrap(), 4444))
        );
        assert_eq!(
            parse_hex_endpoint("00000000000000000000000001000000:0050"),
            Some(("::1".parse().unwrap(), 80))
        );
        assert_eq!(parse_hex_endpoint("zz:1"), None);
    }

    #[test]
    fn own_fds_are_classified() {
        let me = std::process::id();
        let (r, w) = {
            let mut fds = [0; 2];
            // SAFETY: plain pipe(2).
            assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
            (fds[0], fds[1])
        };
        assert_eq!(fd_target(me, r), Some(FdTarget::Pipe));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        use std::os::fd::AsRawFd;
        assert_eq!(
            fd_target(me, stream.as_raw_fd()),
            Some(FdTarget::Socket {
                family: Family::Inet,
                socket_type: libc::SOCK_STREAM as u32,
                remote: Some(SockAddr::Inet {
                    ip: "127.0.0.1".parse().unwrap(),
                    port
                }),
            })
        );
        // SAFETY: closing our own pipe.
        unsafe {
            libc::close(r);
            libc::close(w);
        }
    }
}
