//! Present only so the host can name this crate as a build-dependency (cargo then rebuilds
//! the host when the programs change); the programs themselves are the `vigil-ebpf` binary.
#![no_std]
