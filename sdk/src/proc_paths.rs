//! Paths under `/proc` that name a process's files: `/proc/<pid>/mem`, `/proc/self/environ`,
//! `/proc/<pid>/task/<tid>/mem`... and whether they belong to the process using them or to
//! another one (reading one's own memory is ordinary; another process's is an attack).

use crate::Event;

/// Whose file a `/proc` path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// `/proc/self` or `/proc/thread-self`: whoever opens it.
    Caller,
    /// `/proc/<pid>` (for `/proc/<pid>/task/<tid>`, the `<pid>`).
    Pid(u32),
}

/// A per-process file under `/proc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcFile<'a> {
    pub owner: Owner,
    /// The thread, for `/proc/<pid>/task/<tid>/...`.
    pub task: Option<u32>,
    /// What follows: `mem`, `environ`, `fd/3`.
    pub file: &'a str,
}

/// Parses an absolute path naming a per-process file under `/proc`.
pub fn parse(path: &str) -> Option<ProcFile<'_>> {
    let rest = path.strip_prefix("/proc/")?;
    let (who, rest) = rest.split_once('/')?;
    let owner = match who {
        "self" | "thread-self" => Owner::Caller,
        _ => Owner::Pid(who.parse().ok()?),
    };
    let (task, file) = match rest.strip_prefix("task/") {
        Some(in_task) => {
            let (tid, file) = in_task.split_once('/')?;
            (Some(tid.parse().ok()?), file)
        }
        None => (None, rest),
    };
    (!file.is_empty()).then_some(ProcFile { owner, task, file })
}

/// The pid of another process whose `file` (`mem`, `environ`...) `path` names, as seen from
/// the process that caused `event`; `None` for its own (by `self`, its pid, or its thread id)
/// or for any other path.
pub fn other_process_file(event: &Event, path: &str, file: &str) -> Option<u32> {
    let p = parse(path)?;
    if p.file != file {
        return None;
    }
    match p.owner {
        Owner::Caller => None,
        Owner::Pid(pid) if pid == event.pid || pid == event.tid => None,
        Owner::Pid(pid) => Some(pid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{testing::event, EventData};

    #[test]
    fn parses_process_files() {
        assert_eq!(
            parse("/proc/42/mem"),
            Some(ProcFile {
                owner: Owner::Pid(42),
                task: None,
                file: "mem"
            })
        );
        assert_eq!(
            parse("/proc/self/task/7/environ"),
            Some(ProcFile {
                owner: Owner::Caller,
                task: Some(7),
                file: "environ"
            })
        );
        assert_eq!(parse("/proc/42/fd/3").unwrap().file, "fd/3");
        assert_eq!(parse("/proc/sys/kernel/core_pattern"), None);
        assert_eq!(parse("/proc/42"), None);
        assert_eq!(parse("/proc/42/"), None);
        assert_eq!(parse("/tmp/proc/42/mem"), None);
    }

    #[test]
    fn own_files_are_not_another_process() {
        let mut e = event(100, "/usr/bin/python3", EventData::Exit { code: None });
        e.event.tid = 101;
        assert_eq!(other_process_file(&e, "/proc/200/mem", "mem"), Some(200));
        assert_eq!(
            other_process_file(&e, "/proc/200/task/201/mem", "mem"),
            Some(200)
        );
        assert_eq!(other_process_file(&e, "/proc/100/mem", "mem"), None);
        assert_eq!(other_process_file(&e, "/proc/101/mem", "mem"), None);
        assert_eq!(other_process_file(&e, "/proc/self/mem", "mem"), None);
        assert_eq!(other_process_file(&e, "/proc/200/maps", "mem"), None);
    }
}
