#!/usr/bin/env python3
"""Benchmark: `gpucfg plan --checksum` (every file of the adopted CUDA 13.0 + cuDNN 9.19 tree
hashed again and compared with the record) against `openssl dgst -sha256` over the same files,
side by side in one run: gpucfg on one core (taskset) and on all cores. Targets from the issue:
<= 1.1x openssl on one core, <= 0.6x with both cores. The state goes to a temporary folder
(GPUCFG_STATE_DIR), so nothing under /var/lib is written.

    bench/checksum.py [path/to/gpucfg] [runs]
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
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
MANIFEST = os.path.join(ROOT, "bench", "adopt-cuda-13.0.yaml")
TREE = "/usr/local/cuda-13.0"


def timed(cmd, env=None, shell=False):
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=env, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            sys.exit(f"{cmd} failed: {p.stderr[-500:]}")
    return statistics.median(times)


def main():
    if not os.path.isdir(TREE):
        print(f"skipped: no {TREE}")
        return 0
    state = tempfile.mkdtemp(prefix="gpucfg-bench-state-")
    env = dict(os.environ, GPUCFG_STATE_DIR=state)
    try:
        subprocess.run([BINARY, "apply", "--yes", MANIFEST], env=env, check=True, stdout=subprocess.DEVNULL)
        files = subprocess.run(["find", TREE, "-type", "f"], capture_output=True, text=True).stdout.split("\n")
        size = sum(os.path.getsize(f) for f in files if f)
        subprocess.run(f"cat $(find {TREE} -type f) > /dev/null", shell=True)  # warm the page cache for all
        openssl = timed(f"find {TREE} -type f -print0 | taskset -c 0 xargs -0 openssl dgst -sha256", shell=True)
        one = timed(["taskset", "-c", "0", BINARY, "plan", "--checksum", MANIFEST], env=env)
        both = timed([BINARY, "plan", "--checksum", MANIFEST], env=env)
        quick = timed([BINARY, "plan", MANIFEST], env=env)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    print(f"{len([f for f in files if f])} files, {size / 1e9:.2f} GB, median of {RUNS} runs, {os.cpu_count()} cores")
    print(f"  openssl dgst -sha256, one core          {openssl:6.2f} s  ({size / openssl / 1e6:.0f} MB/s)")
    print(f"  gpucfg plan --checksum, one core        {one:6.2f} s  = {one / openssl:.2f}x openssl (target <= 1.1x)")
    print(f"  gpucfg plan --checksum, all cores       {both:6.2f} s  = {both / openssl:.2f}x openssl (target <= 0.6x)")
    print(f"  gpucfg plan (size and mtime only)       {quick * 1000:6.1f} ms")
    ok = one / openssl <= 1.1 and both / openssl <= 0.6
    print("targets:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
