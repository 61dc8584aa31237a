//! Kernel capture: loads the embedded eBPF object, adapts it to the running kernel's
//! tracepoint layouts, attaches every program, and arms processes for watching.

use std::{fs, path::Path};

use anyhow::{anyhow, bail, Context, Result};
use aya::{
    maps::{HashMap, MapData, PerCpuArray, RingBuf},
    programs::TracePoint,
    Ebpf, EbpfLoader,
};
use vigil_ebpf_common::TracepointLayout;

static EBPF_OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/vigil-ebpf"));

const TRACEFS: &str = "/sys/kernel/tracing";

pub struct Capture {
    ebpf: Ebpf,
    watched: HashMap<MapData, u32, u32>,
}

impl Capture {
    /// Loads and attaches everything; fails with the reason when the kernel refuses.
    pub fn load(ring_bytes: u32) -> Result<Self> {
        if !ring_bytes.is_power_of_two() || ring_bytes < 4096 {
            bail!("ring buffer size {ring_bytes} bytes must be a power of two of at least 4 KiB");
        }
        ensure_tracefs()?;
        let layout = tracepoint_layout()?;
        let mut ebpf = EbpfLoader::new()
            .override_global("LAYOUT", &layout, true)
            .map_max_entries("EVENTS", ring_bytes)
            .load(EBPF_OBJECT)
            .context("loading the eBPF object (Vigil needs root, or CAP_BPF and CAP_PERFMON)")?;
        let names: Vec<String> = ebpf.programs().map(|(n, _)| n.to_string()).collect();
        for name in names {
            let (category, tracepoint) = tracepoint_of(&name);
            let program: &mut TracePoint = ebpf
                .program_mut(&name)
                .ok_or_else(|| anyhow!("program {name} vanished"))?
                .try_into()
                .with_context(|| format!("program {name} is not a tracepoint"))?;
            program
                .load()
                .with_context(|| format!("the kernel rejected program {name}"))?;
            program
                .attach(category, &tracepoint)
                .with_context(|| format!("attaching {name} to {category}:{tracepoint}"))?;
        }
        let watched = HashMap::try_from(
            ebpf.take_map("WATCHED")
                .ok_or_else(|| anyhow!("map WATCHED missing"))?,
        )?;
        Ok(Capture { ebpf, watched })
    }

    /// Takes the ring buffer for the reader.
    pub fn take_ring(&mut self) -> Result<RingBuf<MapData>> {
        let map = self
            .ebpf
            .take_map("EVENTS")
            .ok_or_else(|| anyhow!("map EVENTS missing"))?;
        Ok(RingBuf::try_from(map)?)
    }

    /// Puts `pid` and, from then on, all its descendants in scope.
    pub fn watch(&mut self, pid: u32) -> Result<()> {
        self.watched
            .insert(pid, 1, 0)
            .with_context(|| format!("arming capture for pid {pid}"))
    }

    /// Records dropped because the ring buffer was full, summed over CPUs.
    pub fn lost(&self) -> Result<u64> {
        let map = self
            .ebpf
            .map("LOST")
            .ok_or_else(|| anyhow!("map LOST missing"))?;
        let lost: PerCpuArray<_, u64> = PerCpuArray::try_from(map)?;
        Ok(lost.get(&0, 0)?.iter().sum())
    }
}

/// Program names are the tracepoint names; the category follows from the prefix.
fn tracepoint_of(program: &str) -> (&'static str, String) {
    if program.starts_with("sched_") {
        ("sched", program.to_string())
    } else {
        ("syscalls", program.to_string())
    }
}

/// Mounts tracefs when nothing has (aya attaches tracepoints through it).
fn ensure_tracefs() -> Result<()> {
    if Path::new(TRACEFS).join("events").is_dir() {
        return Ok(());
    }
    let target = std::ffi::CString::new(TRACEFS)?;
    let fstype = std::ffi::CString::new("tracefs")?;
    // SAFETY: valid NUL-terminated strings; no data argument.
    let rc = unsafe {
        libc::mount(
            fstype.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        bail!(
            "tracefs is not mounted at {TRACEFS} and mounting it failed: {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

/// Reads the offsets of the sched tracepoint fields that moved between kernel versions.
fn tracepoint_layout() -> Result<TracepointLayout> {
    let fork = fs::read_to_string(format!("{TRACEFS}/events/sched/sched_process_fork/format"))
        .context("reading the sched_process_fork tracepoint format")?;
    let exit = fs::read_to_string(format!("{TRACEFS}/events/sched/sched_process_exit/format"))
        .context("reading the sched_process_exit tracepoint format")?;
    Ok(TracepointLayout {
        fork_child_pid: field_offset(&fork, "child_pid")
            .ok_or_else(|| anyhow!("sched_process_fork has no child_pid field"))?,
        exit_pid: field_offset(&exit, "pid")
            .ok_or_else(|| anyhow!("sched_process_exit has no pid field"))?,
        exit_group_dead: field_offset(&exit, "group_dead").unwrap_or(u32::MAX),
        _pad: 0,
    })
}

/// The offset of `field` in a tracefs `format` file.
pub fn field_offset(format: &str, field: &str) -> Option<u32> {
    format.lines().find_map(|line| {
        let mut parts = line.trim().split(';');
        let decl = parts.next()?.trim().strip_prefix("field:")?;
        let name = decl.rsplit(' ').next()?.split('[').next()?;
        if name != field {
            return None;
        }
        parts
            .find_map(|p| p.trim().strip_prefix("offset:"))
            .and_then(|o| o.parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_offsets_on_old_and_new_kernels() {
        let new = "\tfield:__data_loc char[] parent_comm;\toffset:8;\tsize:4;\tsigned:0;\n\
                   \tfield:pid_t parent_pid;\toffset:12;\tsize:4;\tsigned:1;\n\
                   \tfield:pid_t child_pid;\toffset:20;\tsize:4;\tsigned:1;\n";
        let old = "\tfield:char parent_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n\
                   \tfield:pid_t child_pid;\toffset:44;\tsize:4;\tsigned:1;\n";
        assert_eq!(field_offset(new, "child_pid"), Some(20));
        assert_eq!(field_offset(old, "child_pid"), Some(44));
        assert_eq!(field_offset(old, "parent_comm"), Some(8));
        assert_eq!(field_offset(old, "group_dead"), None);
    }
}
