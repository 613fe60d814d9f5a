#!/usr/bin/env python3
"""The seed, on Windows, with gpucfg.exe under Wine (scripts/windows-build.sh runs it after the
unit tests; `python3 tests/windows/acceptance.py build-win/cli/gpucfg.exe` alone).

Offline, from a local HTTP mirror (GPUCFG_MIRROR) holding test archives in NVIDIA's shapes (the
local installer: a PE stub and a 7-Zip archive of component folders; cuDNN's legacy .zip), with
tf-2.5's pins swapped for theirs, in a fresh Wine prefix:
apply places the toolkit in C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.2 with
cuDNN copied into it and cusolver64_10.dll made from cusolver64_11.dll, sets CUDA_PATH, PATH and
TF_XLA_FLAGS in the machine environment (read back with `wine reg query`); a second plan and
apply change nothing; facts reports the toolkit and cuDNN; why cudnn64_8.dll answers in DLL
search order; rollback puts files and registry back as they were.
"""
import atexit
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from harness import ROOT, check, expect, finish, serve  # noqa: E402
from nvshapes import make_exe, make_zip, pinned_copy, sha256_of  # noqa: E402

import cuda_headers  # noqa: E402  (beside this file)
from mingw_dll import build_dll  # noqa: E402

EXE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-win/cli/gpucfg.exe"))
TMP = tempfile.mkdtemp(prefix="gpucfg-wine-")
if not os.environ.get("GPUCFG_KEEP_WINE"):  # kept for a look after a failure when set
    atexit.register(shutil.rmtree, TMP, True)  # a Wine prefix is ~700 MB: never left behind
ENV = dict(os.environ, WINEPREFIX=os.path.join(TMP, "prefix"), WINEDEBUG="-all",
           GPUCFG_DATA_DIR=ROOT, GPUCFG_CACHE_DIR=os.path.join(TMP, "cache"))
KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment"
TK = os.path.join(TMP, "prefix", "drive_c", "Program Files", "NVIDIA GPU Computing Toolkit", "CUDA", "v11.2")


class Run:
    def __init__(self, p):
        self.code, self.out, self.err = p.returncode, p.stdout, p.stderr


def wine(*args, timeout=300, env=None):
    return Run(subprocess.run(["wine", *args], capture_output=True, text=True, env=env or ENV, timeout=timeout))


def gpucfg(*args, timeout=300):
    return wine(EXE, *args, timeout=timeout)


def reg(name):
    """A machine variable as `wine reg query` shows it: (type, value), or None when absent."""
    r = wine("reg", "query", KEY, "/v", name)
    m = re.search(rf"^\s*{re.escape(name)}\s+(REG_\w+)\s+(.*?)\s*$", r.out, re.M | re.I)
    return (m.group(1), m.group(2)) if m else None


def dll(name, source):
    """A real Windows DLL named `name`, so verify has something to load and link."""
    with open(build_dll(name, source, TMP), "rb") as f:
        return f.read()


EXPORT = "__declspec(dllexport) "
# Real headers (CUDA 11.8's, cuBLAS 11.11's, cuDNN 8.9.6's from NVIDIA's wheels), relabelled as
# the 11.2 and 8.1.0 they stand in for, so that verify's compute level builds the workloads
# against them as it would against the real stack.
HEADERS = cuda_headers.fetch(os.path.join(os.environ.get("GPUCFG_MINGW_CACHE", os.path.join(ROOT, ".mingw")),
                                          "cuda-headers"))


def header_tree(project, into, relabel=None):
    out = {}
    top = HEADERS[project]
    for d, _, files in os.walk(top):
        for f in files:
            if f.endswith(".py") or f.startswith("."):
                continue
            with open(os.path.join(d, f), "rb") as h:
                data = h.read()
            out[into + os.path.relpath(os.path.join(d, f), top).replace(os.sep, "/")] = \
                relabel(data) if relabel else data
    return out


def cudnn_8_1(data):
    """cuDNN 8.9.6's headers as 8.1.0's: every MINOR and PATCH define of every cudnn*.h."""
    data = re.sub(rb"(#define CUDNN_\w*MINOR)\s+9\b", rb"\1 1", data)
    return re.sub(rb"(#define CUDNN_\w*PATCH(?:LEVEL)?)\s+6\b", rb"\1 0", data)


RUNTIME_H = header_tree("nvidia-cuda-runtime-cu11", "cuda_cudart/cudart_dev/include/",
                        lambda b: b.replace(b"#define CUDART_VERSION  11080", b"#define CUDART_VERSION  11020"))
CUBLAS_H = header_tree("nvidia-cublas-cu11", "libcublas/cublas_dev/include/")
CRT_H = header_tree("nvidia-cuda-nvcc-cu11", "cuda_nvcc/nvcc/include/")
CUDNN_H = header_tree("nvidia-cudnn-cu11", "cuda/include/", cudnn_8_1)


