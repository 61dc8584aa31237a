//! `vigil bench-dispatch` (hidden; used by `make bench`): pushes a synthetic event stream
//! through the loaded signatures on one core and reports the rate. No kernel involved.

use std::time::Instant;

use anyhow::Result;

use crate::{
    cli::BenchArgs,
    event::{Event, EventData, Family, FdTarget, SockAddr},
    exit_status,
    sandbox::{self, SharedTracker},
    signatures,
};

pub fn command(args: BenchArgs) -> i32 {
    match run(&args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("vigil: {e:#}");
            exit_status::VIGIL_ERROR
        }
    }
}

/// A CI-like mix: mostly fd traffic on pipes and files, some outbound connections, dups of
/// sockets onto non-stdio fds, and execs. None of it is an attack.
fn synthetic(i: usize) -> Event {
    let peer = SockAddr::Inet {
        ip: "127.0.0.1".parse().expect("literal"),
        port: 443,
    };
    let data = match i % 5 {
        0 => EventData::Dup {
            old_fd: 4,
            new_fd: 1,
            target: FdTarget::Pipe,
            result: 1,
        },
        1 => EventData::Close {
            fd: 5,
            target: FdTarget::File {
                path: "/work/src/main.rs".into(),
            },
            result: 0,
        },
        2 => EventData::Connect {
            fd: 6,
            family: Family::Inet,
            address: peer.clone(),
            result: 0,
        },
        3 => EventData::Dup {
            old_fd: 6,
            new_fd: 9,
            target: FdTarget::Socket {
                family: Family::Inet,
                socket_type: 1,
                remote: Some(peer),
            },
            result: 9,
        },
        _ => EventData::Exec {
            filename: "/usr/bin/cc".into(),
            argv: vec!["cc".into(), "-c".into(), "main.c".into()],
            argv_truncated: false,
            env: Default::default(),
            interpreter: None,
        },
    };
    Event {
        timestamp_ns: i as u64,
        pid: 1000 + (i % 64) as u32,
        tid: 1000 + (i % 64) as u32,
        uid: 1001,
        gid: 1001,
        comm: "make".into(),
        cgroup_id: 1,
        mnt_ns: 4026531841,
        data,
    }
}

fn run(args: &BenchArgs) -> Result<()> {
    let runtime = signatures::runtime(&args.signatures)?;
    let mut sigs = signatures::load(&runtime, &args.signatures, SharedTracker::default())?;
    let events: Vec<Event> = (0..args.events).map(synthetic).collect();
    let start = Instant::now();
    let mut calls = 0u64;
    let mut findings = 0usize;
    for event in &events {
        let kind = event.data.kind();
        let wit = sandbox::to_wit(event, None);
        for sig in sigs.iter_mut().filter(|s| s.wants(kind)) {
            calls += 1;
            findings += sig.on_event(&wit).len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "events={} calls={calls} findings={findings} seconds={secs:.3} events_per_sec={:.0} ns_per_event={:.0}",
        events.len(),
        events.len() as f64 / secs,
        secs * 1e9 / events.len() as f64
    );
    Ok(())
}
