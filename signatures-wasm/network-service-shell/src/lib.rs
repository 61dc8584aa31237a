//! VGL-0056 — a shell started by a process serving the network.
//!
//! A web shell or a bind shell: a process that listens for or accepts connections starts a
//! shell, directly or through a forked child. Tracked per process: a successful listen() or
//! accept() marks it as serving; a shell exec'd by it (after fork, in a child whose parent is
//! marked, or in the marked process itself) fires. A parent whose name is a web server
//! (nginx, httpd, php-fpm...: Tracee's TRC-1016) fires even when its listen() was not seen,
//! e.g. because it started before the watch.
//!
//! Build tools run loopback servers that start shells honestly (a Gradle daemon running an
//! Exec task): a server seen only on loopback — bound to and accepting from 127.0.0.0/8 or
//! ::1 — makes the finding low. Bound to another address (0.0.0.0 included) or having
//! accepted a peer that is not loopback, or a web server, makes it high. Servers allowed to
//! start shells are given by exe glob (`allow-exe`).

use std::collections::HashMap;

use vigil_sdk::{host::ancestry, paths::basename, paths::GlobList, prelude::*};

const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "csh", "tcsh", "fish", "busybox",
];
const WEB_SERVERS: &[&str] = &[
    "nginx", "apache", "apache2", "httpd", "lighttpd", "php-fpm", "php-cgi", "tomcat", "caddy",
];

const ALLOW_EXE: &str = "allow-exe";

#[derive(Default)]
pub struct NetworkServiceShell {
    /// Processes seen listening or accepting → whether they were seen exposed beyond loopback.
    serving: HashMap<u32, bool>,
    /// Processes seen binding an internet socket beyond loopback.
    bound_outside: HashMap<u32, bool>,
    /// Servers (exe globs) allowed to start shells.
    allowed: GlobList,
}

/// Whether an internet address is reachable from outside this host.
fn is_exposed(address: &SockAddr) -> bool {
    address.ip().is_some_and(|ip| !ip.is_loopback())
}

fn is_web_server(comm: &str) -> bool {
    WEB_SERVERS.iter().any(|w| comm.starts_with(w))
}

impl Signature for NetworkServiceShell {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0056".into(),
            name: "Shell started by a network service".into(),
            version: "1.0.0".into(),
            description: "A process that listened for or accepted network connections, or a \
                          web server, started a shell: a web shell or a bind shell."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1505.003".into(), "T1059.004".into()],
            tags: vec!["ci".into(), "tracee:TRC-1016".into()],
            events: vec![
                EventKind::Bind,
                EventKind::Listen,
                EventKind::Accept,
                EventKind::Exec,
                EventKind::Exit,
            ],
            config_keys: vec![ConfigKey {
                name: ALLOW_EXE.into(),
                description: "Comma-separated exe globs of servers allowed to start shells.".into(),
            }],
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        for (key, value) in settings {
            match key.as_str() {
                ALLOW_EXE => self.allowed.extend(value),
                _ => return Err(format!("unknown setting {key:?}")),
            }
        }
        Ok(())
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        match &event.data {
            EventData::Bind {
                family,
                address,
                result,
                ..
            } if *result >= 0 && family.is_inet() && is_exposed(address) => {
                self.bound_outside.insert(event.pid, true);
            }
            EventData::Listen { result, .. } if *result >= 0 => {
                let exposed = self.bound_outside.contains_key(&event.pid);
                *self.serving.entry(event.pid).or_default() |= exposed;
            }
            EventData::Accept {
                address, result, ..
            } if *result >= 0 => {
                let exposed = self.bound_outside.contains_key(&event.pid) || is_exposed(address);
                *self.serving.entry(event.pid).or_default() |= exposed;
            }
            EventData::Exit { .. } => {
                self.serving.remove(&event.pid);
                self.bound_outside.remove(&event.pid);
            }
            EventData::Exec { filename, .. } => {
                let shell = basename(event.process.exe);
                if !SHELLS.contains(&shell) && !SHELLS.contains(&basename(filename)) {
                    return Vec::new();
                }
                // The shell's own pid served (exec without fork), or its parent did.
                let parent = ancestry(event.pid).into_iter().next();
                let (server_pid, server_comm, server_exe, exposed) =
                    if let Some(exposed) = self.serving.get(&event.pid) {
                        (event.pid, "(itself)".to_string(), String::new(), *exposed)
                    } else {
                        match parent {
                            Some(p) if self.serving.contains_key(&p.pid) => {
                                let exposed = self.serving[&p.pid];
                                (p.pid, p.comm, p.exe, exposed)
                            }
                            Some(p) if is_web_server(&p.comm) => (p.pid, p.comm, p.exe, true),
                            _ => return Vec::new(),
                        }
                    };
                if !server_exe.is_empty() && self.allowed.matches(&server_exe) {
                    return Vec::new();
                }
                let mut finding = Finding::new(format!(
                    "{shell} started by the network service {server_comm} (pid {server_pid})"
                ))
                .with("shell", filename)
                .with("server_pid", server_pid)
                .with("server_comm", &server_comm)
                .with("server_exe", &server_exe)
                .with(
                    "exposure",
                    if exposed { "network" } else { "loopback only" },
                );
                if !exposed {
                    finding = finding.severity(Severity::Low);
                }
                return vec![finding];
            }
            _ => {}
        }
        Vec::new()
    }
}

