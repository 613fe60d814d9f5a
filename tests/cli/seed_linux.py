"""The seed on Linux, whole (issue 25's acceptance; networked, not part of ctest):

    GPUCFG_DATA_DIR=$PWD python3 tests/cli/seed_linux.py build/cli/gpucfg

`gpucfg apply --root R manifests/tf-2.5.yaml` with the toolkit and cuDNN from a local mirror of
archives in NVIDIA's shapes (the catalogue test's: CUDA 11.2's makeself runfile, cuDNN 8.1's
legacy .tgz; NVIDIA's site is not reachable here, so their contents are small stand-ins) and
the framework environment from the real wheels and sdists on the package index (about 470 MB).
Then: TensorFlow 2.5.0 imports in the environment and says it was built with CUDA; verify's
framework level passes what can pass without a GPU and says why for the rest; a second plan is
empty. Needs a CPython 3.7-3.9 that facts finds (pyenv's, or python3.9 on PATH)."""
import json
import os
import subprocess
import tempfile

from harness import check, expect, finish, gpucfg, serve, ROOT
from nvshapes import make_cudnn_tgz, make_runfile, pinned_copy, sha256_of

TMP = tempfile.mkdtemp(prefix="gpucfg-seed-")
MIRROR = os.path.join(TMP, "served")
os.makedirs(MIRROR)
FILES = {"cuda_11.2.0_460.27.04_linux.run": make_runfile,
         "cudnn-11.2-linux-x64-v8.1.0.77.tgz": make_cudnn_tgz}
for name, make in FILES.items():
    make(os.path.join(MIRROR, name), TMP)
PINS = {name: sha256_of(os.path.join(MIRROR, name)) for name in FILES}
URL, _ = serve(MIRROR)
M = os.path.join(pinned_copy(("tf-2.5.yaml", "cuda-11.2.yaml"), PINS, os.path.join(TMP, "m"),
                             os.path.join(ROOT, "manifests"), python=True), "tf-2.5.yaml")
R = os.path.join(TMP, "root")
os.makedirs(R)
ENV = {"GPUCFG_CACHE_DIR": os.path.join(TMP, "cache"), "GPUCFG_MIRROR": URL,
       "GPUCFG_CONFIG": "/nonexistent"}


def environment():
    """The environment's folder, as the machine's record names it."""
    with open(os.path.join(R, "var/lib/gpucfg/current.json")) as f:
        state = json.load(f)
    envs = [e["path"] for e in state["entries"]
            if e["resource"] == "python-env" and e["kind"] == "tree"]
    expect(len(envs) == 1, f"environments recorded: {envs}")
    return R + envs[0]


@check("apply: the toolkit and cuDNN from the NVIDIA-shaped mirror, TensorFlow 2.5.0's environment "
       "from the package index, sdists built")
def apply():
    r = gpucfg("apply", "--yes", "--no-verify", "--root", R, M, env=ENV, timeout=1200)
    expect(r.code == 0, r.out + r.err)
    expect("built from" in r.out, r.out)
    print(f"  apply took {r.seconds:.1f} s")


@check("TensorFlow 2.5.0 imports in the environment and was built with CUDA")
def imports():
    python = os.path.join(environment(), "bin", "python")
    code = ("import tensorflow as tf, termcolor, wrapt; info = tf.sysconfig.get_build_info(); "
            "print(tf.__version__, tf.test.is_built_with_cuda(), info['cuda_version'], "
            "info['cudnn_version'])")
    p = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, timeout=300)
    expect(p.returncode == 0, p.stderr[-2000:])
    words = p.stdout.split()
    expect(words[:2] == ["2.5.0", "True"], p.stdout)
    print(f"  tensorflow {' '.join(words)}")


@check("verify --level framework: what can pass without a GPU passes, the rest says why")
def verify():
    r = gpucfg("verify", "--level", "framework", "--json", "--root", R, M, env=ENV, timeout=900)
    expect(r.code in (0, 4), f"exit {r.code}: {r.out[-3000:]} {r.err[-2000:]}")
    report = json.loads(r.out)
    results = report["results"]
    expect(not report["failed"], [c for c in results if c["outcome"] == "fail"])
    passed = {c["check"] for c in results if c["outcome"] == "pass"}
    for want in ("tensorflow: import", "tensorflow: built with CUDA"):
        expect(want in passed, f"{want} did not pass")
    for c in results:
        expect(c["outcome"] == "pass" or c["detail"], f"a check that did not run says nothing: {c}")
        print(f"  {c['outcome']:8} {c['level']:9} {c['check']}: {c['detail']}"[:150])


@check("a second plan is empty")
def second():
    r = gpucfg("plan", "--detailed-exitcode", "--root", R, M, env=ENV, timeout=300)
    expect(r.code == 0, r.out + r.err)


finish()
