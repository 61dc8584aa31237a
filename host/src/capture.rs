//! Kernel capture: loads the embedded eBPF object, adapts it to the running kernel's
//! tracepoint layouts, tells it which record kinds are wanted, attaches every program whose
//! tracepoint this kernel has, and arms processes for watching.

use std::{
    fs,
    os::fd::RawFd,
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context, Result};
use aya::{
    maps::{HashMap, MapData, PerCpuArray, RingBuf},
    programs::{
        trace_point::{TracePointLink, TracePointLinkId},
        ProgramError, TracePoint,
    },
    Ebpf, EbpfLoader,
};
use vigil_ebpf_common::{EventKind as K, FdLayout, NamespaceLayout, TracepointLayout};

use crate::{
    attach_gate::{self, AttachGate, Attaching},
    btf::Btf,
    cwd_tails::CwdTails,
    event::Kind,
    open_filter::{CwdJudge, OpenFilter},
};

static EBPF_OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/vigil-ebpf"));

const TRACEFS: &str = "/sys/kernel/tracing";

/// Which tasks the kernel reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The processes armed with [`Capture::watch`] and their descendants.
    Tree,
    /// Every task on the host (`--all`).
    All,
}

impl Scope {
    pub fn from_all(all: bool) -> Self {
        if all {
            Scope::All
        } else {
            Scope::Tree
        }
    }
}

/// What the kernel is to emit: the record kinds (see [`kind_mask`]), which opens, and whether
/// a close's result is wanted (a signature selected closes) or only the fact (the tracker).
pub struct Wanted {
    pub kinds: u64,
    pub opens: OpenFilter,
    pub close_results: bool,
}

impl Wanted {
    /// Everything, results included: for recordings.
    pub fn everything() -> Self {
        Wanted {
            kinds: kind_mask(Kind::ALL),
            opens: OpenFilter::everything(),
            close_results: true,
        }
    }
}

pub struct Capture {
    ebpf: Ebpf,
    watched: HashMap<MapData, u32, u32>,
    /// Attachments, detached together on drop (see `Drop`).
    links: Vec<TracePointLink>,
}

