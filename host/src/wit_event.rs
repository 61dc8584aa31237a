//! The typed (WIT) form of an event, for signatures that export the typed handler: built
//! from the host's event and the process it happened in.

use crate::{
    event::{self, EventData},
    report::ProcessReport,
    sandbox::wit,
};

fn wit_family(f: event::Family) -> wit::AddressFamily {
    match f {
        event::Family::Inet => wit::AddressFamily::Inet,
        event::Family::Inet6 => wit::AddressFamily::Inet6,
        event::Family::Unix => wit::AddressFamily::Unix,
        event::Family::Netlink => wit::AddressFamily::Netlink,
        event::Family::Other(n) => wit::AddressFamily::Other(n),
    }
}

fn wit_addr(a: &event::SockAddr) -> wit::SocketAddress {
    match a {
        event::SockAddr::Inet { ip, port } => wit::SocketAddress::Inet(wit::InetAddress {
            ip: ip.to_string(),
            port: *port,
        }),
        event::SockAddr::Unix { path } => wit::SocketAddress::Unix(path.clone()),
        event::SockAddr::Unknown => wit::SocketAddress::Unknown,
    }
}

fn wit_target(t: &event::FdTarget) -> wit::FdTarget {
    match t {
        event::FdTarget::Socket {
            family,
            socket_type,
            remote,
        } => wit::FdTarget::Socket(wit::SocketInfo {
            family: wit_family(*family),
            socket_type: *socket_type,
            remote: remote.as_ref().map(wit_addr),
        }),
        event::FdTarget::Pipe => wit::FdTarget::Pipe,
        event::FdTarget::File { path } => wit::FdTarget::File(path.clone()),
        event::FdTarget::Unknown => wit::FdTarget::Unknown,
    }
}

