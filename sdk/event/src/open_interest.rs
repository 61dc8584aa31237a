//! Which opens a signature wants: the WIT `file-interest` export (interface 1.1.0).
//!
//! Three places apply it and must agree, so the rule lives here, once: Vigil, before calling a
//! signature; the SDK's native harness, so a signature's unit tests see only the opens Vigil
//! would deliver (an interest narrower than the rule fails them); and the kernel, which gets a
//! [`Coarse`] form of every loaded signature's globs so that an open none of them can want is
//! never emitted at all.

use crate::open_flags;

/// At most this many globs per list: the kernel's tables are small and fixed.
pub const MAX_GLOBS: usize = 256;
/// At most this many bytes per glob.
pub const MAX_GLOB_LEN: usize = 512;

/// The opens a signature wants, as globs over the opened path (see [`glob`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenInterest {
    /// Wanted when the open may read the file (every open except `O_WRONLY`), or only names it
    /// (`O_PATH`).
    pub reads: Vec<String>,
    /// Wanted when the open may change the file: `O_WRONLY`, `O_RDWR`, `O_CREAT` or `O_TRUNC`
    /// (without `O_PATH`).
    pub writes: Vec<String>,
}

impl OpenInterest {
    /// Every open: what a signature that does not say receives.
    pub fn everything() -> Self {
        OpenInterest::default().reading(["**"]).writing(["**"])
    }

    /// Also wants reads of paths matching `globs`.
    pub fn reading<S: AsRef<str>>(mut self, globs: impl IntoIterator<Item = S>) -> Self {
        self.reads
            .extend(globs.into_iter().map(|g| g.as_ref().to_string()));
        self
    }

    /// Also wants writes to paths matching `globs` (`["**"]`: every write).
    pub fn writing<S: AsRef<str>>(mut self, globs: impl IntoIterator<Item = S>) -> Self {
        self.writes
            .extend(globs.into_iter().map(|g| g.as_ref().to_string()));
        self
    }

    /// Also wants writes to each of `dirs` and to anything under it.
    pub fn writing_under(self, dirs: &[&str]) -> Self {
        self.writing(dirs.iter().flat_map(|d| [d.to_string(), format!("{d}/**")]))
    }

    /// Refuses an interest the host cannot apply, naming what is wrong.
    pub fn check(&self) -> Result<(), String> {
        for (name, list) in [("reads", &self.reads), ("writes", &self.writes)] {
            if list.len() > MAX_GLOBS {
                return Err(format!(
                    "open-interest {name} has {} globs; at most {MAX_GLOBS}",
                    list.len()
                ));
            }
            if let Some(g) = list.iter().find(|g| g.is_empty() || g.len() > MAX_GLOB_LEN) {
                return Err(format!(
                    "open-interest {name} has a glob of {} bytes ({g:?}); each must have 1 to \
                     {MAX_GLOB_LEN}",
                    g.len()
                ));
            }
        }
        Ok(())
    }

    /// The interest, ready to match many paths.
    pub fn matcher(&self) -> Matcher {
        Matcher {
            interest: self.clone(),
            reads: Globs::new(&self.reads),
            writes: Globs::new(&self.writes),
        }
    }
}

/// Whether an open with `flags` may read the file, as [`OpenInterest::reads`] means it.
pub fn may_read(flags: u64) -> bool {
    flags & open_flags::O_ACCMODE != open_flags::O_WRONLY || flags & open_flags::O_PATH != 0
}

/// Whether an open with `flags` may change the file, as [`OpenInterest::writes`] means it:
/// [`open_flags::is_write`], and the odd access mode 3 too (it grants ioctls), so that every
/// signature's own notion of a write is covered.
pub fn may_write(flags: u64) -> bool {
    use open_flags::{O_ACCMODE, O_CREAT, O_PATH, O_RDONLY, O_TRUNC};
    flags & O_PATH == 0 && (flags & O_ACCMODE != O_RDONLY || flags & (O_CREAT | O_TRUNC) != 0)
}

/// The glob matching of interests (and of `vigil_sdk::paths::glob`): `*` and `?` within one
/// path component, `**` across components, `[abc]` and `{a,b}` as usual.
pub fn glob(pattern: &str, path: &str) -> bool {
    fast_glob::glob_match(pattern, path)
}

