"""verify reports what is so: under --root it builds against the root's stack (a stand-in nvcc
logs its flags), checks the components the manifest lists and nothing more, fails a dangling
library link, rebuilds when the stack's headers change or with --fresh, says not-run where no
driver answered, and loads libraries in a child process (a library that aborts its loader, or a
cuDNN without cudnnGetVersion, is a failed check, not a dead gpucfg)."""
import json
import os
import subprocess
import tempfile

from fakemachine import Machine
from harness import check, expect, finish, gpucfg

NVCC = r'''#!/bin/sh
# A stand-in nvcc: logs its arguments; the "binary" it writes reports no CUDA device.
echo "$@" >> "$(dirname "$0")/../nvcc.log"
case "$1" in --version) echo "Cuda compilation tools, release 12.3, V12.3.107"; exit 0;; esac
out=""; prev=""
for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
printf '#!/bin/sh\necho RESULT "{\\"check\\": \\"stand-in\\", \\"outcome\\": \\"not-run\\", \\"detail\\": \\"no CUDA device\\"}"\n' > "$out"
chmod +x "$out"
'''


def stack(components="[cudart, nvcc, cublas]", cudnn=True):
    """A CUDA 12.3 toolkit (stand-in nvcc) and a cuDNN 9 in its own prefix, inside a root."""
    m = Machine()
    t = "/usr/local/cuda-12.3"
    m.write(t + "/version.json", '{"cuda": {"name": "CUDA SDK", "version": "12.3.2"}}')
    m.write(t + "/bin/nvcc", NVCC, 0o755)
    m.write(t + "/include/cuda_runtime_api.h", "#define CUDART_VERSION 12030\n")
    m.write(t + "/include/cublas_v2.h", "\n")
    m.library(t + "/lib64", "libcudart.so.12.3.101", "libcudart.so.12")
    m.library(t + "/lib64", "libcublas.so.12.3.4.1", "libcublas.so.12")
    d = "/opt/cudnn-9"
    m.cudnn_header(d + "/include", "9.1.0")
    m.library(d + "/lib", "libcudnn.so.9.1.0", "libcudnn.so.9")
    mf = m.manifest("v", "apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: v}\n"
                         f"cuda: {{version: '12.3', components: {components}, source: {{adopt: true}}}}\n" +
                         ("cudnn: {version: 9.1.0, prefix: /opt/cudnn-9, source: {adopt: true}}\n" if cudnn else ""))
    cache = tempfile.mkdtemp(prefix="gpucfg-verify-truth-")
    return m, mf, dict(m.env(), GPUCFG_CACHE_DIR=cache)


def verify(m, mf, env, *args):
    r = gpucfg("verify", "--json", "--root", m.root, *args, mf, env=env, exact_env=True, timeout=120)
    return r, {x["check"]: x for x in json.loads(r.out)["results"]}


def nvcc_log(m):
    path = m.path("/usr/local/cuda-12.3/nvcc.log")
    return open(path).read().splitlines() if os.path.exists(path) else []


@check("verify --root builds against the root's stack: every -I, -L and run path lies inside the root")
def _():
    m, mf, env = stack()
    r, by = verify(m, mf, env, "--level", "compute")
    builds = [line for line in nvcc_log(m) if " -o " in line]
    expect(len(builds) == 4, builds)
    for line in builds:
        for arg in line.split():
            for flag in ("-I", "-L", "-rpath="):
                if arg.startswith(flag):
                    expect(arg[len(flag):].startswith(m.root), f"{arg} is outside the root: {line}")
    # The builds run side by side, so the log's order is not theirs: each is found by its source.
    by_source = {os.path.basename(a): line for line in builds for a in line.split() if a.endswith(".cu")}
    conv, query = by_source.get("conv.cu", ""), by_source.get("device_query.cu", "")
    expect("-I" + m.path("/opt/cudnn-9/include") in conv and "-lcudnn" in conv, conv)
    expect(query and "-lcudnn" not in query and "-lcublas" not in query, "device query links only what it uses")
    compute = [x for x in by.values() if x["level"] == "compute" and not x["check"].startswith("build ")]
    expect(compute and all(x["outcome"] == "not-run" for x in compute), compute)
    expect(r.code == 4, f"exit {r.code}: nothing failed, the rest could not run")


@check("components: what the manifest lists is checked, nothing more is demanded")
def _():
    m, mf, env = stack("[cudart, nvcc, cufft]", cudnn=False)
    r, by = verify(m, mf, env, "--level", "compute")
    expect(by["component cufft"]["outcome"] == "fail" and "include/cufft.h" in by["component cufft"]["detail"],
           by.get("component cufft"))
    expect("component cublas" not in by and by["cublas gemm"]["outcome"] == "not-run", sorted(by))
    expect(by["cudnn conv"]["outcome"] == "not-run" and "load libcudnn" not in by, sorted(by))


@check("plan says when the source cannot deliver a listed component: an adopted toolkit without it, a cu12 nvcc wheel")
def _():
    m, mf, env = stack("[cudart, nvcc, cublas, cufft]", cudnn=False)
    r = gpucfg("plan", "--root", m.root, mf, env=env, exact_env=True)
    expect(r.code == 1 and "cuda.components lists cufft, but the adopted toolkit at /usr/local/cuda-12.3 has only"
           in r.out, r.out)
    wheels = os.path.join(m.root, "..", "wheels.yaml")
    with open(wheels, "w") as f:
        f.write("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: w}\n"
                "cuda:\n  version: '12.3'\n  prefix: /opt/cuda-12.3\n  components: [cudart, nvcc]\n"
                "  source:\n    wheels:\n"
                "      - {package: nvidia-cuda-nvcc-cu12==12.3.107, sha256: " + "a" * 64 + "}\n"
                "      - {package: nvidia-cuda-runtime-cu12==12.3.101, sha256: " + "b" * 64 + "}\n")
    r = gpucfg("plan", "--offline", "--root", m.root, wheels, env=env, exact_env=True)
    expect("cuda.components lists nvcc, but the wheels deliver only cudart (NVIDIA's nvcc wheels before "
           "CUDA 13 carry ptxas, not nvcc)" in r.out, r.out + r.err)


