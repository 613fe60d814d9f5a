#!/usr/bin/env python3
"""Benchmark: a converged `gpucfg plan` of a manifest adopting this machine's real CUDA 13.0 +
cuDNN 9.19 tree (bench/adopt-cuda-13.0.yaml), side by side with what it is built from (facts)
and with the shell commands an Ansible role's check mode would run for the same questions.
Targets from issue 27: median <= 30 ms and peak memory <= 32 MB on a 2-core machine (for scale,
Ansible's check mode of the equivalent tasks: bench/ansible_check.py, about 3 s here).

    bench/plan.py [path/to/gpucfg] [runs]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cli", "gpucfg")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 31
MANIFEST = os.path.join(ROOT, "bench", "adopt-cuda-13.0.yaml")
SHELL = ("test -d /usr/local/cuda-13.0 && readlink /usr/local/cuda && /usr/local/cuda-13.0/bin/nvcc --version && "
         "grep -h 'define CUDNN_M' /usr/local/cuda-13.0/include/cudnn_version.h && ls /usr/local/cuda-13.0/lib64 && "
         "ldconfig -p | grep -c cudnn && cat /proc/driver/nvidia/version 2>/dev/null; true")


# The adoption is recorded in a temporary state folder, never under /var/lib.
STATE = tempfile.mkdtemp(prefix="gpucfg-bench-state-")
ENV = dict(os.environ, GPUCFG_STATE_DIR=STATE)


def median_ms(cmd, shell=False):
    """Median wall time of RUNS runs, and the largest peak RSS of one run (its own process and
    any it waited for: wait4's rusage, per run, not the whole benchmark's)."""
    times, peak_kb = [], 0
    for _ in range(RUNS):
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, shell=shell, env=ENV, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        times.append((time.perf_counter() - t0) * 1000)
        peak_kb = max(peak_kb, usage.ru_maxrss)
        code = os.waitstatus_to_exitcode(status)
        if not shell and code != 0:
            sys.exit(f"{' '.join(cmd)} exited {code}")
    return statistics.median(times), peak_kb / 1024


def main():
    if not os.path.isdir("/usr/local/cuda-13.0"):
        print("skipped: no /usr/local/cuda-13.0 on this machine")
        return 0
    # Converged: after an apply that records the adopted tree (its files, sizes, hashes).
    subprocess.run([BINARY, "apply", "--yes", MANIFEST], env=ENV, check=True, stdout=subprocess.DEVNULL)
    p = subprocess.run([BINARY, "plan", "--detailed-exitcode", MANIFEST], env=ENV, capture_output=True, text=True)
    print(p.stdout.strip().splitlines()[-1])
    if p.returncode != 0:
        sys.exit("the plan is not converged")
    rows = [("gpucfg plan (converged, adopt CUDA 13.0 + cuDNN 9.19)", median_ms([BINARY, "plan", MANIFEST])),
            ("gpucfg facts (its input)", median_ms([BINARY, "facts"])),
            ("shell: the same questions by hand (nvcc --version, ls, ldconfig -p)", median_ms(SHELL, shell=True))]
    for name, (ms, mb) in rows:
        print(f"{name:72} {ms:7.1f} ms median of {RUNS}, peak {mb:5.1f} MB")
    ms, mb = rows[0][1]
    ok = ms <= 30 and mb <= 32
    print(f"target (issue 27): converged plan median <= 30 ms and peak <= 32 MB: "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(STATE, ignore_errors=True)
