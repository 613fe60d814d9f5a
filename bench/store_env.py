#!/usr/bin/env python3
"""Benchmark (issue #24): tf-2.16's framework environment (its locked wheels for this Python:
tensorflow 2.16 and its dependencies, about 670 MB of wheels) built into a new root from a
warm store, against uv with its cache warm, `import tensorflow` counted on both sides:

    gpucfg apply --yes --no-verify --root NEW env.yaml          (offline; the store is warm)
    uv venv V && uv pip install --python V --no-deps --require-hashes --find-links WHEELHOUSE
        -r locked.txt && V/bin/python -I -c "import tensorflow"   (uv's cache is warm)

uv is installed from the package index into this benchmark's own venv. Both sides start from
nothing in the new root or venv; both caches were filled by a first, untimed run of each; gpucfg's
figure includes its import check (it runs `import tensorflow` in the new environment), so uv's has
the same import added. Interleaved rounds; the median of per-round ratios is the figure. The
cold store (wheels downloaded, not yet unpacked or compiled) is timed once, for the record.

    bench/store_env.py [path/to/gpucfg] [rounds]     # networked on the first run (~670 MB)

Issue #24's goal: <= 1.0x.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

from timing import env_rounds, timed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cli", "gpucfg")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
WORK = os.environ.get("GPUCFG_BENCH_DIR", os.path.join(tempfile.gettempdir(), "gpucfg-bench-store"))
PYTHON = "/usr/bin/python3"


def python_version():
    out = subprocess.run([PYTHON, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return out


def environment_manifest(path, target):
    """tf-2.16's python: section alone (no toolkit), built by Debian's interpreter."""
    with open(os.path.join(ROOT, "manifests", "tf-2.16.yaml")) as f:
        py = yaml.safe_load(f)["python"]
    lock = [w for w in py["lock"] if target in w.get("for", [])]
    if not lock:
        sys.exit(f"tf-2.16's lock has no wheels for {target}")
    with open(path, "w") as f:
        yaml.safe_dump({"apiVersion": "gpucfg/v1", "kind": "Stack", "metadata": {"name": "bench-env"},
                        "python": {"env": "/opt/env", "interpreter": PYTHON, "import": ["tensorflow"],
                                   "lock": lock}}, f)
    return lock


def uv_binary():
    venv = os.path.join(WORK, "uv-venv")
    uv = os.path.join(venv, "bin", "uv")
    if not os.path.exists(uv):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "uv"], check=True)
    return uv


def wheelhouse(store, lock):
    out = os.path.join(WORK, "wheelhouse")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    req = []
    for w in lock:
        os.link(os.path.join(store, "artifacts", w["sha256"]), os.path.join(out, w["wheel"]))
        name, version = w["wheel"].split("-")[:2]
        req.append(f"{name}=={version} --hash=sha256:{w['sha256']}")
    locked = os.path.join(WORK, "locked.txt")
    with open(locked, "w") as f:
        f.write("\n".join(req) + "\n")
    return out, locked


def main():
    os.makedirs(WORK, exist_ok=True)
    store = os.path.join(WORK, "store")
    uv_cache = os.path.join(WORK, "uv-cache")
    target = f"linux-x86_64/{python_version()}"
    manifest = os.path.join(WORK, "env.yaml")
    lock = environment_manifest(manifest, target)
    env = dict(os.environ, GPUCFG_CACHE_DIR=store, GPUCFG_DATA_DIR=ROOT)
    uv = uv_binary()
    # The first run downloads the wheels (once); the cold store is then timed: wheels in the
    # store, none unpacked or compiled yet.
    first = os.path.join(WORK, "fill")
    shutil.rmtree(first, ignore_errors=True)
    os.makedirs(first)
    print(f"filling the store if needed: {len(lock)} wheels for {target}", flush=True)
    timed([BINARY, "fetch", manifest], env)
    shutil.rmtree(os.path.join(store, "trees"), ignore_errors=True)
    offline = dict(env, GPUCFG_OFFLINE="1")
    cold = timed([BINARY, "apply", "--yes", "--no-verify", "--root", first, manifest], offline)
    shutil.rmtree(first)
    house, locked = wheelhouse(store, lock)
    size = sum(os.path.getsize(os.path.join(house, n)) for n in os.listdir(house))
    print(f"{len(lock)} wheels, {size / 1e6:.0f} MB, Python {target}, {os.cpu_count()} cores; "
          f"gpucfg from a cold store: {cold:.1f} s", flush=True)

    def uv_install(venv):
        t = timed([uv, "venv", "-q", "--python", PYTHON, venv], dict(os.environ, UV_CACHE_DIR=uv_cache))
        t += timed([uv, "pip", "install", "-q", "--python", os.path.join(venv, "bin", "python"), "--no-deps",
                    "--require-hashes", "--offline", "--no-index", "--find-links", house, "-r", locked],
                   dict(os.environ, UV_CACHE_DIR=uv_cache))
        t += timed([os.path.join(venv, "bin", "python"), "-I", "-c", "import tensorflow"])
        return t

    warm_venv = os.path.join(WORK, "uv-warm")
    shutil.rmtree(warm_venv, ignore_errors=True)
    uv_install(warm_venv)  # fills uv's cache
    shutil.rmtree(warm_venv)
    env_rounds(ROUNDS, WORK,
               lambda root: timed([BINARY, "apply", "--yes", "--no-verify", "--root", root, manifest],
                                  offline),
               uv_install, "uv")
    print(f"cold store {cold:.1f} s")

if __name__ == "__main__":
    main()
