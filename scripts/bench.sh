#!/usr/bin/env bash
# `make bench`: Vigil's speed, measured as ratios against baselines taken in the same run,
# printed as a table and saved to target/bench/results.md. Nothing here asserts a time: these
# machines are noisy; the table is read, not tested.
#   startup: `vigil run -- true` with the default signatures, cold (fresh compile cache) and warm,
#            against the bare `true` it wraps;
#   dispatch: a synthetic CI-like event stream through the default signatures on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
vigil=target/release/vigil
runs=${BENCH_RUNS:-5}
out=target/bench
mkdir -p "$out"
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

# Median wall time of a command in milliseconds, over $runs runs; $1 is a setup command run
# before each (not timed).
median_ms() {
	local setup=$1
	shift
	local times=()
	for _ in $(seq "$runs"); do
		eval "$setup"
		local t0 t1
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s%N)
		times+=($(((t1 - t0) / 1000000)))
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

# Median "armed in N ms" (vigil's own log) over $runs runs of `vigil run -- true`; $1 is a
# setup command run before each.
median_armed_ms() {
	local setup=$1
	local times=()
	for _ in $(seq "$runs"); do
		eval "$setup"
		times+=($("$vigil" run --cache-dir "$cache" -- true 2>&1 | sed -n 's/.*armed in \([0-9]*\) ms.*/\1/p'))
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

bare=$(median_ms : true)
armed_cold=$(median_armed_ms "rm -rf '$cache'/*")
armed_warm=$(median_armed_ms :)
cold=$(median_ms "rm -rf '$cache'/*" "$vigil" run --cache-dir "$cache" -- true)
"$vigil" run --cache-dir "$cache" -- true >/dev/null 2>&1 || true
warm=$(median_ms : "$vigil" run --cache-dir "$cache" -- true)
dispatch=$("$vigil" bench-dispatch --cache-dir "$cache" --events "${BENCH_EVENTS:-200000}")
rate=$(sed -n '1s/.*events_per_sec=\([0-9]*\).*/\1/p' <<<"$dispatch")
per=$(sed -n '1s/.*ns_per_event=\([0-9]*\).*/\1/p' <<<"$dispatch")

{
	echo "| measure | value | target |"
	echo "| --- | --- | --- |"
	echo "| \`true\` alone (baseline) | ${bare} ms | |"
	echo "| armed (process start → command released), cold compile cache | ${armed_cold} ms | ≤ 2000 ms |"
	echo "| armed, warm compile cache | ${armed_warm} ms | ≤ 300 ms |"
	echo "| whole \`vigil run -- true\`, cold (includes detaching the programs) | ${cold} ms | |"
	echo "| whole \`vigil run -- true\`, warm | ${warm} ms | |"
	echo "| dispatch, default set, one core (typed calls) | ${rate} events/s (${per} ns/event) | ≥ 1,000,000 events/s |"
	echo
	echo "median of $runs runs; $(nproc) cores; $(uname -r); $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} | tee "$out/results.md"
