//! `make bench`'s native side: runs each default signature, compiled natively through the
//! SDK, over a batch file written by `vigil bench-dispatch --write-batch`, and prints ns per
//! event per signature in the same format as the Wasm side, for the Wasm/native ratio.
//!
//! Every default signature must be listed in `signatures!` below (and in Cargo.toml);
//! `scripts/bench.sh` fails when the two sides do not cover the same ids.

use std::{ops::Range, time::Instant};

use vigil_sdk::{kinds, Kind, Signature};

/// Each event's kind and its bytes in the file.
fn spans(bytes: &[u8]) -> Vec<(Kind, Range<usize>)> {
    let mut reader = vigil_event::batch::read(bytes);
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(event) = reader.next() {
        let kind = event.expect("the batch file is malformed").data.kind();
        let end = bytes.len() - reader.remaining();
        out.push((kind, start..end));
        start = end;
    }
    out
}

/// Events per batch, as the dispatcher cuts them (`dispatcher::MAX_BATCH` in vigil): the
/// Wasm side gets one call per batch, with the events of it the signature selected.
const BATCH: usize = 256;

/// Judges the events of `bytes` the signature selected, batch by batch as the Wasm side gets
/// them, with the SDK's exported handler's own loop (`run_batch`). Like vigil, which picks them
/// out before the call, the selection is made untimed: what is timed is reading the selected
/// events and the rule, the work the Wasm side times too.
fn bench<S: Signature>(bytes: &[u8], spans: &[(Kind, Range<usize>)]) {
    let metadata = S::metadata();
    let mut signature = S::default();
    let batches: Vec<Vec<u8>> = spans
        .chunks(BATCH)
        .map(|batch| {
            batch
                .iter()
                .filter(|(kind, _)| kinds::selects(&metadata, *kind))
                .flat_map(|(_, range)| bytes[range.clone()].iter().copied())
                .collect()
        })
        .filter(|selected: &Vec<u8>| !selected.is_empty())
        .collect();
    let events = spans.len() as u64;
    let mut findings = 0;
    let start = Instant::now();
    for selected in &batches {
        findings += std::hint::black_box(vigil_sdk::run_batch(&mut signature, selected)).len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "signature={} native ns_per_event={:.1} findings={findings}",
        metadata.id,
        secs * 1e9 / events as f64
    );
}

macro_rules! signatures {
    ($bytes:expr, $($krate:ident),* $(,)?) => {
        let spans = spans($bytes);
        $(bench::<$krate::ExportedSignature>($bytes, &spans);)*
    };
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: vigil-bench-native BATCH_FILE");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    signatures!(
        &bytes,
        vigil_sig_stdio_over_socket,
        vigil_sig_proc_mem_read,
        vigil_sig_proc_mem_write,
        vigil_sig_process_vm_write,
        vigil_sig_ptrace_code_injection,
        vigil_sig_anti_debugging,
        vigil_sig_kernel_module_load,
        vigil_sig_fileless_execution,
        vigil_sig_ld_preload,
        vigil_sig_loader_modification,
        vigil_sig_sudoers_modification,
        vigil_sig_core_pattern_modification,
        vigil_sig_sysrq_modification,
        vigil_sig_kcore_read,
        vigil_sig_cgroup_release_agent,
        vigil_sig_cgroup_notify_on_release,
        vigil_sig_aslr_inspection,
        vigil_sig_rc_script_modification,
        vigil_sig_scheduled_task_modification,
        vigil_sig_dynamic_code_loading,
        vigil_sig_disk_mount,
        vigil_sig_docker_socket_access,
        vigil_sig_hidden_executable,
        vigil_sig_foreign_process_read,
        vigil_sig_credential_files,
        vigil_sig_workflow_tampering,
        vigil_sig_dropped_executable,
        vigil_sig_token_hunting,
        vigil_sig_crypto_mining,
        vigil_sig_network_service_shell,
        vigil_sig_vigil_tampering,
    );
}
