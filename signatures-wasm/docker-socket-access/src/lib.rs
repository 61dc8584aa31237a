//! VGL-0017 — the Docker daemon's socket used by something other than the docker CLI: whoever
//! talks to `docker.sock` can start a privileged container with the host's `/` mounted, so a
//! build step doing it with `curl --unix-socket` or a script is taking root. Fires on
//!
//! - a successful `connect` of a Unix socket to a path ending in `docker.sock` (failures are
//!   left out: tools probe for a daemon that is not there, and reach nothing);
//! - a write-open, rename onto or link at such a path (replacing or hijacking the socket),
//!   attempts included.
//!
//! The docker CLI and its plugins (compose, buildx) are allowed by default; add SDKs that talk
//! to the daemon honestly (Testcontainers) with `allow-processes`. Ports Tracee's TRC-1019,
//! which only looks inside containers; on a runner the host's daemon is the prize.

use vigil_sdk::{
    allowlist::Allowlist,
    file_watch,
    prelude::*,
    rule::{Rule, RuleSignature},
};

const DOCKER_CLIENTS: &str = "/usr/bin/docker,/usr/local/bin/docker,/usr/bin/docker-compose,\
                              /usr/local/bin/docker-compose,/usr/libexec/docker/cli-plugins/*,\
                              /usr/local/lib/docker/cli-plugins/*";

fn is_docker_socket(path: &str) -> bool {
    path.ends_with("docker.sock")
}

pub struct DockerSocketAccess;

impl Rule for DockerSocketAccess {
    fn metadata() -> Metadata {
        let mut events = vec![EventKind::Connect];
        events.extend(file_watch::CHANGE_KINDS);
        Metadata {
            id: "VGL-0017".into(),
            name: "Docker socket access".into(),
            version: "1.1.0".into(),
            description: "A process other than the docker CLI connected to the Docker \
                          daemon's socket, or changed it."
                .into(),
            severity: Severity::Medium,
            mitre: vec!["T1068".into()],
            tags: vec!["privilege-escalation".into(), "tracee:TRC-1019".into()],
            events,
            config_keys: Allowlist::config_keys(),
        }
    }

    fn defaults() -> Allowlist {
        Allowlist::new(DOCKER_CLIENTS, "")
    }

    fn open_interest() -> OpenInterest {
        OpenInterest::default().writing(["**/*docker.sock"])
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> {
        match event.data {
            EventData::Connect {
                fd,
                family: Family::Unix,
                address: SockAddr::Unix { path },
                result: 0,
            } if is_docker_socket(path) && !allow.allows(event, path) => {
                vec![
                    Finding::new(format!("connected to the Docker socket {path}"))
                        .with("path", path)
                        .with("fd", fd),
                ]
            }
            _ => file_watch::changes(
                event,
                allow,
                is_docker_socket,
                Self::open_interest,
                "the Docker socket",
            ),
        }
    }
}

vigil_sdk::export_signature!(RuleSignature<DockerSocketAccess>);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing::{self, event, Harness};

    fn connect(exe: &'static str, path: &'static str, result: i64) -> Event<'static> {
        event(
            100,
            exe,
            EventData::Connect {
                fd: 3,
                family: Family::Unix,
                address: SockAddr::Unix { path },
                result,
            },
        )
    }

    #[test]
    fn other_programs_connecting_fire() {
        let mut sig = Harness::<ExportedSignature>::new();
        let f = sig.feed(&connect("/usr/bin/curl", "/var/run/docker.sock", 0));
        assert_eq!(f[0].evidence("path"), Some("/var/run/docker.sock"));
        assert_eq!(
            sig.feed(&connect(
                "/usr/bin/python3",
                "/run/user/1000/docker.sock",
                0
            ))
            .len(),
            1
        );
        let f = sig.feed(&testing::open("/usr/bin/sh", "/var/run/docker.sock", 1));
        assert_eq!(f[0].evidence("operation"), Some("opened for writing"));
    }

    #[test]
    fn the_cli_failures_and_other_sockets_are_quiet() {
        let mut sig = Harness::<ExportedSignature>::new();
        assert!(sig
            .feed(&connect("/usr/bin/docker", "/var/run/docker.sock", 0))
            .is_empty());
        assert!(sig
            .feed(&connect(
                "/usr/libexec/docker/cli-plugins/docker-buildx",
                "/var/run/docker.sock",
                0
            ))
            .is_empty());
        assert!(sig
            .feed(&connect("/usr/bin/curl", "/var/run/docker.sock", -2))
            .is_empty());
        assert!(sig
            .feed(&connect(
                "/usr/bin/curl",
                "/run/containerd/containerd.sock",
                0
            ))
            .is_empty());
        let mut tuned =
            Harness::<ExportedSignature>::with_settings(&[("allow-processes", "/usr/bin/curl")])
                .unwrap();
        assert!(tuned
            .feed(&connect("/usr/bin/curl", "/var/run/docker.sock", 0))
            .is_empty());
    }
}
