#!/usr/bin/env bash
# `make bench`: Vigil's speed, measured as ratios against baselines taken in the same run,
# printed as tables and saved to target/bench/results.md (and target/bench/capture.json).
# Nothing here asserts a time: these machines are noisy; the tables are read, not tested.
#   startup:  `vigil run -- true` with the default signatures, cold (fresh compile cache) and
#             warm, against the bare `true` it wraps;
#   dispatch: a synthetic CI-like event stream through the default signatures on one core, and
#             the same bytes through the same signatures compiled natively (Wasm/native ratio),
#             in pairs: the medians are reported, all runs kept in target/bench/dispatch.txt;
#   capture:  workloads bare and under `vigil run` (default signatures, then none), interleaved
#             run by run: an exec storm, an open/close storm, a small-write storm, a C build.
# BENCH_RUNS (5) sets the repetitions of every measure; each section is one function.
set -euo pipefail
cd "$(dirname "$0")/.."
vigil=target/release/vigil
CARGO=${CARGO:-cargo}
runs=${BENCH_RUNS:-5}
out=target/bench
mkdir -p "$out"
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

# Median of the lines on stdin, ordered by their leading number (the whole line is printed).
median() {
	sort -n | awk '{ v[NR] = $0 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

now_ns() { date +%s%N; }

# Median wall time of a command in milliseconds, over $runs runs; $1 is a setup command run
# before each (not timed).
median_ms() {
	local setup=$1
	shift
	for _ in $(seq "$runs"); do
		eval "$setup"
		local t0 t1
		t0=$(now_ns)
		"$@" >/dev/null 2>&1 || true
		t1=$(now_ns)
		echo $(((t1 - t0) / 1000000))
	done | median
}

# Median "armed in N ms" (vigil's own log) over $runs runs of `vigil run -- true`; $1 is a
# setup command run before each.
median_armed_ms() {
	local setup=$1
	for _ in $(seq "$runs"); do
		eval "$setup"
		"$vigil" run --cache-dir "$cache" -- true 2>&1 | sed -n 's/.*armed in \([0-9]*\) ms.*/\1/p'
	done | median
}

# --- startup -----------------------------------------------------------------------------------
section_startup() {
	local bare armed_cold armed_warm armed_after cold warm
	bare=$(median_ms : true)
	armed_cold=$(median_armed_ms "rm -rf '$cache'/*")
	armed_warm=$(median_armed_ms :)
	# As when CI steps run one after another: the previous run's programs are still being
	# detached in the background (for several seconds) when the next one starts.
	armed_after=$(median_armed_ms "'$vigil' run --cache-dir '$cache' -- true >/dev/null 2>&1; sleep 5")
	cold=$(median_ms "rm -rf '$cache'/*" "$vigil" run --cache-dir "$cache" -- true)
	"$vigil" run --cache-dir "$cache" -- true >/dev/null 2>&1 || true
	warm=$(median_ms : "$vigil" run --cache-dir "$cache" -- true)
	row "\`true\` alone (baseline)" "${bare} ms" ""
	row "armed (process start → command released), cold compile cache" "${armed_cold} ms" "≤ 2000 ms"
	row "armed, warm compile cache" "${armed_warm} ms" "≤ 300 ms"
	row "armed, warm, 5 s after another run (its detach under way)" "${armed_after} ms" "≤ 300 ms"
	row "whole \`vigil run -- true\`, cold" "${cold} ms" ""
	row "whole \`vigil run -- true\`, warm" "${warm} ms" ""
}

# --- dispatch ----------------------------------------------------------------------------------
# Sum of the per-signature ns/event in a bench output ($1: the field before ns_per_event).
sum_ns() {
	sed -n "s/^signature=.* $1.* ns_per_event=\([0-9.]*\).*/\1/p" | awk '{s += $1} END {print s}'
}

section_dispatch() {
	local dispatch native total rate per shapes batch=$out/dispatch.batch i
	local wasm_ids native_ids wasm_ns native_ns
	local rates=() pers=() ratios=() write=() ratio
	$CARGO build --release --locked --quiet -p vigil-bench-native
	: >"$out/dispatch.txt"
	# Pinned to one core, Wasm and native alike, and run in pairs so that the machine's drift
	# hits both sides of a ratio alike. The first Wasm run also writes the stream in the
	# batched encoding, for the native side to judge the very same bytes.
	for i in $(seq "$runs"); do
		write=()
		if [ "$i" = 1 ]; then write=(--write-batch "$batch"); fi
		dispatch=$(taskset -c 0 "$vigil" bench-dispatch --cache-dir "$cache" \
			--events "${BENCH_EVENTS:-200000}" "${write[@]}")
		native=$(taskset -c 0 target/release/vigil-bench-native "$batch")
		if [ "$i" = 1 ]; then
			wasm_ids=$(sed -n 's/^signature=\([^ ]*\) shape=.*/\1/p' <<<"$dispatch" | sort)
			native_ids=$(sed -n 's/^signature=\([^ ]*\) native .*/\1/p' <<<"$native" | sort)
			if [ "$wasm_ids" != "$native_ids" ]; then
				echo "bench: the native side (signatures-wasm/bench-native) does not run the same signatures as the default set:" >&2
				diff <(echo "$wasm_ids") <(echo "$native_ids") >&2 || true
				exit 1
			fi
			shapes=$(sed -n 's/.* shape=\([A-Za-z]*\).*/\1/p' <<<"$dispatch" | sort -u | paste -sd, -)
		fi
		# The first line is the total; one line per signature follows.
		total=$(grep '^events=' <<<"$dispatch")
		rates+=("$(sed -n 's/.*events_per_sec=\([0-9]*\).*/\1/p' <<<"$total")")
		pers+=("$(sed -n 's/.*ns_per_event=\([0-9]*\).*/\1/p' <<<"$total")")
		# Wasm vs native, over the signatures both sides ran: the sums of their ns/event.
		wasm_ns=$(sum_ns shape= <<<"$dispatch")
		native_ns=$(sum_ns native <<<"$native")
		ratios+=("$(awk -v w="$wasm_ns" -v n="$native_ns" 'BEGIN {printf "%.2f %.0f %.0f", w / n, w, n}')")
		{
			echo "# run $i"
			echo "$dispatch"
			echo "$native"
		} >>"$out/dispatch.txt"
	done
	rate=$(printf '%s\n' "${rates[@]}" | median)
	per=$(printf '%s\n' "${pers[@]}" | median)
	row "dispatch, default set, one core (handler shape: ${shapes:-?})" "${rate} events/s (${per} ns/event)" "≥ 1,000,000 events/s"
	# The pair whose ratio is the median, with its two sums.
	read -r ratio wasm_ns native_ns < <(printf '%s\n' "${ratios[@]}" | median)
	row "dispatch, Wasm / native (same signatures, same bytes, one core)" \
		"${ratio}× (${wasm_ns} / ${native_ns} ns/event)" "≤ 1.5×"
}

# --- capture -----------------------------------------------------------------------------------
# Each workload is scripts/bench-load.c (compiled here), which times its own loop: the ratios
# compare the command's own time bare and watched, without Vigil's start and stop (reported
# separately as the "whole run" ratio). Every run appends one JSON line to $samples; the
# report is computed from them by scripts/bench-report.py.
load=$out/load
samples=$out/capture-samples.jsonl
build_dir=$out/build-src

# Generates a small C project (BENCH_BUILD_UNITS files, make -j1) in $build_dir.
make_build_project() {
	local units=${BENCH_BUILD_UNITS:-32} i
	rm -rf "$build_dir"
	mkdir -p "$build_dir"
	for i in $(seq "$units"); do
		cat >"$build_dir/unit$i.c" <<EOF
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct point$i { double x, y; };
static int by_x$i(const void *a, const void *b) {
	const struct point$i *p = a, *q = b;
	return (p->x > q->x) - (p->x < q->x);
}
double unit$i(int n) {
	struct point$i *pts = calloc((size_t)n, sizeof *pts);
	char name[64];
	double sum = 0;
	for (int k = 0; k < n; k++) {
		pts[k].x = sin(k * $i.0);
		pts[k].y = cos(k + $i.0);
	}
	qsort(pts, (size_t)n, sizeof *pts, by_x$i);
	for (int k = 0; k < n; k++) {
		snprintf(name, sizeof name, "p%d", k);
		sum += pts[k].x * pts[k].y + (double)strlen(name);
	}
	free(pts);
	return sum;
}
EOF
	done
	{
		echo "#include <stdio.h>"
		for i in $(seq "$units"); do echo "double unit$i(int n);"; done
		echo "int main(void) { double s = 0;"
		for i in $(seq "$units"); do echo "s += unit$i(100);"; done
		echo 'printf("%f\n", s); return 0; }'
	} >"$build_dir/main.c"
	cat >"$build_dir/Makefile" <<'EOF'
CFLAGS = -O2 -g -Wall
OBJS = $(patsubst %.c,%.o,$(wildcard *.c))
app: $(OBJS)
	$(CC) -o $@ $(OBJS) -lm
clean:
	rm -f app *.o
EOF
}

# One run of workload $1 (N $2) in mode $3 (bare, vigil, vigil-none); the load arguments
# follow. Appends a JSON line to $samples.
capture_sample() {
	local workload=$1 n=$2 mode=$3
	shift 3
	local stats=$out/stats.json vigil_args=() t0 t1 stdout status=0
	rm -f "$stats"
	if [ "$workload" = build ]; then make -s -C "$build_dir" clean >/dev/null; fi
	case $mode in
	bare) ;;
	vigil) vigil_args=("$vigil" run --cache-dir "$cache" --stats-json "$stats" --) ;;
	vigil-none)
		vigil_args=("$vigil" run --no-default-signatures --stats-json "$stats" --)
		;;
	esac
	t0=$(now_ns)
	stdout=$("${vigil_args[@]}" "$load" "$@" 2>"$out/stderr.txt") || status=$?
	t1=$(now_ns)
	local elapsed cpu
	elapsed=$(sed -n 's/^elapsed_ns=\([0-9]*\) .*/\1/p' <<<"$stdout")
	cpu=$(sed -n 's/^elapsed_ns=.* cpu_ns=\([0-9]*\)$/\1/p' <<<"$stdout")
	if [ -z "$elapsed" ] || [ -z "$cpu" ]; then
		echo "bench: $workload ($mode) failed (status $status):" >&2
		tail -n 20 "$out/stderr.txt" >&2
		exit 1
	fi
	printf '{"workload":"%s","n":%s,"mode":"%s","command_ns":%s,"command_cpu_ns":%s,"wall_ns":%s,"status":%s,"stats":%s}\n' \
		"$workload" "$n" "$mode" "$elapsed" "$cpu" "$((t1 - t0))" "$status" \
		"$(if [ -s "$stats" ]; then tr -d '\n' <"$stats"; else echo null; fi)" >>"$samples"
}

