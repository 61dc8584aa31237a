//! VGL-0054 — searching files or memory dumps for tokens and secrets.
//!
//! Secret stealers grep for what tokens look like: GitHub's `ghp_`/`ghs_`/`github_pat_`,
//! GitLab's `glpat-`, Slack's `xox?-`, AWS key ids, npm and PyPI tokens — or, on a GitHub
//! runner, the `"isSecret":true` marker of the secrets the runner holds in memory (the
//! tj-actions payload grepped a memory dump for exactly that). This fires when a search tool
//! (grep, rg, strings, awk, sed, perl...) is started with such a pattern in its arguments.
//!
//! Only successful execs arrive; the pattern in the arguments is the intent, whatever the
//! search finds.

use vigil_sdk::{
    paths::{basename, GlobList},
    prelude::*,
};

/// Search tools (exe basenames). Matched by name, not glob: this runs on every exec.
const SEARCH_TOOLS: &[&str] = &[
    "grep",
    "egrep",
    "fgrep",
    "zgrep",
    "rg",
    "ag",
    "ack",
    "git-grep",
    "strings",
    "awk",
    "gawk",
    "mawk",
    "nawk",
    "sed",
    "perl",
    "trufflehog",
    "gitleaks",
];

/// What token patterns contain, literally or as the start of a regex (lowercase).
const TOKEN_MARKERS: &[&str] = &[
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "ghr_",
    "github_pat_",
    "gh[pousr]",
    "gh(p|o|s|u|r)",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxs-",
    "xox[",
    "akia",
    "npm_",
    "pypi-",
    "issecret",
    "system.github.token",
    "actions_runtime_token",
];

const ALLOW_EXE: &str = "allow-exe";
const EXTRA_MARKER: &str = "extra-marker";

pub struct TokenHunting {
    /// Scanners allowed to look for tokens (e.g. a secret-scanning step).
    allowed: GlobList,
    markers: Vec<String>,
}

impl Default for TokenHunting {
    fn default() -> Self {
        TokenHunting {
            allowed: GlobList::default(),
            markers: TOKEN_MARKERS.iter().map(|m| m.to_string()).collect(),
        }
    }
}

impl Signature for TokenHunting {
    fn metadata() -> Metadata {
        Metadata {
            id: "VGL-0054".into(),
            name: "Token-prefix hunting".into(),
            version: "1.0.0".into(),
            description: "A search tool (grep, rg, strings, awk...) was started with a pattern \
                          for CI tokens or secrets: GitHub, GitLab, Slack, AWS, npm or PyPI \
                          token prefixes, or the runner's isSecret marker."
                .into(),
            severity: Severity::High,
            mitre: vec!["T1552.001".into(), "T1083".into()],
            tags: vec!["ci".into(), "credential-access".into()],
            events: vec![EventKind::Exec],
            config_keys: vec![
                ConfigKey {
                    name: ALLOW_EXE.into(),
                    description: "Comma-separated exe globs of tools allowed to search for \
                                  tokens (e.g. a secret scanner run on purpose)."
                        .into(),
                },
                ConfigKey {
                    name: EXTRA_MARKER.into(),
                    description: "Comma-separated further token markers (case-insensitive \
                                  substrings of a search pattern)."
                        .into(),
                },
            ],
        }
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        for (key, value) in settings {
            match key.as_str() {
                ALLOW_EXE => self.allowed.extend(value),
                EXTRA_MARKER => self.markers.extend(
                    value
                        .split(',')
                        .map(|m| m.trim().to_ascii_lowercase())
                        .filter(|m| !m.is_empty()),
                ),
                _ => return Err(format!("unknown setting {key:?}")),
            }
        }
        Ok(())
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        let EventData::Exec { argv, .. } = &event.data else {
            return Vec::new();
        };
        let exe = event.process.exe;
        if !SEARCH_TOOLS.contains(&basename(exe)) || self.allowed.matches(exe) {
            return Vec::new();
        }
        for arg in argv.iter().skip(1) {
            let lower = arg.to_ascii_lowercase();
            if let Some(marker) = self.markers.iter().find(|m| lower.contains(m.as_str())) {
                return vec![Finding::new(format!(
                    "{} searched for tokens matching {marker:?}",
                    event.comm
                ))
                .with("marker", marker)
                .with("pattern", arg)
                .with("tool", exe)];
            }
        }
        Vec::new()
    }
}

vigil_sdk::export_signature!(TokenHunting);

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sdk::testing;
    use vigil_sdk::testing::Harness;

    fn exec(exe: &'static str, argv: Vec<&'static str>) -> Event<'static> {
        testing::exec_argv(30, exe, argv)
    }

    #[test]
    fn grepping_for_tokens_fires() {
        let mut sig = Harness::<TokenHunting>::new();
        for (exe, argv) in [
            (
                "/usr/bin/grep",
                vec!["grep", "-rE", "gh[pousr]_[A-Za-z0-9]{36}", "/"],
            ),
            ("/usr/bin/rg", vec!["rg", "-o", "github_pat_\\w+"]),
            (
                "/usr/bin/strings",
                vec!["strings", "-n", "8", "dump.bin", "ghs_"],
            ),
            (
                "/usr/bin/grep",
                vec![
                    "grep",
                    "-aoE",
                    r#""[^"]+":\{"value":"[^"]*","isSecret":true\}"#,
                ],
            ),
            ("/usr/bin/gawk", vec!["awk", "/AKIA[0-9A-Z]{16}/"]),
            ("/usr/bin/grep", vec!["grep", "-r", "xoxb-", "."]),
        ] {
            let f = sig.feed(&exec(exe, argv.clone()));
            assert_eq!(f.len(), 1, "{argv:?}");
        }
        let f = sig.feed(&exec(
            "/usr/bin/grep",
            vec!["grep", "-r", "glpat-", "/home"],
        ));
        assert_eq!(f[0].evidence("marker"), Some("glpat-"));
        assert_eq!(f[0].evidence("pattern"), Some("glpat-"));
    }

    #[test]
    fn ordinary_searches_and_other_programs_are_quiet() {
        let mut sig = Harness::<TokenHunting>::new();
        assert!(sig
            .feed(&exec("/usr/bin/grep", vec!["grep", "-r", "TODO", "src"]))
            .is_empty());
        assert!(sig
            .feed(&exec("/usr/bin/sed", vec!["sed", "s/a/b/", "f"]))
            .is_empty());
        // Not a search tool: a test that mentions a token prefix in its arguments.
        assert!(sig
            .feed(&exec("/usr/bin/python3", vec!["python3", "-c", "'ghp_'"]))
            .is_empty());
    }

    #[test]
    fn settings_allow_scanners_and_add_markers() {
        let mut sig = Harness::<TokenHunting>::with_settings(&[
            (ALLOW_EXE, "/usr/bin/rg"),
            (EXTRA_MARKER, "VAULT_TOKEN"),
        ])
        .unwrap();
        assert!(sig
            .feed(&exec("/usr/bin/rg", vec!["rg", "ghp_"]))
            .is_empty());
        assert_eq!(
            sig.feed(&exec("/usr/bin/grep", vec!["grep", "vault_token"]))
                .len(),
            1
        );
        assert!(Harness::<TokenHunting>::with_settings(&[("x", "y")]).is_err());
    }
}
