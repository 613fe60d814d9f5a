#!/usr/bin/env python3
"""Benchmark (issue 25): the seed's framework environment, tf-2.5's locked set for Python 3.9
(TensorFlow 2.5.0, its wheels and its two source-only dependencies, termcolor and wrapt), built
into a new root from a warm cache, against pip installing the same files with their hashes,
`import tensorflow` counted on both sides (gpucfg's apply runs it as its import check):

    gpucfg apply --yes --no-verify --root NEW env.yaml      (offline; wheels and built sdists in
                                                            the store from a first, untimed run)
    python3.9 -m venv V && V/bin/pip install --no-deps --require-hashes --no-index
        --find-links HOUSE -r locked.txt && V/bin/python -I -c "import tensorflow"
                                                            (pip's cache warm from a first run)

HOUSE holds the same files: the lock's wheels, its sdists and their locked build wheels (pip's
isolated builds find setuptools and wheel there). Interleaved rounds; the median of per-round
ratios is the figure. Issue 25's goal: <= 1.0x. Needs a CPython 3.9 (pyenv's, or
GPUCFG_BENCH_PY39=/path/to/python3.9); networked on the first run (~470 MB from the index).

    bench/seed_env.py [path/to/gpucfg] [rounds]
"""
import glob
import os
import shutil
import sys
import tempfile

import yaml

from timing import env_rounds, timed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cli", "gpucfg")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
WORK = os.environ.get("GPUCFG_BENCH_DIR", os.path.join(tempfile.gettempdir(), "gpucfg-bench-seed"))
TARGET = "linux-x86_64/3.9"


def python39():
    given = os.environ.get("GPUCFG_BENCH_PY39")
    found = [given] if given else sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9.*/bin/python3.9")))
    if not found or not os.path.exists(found[-1]):
        print("skipped: no CPython 3.9 (set GPUCFG_BENCH_PY39)")
        sys.exit(0)
    return found[-1]


def main():
    py = python39()
    os.makedirs(WORK, exist_ok=True)
    store = os.path.join(WORK, "store")
    with open(os.path.join(ROOT, "manifests", "tf-2.5.yaml")) as f:
        lock = [w for w in yaml.safe_load(f)["python"]["lock"] if TARGET in w.get("for", [])]
    manifest = os.path.join(WORK, "env.yaml")
    with open(manifest, "w") as f:
        yaml.safe_dump({"apiVersion": "gpucfg/v1", "kind": "Stack", "metadata": {"name": "seed-env"},
                        "python": {"env": "/opt/env", "interpreter": py, "import": ["tensorflow"],
                                   "lock": lock}}, f)
    env = dict(os.environ, GPUCFG_CACHE_DIR=store, GPUCFG_DATA_DIR=ROOT)
    print(f"filling the store if needed: {len(lock)} locked files for {TARGET}", flush=True)
    timed([BINARY, "fetch", manifest], env)
    offline = dict(env, GPUCFG_OFFLINE="1")
    first = os.path.join(WORK, "first")
    shutil.rmtree(first, ignore_errors=True)
    os.makedirs(first)
    timed([BINARY, "apply", "--yes", "--no-verify", "--root", first, manifest], offline)  # warms
    shutil.rmtree(first)

    # The same files for pip, by their names, and its requirements with their hashes.
    house = os.path.join(WORK, "house")
    shutil.rmtree(house, ignore_errors=True)
    os.makedirs(house)
    req = []
    for w in lock:
        name = w.get("wheel") or w["sdist"]
        for file, sha in [(name, w["sha256"])] + [(b["wheel"], b["sha256"]) for b in w.get("build", [])]:
            if not os.path.exists(os.path.join(house, file)):  # `wheel` is both kinds
                os.link(os.path.join(store, "artifacts", sha), os.path.join(house, file))
        project = name.split("-")[0]
        version = name.split("-")[1].removesuffix(".tar.gz")
        req.append(f"{project}=={version} --hash=sha256:{w['sha256']}")
    locked = os.path.join(WORK, "locked.txt")
    with open(locked, "w") as f:
        f.write("\n".join(req) + "\n")
    pip_cache = os.path.join(WORK, "pip-cache")

    def pip_install(venv):
        e = dict(os.environ, PIP_CACHE_DIR=pip_cache, PIP_DISABLE_PIP_VERSION_CHECK="1")
        t = timed([py, "-m", "venv", venv], e)
        t += timed([os.path.join(venv, "bin", "pip"), "install", "-q", "--no-deps", "--require-hashes",
                    "--no-index", "--find-links", house, "-r", locked], e)
        t += timed([os.path.join(venv, "bin", "python"), "-I", "-c", "import tensorflow"])
        return t

    warm = os.path.join(WORK, "pip-warm")
    shutil.rmtree(warm, ignore_errors=True)
    pip_install(warm)  # fills pip's cache
    shutil.rmtree(warm)
    size = sum(os.path.getsize(os.path.join(house, n)) for n in os.listdir(house))
    print(f"{len(lock)} locked files ({sum('sdist' in w for w in lock)} sdists), {size / 1e6:.0f} MB, "
          f"Python {TARGET} ({py}), {os.cpu_count()} cores", flush=True)
    env_rounds(ROUNDS, WORK,
               lambda root: timed([BINARY, "apply", "--yes", "--no-verify", "--root", root, manifest],
                                  offline),
               pip_install, "pip")

if __name__ == "__main__":
    main()
