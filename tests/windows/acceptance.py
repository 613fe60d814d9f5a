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

EXE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-win/cli/gpucfg.exe"))
TMP = tempfile.mkdtemp(prefix="gpucfg-wine-")
atexit.register(shutil.rmtree, TMP, True)  # a Wine prefix is ~700 MB: never left behind
ENV = dict(os.environ, WINEPREFIX=os.path.join(TMP, "prefix"), WINEDEBUG="-all",
           GPUCFG_DATA_DIR=ROOT, GPUCFG_CACHE_DIR=os.path.join(TMP, "cache"))
KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment"
TK = os.path.join(TMP, "prefix", "drive_c", "Program Files", "NVIDIA GPU Computing Toolkit", "CUDA", "v11.2")


class Run:
    def __init__(self, p):
        self.code, self.out, self.err = p.returncode, p.stdout, p.stderr


def wine(*args, timeout=300):
    return Run(subprocess.run(["wine", *args], capture_output=True, text=True, env=ENV, timeout=timeout))


def gpucfg(*args, timeout=300):
    return wine(EXE, *args, timeout=timeout)


def reg(name):
    """A machine variable as `wine reg query` shows it: (type, value), or None when absent."""
    r = wine("reg", "query", KEY, "/v", name)
    m = re.search(rf"^\s*{re.escape(name)}\s+(REG_\w+)\s+(.*?)\s*$", r.out, re.M | re.I)
    return (m.group(1), m.group(2)) if m else None


def dll(source):
    """A real Windows DLL, built by MinGW-w64, so verify's load level has something to load."""
    d = tempfile.mkdtemp(dir=TMP)
    with open(os.path.join(d, "x.c"), "w") as f:
        f.write(source)
    subprocess.run(["x86_64-w64-mingw32-gcc", "-shared", "-O1", "-o", os.path.join(d, "x.dll"),
                    os.path.join(d, "x.c")], check=True, capture_output=True)
    with open(os.path.join(d, "x.dll"), "rb") as f:
        return f.read()


EXPORT = "__declspec(dllexport) "
# The installer's components as tf-2.5 lists them: the DLLs verify loads are real ones; cuDNN's
# reports 8.1.0, the runtime 11.2 and no driver (none under Wine).
INSTALLER = {
    "cuda_nvcc/nvcc/bin/nvcc.exe": b"MZ nvcc",
    "cuda_cudart/cudart/bin/cudart64_110.dll": dll(
        EXPORT + "int cudaRuntimeGetVersion(int* v) { *v = 11020; return 0; }\n" +
        EXPORT + "int cudaDriverGetVersion(int* v) { *v = 0; return 0; }\n"),
    "cuda_cudart/cudart_dev/include/cuda_runtime_api.h": b"#define CUDART_VERSION 11020\n",
    "libcublas/cublas/bin/cublas64_11.dll": dll(EXPORT + "int cublasCreate_v2(void* h) { return 0; }\n"),
    "libcublas/cublas_dev/include/cublas_v2.h": b"// cuBLAS",
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
}
CUDNN = ("cuda/bin/cudnn64_8.dll", "cuda/bin/cudnn_ops_infer64_8.dll", "cuda/include/cudnn.h",
         "cuda/include/cudnn_version.h", "cuda/lib/x64/cudnn.lib")
CUDNN_DATA = {"cuda/include/cudnn_version.h":
              b"#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 1\n#define CUDNN_PATCHLEVEL 0\n"}

CUDNN_DATA["cuda/bin/cudnn64_8.dll"] = dll(EXPORT + "unsigned long long cudnnGetVersion(void) { return 8100; }\n")
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
            "bin/Hostx64/x64/cl.exe", "Python39/python.exe"):
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
    expect(re.search(r"^toolkit\s+C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11\.2", r.out, re.M), r.out)
    expect(re.search(r"^cudnn\s+8\.1\.0 in C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11\.2\\bin", r.out, re.M), r.out)


@check("why cudnn64_8.dll answers in the DLL search order")
def why():
    r = gpucfg("why", "cudnn64_8.dll")
    print(r.out)
    expect(r.code == 0, r.out + r.err)
    expect(r"CUDA\v11.2\bin\cudnn64_8.dll" in r.out, r.out)


@check("verify: static and load levels pass from the prefix (LoadLibrary, cudnnGetVersion); what cannot run is not-run")
def verify():
    r = gpucfg("verify", "--json", "--level", "compute", M)
    doc = json.loads(r.out)
    by = {x["check"]: x for x in doc["results"]}
    print("\n".join(f"{x['outcome']:8} {x['level']}: {x['check']}: {x['detail']}" for x in doc["results"]))
    for name in ("toolkit", "nvcc", "cudnn", "component cudart", "component cublas", "component cupti",
                 "load libcudart", "load libcublas"):
        expect(by.get(name, {}).get("outcome") == "pass", (name, by.get(name)))
    expect("cudnnGetVersion() = 8.1.0" in by["load libcudnn"]["detail"] and
           by["load libcudnn"]["outcome"] == "pass", by["load libcudnn"])
    expect(by["runtime vs driver"]["outcome"] == "not-run", by["runtime vs driver"])
    expect(all(x["outcome"] == "not-run" for x in doc["results"] if x["level"] == "compute"), doc)
    expect(r.code == 4, f"exit {r.code}: a partial pass")


@check("rollback puts the files and the registry back as they were")
def rollback():
    r = gpucfg("rollback", "--yes")
    expect(r.code == 0, r.out + r.err)
    expect(not os.path.exists(TK), f"{TK} is still there")
    for name in ("CUDA_PATH", "TF_XLA_FLAGS"):
        expect(reg(name) is None, f"{name}: {reg(name)}")
    expect(reg("PATH") == PATH_BEFORE, (reg("PATH"), PATH_BEFORE))


finish()
