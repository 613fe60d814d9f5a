#!/usr/bin/env python3
"""Benchmark: building tf-2.16's framework environment (its locked wheels for this Python:
tensorflow 2.16 and its 37 dependencies, about 600 MB of wheels, 2 GB installed) from a warm
cache, against what a user would otherwise run with the same locked files:

    python -m venv V && V/bin/pip install --no-deps --no-index --require-hashes \\
        --find-links WHEELHOUSE -r locked.txt

Both sides create the venv inside the clock; gpucfg also imports tensorflow in the new
environment before it links it (its import check), which pip does not, so the pip figure is
also given with that import added. Interleaved rounds; the median of the per-round ratios is the
figure. Issue #11's goal: <= 1.0x.

The first run fills the cache (networked, once, about 600 MB):

    GPUCFG_CACHE_DIR=/tmp/bench-cache bench/build_env.py [path/to/gpucfg] [rounds]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import yaml

from timing import timed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cli", "gpucfg")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
CACHE = os.environ.get("GPUCFG_CACHE_DIR")
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
TARGET = f"linux-x86_64/{PY}"


def environment_manifest(tmp):
    """tf-2.16's python: section alone (no toolkit), built by this interpreter."""
    with open(os.path.join(ROOT, "manifests", "tf-2.16.yaml")) as f:
        py = yaml.safe_load(f)["python"]
    lock = [w for w in py["lock"] if TARGET in w.get("for", [])]
    if not lock:
        sys.exit(f"tf-2.16's lock has no wheels for {TARGET}; run this with Python 3.9-3.12")
    path = os.path.join(tmp, "env.yaml")
    with open(path, "w") as f:
        yaml.safe_dump({"apiVersion": "gpucfg/v1", "kind": "Stack",
                        "metadata": {"name": "bench-env"},
                        "python": {"env": "/opt/env", "interpreter": sys.executable,
                                   "import": ["tensorflow"], "lock": lock}}, f)
    return path, lock


def wheelhouse(tmp, lock):
    out = os.path.join(tmp, "wheelhouse")
    os.makedirs(out)
    req = []
    for w in lock:
        cached = os.path.join(CACHE, "artifacts", w["sha256"])
        if not os.path.exists(cached):
            sys.exit(f"{w['wheel']} is not in the cache")
        os.link(cached, os.path.join(out, w["wheel"]))
        name, version = w["wheel"].split("-")[:2]
        req.append(f"{name}=={version} --hash=sha256:{w['sha256']}")
    with open(os.path.join(tmp, "locked.txt"), "w") as f:
        f.write("\n".join(req) + "\n")
    return out, os.path.join(tmp, "locked.txt")


def main():
    if not CACHE:
        sys.exit("set GPUCFG_CACHE_DIR (a cache the first run fills)")
    tmp = tempfile.mkdtemp(prefix="gpucfg-bench-env-")
    manifest, lock = environment_manifest(tmp)
    env = dict(os.environ)
    warm = os.path.join(tmp, "warm")
    os.makedirs(warm)
    print(f"filling the cache if needed: {len(lock)} wheels for {TARGET}", flush=True)
    timed([BINARY, "apply", "--yes", "--no-verify", "--root", warm, manifest], env)
    shutil.rmtree(warm)
    house, req = wheelhouse(tmp, lock)
    size = sum(os.path.getsize(os.path.join(house, n)) for n in os.listdir(house))
    print(f"{len(lock)} wheels, {size / 1e6:.0f} MB, Python {PY}, {os.cpu_count()} cores")
    offline = dict(env, GPUCFG_OFFLINE="1")
    ratios, g_times, p_times, pi_times = [], [], [], []
    for i in range(ROUNDS):
        root = os.path.join(tmp, f"root-{i}")
        os.makedirs(root)
        venv = os.path.join(tmp, f"venv-{i}")
        subprocess.run(["sync"])
        g = timed([BINARY, "apply", "--yes", "--no-verify", "--root", root, manifest], offline)
        subprocess.run(["sync"])
        p = timed([sys.executable, "-m", "venv", venv])
        p += timed([os.path.join(venv, "bin", "pip"), "install", "--quiet", "--no-deps", "--no-index",
                    "--disable-pip-version-check", "--require-hashes", "--find-links", house,
                    "-r", req])
        imp = timed([os.path.join(venv, "bin", "python"), "-I", "-c", "import tensorflow"])
        g_times.append(g)
        p_times.append(p)
        pi_times.append(p + imp)
        ratios.append(g / p)
        print(f"round {i + 1}: gpucfg {g:.1f} s, pip {p:.1f} s (with the import {p + imp:.1f} s), "
              f"ratio {g / p:.2f}x", flush=True)
        shutil.rmtree(root)
        shutil.rmtree(venv)
    print(f"median: gpucfg {statistics.median(g_times):.1f} s, pip {statistics.median(p_times):.1f} s "
          f"(+import {statistics.median(pi_times):.1f} s), ratio {statistics.median(ratios):.2f}x "
          f"(goal <= 1.0x)")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
