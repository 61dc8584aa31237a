//! The kernel's share of the signatures' `file-interest`: the union of the opens the loaded
//! signatures want, in the coarse form the eBPF open programs can check (path prefixes,
//! suffixes and directory suffixes, see `vigil_event::open_interest::Coarse`), so that an open
//! none of them can want is never emitted. The dispatcher still applies each signature's exact
//! globs; this only has to admit everything they match, which `Coarse` guarantees.
//!
//! One signature that selects opens without saying which (a 1.0.0 component, or one whose
//! globs have no coarse form, like `**/*.pem`) turns the filter off for that direction.

use anyhow::{anyhow, Context, Result};
use aya::{
    maps::lpm_trie::{Key, LpmTrie},
    Ebpf,
};
use vigil_ebpf_common::{
    CwdTail, OPEN_DIR_SUFFIX_MAX, OPEN_FILTER_READS, OPEN_FILTER_WRITES, OPEN_KEY_LEN,
    OPEN_SUFFIX_MAX, OPEN_TAG_DIR_SUFFIX, OPEN_TAG_SUFFIX,
};
use vigil_event::open_interest::{may_read, may_write, Coarse};

use crate::{event::Kind, sandbox::LoadedSignature};

/// The capacity of each kernel table (`OPEN_PREFIXES`, `OPEN_SUFFIXES`).
const MAX_ENTRIES: usize = 1024;

/// What the kernel emits of opens of absolute paths: `None` for a direction means every open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenFilter {
    reads: Option<Vec<Coarse>>,
    writes: Option<Vec<Coarse>>,
}

/// One trie entry: key bytes, their length in bits, and the `OPEN_FILTER_*` bits it admits.
type Entry = (Vec<u8>, u32, u8);

impl OpenFilter {
    /// Every open is emitted: for recordings, `vigil events`, and when a signature cannot say.
    pub fn everything() -> Self {
        OpenFilter::default()
    }

    /// The union of what `signatures` want.
    pub fn of(signatures: &[LoadedSignature]) -> Self {
        let mut reads = Some(Vec::new());
        let mut writes = Some(Vec::new());
        for sig in signatures.iter().filter(|s| s.selects(Kind::Open)) {
            let Some(interest) = sig.open_interest() else {
                return Self::everything();
            };
            let add = |into: &mut Option<Vec<Coarse>>, from: Option<Vec<Coarse>>| match from {
                Some(list) => {
                    if let Some(all) = into {
                        all.extend(list);
                    }
                }
                None => *into = None,
            };
            add(&mut reads, interest.coarse_reads());
            add(&mut writes, interest.coarse_writes());
        }
        let filter = OpenFilter { reads, writes };
        // Past the tables' size, emitting everything is the safe answer.
        let (prefixes, suffixes) = filter.entries();
        if prefixes.len() > MAX_ENTRIES || suffixes.len() > MAX_ENTRIES {
            return Self::everything();
        }
        filter
    }

    /// Whether an open of `path` with `flags` may be wanted: the kernel's decision, for any
    /// path (a relative one is always admitted).
    pub fn admits(&self, path: &str, flags: u64) -> bool {
        let side = |list: &Option<Vec<Coarse>>| match list {
            None => true,
            Some(list) => list.iter().any(|c| c.admits(path)),
        };
        (may_read(flags) && side(&self.reads)) || (may_write(flags) && side(&self.writes))
    }

    /// How to tell the kernel about working directories, so that it judges relative opens too
    /// (see [`CwdJudge`]); `None` when no direction is filtered.
    pub fn cwd_judge(&self) -> Option<CwdJudge> {
        if self.bits() == 0 {
            return None;
        }
        let (prefixes, _) = self.entries();
        Some(CwdJudge {
            prefixes: prefixes.into_iter().map(|(bytes, _, _)| bytes).collect(),
        })
    }

    /// The `OPEN_FILTER` global: which directions are filtered.
    pub fn bits(&self) -> u32 {
        (if self.reads.is_some() {
            OPEN_FILTER_READS
        } else {
            0
        }) | (if self.writes.is_some() {
            OPEN_FILTER_WRITES
        } else {
            0
        })
    }