def imports():
    """{DLL: the symbols the workloads import from it}: each workload compiled (not linked) by
    MinGW against the headers above, its undefined symbols read with nm."""
    inc = tempfile.mkdtemp(dir=TMP)
    for tree in (RUNTIME_H, CUBLAS_H, CRT_H, CUDNN_H):
        for name, data in tree.items():
            path = os.path.join(inc, name.split("/include/", 1)[1])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
    names = set()
    for k in ("device_query", "bandwidth", "gemm", "conv"):
        obj = os.path.join(inc, k + ".o")
        subprocess.run(["x86_64-w64-mingw32-g++", "-std=c++17", "-x", "c++", "-c", "-I" + inc,
                        os.path.join(ROOT, "kernels", k + ".cu"), "-o", obj], check=True)
        nm = subprocess.run(["x86_64-w64-mingw32-nm", "-u", obj], check=True, capture_output=True, text=True)
        names |= {line.split()[-1] for line in nm.stdout.splitlines() if line.strip()}
    out = {"cudart": [], "cublas": [], "cudnn": []}
    for n in sorted(names):
        owner = next((d for d in ("cudnn", "cublas") if n.startswith(d)), "cudart" if n.startswith("cuda") else None)
        if owner:
            out[owner].append(n)
    return out


IMPORTS = imports()


def stand_in(known, dll_):
    """A stand-in DLL's source: the functions the load level calls answer as the real library
    would on a machine without a GPU; every other symbol a workload imports exists (so the
    workloads link and load) and returns an error, since no run gets past the device check."""
    names = set(re.findall(r"(\w+)\(", known))
    return known + "".join(EXPORT + f"int {n}(void) {{ return 999; }}\n"
                           for n in IMPORTS[dll_] if n not in names)


# The installer's components as tf-2.5 lists them: the DLLs verify loads are real ones, built by
# MinGW-w64; the runtime reports 11.2, no driver and (as a real cudart without one) no device;
# cuDNN 8.1.0.
INSTALLER = {
    "cuda_nvcc/nvcc/bin/nvcc.exe": b"MZ nvcc",
    "cuda_cudart/cudart/bin/cudart64_110.dll": dll("cudart64_110.dll", stand_in(
        EXPORT + "int cudaRuntimeGetVersion(int* v) { *v = 11020; return 0; }\n" +
        EXPORT + "int cudaDriverGetVersion(int* v) { *v = 0; return 0; }\n" +
        EXPORT + "int cudaGetDeviceCount(int* n) { *n = 0; return 35; }\n" +
        EXPORT + "const char* cudaGetErrorString(int e) {"
                 " return \"CUDA driver version is insufficient for CUDA runtime version\"; }\n", "cudart")),
    "libcublas/cublas/bin/cublas64_11.dll": dll("cublas64_11.dll", stand_in(EXPORT + "int cublasCreate_v2(void* h) { return 0; }\n",
                                                         "cublas")),
    "libcufft/cufft_dev/include/cufft.h": b"// cuFFT",
    "libcurand/curand_dev/include/curand.h": b"// cuRAND",
    "libcusolver/cusolver_dev/include/cusolverDn.h": b"// cuSOLVER",
    "libcusparse/cusparse_dev/include/cusparse.h": b"// cuSPARSE",
    "cuda_cupti/cupti/extras/CUPTI/include/cupti.h": b"// CUPTI",
    "libcufft/cufft/bin/cufft64_10.dll": b"MZ cufft",
    "libcurand/curand/bin/curand64_10.dll": b"MZ curand",
    "libcusolver/cusolver/bin/cusolver64_11.dll": b"MZ cusolver 11",
    "libcusparse/cusparse/bin/cusparse64_11.dll": b"MZ cusparse",
    "cuda_cupti/cupti/extras/CUPTI/lib64/cupti64_2020.3.0.dll": b"MZ cupti",
    "cuda_nvcc/nvcc/version.json": b'{"cuda": {"name": "CUDA SDK", "version": "11.2.0"}}',
    "Display.Driver/nvlddmkm.sys": b"driver",
    "setup.cfg": b"setup",
    **RUNTIME_H, **CUBLAS_H, **CRT_H,
}
CUDNN_DATA = dict(CUDNN_H)
CUDNN_DATA["cuda/bin/cudnn64_8.dll"] = dll("cudnn64_8.dll", stand_in(
    EXPORT + "unsigned long long cudnnGetVersion(void) { return 8100; }\n", "cudnn"))
CUDNN = ("cuda/bin/cudnn64_8.dll", "cuda/bin/cudnn_ops_infer64_8.dll", "cuda/lib/x64/cudnn.lib",
         *sorted(CUDNN_H))
