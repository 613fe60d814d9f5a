"""Locked source distributions (issue #25), offline: a project published as source only (built
here in the shape of termcolor 1.1.0: a setup.py, no wheel) locked by its sha256 with the real
setuptools and wheel wheels Debian ships (python3-setuptools-whl, python3-wheel-whl) as its
build requirements, all served from a local HTTP mirror. Apply builds it once into a wheel in an
environment of those two wheels alone, keeps the wheel in the store, installs it like any other;
a second root builds nothing and asks the mirror for nothing (--offline); a failing build and a
lock without build requirements change nothing."""
import glob
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile

from harness import check, expect, finish, gpucfg, serve

PYTHON = "/usr/bin/python3"
WHEELS = "/usr/share/python-wheels"
TOOLS = sorted(glob.glob(os.path.join(WHEELS, "setuptools-*.whl")) + glob.glob(os.path.join(WHEELS, "wheel-*.whl")))
if len(TOOLS) != 2 or not os.access(PYTHON, os.X_OK):
    print(f"skipped: needs {PYTHON} and Debian's setuptools and wheel wheels in {WHEELS} "
          "(scripts/setup.sh installs python3-setuptools-whl and python3-wheel-whl)")
    sys.exit(77)

TMP = tempfile.mkdtemp(prefix="gpucfg-sdist-")
MIRROR = os.path.join(TMP, "mirror")
os.makedirs(MIRROR)
for w in TOOLS:
    shutil.copy(w, MIRROR)
ENV = {"GPUCFG_CACHE_DIR": os.path.join(TMP, "cache"), "GPUCFG_RETRIES": "0"}


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def sdist(name, version, setup_body):
    """name-version.tar.gz with one folder inside, as `setup.py sdist` makes it."""
    path = os.path.join(MIRROR, f"{name}-{version}.tar.gz")
    files = {
        "setup.py": f"from setuptools import setup\n{setup_body}\n"
                    f"setup(name={name!r}, version={version!r}, py_modules=[{name.replace('-', '_')!r}])\n",
        f"{name.replace('-', '_')}.py": f"VERSION = {version!r}\n",
        "PKG-INFO": f"Metadata-Version: 1.1\nName: {name}\nVersion: {version}\n",
    }
    with tarfile.open(path, "w:gz") as t:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{rel}")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


GOOD = sdist("gpc-srconly", "1.1.0", "")
BAD = sdist("gpc-broken", "1.0", "raise SystemExit('this project cannot be built here')")
URL, SERVED = serve(MIRROR)


def manifest(name, src, build=True):
    b = "".join(f"        - {{wheel: {os.path.basename(w)}, sha256: {sha(w)}}}\n" for w in TOOLS)
    path = os.path.join(TMP, name + ".yaml")
    with open(path, "w") as f:
        f.write(f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: {name}}}
python:
  env: /opt/envs/{name}
  interpreter: {PYTHON}
  import: [{os.path.basename(src).split('-')[0]}_{os.path.basename(src).split('-')[1]}]
  index: {URL}
  lock:
    - sdist: {os.path.basename(src)}
      sha256: {sha(src)}
      url: {URL}/{os.path.basename(src)}
