//! VGL-0001 — standard input/output over a socket: the shape of a reverse shell.
//!
//! Fires when fd 0, 1 or 2 becomes an internet socket with a peer: either a connected
//! AF_INET/AF_INET6 socket is dup'd onto it (whether it was created in this process or
//! inherited across fork — the host tracks fd tables through forks), or a connect() is made
//! on it directly. Pipes, files and Unix sockets on stdio are ordinary and never fire.
//! A reverse shell usually moves all three stdio fds onto the socket: that is one incident, so
//! it is reported once per process and peer.
//! Ports Tracee's TRC-101 (formerly TRC-1).

use std::collections::HashSet;

use vigil_sdk::{
    fd::{is_stdio, stdio_name, EINPROGRESS},
    net::AddrList,
    prelude::*,
};

#[derive(Default)]
pub struct StdioOverSocket {
    /// (pid, peer) pairs already reported.
    reported: HashSet<(u32, String)>,
    /// Peers the user declared legitimate (`allow-remote`).
    allowed: AddrList,
}

const ALLOW_REMOTE: &str = "allow-remote";

impl StdioOverSocket {
    /// The finding, unless this process was already reported for this peer or the peer is
    /// allowed.
    fn once(&mut self, pid: u32, peer: &SockAddr, finding: Finding) -> Vec<Finding> {
        if self.allowed.contains_addr(peer) {
            return Vec::new();
        }
        if self.reported.insert((pid, peer.to_string())) {
            vec![finding]
        } else {
            Vec::new()
        }
    }
}

impl Signature for StdioOverSocket {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0001".into(),
            name: "Standard input/output over socket".into(),
            version: "1.0.0".into(),
            description: "A process redirected its standard input/output to a network socket, \
                          as a reverse shell does."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1059.004".into()],
            tags: vec!["reverse-shell".into(), "tracee:TRC-101".into()],
            events: vec![EventKind::Dup, EventKind::Connect, EventKind::Exit],
            config_keys: vec![ConfigKey {
                name: ALLOW_REMOTE.into(),
                description: "Comma-separated peers (IP, network in CIDR, or IP:PORT with IPv6 \
                              in brackets) whose sockets may serve as stdio, e.g. an inetd-style \
                              service."
                    .into(),
            }],
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        for (key, value) in settings {
            if key != ALLOW_REMOTE {
                return Err(format!("unknown setting {key:?}"));
            }
            self.allowed.extend(value)?;
        }
        Ok(())
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        let pid = event.pid;
        match &event.data {
            EventData::Dup {
                old_fd,
                new_fd,
                target,
                result,
            } if *result >= 0 && is_stdio(*new_fd) => {
                let Some(remote) = target.inet_peer() else {
                    return Vec::new();
                };
                let finding = Finding::new(format!(
                    "{} redirected to a socket connected to {remote}",
                    stdio_name(*new_fd)
                ))
                .with("remote", remote)
                .with("old_fd", old_fd)
                .with("new_fd", new_fd)
                .with("syscall", "dup");
                self.once(pid, remote, finding)
            }
            EventData::Connect {
                fd,
                family,
                address,
                result,
            } if is_stdio(*fd)
                && family.is_inet()
                && (*result == 0 || *result == -EINPROGRESS)
                && address.port() != 0 =>
            {
                let finding = Finding::new(format!("{} connected to {address}", stdio_name(*fd)))
                    .with("remote", address)
                    .with("fd", fd)
                    .with("syscall", "connect");
                self.once(pid, address, finding)
            }
            EventData::Exit { .. } => {
                self.reported.retain(|(p, _)| *p != pid);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}

vigil_sdk::export_signature!(StdioOverSocket);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{event, Harness};

    fn inet(ip: &str, port: u16) -> SockAddr<'static> {
        SockAddr::Inet {
            ip: ip.parse().unwrap(),
            port,
        }
    }

