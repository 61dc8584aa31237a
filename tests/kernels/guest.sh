#!/usr/bin/env bash
# Runs inside the kernel-matrix guest (chrooted into the host's read-only / by
# tests/kernels/init): runs Vigil's prebuilt end-to-end test binary as root against the guest's
# kernel and writes its output, the kernel release and the exit status to the results share
# (/run/vigil-guest), which tests/kernels/run.sh checks on the host.
set -uo pipefail

out=/run/vigil-guest
# shellcheck source=/dev/null
. "$out/guest.env"

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 CI=true RUST_BACKTRACE=1 PYTHONDONTWRITEBYTECODE=1
# The workspace is read-only in here: scratch goes to tmpfs; the Wasm fixtures
# and the Python signature were built on the host before boot.
export VIGIL_E2E_SCRATCH=/tmp/vigil-e2e
export VIGIL_E2E_FIXTURES
export VIGIL_E2E_EXTRA_SIGNATURES
# Software emulation runs code 10-50x slower than the host, and slower still when the host is
# busy: a signature's first call can overrun the default 50 ms wall-clock budget and degrade the
# run (exit 87). Scale the budget to the emulated CPU; no test depends on the deadline itself.
export VIGIL_SIGNATURE_DEADLINE_MS=2000

kernel=$(uname -r)
echo "$kernel" >"$out/kernel"
label="[guest $kernel]"
echo "$label vigil end-to-end tests on kernel $kernel ($(nproc) CPUs," \
	"signature deadline ${VIGIL_SIGNATURE_DEADLINE_MS} ms)" >/dev/console

cd "$VIGIL_WORKSPACE" || exit 1
# First, plainly: does this kernel accept and attach every program Vigil ships?
vigil=$VIGIL_WORKSPACE/target/release/vigil
armed=$("$vigil" run -- true 2>&1)
armed_status=$?
[ "$armed_status" -eq 0 ] || sed "s/^/$label /" <<<"$armed" >/dev/console
echo "$label load-and-attach check, \`vigil run -- true\` exited $armed_status:" \
	"$(tail -n1 <<<"$armed")" >/dev/console
# The signatures in other languages carry their language's runtime (10-20 MB of Wasm): compiled
# under emulation they take minutes, and the host's compile cache does not fit this CPU. Compile
# them once, into a compile cache on tmpfs, before the tests load them.
export XDG_CACHE_HOME=/tmp/vigil-cache
start=$(date +%s)
extra=$(VIGIL_SIGNATURE_DEADLINE_MS=60000 "$vigil" signatures list \
	--signatures "$VIGIL_E2E_EXTRA_SIGNATURES" 2>&1)
extra_status=$?
[ "$extra_status" -eq 0 ] || sed "s/^/$label /" <<<"$extra" >/dev/console
echo "$label compiled the extra signatures in $(($(date +%s) - start)) s" \
	"(exit $extra_status)" >/dev/console
start=$(date +%s)
# The test binary's output goes to the results share as is, and to the console labelled.
# shellcheck disable=SC2086 # VIGIL_E2E_ARGS is a word list on purpose
"$VIGIL_E2E_BIN" $VIGIL_E2E_ARGS 2>&1 | tee "$out/e2e.log" | sed -u "s/^/$label /" >/dev/console
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ] && [ "$armed_status" -ne 0 ]; then
	status=$armed_status
fi
echo "$label end-to-end tests exited $status after $(($(date +%s) - start)) s" >/dev/console

# Written last, atomically: its presence means the run completed.
echo "$status" >"$out/exit-code.tmp" && mv "$out/exit-code.tmp" "$out/exit-code"
sync
exit 0