MIRROR = os.path.join(TMP, "mirror")
os.makedirs(MIRROR)
make_exe(os.path.join(MIRROR, "cuda_11.2.0_460.89_win10.exe"), INSTALLER)
make_zip(os.path.join(MIRROR, "cudnn-11.2-windows-x64-v8.1.0.77.zip"), CUDNN, CUDNN_DATA)
PINS = {f: sha256_of(os.path.join(MIRROR, f)) for f in os.listdir(MIRROR)}
URL, SERVED = serve(MIRROR)
ENV["GPUCFG_MIRROR"] = URL


def manifests():
    """tf-2.5 and its base with the Windows archives' pins swapped for the test files' own."""
    d = pinned_copy(("tf-2.5.yaml", "cuda-11.2.yaml"), PINS, os.path.join(TMP, "manifests"),
                    os.path.join(ROOT, "manifests"))
    return os.path.join(d, "tf-2.5.yaml")


M = manifests()
subprocess.run(["wineboot", "-i"], env=ENV, capture_output=True, timeout=300)
PATH_BEFORE = reg("PATH")
# The seed's machine had Visual Studio 2019 and a Python 3.9: their files, where they install.
DRIVE_C = os.path.join(TMP, "prefix", "drive_c")
for rel in ("Program Files (x86)/Microsoft Visual Studio/2019/Community/VC/Tools/MSVC/14.29.30133/"
            "bin/Hostx64/x64/cl.exe", "Python39/python.exe",
            # ...and Anaconda, which the seed installs: its base and one environment, each with
            # conda-meta's record of its python package.
            "ProgramData/Anaconda3/python.exe", "ProgramData/Anaconda3/conda-meta/python-3.9.7-h6244533_1.json",
            "ProgramData/Anaconda3/envs/tf/python.exe",
            "ProgramData/Anaconda3/envs/tf/conda-meta/python-3.8.10-h0744bd5_0.json"):
    os.makedirs(os.path.dirname(os.path.join(DRIVE_C, rel)), exist_ok=True)
    open(os.path.join(DRIVE_C, rel), "wb").close()


@check("apply installs the seed: toolkit from the installer, cuDNN from its zip, the alias, three variables")
def apply():
    r = gpucfg("apply", "--yes", "--no-verify", M)
    expect(r.code == 0, r.out + r.err)
    for rel in ("bin/nvcc.exe", "bin/cudart64_110.dll", "bin/cusolver64_11.dll", "bin/cudnn64_8.dll",
                "bin/cudnn_ops_infer64_8.dll", "include/cudnn.h", "lib/x64/cudnn.lib"):
        expect(os.path.isfile(os.path.join(TK, rel)), f"{rel} missing")
    alias = os.path.join(TK, "bin", "cusolver64_10.dll")
    expect(os.path.isfile(alias) and open(alias, "rb").read() == b"MZ cusolver 11", "cusolver64_10.dll")
    expect(not os.path.exists(os.path.join(TK, "Display.Driver")), "the driver was unpacked")
    want = r"C:\Program Files\NVIDIA GPU Computing Toolkit\CUDA\v11.2"
    expect(reg("CUDA_PATH") == ("REG_SZ", want), reg("CUDA_PATH"))
    expect(reg("TF_XLA_FLAGS") == ("REG_SZ", "--tf_xla_enable_xla_devices"), reg("TF_XLA_FLAGS"))
    path = reg("PATH")
    expect(path and path[0] == "REG_EXPAND_SZ" and
           path[1] == want + r"\bin;" + want + r"\libnvvp;" + PATH_BEFORE[1], (path, PATH_BEFORE))


@check("a second plan and apply change nothing")
def again():
    r = gpucfg("plan", "--detailed-exitcode", M)
    expect(r.code == 0, r.out + r.err)
    expect(re.search(r"ok\s+host compiler: msvc 2019 within ==2019", r.out), r.out)
    expect("files added" not in r.out, "the cusolver64_10.dll gpucfg placed counted as the user's")
    expect(re.search(r"ok\s+python: C:\\Python39\\python.exe is Python 3\.9", r.out), r.out)
    r = gpucfg("apply", "--yes", "--no-verify", M)
    expect(r.code == 0 and "No changes" in r.out, r.out + r.err)


@check("facts reports the toolkit and the cuDNN in it")
def facts():
    r = gpucfg("facts")
    print(r.out)
    expect(r.code == 0, r.err)
    doc = json.loads(gpucfg("facts", "--json").out)
    pythons = {p["path"]: p["version"] for p in doc.get("pythons", [])}
    expect(pythons.get(r"C:\ProgramData\Anaconda3\python.exe") == "3.9.7" and
           pythons.get(r"C:\ProgramData\Anaconda3\envs\tf\python.exe") == "3.8.10", pythons)
    expect(re.search(r"^toolkit\s+C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11\.2", r.out, re.M), r.out)
    expect(re.search(r"^cudnn\s+8\.1\.0 in C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11\.2\\bin", r.out, re.M), r.out)


