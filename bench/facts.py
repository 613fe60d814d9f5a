#!/usr/bin/env python3
"""Benchmark: `gpucfg facts` (no --frameworks) against the commands people run by hand for the
same answers, side by side in one run. The issue's target: median <= 100 ms on a 2-core machine.

    bench/facts.py [path/to/gpucfg] [runs]
"""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cli", "gpucfg")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 31

# What a person types to learn driver, toolkit, cuDNN and loader facts (less than gpucfg reports).
MANUAL = ("cat /proc/driver/nvidia/version 2>/dev/null; nvcc --version; "
          "grep -h -A2 'define CUDNN_MAJOR' /usr/local/cuda/include/cudnn_version.h; "
          "ldconfig -p | grep -E 'libcudnn|libcudart'; gcc --version | head -1")


def median_ms(cmd, shell=False):
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(cmd, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times), max(times)


def main():
    rows = [("gpucfg facts", median_ms([BINARY, "facts"])),
            ("gpucfg facts --json", median_ms([BINARY, "facts", "--json"])),
            ("manual: nvcc --version, grep header, ldconfig -p, gcc --version", median_ms(MANUAL, shell=True))]
    print(f"{'command':66} {'median':>8} {'min':>8} {'max':>8}   ({RUNS} runs)")
    for name, (med, lo, hi) in rows:
        print(f"{name:66} {med:7.1f}ms {lo:7.1f}ms {hi:7.1f}ms")
    target = rows[0][1][0]
    print(f"target: median <= 100 ms: {'met' if target <= 100 else 'NOT met'} ({target:.1f} ms)")
    return 0 if target <= 100 else 1


if __name__ == "__main__":
    sys.exit(main())
