#!/usr/bin/env python3
"""Benchmark: `gpucfg apply` of the curated tf-2.16 stack (11 NVIDIA wheels: CUDA 12.3 and
cuDNN 8.9.7.29) from a warm cache into an empty root, against what a user would otherwise run:
`pip install --no-deps --no-index` of the same wheel files into a fresh venv (created before the
clock starts). Interleaved rounds (a noisy neighbour slows both alike); the median of the
per-round ratios is the figure. Issue #10's goal: <= 0.5x on 2 cores.

Needs the wheels in gpucfg's cache first (networked, once):

    GPUCFG_CACHE_DIR=/tmp/bench-cache gpucfg fetch manifests/tf-2.16.yaml
    GPUCFG_CACHE_DIR=/tmp/bench-cache bench/apply_wheels.py [path/to/gpucfg] [rounds]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from timing import timed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cli", "gpucfg")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
CURATED = os.path.join(ROOT, "manifests", "tf-2.16.yaml")
CACHE = os.environ.get("GPUCFG_CACHE_DIR")


def toolkit_only(tmp):
    """tf-2.16 without its python: section: this bench times the toolkit and cuDNN wheels
    (bench/build_env.py times the environment)."""
    out, skip = [], False
    with open(CURATED) as f:
        for line in f:
            if line.startswith("python:"):
                skip = True
            elif skip and line[:1] not in (" ", "#", "\n"):
                skip = False
            if line.startswith("extends:"):
                line = f"extends: [{os.path.join(ROOT, 'manifests', 'cuda-12.3.yaml')}]\n"
            if not skip:
                out.append(line)
    path = os.path.join(tmp, "tf-2.16-toolkit.yaml")
    with open(path, "w") as f:
        f.writelines(out)
    return path


def wheelhouse(tmp):
    """The manifest's wheels from the cache, under their own names (the cache keeps them by
    hash; `names/` records each wheel's file name)."""
    with open(CURATED) as f:
        pins = [line.split("package:")[1].strip() for line in f if "package:" in line]
    prefixes = [p.replace("-", "_").replace("==", "-") + "-" for p in pins]
    out = os.path.join(tmp, "wheels")
    os.makedirs(out)
    names = os.path.join(CACHE, "names")
    for sha in os.listdir(names):
        with open(os.path.join(names, sha)) as f:
            name = f.read().strip()
        if any(name.startswith(p) for p in prefixes):
            os.link(os.path.join(CACHE, "artifacts", sha), os.path.join(out, name))
    got = sorted(os.path.join(out, n) for n in os.listdir(out))
    if len(got) != len(pins):
        sys.exit(f"the cache holds {len(got)} of the manifest's {len(pins)} wheels; fetch them")
    return got


def main():
    if not CACHE or not os.path.isdir(os.path.join(CACHE, "names")):
        sys.exit("set GPUCFG_CACHE_DIR to a cache filled by `gpucfg fetch manifests/tf-2.16.yaml`")
    tmp = tempfile.mkdtemp(prefix="gpucfg-bench-wheels-")
    manifest = toolkit_only(tmp)
    wheels = wheelhouse(tmp)
    print(f"{len(wheels)} wheels, {sum(os.path.getsize(w) for w in wheels) / 1e6:.0f} MB")
    env = dict(os.environ, GPUCFG_OFFLINE="1")
    ratios, g_times, p_times = [], [], []
    for i in range(ROUNDS):
        root = os.path.join(tmp, f"root-{i}")
        os.makedirs(root)
        venv = os.path.join(tmp, f"venv-{i}")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run(["sync"])
        g = timed([BINARY, "apply", "--yes", "--no-verify", "--root", root, manifest], env)
        subprocess.run(["sync"])
        p = timed([os.path.join(venv, "bin", "pip"), "install", "--quiet", "--no-deps",
                   "--no-index", "--disable-pip-version-check", *wheels])
        g_times.append(g)
        p_times.append(p)
        ratios.append(g / p)
        print(f"round {i + 1}: gpucfg {g:.2f} s, pip {p:.2f} s, ratio {g / p:.2f}x")
        shutil.rmtree(root)
        shutil.rmtree(venv)
    print(f"median: gpucfg {statistics.median(g_times):.2f} s, pip {statistics.median(p_times):.2f} s,"
          f" ratio {statistics.median(ratios):.2f}x (goal <= 0.5x)")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
