//! Path helpers: glob patterns (for allowlists given as settings) and the places that matter
//! on a CI runner.

/// Whether `path` matches the glob `pattern`: `*` matches within one path component, `**`
/// across components, `?` one character, `[abc]` and `{a,b}` as usual: the matching Vigil
/// applies to [`crate::OpenInterest`] globs.
pub fn glob(pattern: &str, path: &str) -> bool {
    vigil_event::open_interest::glob(pattern, path)
}

/// A comma-separated list of globs, as a setting gives it.
#[derive(Clone, Debug, Default)]
pub struct GlobList(Vec<String>);

impl GlobList {
    pub fn parse(value: &str) -> Self {
        GlobList(
            value
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect(),
        )
    }

    /// Adds the patterns of another setting value.
    pub fn extend(&mut self, value: &str) {
        self.0.extend(Self::parse(value).0);
    }

    pub fn matches(&self, path: &str) -> bool {
        self.0.iter().any(|p| glob(p, path))
    }

    /// The globs, as given: for an [`crate::OpenInterest`] that must cover them.
    pub fn patterns(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The last component of a path (`/usr/bin/git` → `git`).
pub fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether `path` is `dir` or inside it (`dir` without a trailing slash).
pub fn is_under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_lists() {
        assert!(glob("/home/*/.ssh/id_*", "/home/runner/.ssh/id_ed25519"));
        assert!(!glob("/home/*/.ssh/id_*", "/home/runner/x/.ssh/id_rsa"));
        assert!(glob(
            "/opt/**/bin/*",
            "/opt/hostedtoolcache/go/1.22/x64/bin/go"
        ));
        // `**` then a name whose prefix a directory also matches: glob-match 0.2 missed this.
        assert!(glob(
            "/**/libfakeroot*.so*",
            "/usr/lib/x86_64-linux-gnu/libfakeroot/libfakeroot-sysv.so"
        ));
        let list = GlobList::parse(" /usr/bin/git , /usr/lib/git-core/* ,");
        assert!(list.matches("/usr/lib/git-core/git-remote-https"));
        assert!(!list.matches("/usr/bin/python3"));
        assert_eq!(basename("/usr/bin/git"), "git");
        assert!(is_under("/tmp/x/y", "/tmp"));
        assert!(!is_under("/tmpfoo", "/tmp"));
    }
}
