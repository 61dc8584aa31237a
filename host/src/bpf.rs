//! bpf(2) events: command names, and which map a map command works on, with the process seen
//! creating that map, so a process working on a map someone else created (a security tool's,
//! say) stands out.

use std::collections::HashMap;

use crate::event::BpfMap;

/// BPF map id → the process seen creating it.
#[derive(Default)]
pub struct MapCreators {
    creators: HashMap<u32, u32>,
}

impl MapCreators {
    /// The map a bpf command worked on. `kernel_id` is the id the kernel found behind the fd
    /// (0: none); `attr_u32` reads the command's `attr`. Remembers who created each map.
    pub fn map(
        &mut self,
        pid: u32,
        cmd: u32,
        kernel_id: u32,
        ret: i64,
        attr_u32: impl Fn(usize) -> Option<u32>,
    ) -> Option<BpfMap> {
        let id = (kernel_id != 0).then_some(kernel_id);
        let fd = match cmd {
            BPF_MAP_CREATE | BPF_MAP_GET_FD_BY_ID => {
                if ret < 0 {
                    // Nothing was returned; a failed lookup by id still names the map it wanted.
                    return (cmd == BPF_MAP_GET_FD_BY_ID).then(|| BpfMap {
                        fd: None,
                        id: attr_u32(0),
                        created_by: attr_u32(0).and_then(|i| self.creators.get(&i).copied()),
                    });
                }
                ret as i32
            }
            // lookup, update, delete, get-next-key, lookup-and-delete, freeze.
            1..=4 | 21 | 22 => attr_u32(0)? as i32,
            // The batch commands: map_fd follows in_batch, out_batch, keys, values and count.
            24..=27 => attr_u32(36)? as i32,
            BPF_PROG_BIND_MAP => attr_u32(4)? as i32,
            _ => return None,
        };
        if cmd == BPF_MAP_CREATE {
            if let Some(id) = id {
                self.creators.insert(id, pid);
            }
        }
        Some(BpfMap {
            fd: Some(fd),
            id,
            created_by: id.and_then(|i| self.creators.get(&i).copied()),
        })
    }
}

/// Whether `cmd` carries a path (`BPF_OBJ_PIN`, `BPF_OBJ_GET`).
pub fn names_a_path(cmd: u32) -> bool {
    matches!(cmd, BPF_OBJ_PIN | BPF_OBJ_GET)
}

const BPF_MAP_CREATE: u32 = 0;
const BPF_OBJ_PIN: u32 = 6;
const BPF_OBJ_GET: u32 = 7;
const BPF_MAP_GET_FD_BY_ID: u32 = 14;
const BPF_PROG_BIND_MAP: u32 = 35;

/// Names of bpf(2) commands.
pub fn cmd_name(cmd: u32) -> &'static str {
    const NAMES: [&str; 37] = [
        "BPF_MAP_CREATE",
        "BPF_MAP_LOOKUP_ELEM",
        "BPF_MAP_UPDATE_ELEM",
        "BPF_MAP_DELETE_ELEM",
        "BPF_MAP_GET_NEXT_KEY",
        "BPF_PROG_LOAD",
        "BPF_OBJ_PIN",
        "BPF_OBJ_GET",
        "BPF_PROG_ATTACH",
        "BPF_PROG_DETACH",
        "BPF_PROG_TEST_RUN",
        "BPF_PROG_GET_NEXT_ID",
        "BPF_MAP_GET_NEXT_ID",
        "BPF_PROG_GET_FD_BY_ID",
        "BPF_MAP_GET_FD_BY_ID",
        "BPF_OBJ_GET_INFO_BY_FD",
        "BPF_PROG_QUERY",
        "BPF_RAW_TRACEPOINT_OPEN",
        "BPF_BTF_LOAD",
        "BPF_BTF_GET_FD_BY_ID",
        "BPF_TASK_FD_QUERY",
        "BPF_MAP_LOOKUP_AND_DELETE_ELEM",
        "BPF_MAP_FREEZE",
        "BPF_BTF_GET_NEXT_ID",
        "BPF_MAP_LOOKUP_BATCH",
        "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
        "BPF_MAP_UPDATE_BATCH",
        "BPF_MAP_DELETE_BATCH",
        "BPF_LINK_CREATE",
        "BPF_LINK_UPDATE",
        "BPF_LINK_GET_FD_BY_ID",
        "BPF_LINK_GET_NEXT_ID",
        "BPF_ENABLE_STATS",
        "BPF_ITER_CREATE",
        "BPF_LINK_DETACH",
        "BPF_PROG_BIND_MAP",
        "BPF_TOKEN_CREATE",
    ];
    NAMES.get(cmd as usize).copied().unwrap_or("BPF_UNKNOWN")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(words: &[(usize, u32)]) -> impl Fn(usize) -> Option<u32> + '_ {
        move |at| words.iter().find(|(o, _)| *o == at).map(|(_, v)| *v)
    }

    #[test]
    fn map_commands_name_the_map_and_its_creator() {
        let mut maps = MapCreators::default();
        let made = maps.map(10, BPF_MAP_CREATE, 77, 3, attr(&[(0, 1)]));
        let mine = |fd, created_by| BpfMap {
            fd: Some(fd),
            id: Some(77),
            created_by,
        };
        assert_eq!(made, Some(mine(3, Some(10))));
        // Another process, by id, then an update and a batch update through that fd.
        assert_eq!(
            maps.map(20, BPF_MAP_GET_FD_BY_ID, 77, 5, attr(&[(0, 77)])),
            Some(mine(5, Some(10)))
        );
        assert_eq!(
            maps.map(20, 2, 77, 0, attr(&[(0, 5)])),
            Some(mine(5, Some(10)))
        );
        assert_eq!(
            maps.map(20, 26, 77, 0, attr(&[(0, 0), (36, 5)])),
            Some(mine(5, Some(10)))
        );
        assert_eq!(
            maps.map(20, BPF_PROG_BIND_MAP, 77, 0, attr(&[(0, 4), (4, 5)])),
            Some(mine(5, Some(10)))
        );
        // A map created out of sight has no known creator; a failed call no id.
        assert_eq!(
            maps.map(20, 1, 0, -9, attr(&[(0, 6)])),
            Some(BpfMap {
                fd: Some(6),
                id: None,
                created_by: None
            })
        );
        assert_eq!(
            maps.map(20, BPF_MAP_GET_FD_BY_ID, 0, -2, attr(&[(0, 77)])),
            Some(BpfMap {
                fd: None,
                id: Some(77),
                created_by: Some(10)
            })
        );
        assert_eq!(maps.map(20, BPF_MAP_CREATE, 0, -1, attr(&[(0, 1)])), None);
        // Not a map command; an attr too short to hold the map fd.
        assert_eq!(maps.map(20, 5, 0, 0, attr(&[(0, 1)])), None);
        assert_eq!(maps.map(20, 26, 0, 0, attr(&[(0, 0)])), None);
        assert_eq!(cmd_name(26), "BPF_MAP_UPDATE_BATCH");
        assert_eq!(cmd_name(999), "BPF_UNKNOWN");
    }
}