/// The WIT form of `ev`, which happened in `process`.
pub fn to_wit(ev: &event::Event, process: &ProcessReport) -> wit::Event {
    let data = match &ev.data {
        EventData::Exec {
            filename,
            argv,
            argv_truncated,
            env,
            interpreter,
        } => wit::EventData::Exec(wit::ExecEvent {
            filename: filename.clone(),
            argv: argv.clone(),
            argv_truncated: *argv_truncated,
            env: env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            interpreter: interpreter.clone(),
        }),
        EventData::Fork { child_pid } => wit::EventData::Fork(wit::ForkEvent {
            child_pid: *child_pid,
        }),
        EventData::Exit { code } => wit::EventData::Exit(wit::ExitEvent { code: *code }),
        EventData::Socket {
            family,
            socket_type,
            protocol,
            result,
        } => wit::EventData::Socket(wit::SocketEvent {
            family: wit_family(*family),
            socket_type: *socket_type,
            protocol: *protocol,
            result: *result,
        }),
        EventData::Connect {
            fd,
            family,
            address,
            result,
        } => wit::EventData::Connect(wit::ConnectEvent {
            fd: *fd,
            family: wit_family(*family),
            address: wit_addr(address),
            result: *result,
        }),
        EventData::Dup {
            old_fd,
            new_fd,
            target,
            result,
        } => wit::EventData::Dup(wit::DupEvent {
            old_fd: *old_fd,
            new_fd: *new_fd,
            target: wit_target(target),
            result: *result,
        }),
        EventData::Close { fd, target, result } => wit::EventData::Close(wit::CloseEvent {
            fd: *fd,
            target: wit_target(target),
            result: *result,
        }),
        EventData::Open {
            syscall,
            path,
            flags,
            mode,
            resolve,
            result,
        } => wit::EventData::Open(wit::OpenEvent {
            syscall: syscall.clone(),
            path: path.clone(),
            flags: *flags,
            mode: *mode,
            resolve: *resolve,
            result: *result,
        }),
        EventData::Rename {
            syscall,
            old_path,
            new_path,
            flags,
            result,
        } => wit::EventData::Rename(wit::RenameEvent {
            syscall: syscall.clone(),
            old_path: old_path.clone(),
            new_path: new_path.clone(),
            flags: *flags,
            result: *result,
        }),
        EventData::Unlink {
            syscall,
            path,
            flags,
            result,
        } => wit::EventData::Unlink(wit::UnlinkEvent {
            syscall: syscall.clone(),
            path: path.clone(),
            flags: *flags,
            result: *result,
        }),
        EventData::Chmod {
            syscall,
            path,
            mode,
            result,
        } => wit::EventData::Chmod(wit::ChmodEvent {
            syscall: syscall.clone(),
            path: path.clone(),
            mode: *mode,
            result: *result,
        }),
        EventData::Link {
            syscall,
            target,
            path,
            symbolic,
            result,
        } => wit::EventData::Link(wit::LinkEvent {
            syscall: syscall.clone(),
            target: target.clone(),
            path: path.clone(),
            symbolic: *symbolic,
            result: *result,
        }),
        EventData::Truncate {
            syscall,
            path,
            length,
            result,
        } => wit::EventData::Truncate(wit::TruncateEvent {
            syscall: syscall.clone(),
            path: path.clone(),
            length: *length,
            result: *result,
        }),
        EventData::Mount {
            source,
            target,
            fstype,
            flags,
            result,
        } => wit::EventData::Mount(wit::MountEvent {
            source: source.clone(),
            target: target.clone(),
            fstype: fstype.clone(),
            flags: *flags,
            result: *result,
        }),
        EventData::MemfdCreate {
            name,
            flags,
            result,
        } => wit::EventData::MemfdCreate(wit::MemfdCreateEvent {
            name: name.clone(),
            flags: *flags,
            result: *result,
        }),
        EventData::Ptrace {
            request,
            target_pid,
            result,
        } => wit::EventData::Ptrace(wit::PtraceEvent {
            request: *request,
            target_pid: *target_pid,
            result: *result,
        }),
        EventData::ProcessVm {
            syscall,
            target_pid,
            write,
            result,
        } => wit::EventData::ProcessVm(wit::ProcessVmEvent {
            syscall: syscall.clone(),
            target_pid: *target_pid,
            write: *write,
            result: *result,
        }),
        EventData::Mmap {
            address,
            length,
            prot,
            flags,
            fd,
            writable,
            anonymous,
            result,
        } => wit::EventData::Mmap(wit::MmapEvent {
            address: *address,
            length: *length,
            prot: *prot,
            flags: *flags,
            fd: *fd,
            writable: *writable,
            anonymous: *anonymous,
            result: *result,
        }),
        EventData::Mprotect {
            address,
            length,
            prot,
            writable,
            anonymous,
            result,
        } => wit::EventData::Mprotect(wit::MprotectEvent {
            address: *address,
            length: *length,
            prot: *prot,
            writable: *writable,
            anonymous: *anonymous,
            result: *result,
        }),
        EventData::Kill {
            syscall,
            target_pid,
            target_tid,
            signal,
            result,
        } => wit::EventData::Kill(wit::KillEvent {
            syscall: syscall.clone(),
            target_pid: *target_pid,
            target_tid: *target_tid,
            signal: *signal,
            result: *result,
        }),
        EventData::Bind {
            fd,
            family,
            address,
            result,
        } => wit::EventData::Bind(wit::BindEvent {
            fd: *fd,
            family: wit_family(*family),
            address: wit_addr(address),
            result: *result,
        }),
        EventData::Listen {
            fd,
            backlog,
            result,
        } => wit::EventData::Listen(wit::ListenEvent {
            fd: *fd,
            backlog: *backlog,
            result: *result,
        }),
        EventData::Accept {
            syscall,
            fd,
            family,
            address,
            flags,
            result,
        } => wit::EventData::Accept(wit::AcceptEvent {
            syscall: syscall.clone(),
            fd: *fd,
            family: wit_family(*family),
            address: wit_addr(address),
            flags: *flags,
            result: *result,
        }),
        EventData::DnsQuery {
            syscall,
            fd,
            server,
            id,
            name,
            query_type,
            query_type_name,
            result,
        } => wit::EventData::DnsQuery(wit::DnsQueryEvent {
            syscall: syscall.clone(),
            fd: *fd,
            server: wit_addr(server),
            id: *id,
            name: name.clone(),
            query_type: *query_type,
            query_type_name: query_type_name.clone(),
            result: *result,
        }),
        EventData::Setuid {
            syscall,
            real,
            effective,
            saved,
            result,
        } => wit::EventData::Setuid(wit::SetIdsEvent {
            syscall: syscall.clone(),
            real: *real,
            effective: *effective,
            saved: *saved,
            result: *result,
        }),
        EventData::Setgid {
            syscall,
            real,
            effective,
            saved,
            result,
        } => wit::EventData::Setgid(wit::SetIdsEvent {
            syscall: syscall.clone(),
            real: *real,
            effective: *effective,
            saved: *saved,
            result: *result,
        }),
        EventData::Capset {
            effective,
            permitted,
            inheritable,
            result,
        } => wit::EventData::Capset(wit::CapsetEvent {
            effective: *effective,
            permitted: *permitted,
            inheritable: *inheritable,
            result: *result,
        }),
        EventData::PrctlSetName { name, result } => {
            wit::EventData::PrctlSetName(wit::PrctlSetNameEvent {
                name: name.clone(),
                result: *result,
            })
        }
        EventData::LoadModule {
            syscall,
            fd,
            params,
            result,
        } => wit::EventData::LoadModule(wit::LoadModuleEvent {
            syscall: syscall.clone(),
            fd: *fd,
            params: params.clone(),
            result: *result,
        }),
        EventData::Bpf {
            cmd,
            cmd_name,
            attr_head,
            map,
            path,
            result,
        } => wit::EventData::Bpf(wit::BpfEvent {
            cmd: *cmd,
            cmd_name: cmd_name.clone(),
            attr_head: *attr_head,
            map: map.map(|m| wit::BpfMap {
                fd: m.fd,
                id: m.id,
                created_by: m.created_by,
            }),
            path: path.clone(),
            result: *result,
        }),
        EventData::Unshare { flags, result } => wit::EventData::Unshare(wit::UnshareEvent {
            flags: *flags,
            result: *result,
        }),
        EventData::Setns { fd, nstype, result } => wit::EventData::Setns(wit::SetnsEvent {
            fd: *fd,
            nstype: *nstype,
            result: *result,
        }),
    };
    wit::Event {
        timestamp_ns: ev.timestamp_ns,
        cgroup_id: ev.cgroup_id,
        mnt_ns: ev.mnt_ns,
        process: wit::Process {
            pid: process.pid,
            tid: process.tid,
            ppid: process.ppid,
            uid: process.uid,
            gid: process.gid,
            comm: process.comm.clone(),
            exe: process.exe.clone(),
            argv: process.argv.clone(),
        },
        data,
    }
}
