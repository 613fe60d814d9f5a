"""The framework environment (python: section), offline: a local HTTP server holds small wheels
built here (tests/cli/pywheels.py), one standing in for TensorFlow that dlopens the stack's
libcudart/libcudnn by soname. Everything runs under --root with this computer's Python.
Covers: plan shows the locked hashes; apply builds the environment (venv, wheels, scripts,
bytecode, import check) and links it; a second plan is empty; verify --level framework runs in
it and says which cuDNN it mapped (and fails on a shadowing copy); a tampered wheel is refused
with both hashes; an update keeps the previous environment; a failed install leaves the old one
in place; rollback brings the old one back."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

import pywheels
from harness import check, expect, finish, gpucfg, serve

TMP = tempfile.mkdtemp(prefix="gpucfg-pyenv-")
HOUSE = os.path.join(TMP, "house")
os.makedirs(HOUSE)
V1 = [pywheels.fake_framework(HOUSE, "2.16.1"), pywheels.helper(HOUSE)]
V2 = [pywheels.fake_framework(HOUSE, "2.17.0"), V1[1]]
BROKEN = [pywheels.fake_framework(HOUSE, "2.17.1", broken=True), V1[1]]
R = os.path.join(TMP, "root")
STUB = os.path.join(R, "src/stub-cuda")  # a directory: source is a path on the machine
pywheels.stub_libraries(STUB)
with open(os.path.join(STUB, "version.json"), "w") as f:
    json.dump({"cuda": {"name": "CUDA SDK", "version": "13.0.2"},
               "cuda_cudart": {"name": "CUDA Runtime (cudart)", "version": "13.0.96"}}, f)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# A simple index (PEP 503) beside the files: /simple/<project>/ links to each wheel.
for w in V1 + V2 + BROKEN:
    project = os.path.basename(w).split("-")[0].replace("_", "-").lower()
    d = os.path.join(HOUSE, "simple", project)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "index.html"), "a") as f:
        f.write(f'<a href="../../{os.path.basename(w)}#sha256={sha(w)}">{os.path.basename(w)}</a>\n')


URL, SERVED = serve(HOUSE)

ENV = {"GPUCFG_CACHE_DIR": os.path.join(TMP, "cache"), "GPUCFG_RETRIES": "0",
       "GPUCFG_CONNECT_TIMEOUT": "2", "GPUCFG_CONFIG": "/nonexistent", "LD_LIBRARY_PATH": ""}
LINK = os.path.join(R, "opt/envs/fw")


def manifest(name, wheels, extra=""):
    lock = "".join(f"    - {{wheel: {os.path.basename(w)}, sha256: {sha(w)}}}\n" for w in wheels)
    path = os.path.join(TMP, name + ".yaml")
    with open(path, "w") as f:
        f.write(f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: fw}}
requires: {{python: ">=3.8"}}
cuda:
  version: "13.0"
  active: false
  components: [cudart]
  source: {{directory: /src/stub-cuda}}
loader: {{paths: [/usr/local/cuda-13.0/lib64]}}
python:
  env: /opt/envs/fw
  import: [tensorflow, fake_helper]
{extra}  lock:
{lock}verify: {{level: framework, framework: tensorflow}}
""")
    return path


M1 = manifest("v1", V1, f"  index: {URL}/simple\n")  # found through the index
M2 = manifest("v2", V2)                               # found on the mirror (GPUCFG_MIRROR)
MB = manifest("broken", BROKEN)
MIRROR = dict(ENV, GPUCFG_MIRROR=URL)


def env_python():
    return os.path.join(LINK, "bin/python")


def imported_version():
    r = subprocess.run([env_python(), "-I", "-c", "import tensorflow; print(tensorflow.__version__)"],
                       capture_output=True, text=True)
    return r.stdout.strip() or r.stderr