""" + ("      build:\n" + b if build else ""))
    return path


def root(name):
    r = os.path.join(TMP, name)
    os.makedirs(r)
    return r


def tree(r):
    return sorted(os.path.relpath(os.path.join(d, f), r) for d, _, fs in os.walk(r) for f in fs)


M = manifest("srconly", GOOD)
for w in TOOLS:  # the build wheels by URL on the mirror
    with open(M) as f:
        text = f.read()
    text = text.replace(f"{{wheel: {os.path.basename(w)},", f"{{wheel: {os.path.basename(w)}, url: {URL}/{os.path.basename(w)},")
    with open(M, "w") as f:
        f.write(text)


@check("plan says which project is built from its locked source, and with which wheels")
def _():
    r = gpucfg("plan", "--explain", "--root", root("plan"), M, env=ENV)
    expect(r.code == 0, r.out + r.err)
    expect("0 locked wheel(s), and gpc-srconly 1.1.0 built from its locked source" in r.out, r.out)
    expect(f"build gpc-srconly 1.1.0 from its locked source gpc-srconly-1.1.0.tar.gz sha256:{sha(GOOD)}" in r.out, r.out)
    for w in TOOLS:
        expect(f"with {os.path.basename(w)} sha256:{sha(w)}" in r.out and "not installed" in r.out, r.out)


@check("apply builds it once into a wheel, installs it, and keeps the wheel; a second plan is empty")
def _():
    r1 = root("first")
    r = gpucfg("apply", "--yes", "--root", r1, M, env=ENV, timeout=180)
    expect(r.code == 0, r.out + r.err)
    py = os.path.join(r1, "opt/envs/srconly/bin/python")
    import subprocess
    p = subprocess.run([py, "-c", "import gpc_srconly, setuptools"], capture_output=True, text=True)
    expect(p.returncode != 0 and "setuptools" in p.stderr, "the build requirements leaked into the environment: " + p.stderr)
    p = subprocess.run([py, "-c", "import gpc_srconly; print(gpc_srconly.VERSION)"], capture_output=True, text=True)
    expect(p.returncode == 0 and p.stdout.strip() == "1.1.0", p.stdout + p.stderr)
    built = glob.glob(os.path.join(ENV["GPUCFG_CACHE_DIR"], "built/*/wheel.json"))
    expect(len(built) == 1, built)
    rec = json.load(open(built[0]))
    expect(rec["file"] == "gpc_srconly-1.1.0-py3-none-any.whl" and rec["sdist_sha256"] == sha(GOOD), rec)
    r = gpucfg("plan", "--detailed-exitcode", "--root", r1, M, env=ENV)
    expect(r.code == 0, r.out + r.err)


@check("a second root, offline: the wheel built before is installed, nothing fetched or built")
def _():
    before = len(SERVED)
    r = gpucfg("apply", "--yes", "--offline", "--root", root("second"), M, env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)
    expect(len(SERVED) == before, SERVED[before:])
    expect(len(glob.glob(os.path.join(ENV["GPUCFG_CACHE_DIR"], "built/*/wheel.json"))) == 1, "built again")


@check("gc frees the built wheel (a cache) with the downloads; the roots still match; a new root "
       "fetches the sdist and builds it again")
def _():
    r = gpucfg("gc", "--root", os.path.join(TMP, "first"), env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)
    expect(not glob.glob(os.path.join(ENV["GPUCFG_CACHE_DIR"], "built/*")), "built/ kept")
    for name in ("first", "second"):
        r = gpucfg("plan", "--detailed-exitcode", "--root", os.path.join(TMP, name), M, env=ENV)
        expect(r.code == 0, r.out + r.err)
    before = len(SERVED)
    r = gpucfg("apply", "--yes", "--root", root("third"), M, env=ENV, timeout=180)
    expect(r.code == 0, r.out + r.err)
    expect(any(p.endswith(os.path.basename(GOOD)) for p in SERVED[before:]), SERVED[before:])
    expect(len(glob.glob(os.path.join(ENV["GPUCFG_CACHE_DIR"], "built/*/wheel.json"))) == 1, "not built again")


@check("a build that fails stops apply with the project's own words and leaves the root as it was")
def _():
    m = manifest("broken", BAD)
    with open(m) as f:
        text = f.read()
    for w in TOOLS:
        text = text.replace(f"{{wheel: {os.path.basename(w)},", f"{{wheel: {os.path.basename(w)}, url: {URL}/{os.path.basename(w)},")
    with open(m, "w") as f:
        f.write(text)
    r1 = root("broken")
    r = gpucfg("apply", "--yes", "--root", r1, m, env=ENV, timeout=120)
    expect(r.code != 0 and "building gpc-broken-1.0.tar.gz failed" in r.err
           and "this project cannot be built here" in r.err, r.out + r.err)
    expect(not os.path.exists(os.path.join(r1, "opt/envs")), tree(r1))


@check("an sdist without locked build requirements is refused at its line")
def _():
    m = manifest("nobuild", GOOD, build=False)
    r = gpucfg("validate", m, env=ENV)
    expect(r.code != 0 and "nobuild.yaml:10:" in r.err + r.out and "build requirements" in r.err + r.out,
           r.out + r.err)


finish()