impl Capture {
    /// Loads and attaches everything; fails with the reason when the kernel refuses.
    /// `kind_mask` (see [`kind_mask`]) selects the records the kernel emits at all; `scope`
    /// which tasks they come from. Vigil's own threads are never in scope.
    pub fn load(ring_bytes: u32, wanted: &Wanted, scope: Scope) -> Result<Self> {
        let (kind_mask, opens) = (wanted.kinds, &wanted.opens);
        if !ring_bytes.is_power_of_two() || ring_bytes < 4096 {
            bail!("ring buffer size {ring_bytes} bytes must be a power of two of at least 4 KiB");
        }
        ensure_tracefs()?;
        let layout = tracepoint_layout()?;
        let scope_all = u32::from(scope == Scope::All);
        let self_tgid = own_tgid()?;
        let (namespace_layout, fd_layout) = kernel_layouts();
        // Closes are in the mask for the tracker's sake alone unless a signature selected them.
        let close_on_entry = u32::from(!wanted.close_results);
        let mut ebpf = EbpfLoader::new()
            // The programs carry no CO-RE relocations (kernel offsets come from `btf` as
            // globals), so aya need not parse the kernel's BTF: that is ~18 MiB of peak RSS.
            .btf(None)
            .override_global("LAYOUT", &layout, true)
            .override_global("KIND_MASK", &kind_mask, true)
            .override_global("OPEN_FILTER", &opens.bits(), true)
            .override_global("CLOSE_ON_ENTRY", &close_on_entry, true)
            .override_global("SCOPE_ALL", &scope_all, true)
            .override_global("SELF_TGID", &self_tgid, true)
            .override_global("NS_LAYOUT", &namespace_layout, true)
            .override_global("FD_LAYOUT", &fd_layout, true)
            .map_max_entries("EVENTS", ring_bytes)
            .load(EBPF_OBJECT)
            .context("loading the eBPF object (Vigil needs root, or CAP_BPF and CAP_PERFMON)")?;
        opens.install(&mut ebpf)?;
        tracing::debug!("kernel open filter: {opens}");
        let names: Vec<String> = ebpf.programs().map(|(n, _)| n.to_string()).collect();
        let mut links = Vec::new();
        // Attaching needs the lock another Vigil's background detach holds for its grace
        // periods: make that detach pause meanwhile (see `attach_gate`).
        let mut attaching = attach_gate::attaching();
        for name in names {
            if program_kind(&name).is_some_and(|k| kind_mask & 1 << (k as u32) == 0) {
                // Nobody wants what it would report: not even loaded.
                continue;
            }
            if close_on_entry != 0 && name == "sys_exit_close" {
                // Closes are reported on entry; this program would only cost every close.
                continue;
            }
            let (category, tracepoint) = tracepoint_of(&name);
            if !Path::new(TRACEFS)
                .join("events")
                .join(category)
                .join(&tracepoint)
                .is_dir()
            {
                // e.g. init_module/finit_module on a kernel built without module support.
                tracing::debug!("this kernel has no {category}:{tracepoint}; not attaching {name}");
                continue;
            }
            let program: &mut TracePoint = ebpf
                .program_mut(&name)
                .ok_or_else(|| anyhow!("program {name} vanished"))?
                .try_into()
                .with_context(|| format!("program {name} is not a tracepoint"))?;
            program
                .load()
                .with_context(|| format!("the kernel rejected program {name}"))?;
            let link = attach_waiting_for_room(program, category, &tracepoint, &mut attaching)
                .with_context(|| format!("attaching {name} to {category}:{tracepoint}"))?;
            links.push(program.take_link(link)?);
        }
        let watched = HashMap::try_from(
            ebpf.take_map("WATCHED")
                .ok_or_else(|| anyhow!("map WATCHED missing"))?,
        )?;
        Ok(Capture {
            ebpf,
            watched,
            links,
        })
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

    /// The maps through which the host gives the kernel each process's cwd (see `cwd_tails`);
    /// `None` when the open filter judges no opens.
    pub fn cwd_tails(&mut self, judge: Option<CwdJudge>) -> Result<Option<CwdTails>> {
        CwdTails::take(&mut self.ebpf, judge)
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

    /// Whether the kernel's per-process fd sets ran out of room, so that from then on every
    /// close was reported (correct, only slower).
    pub fn fd_sets_full(&self) -> bool {
        let full = self
            .ebpf
            .map("FD_SETS_FULL")
            .and_then(|map| aya::maps::Array::<_, u32>::try_from(map).ok())
            .and_then(|array| array.get(&0, 0).ok());
        full.is_some_and(|full| full != 0)
    }
}

impl Drop for Capture {
    /// Detaching a tracepoint waits for RCU grace periods under a kernel-wide lock: with the
    /// default set's ~100 attachments that is seconds, one after the other however many
    /// threads close them. Nobody should wait for that after the verdict, so a detached
    /// grandchild inherits the links and closes them once this process has let go of them,
    /// giving way to any Vigil starting meanwhile (see `attach_gate`); this process only drops
    /// its references, which is immediate.
    fn drop(&mut self) {
        if self.links.is_empty() {
            return;
        }
        let release = detach_in_background()
            .inspect_err(|e| tracing::debug!("detaching in the foreground: {e}"))
            .ok();
        // Immediate when the grandchild holds the links; the full wait otherwise.
        self.links.clear();
        drop(release);
    }
}

/// How long a start waits for room on a tracepoint that has as many programs as the kernel
/// takes (64), as when many Vigils ended just before and their programs are still attached.
const ROOM_PATIENCE: Duration = Duration::from_secs(60);

/// Attaches `program`. When the tracepoint is full, lets the detaches in the way proceed (the
/// attach gate is let go) and tries again until there is room or [`ROOM_PATIENCE`] runs out.
fn attach_waiting_for_room(
    program: &mut TracePoint,
    category: &str,
    tracepoint: &str,
    attaching: &mut Option<Attaching>,
) -> Result<TracePointLinkId, ProgramError> {
    let deadline = Instant::now() + ROOM_PATIENCE;
    loop {
        match program.attach(category, tracepoint) {
            Err(e) if is_full(&e) && Instant::now() < deadline => {
                if attaching.take().is_some() {
                    tracing::info!(
                        "{category}:{tracepoint} has the kernel's maximum of programs (earlier \
                         runs' are still being detached): waiting for room"
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            attached => return attached,
        }
    }
}

/// Whether the kernel refused an attachment with `E2BIG`: the tracepoint has all the programs
/// it takes.
fn is_full(error: &ProgramError) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return io.raw_os_error() == Some(libc::E2BIG);
        }
        cause = e.source();
    }
    false
}

/// This process's attachments: its descriptors of BPF links and perf events.
fn attachment_fds() -> Vec<RawFd> {
    let Ok(dir) = fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    let mut fds: Vec<RawFd> = dir
        .flatten()
        .filter(|entry| {
            fs::read_link(entry.path()).is_ok_and(|target| {
                let target = target.to_string_lossy();
                target == "anon_inode:bpf_link" || target == "anon_inode:[perf_event]"
            })
        })
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect();
    fds.sort_unstable();
    fds
}

/// Forks a grandchild that holds every open file of this process (the links among them) until
/// the returned pipe end is closed, then closes the attachments one by one and exits. Waits
/// only for the intermediate child.
fn detach_in_background() -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    // Everything the grandchild needs is made here: after fork it may not allocate.
    let gate = AttachGate::system();
    let attachments = attachment_fds();
    let mut ends = [0; 2];
    // SAFETY: `ends` has room for the two descriptors.
    if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe2 returned two fresh descriptors, each owned once.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    // SAFETY: between fork and _exit the children call only async-signal-safe functions
    // (open, dup2, close, fork, read, prctl, flock, nanosleep, _exit), as a multi-threaded
    // parent requires.
    unsafe {
        match libc::fork() {
            -1 => Err(std::io::Error::last_os_error()),
            0 => {
                // Whoever reads this process's output must see end-of-file when it exits, not
                // when the grandchild does.
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if null >= 0 {
                    for fd in 0..3 {
                        libc::dup2(null, fd);
                    }
                }
                libc::close(write.as_raw_fd());
                if libc::fork() == 0 {
                    // The grandchild: end-of-file once the parent closed its end (or died).
                    libc::prctl(libc::PR_SET_NAME, c"vigil-detach".as_ptr());
                    let mut byte = 0u8;
                    while libc::read(read.as_raw_fd(), (&raw mut byte).cast(), 1) < 0 {}
                    if let Some(gate) = &gate {
                        gate.close_giving_way(&attachments);
                    }
                }
                libc::_exit(0)
            }
            child => {
                let mut status = 0;
                libc::waitpid(child, &mut status, 0);
                Ok(write)
            }
        }
    }
}

/// The wire kind a program reports, by its name (`sys_enter_X`/`sys_exit_X` report syscall X),
/// or `None` when it serves several (it is then always attached).
fn program_kind(program: &str) -> Option<K> {
    let program = program.strip_prefix("env_").unwrap_or(program);
    match program {
        "sched_process_fork" => return Some(K::Fork),
        "sched_process_exit" | "sys_enter_exit_group" => return Some(K::Exit),
        _ => {}
    }
    let syscall = program
        .strip_prefix("sys_enter_")
        .or_else(|| program.strip_prefix("sys_exit_"))?;
    (1..=K::MAX)
        .filter_map(K::from_u32)
        .find(|k| crate::tracker::syscall_name(*k) == syscall)
}

/// Wire kinds the tracker always needs, whatever the signatures selected: the process tree
/// (exec, fork, exit), each process's cwd (chdir, fchdir) and fd tables (socket, connect,
/// dup*, close).
const TRACKER_KINDS: [K; 13] = [
    K::ExecEnv,
    K::Chdir,
    K::Fchdir,
    K::Exec,
    K::ExecResult,
    K::Fork,
    K::Exit,
    K::Socket,
    K::Connect,
    K::Dup,
    K::Dup2,
    K::Dup3,
    K::Close,
];

/// The wire kinds whose records make events of `kind`.
pub fn wire_kinds(kind: Kind) -> &'static [K] {
    match kind {
        Kind::Exec => &[K::Exec, K::ExecEnv, K::ExecResult],
        Kind::Fork => &[K::Fork],
        Kind::Exit => &[K::Exit],
        Kind::Socket => &[K::Socket],
        Kind::Connect => &[K::Connect],
        Kind::Dup => &[K::Dup, K::Dup2, K::Dup3],
        Kind::Close => &[K::Close],
        Kind::Open => &[K::Open, K::OpenAt, K::OpenAt2],
        Kind::Rename => &[K::Rename, K::RenameAt, K::RenameAt2],
        Kind::Unlink => &[K::Unlink, K::UnlinkAt],
        Kind::Chmod => &[K::Chmod, K::Fchmod, K::FchmodAt, K::FchmodAt2],
        Kind::Link => &[K::Link, K::LinkAt, K::Symlink, K::SymlinkAt],
        Kind::Truncate => &[K::Truncate, K::Ftruncate],
        Kind::Mount => &[K::Mount],
        Kind::MemfdCreate => &[K::MemfdCreate],
        Kind::Ptrace => &[K::Ptrace],
        Kind::ProcessVm => &[K::ProcessVmReadv, K::ProcessVmWritev],
        Kind::Mmap => &[K::Mmap],
        Kind::Mprotect => &[K::Mprotect],
        Kind::Kill => &[K::Kill, K::Tkill, K::Tgkill],
        Kind::Bind => &[K::Bind],
        Kind::Listen => &[K::Listen],
        Kind::Accept => &[K::Accept, K::Accept4],
        Kind::DnsQuery => &[K::SendTo, K::SendMsg, K::SendMmsg],
        Kind::Setuid => &[K::Setuid, K::Setreuid, K::Setresuid],
        Kind::Setgid => &[K::Setgid, K::Setregid, K::Setresgid],
        Kind::Capset => &[K::Capset],
        Kind::PrctlSetName => &[K::PrctlSetName],
        Kind::LoadModule => &[K::InitModule, K::FinitModule],
        Kind::Bpf => &[K::Bpf],
        Kind::Unshare => &[K::Unshare],
        Kind::Setns => &[K::Setns],
    }
}