vigil_sdk::export_signature!(NetworkServiceShell);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{ancestor, event, set_ancestry, Harness};

    fn listen(pid: u32) -> Event<'static> {
        event(
            pid,
            "/usr/bin/python3",
            EventData::Listen {
                fd: 3,
                backlog: 5,
                result: 0,
            },
        )
    }

    fn bind(pid: u32, ip: &str) -> Event<'static> {
        event(
            pid,
            "/usr/bin/python3",
            EventData::Bind {
                fd: 3,
                family: Family::Inet,
                address: SockAddr::Inet {
                    ip: ip.parse().unwrap(),
                    port: 8000,
                },
                result: 0,
            },
        )
    }

    fn shell(pid: u32) -> Event<'static> {
        event(
            pid,
            "/usr/bin/dash",
            EventData::Exec {
                filename: "/bin/sh",
                argv: vec!["sh", "-c", "id"],
                argv_truncated: false,
                env: Default::default(),
                interpreter: None,
            },
        )
    }

    #[test]
    fn child_of_a_listener_running_a_shell_fires() {
        set_ancestry(
            51,
            vec![ancestor(50, "/usr/bin/python3", &["python3", "srv.py"])],
        );
        let mut sig = Harness::<NetworkServiceShell>::new();
        assert!(sig.feed(&shell(51)).is_empty(), "not serving yet");
        sig.feed(&bind(50, "0.0.0.0"));
        sig.feed(&listen(50));
        let f = sig.feed(&shell(51));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, None);
        assert_eq!(f[0].evidence("exposure"), Some("network"));
        assert_eq!(f[0].evidence("server_pid"), Some("50"));
        assert_eq!(f[0].evidence("server_comm"), Some("python3"));
        // After the server exits, its pid means nothing.
        sig.feed(&event(
            50,
            "/usr/bin/python3",
            EventData::Exit { code: Some(0) },
        ));
        assert!(sig.feed(&shell(51)).is_empty());
    }

    #[test]
    fn a_server_exec_ing_a_shell_itself_fires() {
        let mut sig = Harness::<NetworkServiceShell>::new();
        sig.feed(&listen(52));
        assert_eq!(sig.feed(&shell(52)).len(), 1);
    }

    #[test]
    fn loopback_servers_are_low_until_a_remote_peer_connects() {
        set_ancestry(
            56,
            vec![ancestor(55, "/usr/bin/java", &["java", "GradleDaemon"])],
        );
        let mut sig = Harness::<NetworkServiceShell>::new();
        sig.feed(&bind(55, "127.0.0.1"));
        sig.feed(&listen(55));
        assert_eq!(sig.feed(&shell(56))[0].severity, Some(Severity::Low));
        let accept = |ip: &str| {
            event(
                55,
                "/usr/bin/java",
                EventData::Accept {
                    syscall: "accept4",
                    fd: 3,
                    family: Family::Inet,
                    address: SockAddr::Inet {
                        ip: ip.parse().unwrap(),
                        port: 40000,
                    },
                    flags: 0,
                    result: 4,
                },
            )
        };
        sig.feed(&accept("127.0.0.1"));
        assert_eq!(sig.feed(&shell(56))[0].severity, Some(Severity::Low));
        sig.feed(&accept("203.0.113.9"));
        assert_eq!(sig.feed(&shell(56))[0].severity, None);
    }

    #[test]
    fn web_server_parent_fires_without_a_seen_listen() {
        let mut nginx = ancestor(60, "/usr/sbin/nginx", &["nginx: worker process"]);
        nginx.comm = "nginx".into();
        set_ancestry(61, vec![nginx]);
        assert_eq!(
            Harness::<NetworkServiceShell>::new().feed(&shell(61)).len(),
            1
        );
    }

    #[test]
    fn clients_non_shells_and_allowed_servers_are_quiet() {
        set_ancestry(71, vec![ancestor(70, "/usr/bin/make", &["make"])]);
        let mut sig = Harness::<NetworkServiceShell>::new();
        assert!(sig.feed(&shell(71)).is_empty());
        set_ancestry(81, vec![ancestor(80, "/usr/bin/python3", &["python3"])]);
        sig.feed(&listen(80));
        let mut ls = shell(81);
        ls.process.exe = "/usr/bin/ls";
        ls.event.data = EventData::Exec {
            filename: "/usr/bin/ls",
            argv: vec!["ls"],
            argv_truncated: false,
            env: Default::default(),
            interpreter: None,
        };
        assert!(sig.feed(&ls).is_empty());
        let mut sig =
            Harness::<NetworkServiceShell>::with_settings(&[(ALLOW_EXE, "/usr/bin/python3")])
                .unwrap();
        sig.feed(&listen(80));
        assert!(sig.feed(&shell(81)).is_empty());
    }
}
