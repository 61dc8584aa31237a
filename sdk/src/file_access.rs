//! What a file event means for detection: whether an open writes, and which process a
//! `/proc/<pid>/...` path is about.

// Open flags: the same numbers on every Linux architecture Vigil runs on.
const O_ACCMODE: u64 = 0o3;
const O_RDWR: u64 = 0o2;
const O_CREAT: u64 = 0o100;
const O_TRUNC: u64 = 0o1000;
/// The fd only names the file: it can neither read nor write it.
const O_PATH: u64 = 0o10000000;

/// Whether an open with `flags` may change the file (writes, creates or truncates it).
pub fn is_write_open(flags: u64) -> bool {
    flags & O_PATH == 0 && (flags & O_ACCMODE != 0 || flags & (O_CREAT | O_TRUNC) != 0)
}

/// Whether an open with `flags` may read the file's contents (`O_RDONLY` or `O_RDWR`).
pub fn is_read_open(flags: u64) -> bool {
    flags & O_PATH == 0 && matches!(flags & O_ACCMODE, 0 | O_RDWR)
}

/// Whose entry a `/proc` path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcOwner {
    /// `/proc/self/...` or `/proc/thread-self/...`: always the caller.
    Caller,
    /// `/proc/<pid>/...` or `/proc/<pid>/task/<tid>/...`: the numeric id named first.
    Pid(u32),
}

/// The owner and the file (`mem`, `environ`, ...) of a per-process `/proc` path, e.g.
/// `/proc/812/mem` → (`Pid(812)`, `"mem"`), `/proc/812/task/813/environ` → (`Pid(812)`,
/// `"environ"`). `None` for any other path.
pub fn proc_file(path: &str) -> Option<(ProcOwner, &str)> {
    let rest = path.strip_prefix("/proc/")?;
    let (owner, rest) = rest.split_once('/')?;
    let owner = match owner {
        "self" | "thread-self" => ProcOwner::Caller,
        digits => ProcOwner::Pid(digits.parse().ok()?),
    };
    let file = match rest.strip_prefix("task/") {
        Some(task) => {
            let (tid, file) = task.split_once('/')?;
            tid.parse::<u32>().ok()?;
            file
        }
        None => rest,
    };
    (!file.is_empty() && !file.contains('/')).then_some((owner, file))
}

/// Whether `owner` is someone other than the caller, identified by its process and thread id.
pub fn is_other_process(owner: ProcOwner, pid: u32, tid: u32) -> bool {
    match owner {
        ProcOwner::Caller => false,
        ProcOwner::Pid(target) => target != pid && target != tid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_opens() {
        assert!(!is_write_open(0)); // O_RDONLY
        assert!(!is_write_open(0o2000000)); // O_CLOEXEC
        assert!(is_write_open(0o1));
        assert!(is_write_open(0o2));
        assert!(is_write_open(0o100 | 0o2000000));
        assert!(is_write_open(0o1000));
        assert!(!is_write_open(O_PATH | 0o1));
        assert!(is_read_open(0) && is_read_open(O_RDWR));
        assert!(!is_read_open(0o1) && !is_read_open(O_PATH));
    }

    #[test]
    fn proc_paths() {
        assert_eq!(
            proc_file("/proc/812/mem"),
            Some((ProcOwner::Pid(812), "mem"))
        );
        assert_eq!(
            proc_file("/proc/812/task/813/environ"),
            Some((ProcOwner::Pid(812), "environ"))
        );
        assert_eq!(
            proc_file("/proc/self/environ"),
            Some((ProcOwner::Caller, "environ"))
        );
        assert_eq!(
            proc_file("/proc/thread-self/mem"),
            Some((ProcOwner::Caller, "mem"))
        );
        assert_eq!(proc_file("/proc/812/fd/3"), None);
        assert_eq!(proc_file("/proc/meminfo"), None);
        assert_eq!(proc_file("/proc/sys/kernel/x"), None);
        assert_eq!(proc_file("/tmp/proc/1/mem"), None);
        assert!(is_other_process(ProcOwner::Pid(1), 5, 6));
        assert!(!is_other_process(ProcOwner::Pid(6), 5, 6));
        assert!(!is_other_process(ProcOwner::Caller, 5, 5));
    }
}
