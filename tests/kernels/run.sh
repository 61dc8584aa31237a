#!/usr/bin/env bash
# Kernel matrix (`make test-kernels`): boots Debian 12's stock 6.1 kernel under qemu (software
# emulation; nested KVM does not work on these machines), with this machine's / as the guest's
# read-only root over 9p, and runs Vigil's already-built end-to-end test binary inside it as root.
# Fails loudly when the guest does not boot, times out or leaves no result; otherwise exits with
# the guest test run's status.
#
# Usage: tests/kernels/run.sh [KERNEL_ABI]        (default 6.1.0-57-amd64)
#   VIGIL_GUEST_TIMEOUT  bound on the whole guest run in seconds (default 1800)
#   VIGIL_GUEST_TESTS    arguments for the test binary in the guest, e.g. a test-name filter
# Cached under target/kernels/: the kernel, its 9p/virtio modules, the initramfs.
set -euo pipefail

cd "$(dirname "$0")/../.."
ws=$(pwd)
here=$ws/tests/kernels
want=${1:-6.1.0-57-amd64}
timeout_s=${VIGIL_GUEST_TIMEOUT:-1800}
cache=$ws/target/kernels
cargo=${CARGO:-cargo}
# What the initramfs loads, in dependency order (Debian builds all of these as modules).
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p)

log() { echo "test-kernels: $*"; }
die() {
	echo "test-kernels: FAILED: $*" >&2
	exit 1
}

# --- host packages ------------------------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
installed busybox-static || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# --- the guest kernel (cached) ------------------------------------------------------------------
mkdir -p "$cache"
abi=$want
if [ ! -f "$cache/$abi/vmlinuz" ]; then
	if ! apt-cache show "linux-image-$abi" >/dev/null 2>&1; then
		apt-get update -qq
	fi
	if ! apt-cache show "linux-image-$abi" >/dev/null 2>&1; then
		abi=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' |
			cut -d' ' -f1 | sed 's/^linux-image-//' | sort -V | tail -n1)
		[ -n "$abi" ] || die "apt offers no linux-image-6.1.0-*-amd64 package"
		log "linux-image-$want is not offered by apt; using linux-image-$abi"
	fi