    fn dup(new_fd: i32, target: FdTarget<'static>) -> Event<'static> {
        event(
            10,
            "/usr/bin/python3",
            EventData::Dup {
                old_fd: 3,
                new_fd,
                target,
                result: new_fd as i64,
            },
        )
    }

    fn tcp(remote: Option<SockAddr<'static>>) -> FdTarget<'static> {
        FdTarget::Socket {
            family: Family::Inet,
            socket_type: 1,
            remote,
        }
    }

    #[test]
    fn connected_tcp_socket_onto_stdin_fires() {
        let f = Harness::<StdioOverSocket>::new().feed(&dup(0, tcp(Some(inet("127.0.0.1", 4444)))));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence("remote"), Some("127.0.0.1:4444"));
        assert_eq!(f[0].evidence("new_fd"), Some("0"));
    }

    #[test]
    fn ipv6_peer_is_bracketed() {
        let f = Harness::<StdioOverSocket>::new().feed(&dup(
            2,
            FdTarget::Socket {
                family: Family::Inet6,
                socket_type: 1,
                remote: Some(inet("::1", 9001)),
            },
        ));
        assert_eq!(f[0].evidence("remote"), Some("[::1]:9001"));
    }

    #[test]
    fn ordinary_targets_are_quiet() {
        let mut sig = Harness::<StdioOverSocket>::new();
        for target in [
            FdTarget::Pipe,
            FdTarget::File { path: "/tmp/log" },
            FdTarget::Unknown,
            FdTarget::Socket {
                family: Family::Unix,
                socket_type: 1,
                remote: Some(SockAddr::Unix {
                    path: "/run/x.sock",
                }),
            },
            tcp(None),
        ] {
            assert!(sig.feed(&dup(1, target.clone())).is_empty(), "{target:?}");
        }
        // A socket dup'd onto a non-stdio fd is ordinary too.
        assert!(sig
            .feed(&dup(5, tcp(Some(inet("127.0.0.1", 80)))))
            .is_empty());
    }

    #[test]
    fn allowed_peers_are_quiet_and_unknown_settings_refused() {
        let mut sig = Harness::<StdioOverSocket>::with_settings(&[(
            ALLOW_REMOTE,
            "10.0.0.1, 127.0.0.1:4444",
        )])
        .unwrap();
        assert!(sig
            .feed(&dup(0, tcp(Some(inet("127.0.0.1", 4444)))))
            .is_empty());
        assert!(sig
            .feed(&dup(0, tcp(Some(inet("10.0.0.1", 22)))))
            .is_empty());
        assert_eq!(
            sig.feed(&dup(0, tcp(Some(inet("127.0.0.1", 4445))))).len(),
            1
        );
        assert!(Harness::<StdioOverSocket>::with_settings(&[("allow", "x")]).is_err());
        assert!(Harness::<StdioOverSocket>::with_settings(&[(ALLOW_REMOTE, "nope")]).is_err());
    }

    #[test]
    fn one_finding_per_process_and_peer_until_exit() {
        let mut sig = Harness::<StdioOverSocket>::new();
        let peer = || tcp(Some(inet("127.0.0.1", 4444)));
        assert_eq!(sig.feed(&dup(0, peer())).len(), 1);
        assert!(sig.feed(&dup(1, peer())).is_empty());
        assert!(sig.feed(&dup(2, peer())).is_empty());
        // Another peer is another incident.
        assert_eq!(
            sig.feed(&dup(1, tcp(Some(inet("127.0.0.1", 5555))))).len(),
            1
        );
        // After the process exits its pid may be reused.
        sig.feed(&event(
            10,
            "/usr/bin/python3",
            EventData::Exit { code: Some(0) },
        ));
        assert_eq!(sig.feed(&dup(0, peer())).len(), 1);
    }

    #[test]
    fn connect_on_stdio_fires_and_elsewhere_does_not() {
        let connect = |fd, result| {
            event(
                10,
                "/bin/sh",
                EventData::Connect {
                    fd,
                    address: inet("127.0.0.1", 4444),
                    family: Family::Inet,
                    result,
                },
            )
        };
        let fresh = || Harness::<StdioOverSocket>::new();
        assert_eq!(fresh().feed(&connect(0, 0)).len(), 1);
        assert_eq!(fresh().feed(&connect(1, -EINPROGRESS)).len(), 1);
        let mut sig = fresh();
        assert!(sig.feed(&connect(3, 0)).is_empty());
        assert!(sig.feed(&connect(0, -111)).is_empty());
    }
}
