//! End-to-end tests: the real `vigil` binary loads its real eBPF programs into this kernel and
//! watches real processes misbehave against loopback listeners.
//!
//! They need root (CAP_BPF/CAP_PERFMON). Outside CI a non-root run skips them with a notice;
//! under `CI` a missing privilege fails loudly: a skipped kernel test is a missing test.

mod capture;
mod capture_kernel;
mod capture_process;
mod daemon;
mod detach;
mod dispatch;
mod harness;
mod honest_build;
mod languages;
mod pack_ci;
mod pack_tracee;
mod plugins;
mod replay;
mod sandbox;
mod seed;
mod signature_table;
