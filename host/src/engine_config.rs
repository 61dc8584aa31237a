//! The wasmtime configuration every signature is compiled for. Shared with `build.rs`, which
//! precompiles the embedded default set: code compiled for another configuration would be
//! refused at load, so both sides must build their engine from this one function.

/// The engine configuration: components, epoch deadlines, no async, a bounded guest stack.
pub fn engine_config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .concurrency_support(false)
        // Findings must explain a failure in one line; guest backtraces do not help there.
        .wasm_backtrace_max_frames(None)
        .max_wasm_stack(512 * 1024);
    config
}