@check("why cudnn64_8.dll answers in the DLL search order")
def why():
    r = gpucfg("why", "cudnn64_8.dll")
    print(r.out)
    expect(r.code == 0, r.out + r.err)
    expect(r"CUDA\v11.2\bin\cudnn64_8.dll" in r.out, r.out)


def verify_json(env=None):
    r = wine(EXE, "verify", "--json", "--fresh", "--level", "compute", M, env=env)
    doc = json.loads(r.out)
    print("\n".join(f"{x['outcome']:8} {x['level']}: {x['check']}: {x['detail']}" for x in doc["results"]))
    return r, doc, {x["check"]: x for x in doc["results"]}


@check("verify: static and load levels pass from the prefix (LoadLibrary, cudnnGetVersion); "
       "without a compiler the workloads are not-run, saying so")
def verify():
    r, doc, by = verify_json()
    for name in ("toolkit", "nvcc", "cudnn", "component cudart", "component cublas", "component cupti",
                 "load libcudart", "load libcublas"):
        expect(by.get(name, {}).get("outcome") == "pass", (name, by.get(name)))
    expect("cudnnGetVersion() = 8.1.0" in by["load libcudnn"]["detail"] and
           by["load libcudnn"]["outcome"] == "pass", by["load libcudnn"])
    expect(by["runtime vs driver"]["outcome"] == "not-run", by["runtime vs driver"])
    compute = [x for x in doc["results"] if x["level"] == "compute"]
    expect(compute and all(x["outcome"] == "not-run" and "no MinGW-w64 g++" in x["detail"] for x in compute),
           compute)
    expect(r.code == 4, f"exit {r.code}: a partial pass")


# A MinGW-w64 g++.exe on PATH (gxx_shim.c says what it is, and why) for the compute level.
SHIM = os.path.join(DRIVE_C, "mingw64", "bin", "g++.exe")
os.makedirs(os.path.dirname(SHIM))
subprocess.run(["x86_64-w64-mingw32-gcc", "-O1", "-o", SHIM, os.path.join(os.path.dirname(__file__), "gxx_shim.c")],
               check=True)


@check("verify --level compute: MinGW-w64's g++ on PATH builds every workload against the stack's headers "
       "and DLLs; each run says no CUDA device")
def compute():
    r, doc, by = verify_json(dict(ENV, WINEPATH=r"C:\mingw64\bin"))
    for k in ("device_query", "bandwidth", "gemm", "conv"):
        b = by.get("build " + k, {})
        expect(b.get("outcome") == "pass" and r"mingw64\bin\g++.exe" in b.get("detail", ""), b)
    runs = [x for x in doc["results"] if x["level"] == "compute" and not x["check"].startswith("build ")]
    expect(len(runs) >= 4 and all(x["outcome"] == "not-run" and x["detail"].startswith("no CUDA device")
                                  for x in runs), runs)
    for name in ("device query", "memory bandwidth", "cudnn conv fwd fp32", "cublas gemm fp32"):
        expect(any(x["check"].startswith(name) for x in runs), f"no result for {name}")
    # The binaries import the stack's DLLs by name (found along PATH, the stack's bin first).
    built = {os.path.basename(p): p for p in glob.glob(os.path.join(TMP, "cache", "verify", "*", "*.exe"))}
    for exe, dll_ in (("conv.exe", "cudnn64_8.dll"), ("gemm.exe", "cublas64_11.dll"),
                      ("device_query.exe", "cudart64_110.dll")):
        expect(exe in built, f"{exe} not in the cache: {sorted(built)}")
        dump = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", built[exe]], capture_output=True, text=True).stdout
        expect(f"DLL Name: {dll_}" in dump, f"{exe} does not import {dll_}")
    expect(r.code == 4, f"exit {r.code}: a partial pass")


@check("rollback puts the files, the folders and the registry back as they were")
def rollback():
    r = gpucfg("rollback", "--yes")
    expect(r.code == 0, r.out + r.err)
    expect(not os.path.exists(TK), f"{TK} is still there")
    # ...and the folders apply made to hold it (NVIDIA GPU Computing Toolkit\CUDA).
    expect(not os.path.exists(os.path.dirname(os.path.dirname(TK))), "the folders gpucfg made are still there")
    for name in ("CUDA_PATH", "TF_XLA_FLAGS"):
        expect(reg(name) is None, f"{name}: {reg(name)}")
    expect(reg("PATH") == PATH_BEFORE, (reg("PATH"), PATH_BEFORE))


finish()
