//! VGL-0051 — credential files read by a process that has no business with them.
//!
//! A CI runner's disk holds the keys to everything the job touches: the checkout token
//! (`actions/checkout` stores it in `.git/config`), SSH keys, cloud and package-registry
//! credentials, and the runner's own registration credentials. Each kind of file has the
//! programs that legitimately read it (git reads `.git/config`, ssh reads keys, docker reads
//! its config); any other reader fires.
//!
//! Failed opens do not fire: credential chains (SDKs, CLIs) probe these paths as a matter of
//! course, and a file that could not be opened leaked nothing.

use vigil_sdk::{file_access::is_read_open, paths::GlobList, prelude::*};

/// One kind of credential file: where it lives and who may read it.
struct Credential {
    what: &'static str,
    /// Globs over the opened path.
    paths: &'static str,
    /// Globs over the opened path that are not secret (public keys and the like).
    except: &'static str,
    /// Globs over the reader's exe path.
    readers: &'static str,
    severity: Severity,
}

const GIT: &str = "**/git,**/git-*,**/git-core/*";

const CREDENTIALS: &[Credential] = &[
    Credential {
        what: "git config holding the checkout token",
        paths: "**/.git/config",
        except: "",
        readers: GIT,
        severity: Severity::Medium,
    },
    Credential {
        what: "git credential store",
        paths: "**/.git-credentials,**/.netrc",
        except: "",
        readers: "**/git,**/git-*,**/git-core/*,**/curl,**/wget",
        severity: Severity::High,
    },
    Credential {
        what: "SSH private key",
        paths: "**/.ssh/id_*,**/.ssh/*_key,**/ssh/ssh_host_*_key",
        except: "**/.ssh/*.pub",
        readers:
            "**/ssh,**/ssh-add,**/ssh-agent,**/ssh-keygen,**/ssh-keyscan,**/scp,**/sftp,**/sshd",
        severity: Severity::High,
    },
    Credential {
        what: "cloud credentials",
        paths: "**/.aws/credentials,**/.config/gcloud/credentials.db,\
                **/.config/gcloud/application_default_credentials.json,\
                **/.config/gcloud/legacy_credentials/*/adc.json,\
                **/.config/gcloud/legacy_credentials/*/.boto,**/.azure/accessTokens.json,\
                **/.azure/msal_token_cache.*,**/.kube/config",
        except: "",
        readers: "**/aws,**/gcloud,**/az,**/kubectl,**/helm,**/terraform",
        severity: Severity::High,
    },
    Credential {
        what: "container registry credentials",
        paths: "**/.docker/config.json",
        except: "",
        readers: "**/docker,**/docker-*,**/dockerd,**/buildkitd,**/podman,**/skopeo,**/buildah",
        severity: Severity::High,
    },
    Credential {
        what: "package registry credentials",
        paths: "**/.npmrc,**/.pypirc,**/.cargo/credentials,**/.cargo/credentials.toml,\
                **/.gem/credentials,**/.config/gh/hosts.yml",
        except: "",
        readers: "**/node,**/npm,**/npx,**/yarn,**/pnpm,**/bun,**/twine,**/cargo,**/gem,**/gh",
        severity: Severity::High,
    },
    Credential {
        what: "CI runner's own credentials",
        paths: "**/.credentials,**/.credentials_rsaparams,**/.runner",
        except: "",
        readers: "**/Runner.Listener,**/Runner.Worker,**/Runner.PluginHost",
        severity: Severity::Critical,
    },
];

const ALLOW_EXE: &str = "allow-exe";
const ALLOW_PATH: &str = "allow-path";
const EXTRA_PATH: &str = "extra-path";

struct Table {
    credential: &'static Credential,
    paths: GlobList,
    except: GlobList,
    readers: GlobList,
}

pub struct CredentialFiles {
    table: Vec<Table>,
    /// Readers allowed everywhere (`allow-exe`).
    allowed_readers: GlobList,
    /// Paths never reported (`allow-path`).
    allowed_paths: GlobList,
    /// More secret paths (`extra-path`), readable by nobody in particular.
    extra_paths: GlobList,
}