/// The kernel's kind mask for the event kinds `wanted`, plus what the tracker always needs.
pub fn kind_mask(wanted: impl IntoIterator<Item = Kind>) -> u64 {
    let tracker = TRACKER_KINDS.iter();
    let wanted: Vec<K> = wanted
        .into_iter()
        .flat_map(|k| wire_kinds(k).iter().copied())
        .collect();
    tracker
        .chain(wanted.iter())
        .fold(0, |mask, k| mask | 1u64 << (*k as u32))
}

/// Program names are the tracepoint names, or `env_` and the tracepoint name for a second
/// program on the same tracepoint; the category follows from the prefix.
fn tracepoint_of(program: &str) -> (&'static str, String) {
    let program = program.strip_prefix("env_").unwrap_or(program);
    if program.starts_with("sched_") {
        ("sched", program.to_string())
    } else {
        ("syscalls", program.to_string())
    }
}

/// Where the programs find, in this kernel's structs, the mount namespace of the current task
/// and the map behind one of its fds. Without BTF both say `valid == 0`: events then carry no
/// mount namespace and bpf events no map id.
fn kernel_layouts() -> (NamespaceLayout, FdLayout) {
    let btf = match Btf::kernel() {
        Ok(btf) => btf,
        Err(e) => {
            tracing::warn!("no mount namespaces or BPF map ids in events: {e:#}");
            return Default::default();
        }
    };
    let namespace = || -> Result<NamespaceLayout> {
        Ok(NamespaceLayout {
            task_nsproxy: btf.field_offset("task_struct", "nsproxy")?,
            nsproxy_mnt_ns: btf.field_offset("nsproxy", "mnt_ns")?,
            mnt_ns_inum: btf.field_offset("mnt_namespace", "ns")?
                + btf.field_offset("ns_common", "inum")?,
            valid: 1,
        })
    };
    let fds = || -> Result<FdLayout> {
        Ok(FdLayout {
            task_files: btf.field_offset("task_struct", "files")?,
            files_fdt: btf.field_offset("files_struct", "fdt")?,
            fdt_fd: btf.field_offset("fdtable", "fd")?,
            fdt_max_fds: btf.field_offset("fdtable", "max_fds")?,
            file_private_data: btf.field_offset("file", "private_data")?,
            map_id: btf.field_offset("bpf_map", "id")?,
            valid: 1,
            _pad: 0,
        })
    };
    let namespace = namespace().unwrap_or_else(|e| {
        tracing::warn!("events will carry no mount namespace: {e:#}");
        NamespaceLayout::default()
    });
    let fds = fds().unwrap_or_else(|e| {
        tracing::warn!("bpf events will carry no map ids: {e:#}");
        FdLayout::default()
    });
    (namespace, fds)
}