/// An [`OpenInterest`] prepared for matching: each glob carries its [`Coarse`] form, which
/// rejects most paths with one string comparison before the glob itself runs.
#[derive(Clone, Debug)]
pub struct Matcher {
    interest: OpenInterest,
    reads: Globs,
    writes: Globs,
}

impl Matcher {
    /// The interest as declared.
    pub fn interest(&self) -> &OpenInterest {
        &self.interest
    }

    /// Whether an open of `path` with `flags` is wanted.
    pub fn wants(&self, path: &str, flags: u64) -> bool {
        (may_read(flags) && self.reads.matches(path))
            || (may_write(flags) && self.writes.matches(path))
    }

    /// The kernel's view of the read globs: `None` when one of them needs every path.
    pub fn coarse_reads(&self) -> Option<Vec<Coarse>> {
        self.reads.coarse()
    }

    /// The kernel's view of the write globs: `None` when one of them needs every path.
    pub fn coarse_writes(&self) -> Option<Vec<Coarse>> {
        self.writes.coarse()
    }
}

#[derive(Clone, Debug)]
struct Globs {
    /// Some glob is `**` (or another that admits every path): no need to look further.
    all: bool,
    globs: Vec<(Coarse, String)>,
}

impl Globs {
    fn new(globs: &[String]) -> Self {
        let globs: Vec<(Coarse, String)> = globs.iter().map(|g| (coarse(g), g.clone())).collect();
        Globs {
            all: globs
                .iter()
                .any(|(c, g)| *c == Coarse::Any && is_match_all(g)),
            globs,
        }
    }

    fn matches(&self, path: &str) -> bool {
        self.all
            || self
                .globs
                .iter()
                .any(|(c, g)| c.admits(path) && glob(g, path))
    }

    fn coarse(&self) -> Option<Vec<Coarse>> {
        if self.globs.iter().any(|(c, _)| *c == Coarse::Any) {
            return None;
        }
        Some(self.globs.iter().map(|(c, _)| c.clone()).collect())
    }
}

fn is_match_all(glob: &str) -> bool {
    glob.split('/').all(|c| c == "**")
}

/// What can be checked of a glob without running it, in the kernel or before the glob: a
/// condition every *absolute* path the glob matches meets. Relative paths (an open Vigil could
/// not resolve) are always admitted: the kernel cannot resolve them either.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coarse {
    /// No condition.
    Any,
    /// The glob matches only relative paths.
    RelativeOnly,
    /// The path starts with this.
    Prefix(String),
    /// The path ends with this.
    Suffix(String),
    /// The path's directory, with its trailing `/`, ends with this (`/.ssh/` for
    /// `**/.ssh/id_*`).
    DirSuffix(String),
}

impl Coarse {
    /// Whether `path` meets the condition.
    pub fn admits(&self, path: &str) -> bool {
        if !path.starts_with('/') {
            return true;
        }
        match self {
            Coarse::Any => true,
            Coarse::RelativeOnly => false,
            Coarse::Prefix(p) => path.starts_with(p.as_str()),
            Coarse::Suffix(s) => path.ends_with(s.as_str()),
            Coarse::DirSuffix(d) => path
                .rfind('/')
                .is_some_and(|i| path[..=i].ends_with(d.as_str())),
        }
    }
}

/// Characters that make a glob more than a literal (escapes included, to stay safe).
const META: &[char] = &['*', '?', '[', ']', '{', '}', '\\', '!'];