impl Default for CredentialFiles {
    fn default() -> Self {
        CredentialFiles {
            table: CREDENTIALS
                .iter()
                .map(|c| Table {
                    credential: c,
                    paths: GlobList::parse(c.paths),
                    except: GlobList::parse(c.except),
                    readers: GlobList::parse(c.readers),
                })
                .collect(),
            allowed_readers: GlobList::default(),
            allowed_paths: GlobList::default(),
            extra_paths: GlobList::default(),
        }
    }
}

impl CredentialFiles {
    /// What secret `path` is and its severity, unless `exe` may read it.
    fn classify(&self, path: &str, exe: &str) -> Option<(&'static str, Severity)> {
        if self.allowed_paths.matches(path) || self.allowed_readers.matches(exe) {
            return None;
        }
        if let Some(t) = self
            .table
            .iter()
            .find(|t| t.paths.matches(path) && !t.except.matches(path))
        {
            return (!t.readers.matches(exe)).then_some((t.credential.what, t.credential.severity));
        }
        self.extra_paths
            .matches(path)
            .then_some(("configured secret file", Severity::High))
    }
}

impl Signature for CredentialFiles {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0051".into(),
            name: "Credential file read by an unexpected process".into(),
            version: "1.0.0".into(),
            description: "A process read a credential file it has no business with: the \
                          checkout token in .git/config read by something other than git, SSH \
                          private keys, cloud, container and package-registry credentials, or \
                          the CI runner's own credentials."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1552.001".into(), "T1552.004".into()],
            tags: vec!["ci".into(), "credential-access".into()],
            events: vec![EventKind::Open],
            config_keys: vec![
                ConfigKey {
                    name: ALLOW_EXE.into(),
                    description: "Comma-separated exe globs of processes allowed to read any \
                                  credential file (e.g. /usr/local/bin/deploy-tool)."
                        .into(),
                },
                ConfigKey {
                    name: ALLOW_PATH.into(),
                    description: "Comma-separated path globs never reported (e.g. a test \
                                  fixture's fake key)."
                        .into(),
                },
                ConfigKey {
                    name: EXTRA_PATH.into(),
                    description: "Comma-separated path globs of further secret files \
                                  (any read fires, high)."
                        .into(),
                },
            ],
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        for (key, value) in settings {
            match key.as_str() {
                ALLOW_EXE => self.allowed_readers.extend(value),
                ALLOW_PATH => self.allowed_paths.extend(value),
                EXTRA_PATH => self.extra_paths.extend(value),
                _ => return Err(format!("unknown setting {key:?}")),
            }
        }
        Ok(())
    }

    fn open_interest(&self) -> OpenInterest {
        let tables = self.table.iter().flat_map(|t| t.paths.patterns());
        OpenInterest::default().reading(
            tables
                .chain(self.extra_paths.patterns())
                .cloned()
                .collect::<Vec<_>>(),
        )
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        let EventData::Open {
            path,
            flags,
            result,
            ..
        } = &event.data
        else {
            return Vec::new();
        };
        // Writes are configuration, not theft (`docker login` rewrites these); an O_PATH
        // open only names the file.
        if *result < 0 || !is_read_open(*flags) {
            return Vec::new();
        }
        let Some((what, severity)) = self.classify(path, event.process.exe) else {
            return Vec::new();
        };
        vec![
            Finding::new(format!("{} read the {what} {path}", event.comm))
                .severity(severity)
                .with("path", path)
                .with("credential", what)
                .with("reader_exe", event.process.exe),
        ]
    }
}

