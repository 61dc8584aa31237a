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
use vigil_sdk::fd::{is_stdio, stdio_name, EINPROGRESS};

use vigil_sdk::{prelude::*, ConfigKey};

#[derive(Default)]
pub struct StdioOverSocket {
    /// (pid, peer) pairs already reported.
    reported: HashSet<(u32, String)>,
    /// Peers (`IP` or `IP:PORT`) the user declared legitimate (`allow-remote`).
    allowed: Vec<String>,
}

const ALLOW_REMOTE: &str = "allow-remote";

impl StdioOverSocket {
    /// The finding, unless this process was already reported for this peer or the peer is
    /// allowed.
    fn once(&mut self, pid: u32, peer: &SocketAddress, finding: Finding) -> Vec<Finding> {
        let ip = match peer {
            SocketAddress::Inet(a) => a.ip.as_str(),
            _ => "",
        };
        let text = peer.to_string();
        if self.allowed.iter().any(|a| a == ip || *a == text) {
            return Vec::new();
        }
        if self.reported.insert((pid, text)) {
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
                description: "Comma-separated peers (IP, or IP:PORT with IPv6 in brackets) \
                              whose sockets may serve as stdio, e.g. an inetd-style service."
                    .into(),
            }],
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        for (key, value) in settings {
            if key != ALLOW_REMOTE {
                return Err(format!("unknown setting {key:?}"));
            }
            self.allowed.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(String::from),
            );
        }
        Ok(())
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        let pid = event.process.pid;
        match &event.data {
            EventData::Dup(dup) if dup.result >= 0 && is_stdio(dup.new_fd) => {
                match dup.target.socket() {
                    Some(sock) if sock.is_connected_inet() => {
                        let Some(remote) = &sock.remote else {
                            return Vec::new();
                        };
                        let finding = Finding::new(format!(
                            "{} redirected to a socket connected to {remote}",
                            stdio_name(dup.new_fd)
                        ))
                        .with("remote", remote)
                        .with("old_fd", dup.old_fd)
                        .with("new_fd", dup.new_fd)
                        .with("syscall", "dup");
                        self.once(pid, remote, finding)
                    }
                    _ => Vec::new(),
                }
            }
            EventData::Connect(conn)
                if is_stdio(conn.fd)
                    && conn.family.is_inet()
                    && (conn.result == 0 || conn.result == -EINPROGRESS)
                    && conn.address.port() != 0 =>
            {
                let finding = Finding::new(format!(
                    "{} connected to {}",
                    stdio_name(conn.fd),
                    conn.address
                ))
                .with("remote", &conn.address)
                .with("fd", conn.fd)
                .with("syscall", "connect");
                self.once(pid, &conn.address, finding)
            }
            EventData::Exit(_) => {
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
    use vigil_sdk::{ConnectEvent, DupEvent, InetAddress, Process};

    fn event(data: EventData) -> Event {
        Event {
            timestamp_ns: 0,
            process: Process {
                pid: 10,
                tid: 10,
                ppid: 1,
                uid: 0,
                gid: 0,
                comm: "python3".into(),
                exe: "/usr/bin/python3".into(),
                argv: vec!["python3".into()],
            },
            data,
        }
    }

    fn inet(ip: &str, port: u16) -> SocketAddress {
        SocketAddress::Inet(InetAddress {
            ip: ip.into(),
            port,
        })
    }

    fn dup(new_fd: i32, target: FdTarget) -> Event {
        event(EventData::Dup(DupEvent {
            old_fd: 3,
            new_fd,
            target,
            result: new_fd as i64,
        }))
    }

    fn tcp(remote: Option<SocketAddress>) -> FdTarget {
        FdTarget::Socket(SocketInfo {
            family: AddressFamily::Inet,
            socket_type: 1,
            remote,
        })
    }

    #[test]
    fn connected_tcp_socket_onto_stdin_fires() {
        let f = StdioOverSocket::default().on_event(&dup(0, tcp(Some(inet("127.0.0.1", 4444)))));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence("remote"), Some("127.0.0.1:4444"));
        assert_eq!(f[0].evidence("new_fd"), Some("0"));
    }

    #[test]
    fn ipv6_peer_is_bracketed() {
        let f = StdioOverSocket::default().on_event(&dup(
            2,
            FdTarget::Socket(SocketInfo {
                family: AddressFamily::Inet6,
                socket_type: 1,
                remote: Some(inet("::1", 9001)),
            }),
        ));
        assert_eq!(f[0].evidence("remote"), Some("[::1]:9001"));
    }

    #[test]
    fn ordinary_targets_are_quiet() {
        let mut sig = StdioOverSocket::default();
        for target in [
            FdTarget::Pipe,
            FdTarget::File("/tmp/log".into()),
            FdTarget::Unknown,
            FdTarget::Socket(SocketInfo {
                family: AddressFamily::Unix,
                socket_type: 1,
                remote: Some(SocketAddress::Unix("/run/x.sock".into())),
            }),
            tcp(None),
        ] {
            assert!(
                sig.on_event(&dup(1, target.clone())).is_empty(),
                "{target:?}"
            );
        }
        // A socket dup'd onto a non-stdio fd is ordinary too.
        assert!(sig
            .on_event(&dup(5, tcp(Some(inet("127.0.0.1", 80)))))
            .is_empty());
    }

    #[test]
    fn allowed_peers_are_quiet_and_unknown_settings_refused() {
        let mut sig = StdioOverSocket::default();
        let settings = [(
            ALLOW_REMOTE.to_string(),
            "10.0.0.1, 127.0.0.1:4444".to_string(),
        )];
        sig.configure(&settings).unwrap();
        assert!(sig
            .on_event(&dup(0, tcp(Some(inet("127.0.0.1", 4444)))))
            .is_empty());
        assert!(sig
            .on_event(&dup(0, tcp(Some(inet("10.0.0.1", 22)))))
            .is_empty());
        assert_eq!(
            sig.on_event(&dup(0, tcp(Some(inet("127.0.0.1", 4445)))))
                .len(),
            1
        );
        let bad = [("allow".to_string(), "x".to_string())];
        assert!(StdioOverSocket::default().configure(&bad).is_err());
    }

    #[test]
    fn one_finding_per_process_and_peer_until_exit() {
        let mut sig = StdioOverSocket::default();
        let peer = || tcp(Some(inet("127.0.0.1", 4444)));
        assert_eq!(sig.on_event(&dup(0, peer())).len(), 1);
        assert!(sig.on_event(&dup(1, peer())).is_empty());
        assert!(sig.on_event(&dup(2, peer())).is_empty());
        // Another peer is another incident.
        assert_eq!(
            sig.on_event(&dup(1, tcp(Some(inet("127.0.0.1", 5555)))))
                .len(),
            1
        );
        // After the process exits its pid may be reused.
        sig.on_event(&event(EventData::Exit(vigil_sdk::ExitEvent {
            code: Some(0),
        })));
        assert_eq!(sig.on_event(&dup(0, peer())).len(), 1);
    }

    #[test]
    fn connect_on_stdio_fires_and_elsewhere_does_not() {
        let connect = |fd, result| {
            event(EventData::Connect(ConnectEvent {
                fd,
                address: inet("127.0.0.1", 4444),
                family: AddressFamily::Inet,
                result,
            }))
        };
        assert_eq!(StdioOverSocket::default().on_event(&connect(0, 0)).len(), 1);
        assert_eq!(
            StdioOverSocket::default()
                .on_event(&connect(1, -EINPROGRESS))
                .len(),
            1
        );
        let mut sig = StdioOverSocket::default();
        assert!(sig.on_event(&connect(3, 0)).is_empty());
        assert!(sig.on_event(&connect(0, -111)).is_empty());
    }
}
