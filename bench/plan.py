#!/usr/bin/env python3
"""Benchmark: a converged `gpucfg plan` of a manifest adopting this machine's real CUDA 13.0 +
cuDNN 9.19 tree (bench/adopt-cuda-13.0.yaml), side by side with what it is built from (facts)
and with the shell commands an Ansible role's check mode would run for the same questions.
Target from the issue: median <= 50 ms on a 2-core machine. (For scale, the issue measured
Ansible's check mode of seven equivalent stat/file/lineinfile tasks at about 2.9 s here.)

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
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, shell=shell, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t0) * 1000)
        if not shell and p.returncode not in (0,):
            sys.exit(f"{' '.join(cmd)} exited {p.returncode}")
    return statistics.median(times)


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
    for name, ms in rows:
        print(f"{name:72} {ms:7.1f} ms median of {RUNS}")
    ok = rows[0][1] <= 50
    print(f"target: converged plan median <= 50 ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(STATE, ignore_errors=True)