/// The [`Coarse`] form of `glob`.
pub fn coarse(glob: &str) -> Coarse {
    let literal_suffix = |g: &str| match g.rfind(META) {
        Some(i) => g[i + 1..].to_string(),
        None => g.to_string(),
    };
    if glob.starts_with('/') {
        let end = glob.find(META).unwrap_or(glob.len());
        return Coarse::Prefix(glob[..end].to_string());
    }
    if !glob.starts_with("**/") {
        // A literal first character cannot match the `/` an absolute path starts with.
        return match glob.chars().next() {
            Some(c) if !META.contains(&c) => Coarse::RelativeOnly,
            _ => Coarse::Any,
        };
    }
    // `**/...`: any directory, then the rest. What ends the glob literally ends the path.
    let suffix = literal_suffix(glob);
    if !suffix.is_empty() {
        return Coarse::Suffix(suffix);
    }
    // The last component ends with a wildcard (`**/.ssh/id_*`): its directory still ends with
    // what precedes it literally. Braces may hide a `/`, so they get no such shortcut.
    let Some(slash) = glob.rfind('/') else {
        return Coarse::Any;
    };
    let (dir, name) = glob.split_at(slash + 1);
    if glob.contains('{') || name.contains("**") {
        return Coarse::Any;
    }
    match literal_suffix(dir) {
        d if d.len() > 1 => Coarse::DirSuffix(d),
        _ => Coarse::Any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_forms() {
        assert_eq!(coarse("/proc/*/mem"), Coarse::Prefix("/proc/".into()));
        assert_eq!(
            coarse("/etc/sudoers"),
            Coarse::Prefix("/etc/sudoers".into())
        );
        assert_eq!(
            coarse("**/.git/config"),
            Coarse::Suffix("/.git/config".into())
        );
        assert_eq!(coarse("**/.ssh/*_key"), Coarse::Suffix("_key".into()));
        assert_eq!(coarse("**/x.{json,yml}"), Coarse::Any);
        assert_eq!(coarse("**/{a,b}.json"), Coarse::Suffix(".json".into()));
        assert_eq!(coarse("**/.ssh/id_*"), Coarse::DirSuffix("/.ssh/".into()));
        assert_eq!(coarse("**/.ssh/{id_*,x/y*}"), Coarse::Any);
        assert_eq!(coarse("**/a/**"), Coarse::Any);
        assert_eq!(coarse("**/id_*"), Coarse::Any);
        assert_eq!(coarse("**"), Coarse::Any);
        assert_eq!(coarse("*.pem"), Coarse::Any);
        assert_eq!(coarse("src/**"), Coarse::RelativeOnly);
    }

    /// The coarse form admits every absolute path its glob matches (the kernel drops what it
    /// does not admit, so an error here would hide events).
    #[test]
    fn coarse_admits_what_the_glob_matches() {
        let cases = [
            ("/proc/*/mem", "/proc/812/mem"),
            ("/etc/sudoers.d/*", "/etc/sudoers.d/x"),
            ("**/.git/config", "/home/r/work/repo/.git/config"),
            ("**/.ssh/id_*", "/root/.ssh/id_ed25519"),
            ("**/.ssh/*_key", "/root/.ssh/deploy_key"),
            ("**/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_rsa_key"),
            ("**/{a,b}.json", "/x/a.json"),
            (
                "**/.azure/msal_token_cache.*",
                "/home/u/.azure/msal_token_cache.bin",
            ),
        ];
        for (g, path) in cases {
            assert!(glob(g, path), "{g} should match {path}");
            assert!(
                coarse(g).admits(path),
                "{g}: {:?} refuses {path}",
                coarse(g)
            );
        }
        assert!(!coarse("**/.ssh/id_*").admits("/root/.sshx/id_rsa"));
        assert!(!coarse("/proc/*/mem").admits("/tmp/proc/1/mem"));
        assert!(coarse("/proc/*/mem").admits("relative/mem"));
    }

    #[test]
    fn delivery_follows_access_mode() {
        let m = OpenInterest::default()
            .reading(["**/.git/config"])
            .writing(["/etc/sudoers"])
            .matcher();
        let (rdonly, wronly, rdwr, creat, path) = (0, 0o1, 0o2, 0o100, 0o10000000);
        assert!(m.wants("/w/.git/config", rdonly));
        assert!(m.wants("/w/.git/config", rdwr));
        assert!(m.wants("/w/.git/config", path));
        assert!(m.wants("/w/.git/config", rdonly | creat));
        assert!(!m.wants("/w/.git/config", wronly));
        assert!(m.wants("/etc/sudoers", wronly));
        assert!(m.wants("/etc/sudoers", rdwr));
        assert!(!m.wants("/etc/sudoers", rdonly));
        assert!(!m.wants("/etc/passwd", wronly));
        let all = OpenInterest::everything().matcher();
        assert!(all.wants("/anything", rdonly) && all.wants("rel", wronly));
        assert!(all.coarse_reads().is_none());
        assert_eq!(
            m.coarse_reads(),
            Some(vec![Coarse::Suffix("/.git/config".into())])
        );
    }

    #[test]
    fn limits() {
        assert!(OpenInterest::everything().check().is_ok());
        let too_many = OpenInterest::default().reading((0..=MAX_GLOBS).map(|i| format!("/{i}")));
        assert!(too_many.check().unwrap_err().contains("at most 256"));
        assert!(OpenInterest::default().writing([""]).check().is_err());
    }
}