vigil_sdk::export_signature!(CredentialFiles);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing;
    use vigil_sdk::testing::Harness;

    fn read(exe: &'static str, path: &'static str, flags: u64, result: i64) -> Event<'static> {
        testing::open_as(7, exe, path, flags, result)
    }

    #[test]
    fn checkout_token_read_by_python_fires_and_by_git_does_not() {
        let mut sig = Harness::<CredentialFiles>::new();
        let f = sig.feed(&read("/usr/bin/python3.11", "/w/repo/.git/config", 0, 3));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Some(Severity::Medium));
        assert_eq!(f[0].evidence("path"), Some("/w/repo/.git/config"));
        for git in [
            "/usr/bin/git",
            "/usr/lib/git-core/git-remote-https",
            "/usr/local/bin/git",
        ] {
            assert!(
                sig.feed(&read(git, "/w/repo/.git/config", 0, 3)).is_empty(),
                "{git}"
            );
        }
    }

    #[test]
    fn each_credential_kind_fires_for_a_stranger() {
        let mut sig = Harness::<CredentialFiles>::new();
        for (path, severity) in [
            ("/home/runner/.ssh/id_ed25519", Severity::High),
            ("/root/.aws/credentials", Severity::High),
            ("/home/runner/.docker/config.json", Severity::High),
            ("/home/runner/.npmrc", Severity::High),
            ("/home/runner/.pypirc", Severity::High),
            ("/home/runner/.config/gh/hosts.yml", Severity::High),
            ("/home/runner/.git-credentials", Severity::High),
            (
                "/home/runner/actions-runner/.credentials",
                Severity::Critical,
            ),
            ("/home/runner/actions-runner/.runner", Severity::Critical),
        ] {
            let f = sig.feed(&read("/usr/bin/cat", path, 0, 3));
            assert_eq!(f.len(), 1, "{path}");
            assert_eq!(f[0].severity, Some(severity), "{path}");
        }
    }

    #[test]
    fn owners_public_keys_writes_and_failures_are_quiet() {
        let mut sig = Harness::<CredentialFiles>::new();
        assert!(sig
            .feed(&read("/usr/bin/ssh", "/root/.ssh/id_rsa", 0, 3))
            .is_empty());
        assert!(sig
            .feed(&read("/usr/bin/cat", "/root/.ssh/id_rsa.pub", 0, 3))
            .is_empty());
        assert!(sig
            .feed(&read("/usr/bin/docker", "/root/.docker/config.json", 0, 3))
            .is_empty());
        assert!(sig
            .feed(&read("/usr/bin/node", "/root/.npmrc", 0, 3))
            .is_empty());
        assert!(sig
            .feed(&read("/usr/bin/python3", "/root/.aws/credentials", 0, -2))
            .is_empty());
        // O_WRONLY|O_CREAT|O_TRUNC: writing a config is not reading a secret.
        assert!(sig
            .feed(&read("/usr/bin/python3", "/root/.npmrc", 0o1101, 3))
            .is_empty());
        assert!(sig
            .feed(&read("/usr/bin/cat", "/w/repo/src/config", 0, 3))
            .is_empty());
        // O_PATH: a stat-like look, no content.
        assert!(sig
            .feed(&read("/usr/bin/python3", "/root/.npmrc", 0o10000000, 3))
            .is_empty());
    }

    #[test]
    fn settings_allow_readers_and_paths_and_add_secrets() {
        let mut sig = Harness::<CredentialFiles>::with_settings(&[
            (ALLOW_EXE, "/opt/deploy/*"),
            (ALLOW_PATH, "**/fixtures/**"),
            (EXTRA_PATH, "**/vault-token"),
        ])
        .unwrap();
        assert!(sig
            .feed(&read("/opt/deploy/push", "/root/.aws/credentials", 0, 3))
            .is_empty());
        assert!(sig
            .feed(&read("/usr/bin/cat", "/w/fixtures/.ssh/id_rsa", 0, 3))
            .is_empty());
        assert_eq!(
            sig.feed(&read("/usr/bin/cat", "/root/vault-token", 0, 3))
                .len(),
            1
        );
        assert!(Harness::<CredentialFiles>::with_settings(&[("allow", "x")]).is_err());
    }
}