@check("a library soname that is a dangling link fails its component")
def _():
    m, mf, env = stack()
    lib = m.path("/usr/local/cuda-12.3/lib64")
    os.remove(os.path.join(lib, "libcudart.so.12.3.101"))
    r, by = verify(m, mf, env, "--level", "static")
    c = by["component cudart"]
    expect(c["outcome"] == "fail" and "a link to nothing" in c["detail"], c)


@check("the build cache: a changed header of the stack rebuilds, and so does --fresh")
def _():
    m, mf, env = stack()
    verify(m, mf, env, "--level", "compute")
    n = len(nvcc_log(m))
    verify(m, mf, env, "--level", "compute")
    expect(len(nvcc_log(m)) == n, "an unchanged stack was rebuilt")
    with open(m.path("/opt/cudnn-9/include/cudnn_version.h"), "a") as f:
        f.write("#error the stack is broken\n")
    verify(m, mf, env, "--level", "compute")
    expect(len(nvcc_log(m)) > n, "a changed header did not rebuild")
    n = len(nvcc_log(m))
    verify(m, mf, env, "--level", "compute", "--fresh")
    expect(len(nvcc_log(m)) >= n + 4, "--fresh did not rebuild")


def stub(folder, soname, real, code):
    os.makedirs(folder, exist_ok=True)
    src = os.path.join(folder, "stub.c")
    with open(src, "w") as f:
        f.write(code)
    subprocess.run(["cc", "-shared", "-fPIC", f"-Wl,-soname,{soname}", "-o", os.path.join(folder, real), src],
                   check=True)
    os.symlink(real, os.path.join(folder, soname))
    os.remove(src)


@check("load runs in a child process: an aborting library and a cuDNN without cudnnGetVersion fail, gpucfg reports")
def _():
    base = tempfile.mkdtemp(prefix="gpucfg-load-")
    tk = os.path.join(base, "cuda")
    with open(os.path.join(base, "m.yaml"), "w") as f:
        f.write(f"apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {{name: l}}\n"
                f"cuda: {{version: '12.3', prefix: {tk}, components: [cudart], source: {{adopt: true}}}}\n"
                f"cudnn: {{version: 9.1.0, prefix: {base}/cudnn, source: {{adopt: true}}}}\n")
    stub(tk + "/lib64", "libcudart.so.12", "libcudart.so.12.3.101",
         "int cudaRuntimeGetVersion(int* v) { *v = 12030; return 0; }\n"
         "int cudaDriverGetVersion(int* v) { *v = 0; return 0; }\n")
    stub(base + "/cudnn/lib", "libcudnn.so.9", "libcudnn.so.9.1.0", "int not_cudnn(void) { return 0; }\n")
    r = gpucfg("verify", "--json", "--level", "load", os.path.join(base, "m.yaml"))
    by = {x["check"]: x for x in json.loads(r.out)["results"]}
    expect(by["load libcudart"]["outcome"] == "pass", by["load libcudart"])
    expect(by["runtime vs driver"]["outcome"] == "not-run", by["runtime vs driver"])
    expect(by["load libcudnn"]["outcome"] == "fail" and "no cudnnGetVersion" in by["load libcudnn"]["detail"],
           by["load libcudnn"])
    # A cuDNN whose loading aborts (as a sub-library missing a symbol does): a failed check.
    lib = base + "/cudnn/lib"
    for f in os.listdir(lib):
        os.remove(os.path.join(lib, f))
    stub(lib, "libcudnn.so.9", "libcudnn.so.9.1.0",
         "#include <stdlib.h>\n__attribute__((constructor)) static void die(void) { abort(); }\n"
         "unsigned long cudnnGetVersion(void) { return 90100; }\n")
    r = gpucfg("verify", "--json", "--level", "load", os.path.join(base, "m.yaml"))
    expect(r.code == 3, f"exit {r.code}: {r.err}")
    by = {x["check"]: x for x in json.loads(r.out)["results"]}
    expect(by["load libcudnn"]["outcome"] == "fail" and "killed the process" in by["load libcudnn"]["detail"],
           by["load libcudnn"])


@check("a framework-only manifest: no toolkit row at level framework, a not-run one with the reason below it")
def _():
    m = Machine()
    mf = m.manifest("fw", "apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: fw}\n"
                          "framework: {name: pytorch, version: '2.11'}\n"
                          "python: {env: /opt/venv, adopt: true}\n")
    r, by = verify(m, mf, m.env(), "--level", "framework")
    expect("toolkit" not in by, by.get("toolkit"))
    expect(any(x.startswith("pytorch") for x in by), by)
    r, by = verify(m, mf, m.env(), "--level", "static")
    expect(by["toolkit"]["outcome"] == "not-run" and "level framework" in by["toolkit"]["detail"], by)
    expect(r.code == 4, f"exit {r.code}")
    # Nothing to check at all is not a pass: an env-only manifest at level framework.
    mf = m.manifest("envonly", "apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: e}\nenv: {A: b}\n")
    r, by = verify(m, mf, m.env(), "--level", "framework")
    expect(by.get("framework", {}).get("outcome") == "not-run" and r.code == 4, (r.code, by))


finish()
