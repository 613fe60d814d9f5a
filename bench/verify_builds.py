#!/usr/bin/env python3
"""Benchmark: `gpucfg verify --fresh --level compute` of this machine's CUDA 13.0 + cuDNN 9.19
(examples/local-cuda-13.0.yaml), its four workloads built side by side (one per core), against
the same builds one after another (`--jobs 1`), and a cached verify. Rounds are interleaved, so
both sides see the same machine; the figure is the ratio of medians, with wall and CPU seconds.
Goals from issue 26: parallel <= 0.6x serial; cached <= 1 s. A second manifest, the same stack
with bin/nvcc taken away, measures the host-compiler build (g++) the same way.

    bench/verify_builds.py [path/to/gpucfg] [rounds]
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cli", "gpucfg")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
STACK = "/usr/local/cuda-13.0"
if not os.path.isdir(STACK):
    sys.exit(f"skipped: no {STACK} here (the benchmark builds against a real stack)")

work = tempfile.mkdtemp(prefix="gpucfg-bench-verify-")
with open(os.path.join(ROOT, "examples", "local-cuda-13.0.yaml")) as f:
    text = f.read()
with_nvcc = os.path.join(work, "nvcc.yaml")
with open(with_nvcc, "w") as f:
    f.write(text)
tk = os.path.join(work, "tk")
os.makedirs(os.path.join(tk, "bin"))
for sub in ("include", "lib64"):
    os.symlink(os.path.join(STACK, sub), os.path.join(tk, sub))
without_nvcc = os.path.join(work, "gxx.yaml")
with open(without_nvcc, "w") as f:
    f.write(text.replace(STACK, tk).replace("cudart, nvcc,", "cudart,"))
ENV = dict(os.environ, GPUCFG_DATA_DIR=ROOT, GPUCFG_CACHE_DIR=os.path.join(work, "cache"))


def timed(args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([BINARY, "verify", "--level", "compute", *args], env=ENV,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 4) or "build conv: built by" not in p.stdout:
        sys.exit(f"verify {' '.join(args)} exited {p.returncode}:\n{p.stdout[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


print(f"{os.cpu_count()} cores; {ROUNDS} interleaved rounds; gpucfg {BINARY}")
try:
    for label, manifest in (("nvcc", with_nvcc), ("g++ (no nvcc in the stack)", without_nvcc)):
        serial, parallel, cached = [], [], []
        for _ in range(ROUNDS):
            serial.append(timed(["--fresh", "--jobs", "1", manifest]))
            parallel.append(timed(["--fresh", manifest]))
            cached.append(timed([manifest]))
        s = statistics.median(w for w, _ in serial)
        p = statistics.median(w for w, _ in parallel)
        c = statistics.median(w for w, _ in cached)
        print(f"built by {label}:")
        print(f"  one after another (--jobs 1): {s:6.2f} s wall, {statistics.median(u for _, u in serial):6.2f} s CPU")
        print(f"  side by side (default):       {p:6.2f} s wall, {statistics.median(u for _, u in parallel):6.2f} s CPU"
              f"  -> {p / s:.2f}x  (goal <= 0.6x)")
        print(f"  cached:                       {c:6.2f} s wall  (goal <= 1 s)")
finally:
    shutil.rmtree(work, ignore_errors=True)
