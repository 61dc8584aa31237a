#!/usr/bin/env bash
# Installs what building Vigil needs, skipping whatever is already present:
#   rust-src (for -Z build-std=core on the eBPF target), the wasm32-wasip2 target,
#   clippy/rustfmt, bpf-linker linked against the LLVM inside the installed rustc,
#   and the Debian packages the demo and tests use.
set -euo pipefail
BPF_LINKER_VERSION=${1:-0.13.0}

have_component() { rustup component list --installed 2>/dev/null | grep -q "^$1"; }
have_target() { rustup target list --installed 2>/dev/null | grep -qx "$1"; }

for c in rust-src clippy rustfmt; do
	have_component "$c" || rustup component add "$c"
done
have_target wasm32-wasip2 || rustup target add wasm32-wasip2

# bpf-linker: the default `cargo install bpf-linker` wants a system libLLVM that Debian lacks.
# Link it against the LLVM shipped inside rustc instead (its name changes with the toolchain,
# so derive it from the sysroot).
if ! bpf-linker --version 2>/dev/null | grep -q "$BPF_LINKER_VERSION"; then
	sysroot=$(rustc --print sysroot)
	llvm_lib=$(ls "$sysroot/lib" | sed -n 's/^lib\(LLVM-[0-9]*-rust-.*\)\.so$/\1/p' | head -n1)
	llvm_major=$(echo "$llvm_lib" | sed -n 's/^LLVM-\([0-9]*\)-.*/\1/p')
	if [ -z "$llvm_lib" ]; then
		echo "toolchain: no libLLVM-*.so in $sysroot/lib; cannot build bpf-linker" >&2
		exit 1
	fi
	echo "toolchain: installing bpf-linker $BPF_LINKER_VERSION against $llvm_lib"
	RUSTFLAGS="-L $sysroot/lib -l dylib=$llvm_lib -C link-arg=-Wl,-rpath,$sysroot/lib" \
		cargo install bpf-linker --version "$BPF_LINKER_VERSION" --locked \
		--no-default-features --features "llvm-$llvm_major,no-llvm-linking"
fi

# Debian packages used by the demo and the end-to-end tests.
missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v gcc >/dev/null || missing+=(gcc)
# The GitHub Action's tests (node --test) and the SARIF schema's download (npm).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