/// Vigil's pid as the kernel's helpers report it (the initial pid namespace's view), which is
/// what the programs compare with. Inside a pid namespace of its own, `getpid()` would be a
/// different number; `/proc/self/status` lists the pid in every namespace from the one /proc
/// was mounted for inwards, so with the host's /proc its first entry is the one wanted.
fn own_tgid() -> Result<u32> {
    let status = fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .and_then(|pids| pids.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| anyhow!("/proc/self/status has no NSpid line"))
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
    fn only_e2big_from_the_kernel_means_a_full_tracepoint() {
        let refused = |errno| {
            ProgramError::SyscallError(aya::sys::SyscallError {
                call: "bpf_link_create",
                io_error: std::io::Error::from_raw_os_error(errno),
            })
        };
        assert!(is_full(&refused(libc::E2BIG)));
        assert!(!is_full(&refused(libc::EINVAL)));
        assert!(!is_full(&ProgramError::NotLoaded));
    }

    #[test]
    fn kind_masks() {
        let base = kind_mask([]);
        for k in TRACKER_KINDS {
            assert_ne!(base & 1 << (k as u32), 0, "{k:?} is always on");
        }
        assert_eq!(base & 1 << (K::OpenAt as u32), 0);
        let open = kind_mask([Kind::Open]);
        assert_eq!(
            open & !base,
            1 << K::Open as u32 | 1 << K::OpenAt as u32 | 1 << K::OpenAt2 as u32
        );
        // Every wire kind belongs to some host kind or to the tracker, and fits in the mask.
        let all = kind_mask(Kind::ALL);
        for v in 1..=K::MAX {
            let k = K::from_u32(v).unwrap();
            assert_ne!(all & 1 << v, 0, "{k:?} is reachable from a host kind");
        }
        assert_eq!(K::from_u32(K::MAX + 1), None);
    }

    #[test]
    fn programs_map_to_their_kinds() {
        assert_eq!(program_kind("sys_enter_openat"), Some(K::OpenAt));
        assert_eq!(program_kind("sys_exit_openat2"), Some(K::OpenAt2));
        assert_eq!(program_kind("sys_enter_prctl"), Some(K::PrctlSetName));
        assert_eq!(program_kind("sys_exit_sendmmsg"), Some(K::SendMmsg));
        assert_eq!(program_kind("env_sys_enter_execve"), Some(K::Exec));
        assert_eq!(program_kind("sched_process_exit"), Some(K::Exit));
        assert_eq!(program_kind("sys_enter_execveat"), None, "always attached");
    }

    #[test]
    fn own_tgid_is_this_process() {
        // The tests do not run in a pid namespace of their own.
        assert_eq!(own_tgid().unwrap(), std::process::id());
    }

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