fi
kdir=$cache/$abi
if [ ! -f "$kdir/vmlinuz" ]; then
	log "downloading linux-image-$abi"
	tmp=$(mktemp -d "$cache/download.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# Stale package lists can name a .deb the mirror no longer has: refresh once and retry.
	(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "linux-image-$abi") ||
		(apt-get update -qq && cd "$tmp" &&
			apt-get download -qq -o APT::Sandbox::User=root "linux-image-$abi")
	dpkg -x "$tmp"/linux-image-*.deb "$tmp/x"
	mkdir -p "$tmp/k/modules"
	for m in "${modules[@]}"; do
		ko=$(find "$tmp/x/lib/modules/$abi" -name "$m.ko" | head -n1)
		[ -n "$ko" ] || die "linux-image-$abi has no module $m.ko"
		cp "$ko" "$tmp/k/modules/"
		echo "$m" >>"$tmp/k/modules/order"
	done
	cp "$tmp/x/boot/config-$abi" "$tmp/k/config"
	cp "$tmp/x/boot/vmlinuz-$abi" "$tmp/k/vmlinuz.part"
	rm -rf "$kdir"
	mv "$tmp/k" "$kdir"
	mv "$kdir/vmlinuz.part" "$kdir/vmlinuz" # last: its presence marks a complete cache entry
	rm -rf "$tmp"
	trap - EXIT
fi

# --- the initramfs (cached; rebuilt when its inputs change) -------------------------------------
initrd=$kdir/initramfs.cpio.gz
if [ ! -f "$initrd" ] || [ "$here/init" -nt "$initrd" ] || [ /bin/busybox -nt "$initrd" ]; then
	log "building the initramfs"
	stage=$(mktemp -d "$cache/initramfs.XXXXXX")
	mkdir -p "$stage/bin" "$stage/dev" "$stage/modules"
	cp /bin/busybox "$stage/bin/busybox"
	cp "$here/init" "$stage/init"
	chmod 755 "$stage/init"
	cp "$kdir/modules/"* "$stage/modules/"
	mknod -m 600 "$stage/dev/console" c 5 1
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.part"
	mv "$initrd.part" "$initrd"
	rm -rf "$stage"
fi

# --- what the guest runs: the prebuilt test binary, Wasm fixtures and extra signatures --------
[ -x target/release/vigil ] || die "target/release/vigil is not built (run \`make build\`)"
e2e_bin=$("$cargo" test --release --locked -p vigil --test e2e --no-run --message-format=json |
	python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "e2e" and m.get("executable"):
        print(m["executable"])
')
[ -x "$e2e_bin" ] || die "could not find the e2e test binary (got '$e2e_bin')"
env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS "$cargo" build --release --locked --quiet \
	--target wasm32-wasip2 -p 'vigil-fixture-*' --target-dir target/wasm
fixtures=$ws/target/wasm/wasm32-wasip2/release
[ -f "$fixtures/vigil_fixture_trap_signature.wasm" ] || die "the Wasm fixtures were not built"
# The signatures in other languages (Python, JavaScript), loaded from a directory.
make --no-print-directory extra-signatures
extra=$ws/target/signatures-extra
for f in interpreter-shell.wasm shell-connect.wasm; do
	[ -f "$extra/$f" ] || die "the extra signature $f was not built"
done

results=$kdir/results
rm -rf "$results"
mkdir -p "$results"
{
	printf 'VIGIL_WORKSPACE=%q\n' "$ws"
	printf 'VIGIL_E2E_BIN=%q\n' "$e2e_bin"
	printf 'VIGIL_E2E_FIXTURES=%q\n' "$fixtures"
	printf 'VIGIL_E2E_EXTRA_SIGNATURES=%q\n' "$extra"
	printf 'VIGIL_E2E_ARGS=%q\n' "${VIGIL_GUEST_TESTS:-}"
} >"$results/guest.env"

# --- boot -----------------------------------------------------------------------------------------
log "booting linux $abi under qemu (tcg, timeout ${timeout_s}s); console in $kdir/console.log"
start=$(date +%s)
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -m 4096 -smp 2 \
	-nic none -no-reboot -display none -monitor none -serial stdio \
	-kernel "$kdir/vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap \
	-virtfs "local,path=$results,mount_tag=results,security_model=passthrough,multidevs=remap" \
	-virtfs "local,path=$ws,mount_tag=workspace,security_model=passthrough,readonly=on,multidevs=remap" \
	</dev/null 2>&1 | tee "$kdir/console.log"
qemu_status=${PIPESTATUS[0]}
set -e
took=$(($(date +%s) - start))

# --- verdict: never a silent pass ---------------------------------------------------------------
[ "$qemu_status" -ne 124 ] && [ "$qemu_status" -ne 137 ] ||
	die "the guest did not finish within ${timeout_s}s (linux $abi); see $kdir/console.log"
[ "$qemu_status" -eq 0 ] || die "qemu exited $qemu_status (linux $abi); see $kdir/console.log"
[ ! -f "$results/init-error" ] || die "guest init: $(cat "$results/init-error")"
[ -s "$results/kernel" ] || die "the guest did not boot into the tests (linux $abi); see $kdir/console.log"
guest_kernel=$(cat "$results/kernel")
[ "$guest_kernel" = "$abi" ] || die "the guest ran kernel $guest_kernel, expected $abi"
[ -s "$results/exit-code" ] || die "the guest left no exit code: the test run did not complete"
code=$(cat "$results/exit-code")
[[ "$code" =~ ^[0-9]+$ ]] || die "the guest's exit code is not a number: $code"
summary=$(grep -E '^test result: ' "$results/e2e.log" | tail -n1 || true)
log "[linux $guest_kernel] ${summary:-no test result line}; exit $code; guest run ${took}s"
if [ "$code" -ne 0 ]; then
	echo "test-kernels: FAILED: end-to-end tests on linux $guest_kernel exited $code;" \
		"output in $results/e2e.log" >&2
	exit "$code"
fi
[ -n "$summary" ] || die "the guest's test output has no result line; see $results/e2e.log"
passed=$(sed -n 's/.* \([0-9]*\) passed.*/\1/p' <<<"$summary")
[ "${passed:-0}" -gt 0 ] || die "no end-to-end test ran on linux $guest_kernel"
log "end-to-end tests passed on linux $guest_kernel"