    /// The trie entries: (`OPEN_PREFIXES`, `OPEN_SUFFIXES`). A trie answers with its longest
    /// matching entry only, so each entry also carries the bits of every shorter entry that
    /// matches wherever it does.
    fn entries(&self) -> (Vec<Entry>, Vec<Entry>) {
        let mut prefixes: Vec<Entry> = Vec::new();
        let mut suffixes: Vec<Entry> = Vec::new();
        let directions = [
            (&self.reads, OPEN_FILTER_READS as u8),
            (&self.writes, OPEN_FILTER_WRITES as u8),
        ];
        for (list, bit) in directions {
            for coarse in list.iter().flatten() {
                let (table, bytes) = match coarse {
                    Coarse::Prefix(p) => {
                        let p = &p.as_bytes()[..p.len().min(OPEN_KEY_LEN)];
                        (&mut prefixes, p.to_vec())
                    }
                    Coarse::Suffix(s) => {
                        (&mut suffixes, tagged(OPEN_TAG_SUFFIX, s, OPEN_SUFFIX_MAX))
                    }
                    Coarse::DirSuffix(d) => (
                        &mut suffixes,
                        tagged(OPEN_TAG_DIR_SUFFIX, d, OPEN_DIR_SUFFIX_MAX),
                    ),
                    // `RelativeOnly` matches only paths the tracker could not make absolute,
                    // which the kernel emits (it has no cwd tail for them); `Any` made the
                    // direction unfiltered.
                    Coarse::RelativeOnly | Coarse::Any => continue,
                };
                match table.iter_mut().find(|(b, _, _)| *b == bytes) {
                    Some(e) => e.2 |= bit,
                    None => table.push((bytes.clone(), bytes.len() as u32 * 8, bit)),
                }
            }
        }
        for table in [&mut prefixes, &mut suffixes] {
            let snapshot = table.clone();
            for (bytes, _, bits) in table.iter_mut() {
                for (shorter, _, more) in &snapshot {
                    if bytes.starts_with(shorter) {
                        *bits |= more;
                    }
                }
            }
        }
        (prefixes, suffixes)
    }

    /// Fills the kernel's tables (before the programs are attached).
    pub fn install(&self, ebpf: &mut Ebpf) -> Result<()> {
        let (prefixes, suffixes) = self.entries();
        for (name, entries) in [("OPEN_PREFIXES", prefixes), ("OPEN_SUFFIXES", suffixes)] {
            let map = ebpf
                .map_mut(name)
                .ok_or_else(|| anyhow!("map {name} missing"))?;
            let mut trie: LpmTrie<_, [u8; OPEN_KEY_LEN], u8> = LpmTrie::try_from(map)?;
            for (bytes, bits_len, value) in entries {
                let mut data = [0u8; OPEN_KEY_LEN];
                data[..bytes.len()].copy_from_slice(&bytes);
                trie.insert(&Key::new(bits_len, data), value, 0)
                    .with_context(|| format!("filling {name}"))?;
            }
        }
        Ok(())
    }
}

/// The prefix entries of a filter, to decide which working directories the kernel may judge
/// relative opens in: it checks those against the suffix table only.
pub struct CwdJudge {
    prefixes: Vec<Vec<u8>>,
}

impl CwdJudge {
    /// What the kernel needs to judge relative opens in the absolute directory `cwd` as the
    /// tracker resolves them: `cwd` followed by `/`, reversed. `None` when some prefix entry
    /// could match a path under `cwd`, or when `cwd` is in /proc or /dev.
    pub fn tail(&self, cwd: &str) -> Option<CwdTail> {
        if !cwd.starts_with('/') {
            return None;
        }
        // The tracker joins with `.` and `..` resolved (`procfs::walk`); so does this.
        let mut dir = crate::procfs::join(cwd, ".");
        if !dir.ends_with('/') {
            dir.push('/');
        }
        // A relative path from here may name a magic link (`self/root/...` in /proc,
        // `fd/3/...` or `stdin` in /dev): the tracker follows those, so must the judging.
        if crate::procfs::from_magic_link_dir(&dir) {
            return None;
        }
        let dir = dir.as_bytes();
        let blocked = self
            .prefixes
            .iter()
            .any(|p| p.starts_with(dir) || dir.starts_with(p));
        if blocked {
            return None;
        }
        let mut tail = CwdTail {
            len: u32::try_from(dir.len()).ok()?,
            _pad: 0,
            reversed: [0; OPEN_KEY_LEN],
        };
        for (to, from) in tail.reversed[..OPEN_KEY_LEN - 1]
            .iter_mut()
            .zip(dir.iter().rev())
        {
            *to = *from;
        }
        Some(tail)
    }
}

impl std::fmt::Display for OpenFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (prefixes, suffixes) = self.entries();
        let side = |list: &Option<Vec<Coarse>>| match list {
            None => "every open".to_string(),
            Some(_) => "those matching the tables".to_string(),
        };
        write!(
            f,
            "reads: {}; writes: {}; {} prefix and {} suffix entries",
            side(&self.reads),
            side(&self.writes),
            prefixes.len(),
            suffixes.len()
        )
    }
}

