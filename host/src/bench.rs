//! `vigil bench-dispatch` (hidden; used by `make bench`): pushes a synthetic event stream
//! through the loaded signatures on one core, in the dispatcher's batches, and reports the rate
//! overall and per signature. No kernel involved.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};

use crate::{
    cli::BenchArgs,
    dispatcher::{Batch, Job, MAX_BATCH},
    event::{Event, EventData, Family, FdTarget, SockAddr},
    exit_status,
    report::ProcessReport,
    sandbox::SharedTracker,
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

fn context(event: &Event) -> ProcessReport {
    ProcessReport {
        pid: event.pid,
        ppid: 1,
        tid: event.tid,
        uid: event.uid,
        gid: event.gid,
        comm: event.comm.clone(),
        exe: "/usr/bin/make".into(),
        argv: vec!["make".into(), "-j2".into()],
        ancestry: Vec::new(),
        step: None,
    }
}

/// Runs the stream through every signature, in batches as the dispatcher builds them, on this
/// thread. Prints the overall rate, then one line per signature.
fn run(args: &BenchArgs) -> Result<()> {
    let runtime = signatures::runtime(&args.signatures)?;
    let mut sigs = signatures::load(&runtime, &args.signatures, SharedTracker::default())?;
    let mut batches = Vec::new();
    let mut pending = Vec::with_capacity(MAX_BATCH);
    for i in 0..args.events {
        let event = synthetic(i);
        let context = context(&event);
        pending.push(Job::new(event, context));
        if pending.len() == MAX_BATCH || i + 1 == args.events {
            batches.push(Arc::new(Batch::new(std::mem::take(&mut pending), true)?));
        }
    }
    if let Some(path) = &args.write_batch {
        let bytes: Vec<u8> = batches.iter().flat_map(|b| b.bytes().to_vec()).collect();
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut per_sig = vec![Duration::ZERO; sigs.len()];
    let mut findings = 0usize;
    let mut selected = Vec::with_capacity(MAX_BATCH);
    let start = Instant::now();
    for batch in &batches {
        for (sig, spent) in sigs.iter_mut().zip(per_sig.iter_mut()) {
            let t = Instant::now();
            // As the dispatcher's workers do: a batch with none of its kinds is skipped whole.
            if !sig.selects_any(batch.kinds()) {
                *spent += t.elapsed();
                continue;
            }
            selected.clear();
            selected.extend((0..batch.len()).filter(|&i| sig.selects(batch.kind(i))));
            findings += sig.judge(batch, &selected).len();
            *spent += t.elapsed();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "events={} findings={findings} seconds={secs:.3} events_per_sec={:.0} ns_per_event={:.0}",
        args.events,
        args.events as f64 / secs,
        secs * 1e9 / args.events as f64
    );
    for (sig, spent) in sigs.iter().zip(per_sig) {
        println!(
            "signature={} shape={:?} ns_per_event={:.1} failed_calls={}",
            sig.metadata.id,
            sig.shape,
            spent.as_secs_f64() * 1e9 / args.events as f64,
            sig.failed_calls
        );
    }
    Ok(())
}
