#!/usr/bin/env python3
"""Benchmark: `gpucfg apply` from archives into an empty root, against the obvious alternative
run one after the other: `tar -x` of each archive, then `openssl dgst -sha256` of them all.
Side by side in one run; gpucfg on one core (taskset -c 0) and on all cores, the baseline both
ways too. Targets from the issue: <= 1.0x the baseline's wall time on one core, <= 0.6x with both
cores, peak memory <= 64 MB (gpucfg's maximum resident set, from wait4).

The archives are captured once from this machine's /usr/local/cuda-13.0 (nvcc, nvvm, cudart,
crt, cuDNN's headers and front library) in NVIDIA's format, tar.xz, at the given level.

    bench/apply_archives.py [path/to/gpucfg] [runs] [format] [level]
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
FORMAT = sys.argv[3] if len(sys.argv) > 3 else "tar.xz"
LEVEL = sys.argv[4] if len(sys.argv) > 4 else "1"
TREE = "/usr/local/cuda-13.0"
COMPONENTS = "cuda_nvcc,libnvvm,cuda_cudart,cuda_crt,cudnn"


def run_measured(cmd, env=None):
    """Wall seconds and peak resident set (MB) of one command."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd} failed: {err[-800:]}")
    return wall, usage.ru_maxrss / 1024


def measure(make_cmd, i, env=None):
    cmd, cleanup = make_cmd(i)
    wall, peak = run_measured(cmd, env)
    cleanup()
    return wall, peak


def main():
    if not os.path.isdir(TREE):
        print(f"skipped: no {TREE}")
        return 0
    work = tempfile.mkdtemp(prefix="gpucfg-bench-archives-")
    try:
        mirror = os.path.join(work, "mirror")
        subprocess.run([BINARY, "capture", TREE, "--out", mirror, "--components", COMPONENTS,
                        "--exclude", "lib/libcudnn_*", "--format", FORMAT, "--level", LEVEL],
                       check=True, stdout=subprocess.DEVNULL)
        manifest = os.path.join(mirror, "captured-cuda-13.0.yaml")
        archives = sorted(os.path.join(d, f) for d, _, fs in os.walk(mirror) for f in fs
                          if f.endswith(FORMAT))
        packed = sum(os.path.getsize(a) for a in archives)
        subprocess.run(["cat", *archives], stdout=subprocess.DEVNULL)  # page cache warm for both

        def baseline(pin):
            def make(i):
                dest = os.path.join(work, f"tar-{i}")
                os.makedirs(dest)
                script = " && ".join([f"tar -xf {a} -C {dest}" for a in archives] +
                                     ["openssl dgst -sha256 " + " ".join(archives)])
                cmd = ["sh", "-c", script]
                return (["taskset", "-c", "0", *cmd] if pin else cmd), lambda: shutil.rmtree(dest)
            return make

        def gpucfg(pin):
            def make(i):
                root = os.path.join(work, f"root-{i}")
                os.makedirs(root)
                # An empty store each run: its trees would otherwise make every run after the
                # first a copy of what was unpacked once (env execs, so wait4 sees gpucfg).
                cache = os.path.join(work, f"cache-{i}")
                cmd = ["env", f"GPUCFG_CACHE_DIR={cache}", BINARY, "apply", "--yes", "--no-verify",
                       "--root", root, manifest]
                return ((["taskset", "-c", "0", *cmd] if pin else cmd),
                        lambda: (shutil.rmtree(root), shutil.rmtree(cache, ignore_errors=True)))
            return make

        env = dict(os.environ, GPUCFG_CACHE_DIR=os.path.join(work, "cache"),
                   GPUCFG_DATA_DIR=os.environ.get("GPUCFG_DATA_DIR", ROOT))
        # Interleaved, so that a noisy neighbour slows both sides of each comparison alike;
        # each ratio is taken within one round, and the median ratio is reported.
        # The floor under any extractor that uses liblzma: the biggest archive is one xz stream
        # of one block, which no decoder splits across cores; `xz -dc` of it alone, output
        # discarded, is timed in each round too.
        biggest = max(archives, key=os.path.getsize)

        def decode_floor(i):
            return (["xz", "-dc", biggest] if FORMAT == "tar.xz" else ["true"]), lambda: None

        rows = []
        for i in range(RUNS):
            b1, _ = measure(baseline(True), i)
            g1, m1 = measure(gpucfg(True), i, env)
            b2, _ = measure(baseline(False), i)
            g2, m2 = measure(gpucfg(False), i, env)
            x, _ = measure(decode_floor, i)
            rows.append((b1, g1, b2, g2, max(m1, m2), x))
        med = lambda k: statistics.median(r[k] for r in rows)
        ratio = lambda a, b: statistics.median(r[a] / r[b] for r in rows)
        print(f"{len(archives)} {FORMAT} archives (level {LEVEL}), {packed / 1e6:.0f} MB packed, "
              f"{RUNS} interleaved rounds, {os.cpu_count()} cores (medians)")
        print(f"  tar -x + openssl dgst, one core     {med(0):7.2f} s")
        print(f"  tar -x + openssl dgst, all cores    {med(2):7.2f} s")
        print(f"  gpucfg apply, one core              {med(1):7.2f} s  = {ratio(1, 0):.2f}x "
              f"of the one-core baseline (target <= 1.0x)")
        print(f"  gpucfg apply, all cores             {med(3):7.2f} s  = {ratio(3, 0):.2f}x "
              f"of the one-core baseline (target <= 0.6x), {ratio(3, 2):.2f}x of the baseline "
              f"on all cores")
        if FORMAT == "tar.xz":
            print(f"  xz -dc of the biggest archive alone  {med(5):7.2f} s  = {ratio(5, 0):.2f}x of "
                  f"the one-core baseline: the floor on any number of cores ({os.path.basename(biggest)},"
                  f" one xz block)")
        print(f"  gpucfg peak memory                  {max(r[4] for r in rows):7.0f} MB "
              f"(target <= 64 MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
