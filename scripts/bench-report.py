"""`make bench`, capture part: turns the samples scripts/bench.sh took (one JSON line per run of
a workload in one mode: bare, vigil, vigil-none) into target/bench/capture.json and a Markdown
table on stdout, one column per workload.

Ratios are of medians, watched over bare, of the command's own time (the workload times its
own loop), so Vigil's start and stop are left out; the whole-run ratio puts them back."""

import json
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone

# name: (column title, what one unit of N is, overhead target)
WORKLOADS = {
    "exec": ("exec storm", "× fork + execve(/bin/true) + wait", 1.5),
    "open": ("open/close storm", "× open(O_RDONLY) + close of one file, by relative path", 1.5),
    "open-abs": ("open/close storm, absolute path", "× open(O_RDONLY) + close of one file, by absolute path", 1.5),
    "write": ("small-write storm", "× 1-byte write() to /dev/null (write is not captured)", 1.5),
    "build": ("C build", "generated C files and main.c, make -j1, gcc -O2 -g", 1.05),
}
RSS_TARGET_KIB = 64 * 1024


def summarize(name, samples):
    by_mode = {m: [s for s in samples if s["mode"] == m] for m in ("bare", "vigil", "vigil-none")}
    label, what, target = WORKLOADS[name]

    def med(mode, key):
        return statistics.median(s[key] for s in by_mode[mode]) / 1e6

    def stats(mode, key):
        return [s["stats"][key] for s in by_mode[mode] if s["stats"]]

    bare, watched, none = (med(m, "command_ns") for m in ("bare", "vigil", "vigil-none"))
    bare_cpu, watched_cpu = med("bare", "command_cpu_ns"), med("vigil", "command_cpu_ns")
    events = stats("vigil", "events")
    rates = [s["stats"]["events"] / (s["command_ns"] / 1e9) for s in by_mode["vigil"] if s["stats"]]
    cpu = [u + k for u, k in zip(stats("vigil", "cpu_user_ms"), stats("vigil", "cpu_system_ms"))]
    return {
        "workload": name,
        "label": label,
        "what": what,
        "n": samples[0]["n"],
        "runs": len(by_mode["bare"]),
        "bare_ms": round(bare, 1),
        "vigil_ms": round(watched, 1),
        "vigil_no_signatures_ms": round(none, 1),
        "ratio": round(watched / bare, 3),
        "ratio_target": target,
        "ratio_no_signatures": round(none / bare, 3),
        "bare_cpu_ms": round(bare_cpu, 1),
        "vigil_cpu_of_command_ms": round(watched_cpu, 1),
        "cpu_ratio": round(watched_cpu / bare_cpu, 3) if bare_cpu else None,
        "whole_run_bare_ms": round(med("bare", "wall_ns"), 1),
        "whole_run_vigil_ms": round(med("vigil", "wall_ns"), 1),
        "whole_run_ratio": round(med("vigil", "wall_ns") / med("bare", "wall_ns"), 3),
        "events_per_run": int(statistics.median(events)) if events else None,
        "events_per_sec": int(statistics.median(rates)) if rates else None,
        "lost": sum(stats("vigil", "lost")),
        "lost_no_signatures": sum(stats("vigil-none", "lost")),
        "vigil_own_cpu_ms": statistics.median(cpu) if cpu else None,
        "vigil_peak_rss_kib": max(stats("vigil", "peak_rss_kib"), default=None),
        "vigil_no_signatures_peak_rss_kib": max(stats("vigil-none", "peak_rss_kib"), default=None),
        "vigil_states": sorted({s["stats"]["state"] for s in by_mode["vigil"] if s["stats"]}),
        "samples": samples,
    }


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def table(rows, runs, json_path):
    def line(title, cell):
        print(f"| {title} | " + " | ".join(cell(r) for r in rows) + " |")

    def opt(value, fmt):
        return "n/a" if value is None else fmt(value)

    print("| | " + " | ".join(r["label"] for r in rows) + " |")
    print("| --- |" + " --- |" * len(rows))
    line("workload", lambda r: f"{r['n']:,} {r['what']}")
    line("bare: command's own time", lambda r: f"{r['bare_ms']:.0f} ms")
    line("under `vigil run`, default signatures", lambda r: f"{r['vigil_ms']:.0f} ms")
    line("**overhead** (target)", lambda r: f"**{r['ratio']:.2f}×** (≤ {r['ratio_target']}×)")
    line("overhead, `--no-default-signatures`", lambda r: f"{r['ratio_no_signatures']:.2f}×")
    line("command's CPU time, bare → watched", lambda r: f"{r['bare_cpu_ms']:.0f} → "
         f"{r['vigil_cpu_of_command_ms']:.0f} ms ({opt(r['cpu_ratio'], lambda v: f'{v:.2f}×')})")
    line("whole run, with Vigil's start and stop", lambda r: f"{r['whole_run_bare_ms']:.0f} → "
         f"{r['whole_run_vigil_ms']:.0f} ms ({r['whole_run_ratio']:.2f}×)")
    line("events captured per run", lambda r: opt(r["events_per_run"], lambda v: f"{v:,}"))
    line("events captured per second", lambda r: opt(r["events_per_sec"], lambda v: f"{v:,}"))
    line("events lost, all runs (exec storm target: 0)", lambda r: f"{r['lost']:,}")
    line("Vigil's own CPU, whole run", lambda r: opt(r["vigil_own_cpu_ms"], lambda v: f"{v:.0f} ms"))
    line("Vigil's peak RSS (target ≤ 64 MiB)",
         lambda r: opt(r["vigil_peak_rss_kib"], lambda v: f"{v / 1024:.1f} MiB"))
    print()
    print(f"Capture: medians of {runs} runs interleaved bare / `vigil run` / `vigil run "
          "--no-default-signatures`; times are the workload's own (scripts/bench-load.c), "
          "lost is summed and RSS the largest over the runs; every sample is in "
          f"{json_path}.")


def main():
    samples_path, json_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(samples_path) as f:
        samples = [json.loads(line) for line in f if line.strip()]
    names = [n for n in WORKLOADS if any(s["workload"] == n for s in samples)]
    rows = [summarize(n, [s for s in samples if s["workload"] == n]) for n in names]
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    report = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"nproc": int(nproc), "kernel": platform.release(), "cpu": cpu_model()},
        "runs": runs,
        "signatures": "vigil: the default set; vigil-none: --no-default-signatures",
        "targets": {
            "storm_ratio": 1.5,
            "build_ratio": 1.05,
            "exec_storm_lost": 0,
            "peak_rss_kib": RSS_TARGET_KIB,
        },
        "workloads": rows,
    }
    with open(json_path, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    table(rows, runs, json_path)


main()