@check("plan names the environment, its interpreter and every locked wheel with its sha256")
def plan():
    r = gpucfg("plan", "--root", R, "--explain", M1, env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)
    expect(re.search(r"ok\s+python: \S+ \(Python 3\.\d+", r.out), r.out)
    for w in V1:
        expect(f"install {os.path.basename(w)} sha256:{sha(w)}" in r.out, r.out)
    doc = json.loads(gpucfg("plan", "--root", R, "--format", "json", M1, env=ENV, timeout=60).out)
    env = [a for a in doc["actions"] if a["op"] == "build-env"]
    expect(len(env) == 1 and len(env[0]["artifacts"]) == 2, doc["actions"])
    expect(re.search(r"/opt/envs/fw-[0-9a-f]{12}$", env[0]["path"]), env[0]["path"])
    try:
        import jsonschema
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "schemas", "plan.schema.json")) as f:
            jsonschema.validate(doc, json.load(f))
    except ImportError:
        print("skipped plan schema check: no python3-jsonschema")


@check("apply builds the environment from the index: imports, scripts, entry points, bytecode, RECORD")
def apply():
    r = gpucfg("apply", "--yes", "--no-verify", "--root", R, M1, env=ENV, timeout=180)
    expect(r.code == 0, r.out + r.err)
    expect(os.path.islink(LINK) and re.fullmatch(r"fw-[0-9a-f]{12}", os.readlink(LINK)),
           f"{LINK} is not a link to the environment folder")
    expect(imported_version() == "2.16.1", imported_version())
    out = subprocess.run([os.path.join(LINK, "bin/fake-helper")], capture_output=True, text=True)
    expect(out.stdout.strip() == "helper ok", out.stdout + out.stderr)
    out = subprocess.run([os.path.join(LINK, "bin/fake-helper-raw")], capture_output=True, text=True)
    expect(out.stdout.strip() == "raw ok", out.stdout + out.stderr)
    site = subprocess.run([env_python(), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True).stdout.strip()
    expect(os.path.exists(os.path.join(site, "fake_helper_extra.py")), "purelib data not placed")
    expect(os.listdir(os.path.join(site, "tensorflow", "__pycache__")), "no bytecode")
    with open(os.path.join(site, "fake_helper-1.0.dist-info", "RECORD")) as f:
        record = f.read()
    expect("../../../bin/fake-helper," in record and "fake_helper/__init__.py," in record, record)
    with open(os.path.join(site, "fake_helper-1.0.dist-info", "INSTALLER")) as f:
        expect(f.read() == "gpucfg\n", "INSTALLER")
    expect(any("/simple/tensorflow/" in p for p in SERVED), SERVED)
    with open(os.path.join(R, "etc/profile.d/gpucfg-fw.sh")) as f:
        expect("/opt/envs/fw/bin" in f.read(), "the profile does not activate the environment")


@check("a second plan changes nothing")
def second():
    r = gpucfg("plan", "--detailed-exitcode", "--root", R, M1, env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)


@check("verify --level framework runs in the environment and names the cuDNN it mapped")
def verify():
    r = gpucfg("verify", "--json", "--level", "framework", "--root", R, M1, env=ENV, timeout=120)
    doc = json.loads(r.out)
    by = {x["check"]: x for x in doc["results"] if x["level"] == "framework"}
    expect(by["tensorflow: import"]["outcome"] == "pass", by)
    expect(by["tensorflow: built with CUDA"]["outcome"] == "pass", by)
    expect(by["tensorflow: GPU visible"]["outcome"] == "not-run", by)
    mapped = by["tensorflow: cudnn mapped"]
    expect(mapped["outcome"] == "pass" and mapped["detail"].endswith("/usr/local/cuda-13.0/lib64/libcudnn.so.9.1.0"),
           mapped)


@check("a cuDNN the framework loads from elsewhere (LD_LIBRARY_PATH first) fails verify")
def shadow():
    other = os.path.join(TMP, "shadow")
    pywheels.stub_libraries(other)
    r = gpucfg("verify", "--json", "--level", "framework", "--root", R, M1,
               env=dict(ENV, LD_LIBRARY_PATH=os.path.join(other, "lib64")), timeout=120)
    by = {x["check"]: x for x in json.loads(r.out)["results"]}
    mapped = by["tensorflow: cudnn mapped"]
    expect(mapped["outcome"] == "fail" and "not the stack's" in mapped["detail"], mapped)
    expect(r.code == 3, f"exit {r.code}")  # k_verify_failed


@check("a tampered wheel is refused with both hashes and nothing changes")
def tampered():
    good = V2[0]
    keep = good + ".good"
    shutil.copy(good, keep)
    with open(good, "ab") as f:
        f.write(b"tampered")
    try:
        r = gpucfg("apply", "--yes", "--no-verify", "--root", R, M2,
                   env=dict(MIRROR, GPUCFG_CACHE_DIR=os.path.join(TMP, "cache2")), timeout=120)
    finally:
        shutil.move(keep, good)
    expect(r.code != 0, r.out + r.err)
    expect(sha(good) in r.err and "does not match the pinned" in r.err, r.err)
    expect(imported_version() == "2.16.1", imported_version())


@check("an update, reviewed as a saved plan, builds a new environment beside the old one")
def update():
    before = os.readlink(LINK)
    saved = os.path.join(TMP, "update.plan.json")
    r = gpucfg("plan", "--root", R, "--out", saved, M2, env=MIRROR, timeout=60)
    expect(r.code == 0, r.out + r.err)
    r = gpucfg("apply", "--yes", "--no-verify", "--root", R, saved, env=MIRROR, timeout=180)
    expect(r.code == 0, r.out + r.err)
    expect(imported_version() == "2.17.0", imported_version())
    expect(os.path.isdir(os.path.join(R, "opt/envs", before)), "the previous environment is gone")
    r = gpucfg("plan", "--detailed-exitcode", "--root", R, M2, env=MIRROR, timeout=60)
    expect(r.code == 0, "a second plan after the update is not empty:\n" + r.out)


@check("a failed install (the import check) leaves the current environment untouched")
def broken():
    before = os.readlink(LINK)
    folders = sorted(os.listdir(os.path.join(R, "opt/envs")))
    r = gpucfg("apply", "--yes", "--no-verify", "--root", R, MB, env=MIRROR, timeout=180)
    expect(r.code != 0 and "broken on purpose" in r.err and "undone" in r.err, r.out + r.err)
    expect(os.readlink(LINK) == before, "the link moved")
    expect(sorted(os.listdir(os.path.join(R, "opt/envs"))) == folders, os.listdir(os.path.join(R, "opt/envs")))
    expect(imported_version() == "2.17.0", imported_version())


@check("rollback brings the previous environment back; applying it again changes nothing")
def rollback():
    r = gpucfg("rollback", "--yes", "--root", R, env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)
    expect(imported_version() == "2.16.1", imported_version())
    r = gpucfg("plan", "--detailed-exitcode", "--root", R, M1, env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)


@check("drift in the installed toolkit and environment: shown by plan, repaired by apply")
def drift():
    tk = os.path.join(R, "usr/local/cuda-13.0/lib64")
    site = subprocess.run([env_python(), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True).stdout.strip()
    helper = os.path.join(site, "fake_helper", "__init__.py")

    def plan(*extra):
        return gpucfg("plan", "--detailed-exitcode", "--root", R, *extra, M1, env=ENV, timeout=60)

    expect(plan().code == 0, plan().out)
    # A deleted file and a retargeted link in the toolkit, a changed mode in the environment.
    os.remove(os.path.join(tk, "libcudart.so.13.0.96"))
    os.remove(os.path.join(tk, "libcudnn.so.9"))
    os.symlink("libcudart.so.13", os.path.join(tk, "libcudnn.so.9"))
    os.chmod(helper, 0o600)
    r = plan()
    expect(r.code == 2, r.out + r.err)
    expect("-lib64/libcudart.so.13.0.96" in r.out and "~lib64/libcudnn.so.9" in r.out, r.out)
    expect("fake_helper/__init__.py (mode)" in r.out, r.out)
    r = gpucfg("apply", "--yes", "--no-verify", "--root", R, M1, env=ENV, timeout=120)
    expect(r.code == 0, r.out + r.err)
    expect(os.path.exists(os.path.join(tk, "libcudart.so.13.0.96")), "not repaired")
    expect(os.readlink(os.path.join(tk, "libcudnn.so.9")) == "libcudnn.so.9.1.0", "link not repaired")
    expect(oct(os.stat(helper).st_mode & 0o777) == "0o644", oct(os.stat(helper).st_mode))
    expect(plan().code == 0, plan().out)
    # A same-size edit with the old mtime: only --checksum sees it.
    lib = os.path.join(tk, "libcudnn.so.9.1.0")
    st = os.stat(lib)
    with open(lib, "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 1]))
    os.utime(lib, ns=(st.st_atime_ns, st.st_mtime_ns))
    expect(plan().code == 0, "a same-size edit seen without --checksum?")
    r = plan("--checksum")
    expect(r.code == 2 and "~lib64/libcudnn.so.9.1.0" in r.out, r.out + r.err)
    expect(gpucfg("apply", "--yes", "--no-verify", "--root", R, M1, env=ENV, timeout=120).code == 0, "repair")
    # A file added by the user is kept and named; beside damage, the repair carries it into the
    # repaired tree, as the plan says.
    mine = os.path.join(tk, "my-notes.txt")
    with open(mine, "w") as f:
        f.write("mine\n")
    r = plan()
    expect(r.code == 0 and "my-notes.txt" in r.out, r.out)
    os.remove(os.path.join(tk, "libcudart.so.13.0.96"))
    r = plan()
    expect(r.code == 2 and "carried into the new tree: +lib64/my-notes.txt" in r.out, r.out + r.err)
    r = gpucfg("apply", "--yes", "--no-verify", "--root", R, M1, env=ENV, timeout=120)
    expect(r.code == 0 and "carried into the new tree: lib64/my-notes.txt" in r.out, r.out + r.err)
    expect(open(mine).read() == "mine\n" and os.path.exists(os.path.join(tk, "libcudart.so.13.0.96")),
           "the repair lost the user's file or did not repair")
    os.remove(mine)


@check("a kill at any step of an environment update is undone or finished by the next apply")
def killed():
    root = os.path.join(TMP, "killed")
    os.makedirs(root)
    # The stub toolkit comes from a directory under the root, as in the main root.
    shutil.copytree(os.path.join(R, "src"), os.path.join(root, "src"), symlinks=True)
    link = os.path.join(root, "opt/envs/fw")
    r = gpucfg("apply", "--yes", "--no-verify", "--root", root, M2, env=MIRROR, timeout=120)
    expect(r.code == 0, r.out + r.err)
    for k in range(1, 14):
        want = M1 if k % 2 else M2
        r = gpucfg("apply", "--yes", "--no-verify", "--root", root, want,
                   env=dict(ENV, GPUCFG_FAULT_STEP=str(k)), timeout=120)
        if r.code == 0:
            break  # past the last checkpoint: the apply finished
        r = gpucfg("apply", "--yes", "--no-verify", "--root", root, want, env=ENV, timeout=120)
        expect(r.code == 0, f"step {k}: " + r.out + r.err)
        folders = [d for d in os.listdir(os.path.join(root, "opt/envs")) if d != "fw"]
        for d in folders:
            expect(os.path.exists(os.path.join(root, "opt/envs", d, "gpucfg-env.json")),
                   f"step {k}: {d} is an unfinished environment")
        expect(len(folders) <= 2, f"step {k}: {folders}")
        expect(os.readlink(link) in folders, f"step {k}: the link points at {os.readlink(link)}")
    else:
        raise AssertionError("the apply never got past its checkpoints")


@check("no interpreter in requires.python: plan fails and says how to get one")
def no_python():
    path = manifest("old", V1)
    with open(path) as f:
        text = f.read().replace('python: ">=3.8"', 'python: "<=3.5"')
    with open(path, "w") as f:
        f.write(text)
    r = gpucfg("plan", "--root", R, path, env=ENV, timeout=60)
    expect(r.code == 1, r.out + r.err)
    expect("no Python" in r.out and "uv python install" in r.out, r.out)


finish()