# The N that makes workload $1 take about BENCH_STORM_MS bare, from a calibration run of $2.
calibrate() {
	local workload=$1 n0=$2
	shift 2
	local ns target=${BENCH_STORM_MS:-1000}
	"$load" "$workload" "$n0" "$@" >/dev/null # warm caches
	ns=$("$load" "$workload" "$n0" "$@" | sed -n 's/^elapsed_ns=\([0-9]*\) .*/\1/p')
	echo $((n0 * target * 1000000 / (ns > 0 ? ns : 1) + 1))
}

# Runs workload $1 with N $2 ($3... are the load tool's arguments) in every mode, interleaved
# run by run so that the machine's drift hits all modes alike.
capture_workload() {
	local workload=$1 n=$2
	shift 2
	local mode
	echo "bench: capture: $workload (N=$n), $runs runs of bare / vigil / vigil-none" >&2
	for _ in $(seq "$runs"); do
		for mode in bare vigil vigil-none; do
			capture_sample "$workload" "$n" "$mode" "$@"
		done
	done
}

section_capture() {
	cc -O2 -Wall -o "$load" scripts/bench-load.c
	make_build_project
	echo bench-open >"$out/open-target"
	: >"$samples"
	"$vigil" run --cache-dir "$cache" -- true >/dev/null 2>&1 || true # warm compile cache
	local exec_n open_n write_n
	exec_n=${BENCH_EXEC_N:-$(calibrate exec 200)}
	open_n=${BENCH_OPEN_N:-$(calibrate open 200000 "$out/open-target")}
	write_n=${BENCH_WRITE_N:-$(calibrate write 1000000 /dev/null)}
	capture_workload exec "$exec_n" exec "$exec_n"
	# The same storm by relative path (judged in the kernel against the cwd's tail, which
	# Vigil writes once it knows the cwd) and by absolute path: in both, the kernel skips the
	# opens no signature wants.
	capture_workload open "$open_n" open "$open_n" "$out/open-target"
	capture_workload open-abs "$open_n" open "$open_n" "$PWD/$out/open-target"
	capture_workload write "$write_n" write "$write_n" /dev/null
	make -s -C "$build_dir" >/dev/null # warm the page cache with gcc and the headers
	capture_workload build "${BENCH_BUILD_UNITS:-32}" run make -j1 -s -C "$build_dir"
	python3 scripts/bench-report.py "$samples" "$out/capture.json" "$runs"
}

# --- report ------------------------------------------------------------------------------------
rows=()
row() { rows+=("| $1 | $2 | $3 |"); }

section_startup
section_dispatch
capture_table=$(section_capture)

{
	echo "| measure | value | target |"
	echo "| --- | --- | --- |"
	printf '%s\n' "${rows[@]}"
	echo
	echo "$capture_table"
	echo
	echo "median of $runs runs; $(nproc) cores; $(uname -r); $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} | tee "$out/results.md"