/// `tag` then the last `max` bytes of `text`, reversed: how the kernel builds its suffix keys.
fn tagged(tag: u8, text: &str, max: usize) -> Vec<u8> {
    let bytes = text.as_bytes();
    let tail = &bytes[bytes.len().saturating_sub(max)..];
    std::iter::once(tag)
        .chain(tail.iter().rev().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(reads: Option<Vec<Coarse>>, writes: Option<Vec<Coarse>>) -> OpenFilter {
        OpenFilter { reads, writes }
    }

    #[test]
    fn longer_entries_carry_the_bits_of_shorter_ones() {
        let f = filter(
            Some(vec![Coarse::Prefix("/proc/".into())]),
            Some(vec![Coarse::Prefix("/proc/sys/kernel/core_pattern".into())]),
        );
        assert_eq!(f.bits(), OPEN_FILTER_READS | OPEN_FILTER_WRITES);
        let (prefixes, suffixes) = f.entries();
        assert!(suffixes.is_empty());
        let core = prefixes
            .iter()
            .find(|(b, _, _)| b.starts_with(b"/proc/sys"))
            .unwrap();
        // A read of core_pattern matches this, the longest entry: it must admit reads too.
        assert_eq!(core.2, (OPEN_FILTER_READS | OPEN_FILTER_WRITES) as u8);
        assert_eq!(core.1, 8 * "/proc/sys/kernel/core_pattern".len() as u32);
    }

    #[test]
    fn suffixes_are_tagged_reversed_and_cut_to_what_the_kernel_compares() {
        assert_eq!(tagged(OPEN_TAG_SUFFIX, "/.npmrc", 62), b"\x01crmpn./");
        assert_eq!(tagged(OPEN_TAG_DIR_SUFFIX, "/.ssh/", 31), b"\x02/hss./");
        let long = "/a-very-long-directory-name-that-goes-on-and-on/";
        assert_eq!(
            tagged(OPEN_TAG_DIR_SUFFIX, long, OPEN_DIR_SUFFIX_MAX).len(),
            1 + OPEN_DIR_SUFFIX_MAX
        );
        let f = filter(
            Some(vec![
                Coarse::Suffix("/.git/config".into()),
                Coarse::DirSuffix("/.ssh/".into()),
                Coarse::RelativeOnly,
            ]),
            None,
        );
        assert_eq!(f.bits(), OPEN_FILTER_READS);
        let (prefixes, suffixes) = f.entries();
        assert!(prefixes.is_empty());
        assert_eq!(suffixes.len(), 2);
    }

    #[test]
    fn admits_by_direction() {
        let f = filter(Some(vec![Coarse::Suffix("/.git/config".into())]), None);
        assert!(f.admits("/w/r/.git/config", 0));
        assert!(!f.admits("/w/r/src/main.c", 0));
        assert!(
            f.admits("src/main.c", 0),
            "relative: the kernel cannot judge it"
        );
        assert!(
            f.admits("/w/r/src/main.c", 0o1101),
            "writes are not filtered"
        );
        assert!(!filter(Some(vec![]), Some(vec![])).admits("/x", 0o2));
    }

    /// The kernel gets a cwd's tail (`/` first, reversed, normalised as the tracker joins)
    /// only where no prefix entry can match under it, and only when something is filtered.
    #[test]
    fn cwd_tails_are_given_only_where_no_prefix_can_match() {
        let f = filter(
            Some(vec![
                Coarse::Prefix("/proc/".into()),
                Coarse::Prefix("/etc/ld.so".into()),
                Coarse::DirSuffix("/.ssh/".into()),
            ]),
            Some(vec![]),
        );
        let judge = f.cwd_judge().unwrap();
        let tail = judge.tail("/work/src/../build").unwrap();
        assert_eq!(tail.len, "/work/build/".len() as u32);
        assert_eq!(&tail.reversed[..13], b"/dliub/krow/\0");
        // Under /proc/, or above an entry (a relative path could reach it).
        assert!(judge.tail("/proc/1").is_none());
        assert!(judge.tail("/proc").is_none());
        assert!(judge.tail("/etc").is_none());
        assert!(judge.tail("/").is_none());
        assert!(judge.tail("relative").is_none());
        let suffixes_only = filter(Some(vec![Coarse::Suffix("/.npmrc".into())]), None);
        let suffixes_only = suffixes_only.cwd_judge().unwrap();
        let root = suffixes_only.tail("/").unwrap();
        assert_eq!((root.len, &root.reversed[..2]), (1, &b"/\0"[..]));
        // Where a relative path may name a magic link: `self/root/...`, `fd/3/...`.
        assert!(suffixes_only.tail("/proc").is_none());
        assert!(suffixes_only.tail("/proc/12").is_none());
        assert!(suffixes_only.tail("/dev").is_none());
        assert!(suffixes_only.tail("/devices").is_some());
        // Only the window's worth is kept, the length whole.
        let deep = format!("/{}", "d/".repeat(40));
        let tail = judge.tail(&deep).unwrap();
        assert_eq!(tail.len as usize, deep.len());
        assert_eq!(tail.reversed[OPEN_KEY_LEN - 1], 0);
        assert!(filter(None, None).cwd_judge().is_none());
    }

    #[test]
    fn a_direction_any_glob_needs_is_not_filtered() {
        assert_eq!(filter(None, None).bits(), 0);
        assert_eq!(OpenFilter::everything().bits(), 0);
    }
}
