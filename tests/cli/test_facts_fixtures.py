"""`gpucfg facts --root` on fake machines built from real layouts: a CUDA 10.0 + cuDNN 7.6 tree,
a CUDA 11.2 + cuDNN 8.1 tree (and one with mixed cuDNN sub-libraries), and a machine with two
cuDNN copies where the wrong one wins through LD_LIBRARY_PATH."""
import json
import os

from fakemachine import Machine
from harness import check, expect, finish, gpucfg

IS_ROOT = os.geteuid() == 0


def facts(m, **env):
    r = gpucfg("facts", "--json", "--root", m.root, env=m.env(**env), exact_env=True)
    expect(r.code == 0, r.err)
    return json.loads(r.out)


def ldconfig(m):
    ok = m.ldconfig()
    if not ok and not IS_ROOT:
        print("skipped ld.so.cache checks: `ldconfig -r` needs root")
    expect(ok or not IS_ROOT, "ldconfig -r failed while running as root")
    return ok


def cuda_10_0():
    m = Machine()
    m.write("/etc/os-release", 'ID=ubuntu\nVERSION_ID="18.04"\n')
    m.fixture("driver-proprietary.txt", "/proc/driver/nvidia/version")
    t = "/usr/local/cuda-10.0"
    m.fixture("version-10.0.txt", t + "/version.txt")
    # An nvcc that leaves a mark if run: version.txt must be enough.
    m.write(t + "/bin/nvcc", f"#!/bin/sh\ntouch {m.root}/nvcc-was-run\necho 'release 10.0, V10.0.130'\n", 0o755)
    m.write(t + "/include/cuda_runtime_api.h", "#define CUDART_VERSION 10000\n")
    m.library(t + "/lib64", "libcudart.so.10.0.130", "libcudart.so.10.0", dev_link=True)
    m.fixture("cudnn-7.6.h", t + "/include/cudnn.h")
    m.library(t + "/lib64", "libcudnn.so.7.6.5", "libcudnn.so.7", dev_link=True)
    m.link("/usr/local/cuda", "cuda-10.0")
    m.ld_conf.append(t + "/lib64")
    return m


@check("CUDA 10.0 + cuDNN 7.6: version.txt, cudnn.h, the proprietary driver file")
def _():
    m = cuda_10_0()
    has_cache = ldconfig(m)
    f = facts(m, PATH="/usr/local/cuda/bin:/usr/bin")
    expect(f["root"] == m.root, f["root"])
    expect(f["platform"]["distro"] == "ubuntu" and f["platform"]["distro_version"] == "18.04", f["platform"])
    d = f["driver"]
    expect(d["present"] and d["version"] == "535.104.05" and d["kernel_module"] == "proprietary", d)
    expect(d["evidence"] == "file:/proc/driver/nvidia/version", d)
    (t,) = f["toolkits"]
    expect(t["realpath"] == "/usr/local/cuda-10.0" and t["version"] == "10.0.130", t)
    expect(t["version_evidence"] == "file:/usr/local/cuda-10.0/version.txt", t)
    expect(not os.path.exists(m.path("/nvcc-was-run")), "nvcc was run although version.txt says it all")
    expect({"nvcc", "cudart", "cudnn"} <= set(t["components"]), t["components"])
    expect({s["name"] for s in f["selectors"]} == {"PATH nvcc", "/usr/local/cuda"}, f["selectors"])
    (c,) = f["cudnn"]
    expect(c["version"] == "7.6.5" and c["header"].endswith("/include/cudnn.h") and c["location"] == "toolkit", c)
    if has_cache:
        r = {x["name"]: x for x in f["loader"]}
        expect(r["libcudnn.so.7"]["chosen"] == "/usr/local/cuda-10.0/lib64/libcudnn.so.7", r.get("libcudnn.so.7"))
        expect(r["libcudnn.so.7"]["candidates"][0]["version"] == "7.6.5", r["libcudnn.so.7"])
        expect(r["libcudart.so.10.0"]["candidates"][0]["via"] == "ld.so.cache", r["libcudart.so.10.0"])


def cuda_11_2(skew=False):
    m = Machine()
    m.fixture("driver-open.txt", "/proc/driver/nvidia/version")
    t = "/usr/local/cuda-11.2"
    m.write(t + "/version.json", '{"cuda": {"name": "CUDA SDK", "version": "11.2.2"},'
                                 ' "cuda_nvcc": {"name": "CUDA NVCC", "version": "11.2.152"}}')
    m.library(t + "/lib64", "libcudart.so.11.2.152", "libcudart.so.11.0")
    m.fixture("cudnn_version-8.1.h", t + "/include/cudnn_version.h")
    m.write(t + "/include/cudnn.h", '#include "cudnn_version.h"\n')
    m.library(t + "/lib64", "libcudnn.so.8.1.0", "libcudnn.so.8")
    m.library(t + "/lib64", "libcudnn_ops_infer.so.8.1.0", "libcudnn_ops_infer.so.8")
    cnn = "libcudnn_cnn_infer.so.8.0.5" if skew else "libcudnn_cnn_infer.so.8.1.0"
    m.library(t + "/lib64", cnn, "libcudnn_cnn_infer.so.8")
    m.ld_conf.append(t + "/lib64")
    return m


@check("CUDA 11.2 + cuDNN 8.1: version.json, cudnn_version.h, the open driver file")
def _():
    m = cuda_11_2()
    has_cache = ldconfig(m)
    f = facts(m)
    expect(f["driver"]["version"] == "580.159.04" and f["driver"]["kernel_module"] == "open", f["driver"])
    (t,) = f["toolkits"]
    expect(t["version"] == "11.2.2" and t["readings"][1]["value"] == "11.2.152", t)
    expect(t["found_by"] == ["/usr/local/cuda*"] and f["selectors"] == [], (t, f["selectors"]))
    (c,) = f["cudnn"]
    expect(c["version"] == "8.1.0" and c["header"].endswith("cudnn_version.h") and not c["problems"], c)
    expect(len(c["libraries"]) == 6, c["libraries"])
    if has_cache:
        r = {x["name"]: x for x in f["loader"]}
        expect("libcudart.so.11.0" in r and r["libcudart.so.11.0"]["chosen"].startswith("/usr/local/cuda-11.2/"), r)


@check("mixed cuDNN sub-libraries are reported as version skew")
def _():
    f = facts(cuda_11_2(skew=True))
    (c,) = f["cudnn"]
    expect(any("sub-library version skew" in p and "8.0.5" in p for p in c["problems"]), c["problems"])
    expect(any("sub-library version skew" in w for w in f["warnings"]), f["warnings"])


def two_copies():
    m = Machine()
    new = "/usr/local/cuda-12.2"
    m.write(new + "/version.json", '{"cuda": {"name": "CUDA SDK", "version": "12.2.2"}}')
    m.write(new + "/bin/nvcc", "#!/bin/sh\nexit 1\n", 0o755)
    m.library(new + "/lib64", "libcudart.so.12.2.140", "libcudart.so.12")
    m.write(new + "/include/cudnn_version.h", "#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 9\n#define CUDNN_PATCHLEVEL 7\n")
    m.library(new + "/lib64", "libcudnn.so.8.9.7", "libcudnn.so.8")
    old = "/usr/local/cuda-11.8"
    m.write(old + "/version.json", '{"cuda": {"name": "CUDA SDK", "version": "11.8.0"}}')
    m.link("/usr/local/cuda", "cuda-12.2")
    # The stale copy someone put on LD_LIBRARY_PATH years ago.
    m.library("/opt/old-cudnn/lib64", "libcudnn.so.8.1.0", "libcudnn.so.8")
    # A pip wheel's copy in the user's site-packages.
    site = "/home/u/.local/lib/python3.10/site-packages"
    m.library(site + "/nvidia/cudnn/lib", "libcudnn.so.8", "libcudnn.so.8")
    m.write(site + "/nvidia_cudnn_cu12-8.9.2.26.dist-info/METADATA", "Name: nvidia-cudnn-cu12\n")
    m.ld_conf.append(new + "/lib64")
    return m


@check("two cuDNN copies, the old one wins through LD_LIBRARY_PATH; selectors disagree")
def _():
    m = two_copies()
    has_cache = ldconfig(m)
    f = facts(m, LD_LIBRARY_PATH="/opt/old-cudnn/lib64", CUDA_HOME="/usr/local/cuda-11.8",
              PATH="/usr/local/cuda/bin:/usr/bin", HOME="/home/u")
    copies = {c["lib_dir"]: c for c in f["cudnn"]}
    expect(copies["/usr/local/cuda-12.2/lib64"]["version"] == "8.9.7", copies)
    expect(copies["/opt/old-cudnn/lib64"]["version"] == "8.1.0", copies)
    py = [c for c in f["cudnn"] if c["location"] == "python"]
    expect(py and py[0]["version"] == "8.9.2.26" and "dist-info" in py[0]["version_evidence"], f["cudnn"])
    (r,) = [x for x in f["loader"] if x["name"] == "libcudnn.so.8"]
    expect(r["chosen"] == "/opt/old-cudnn/lib64/libcudnn.so.8", r)
    expect(r["candidates"][0]["via"] == "LD_LIBRARY_PATH /opt/old-cudnn/lib64", r["candidates"][0])
    expect(r["candidates"][0]["version"] == "8.1.0", r["candidates"][0])
    if has_cache:
        expect(any(c["version"] == "8.9.7" and c["via"] == "ld.so.cache" for c in r["candidates"]), r["candidates"])
    expect(any(w.startswith("libcudnn.so.8: ") and "/opt/old-cudnn" in w for w in f["warnings"]), f["warnings"])
    expect(any("selectors disagree" in w and "CUDA_HOME -> /usr/local/cuda-11.8" in w for w in f["warnings"]),
           f["warnings"])
    # `why` tells the same story for a person.
    w = gpucfg("why", "libcudnn.so.8", "--root", m.root,
               env=m.env(LD_LIBRARY_PATH="/opt/old-cudnn/lib64", HOME="/home/u"), exact_env=True)
    expect(w.code == 0 and "* /opt/old-cudnn/lib64/libcudnn.so.8" in w.out and "version 8.1.0" in w.out, w.out)


@check("versions from the files that load: a header that disagrees is the finding, copies that agree are one, compilers in full")
def _():
    m = Machine()
    t = "/usr/local/cuda-12.3"
    m.write(t + "/version.json", '{"cuda": {"name": "CUDA SDK", "version": "12.3.20231101"}}')
    m.cudnn_header(t + "/include", "9.1.0")
    m.library(t + "/lib64", "libcudnn.so.8.9.2", "libcudnn.so.8")
    m.library(t + "/lib64", "libcufft.so.11", "libcufft.so.11")  # a wheel's file: its name says no more
    # Two more copies that agree as far as both go: 8.9.7 (header) and 8.9.7.29 (a wheel).
    for d, real in (("/opt/a/lib", "libcudnn.so.8.9.7"), ("/opt/b/lib", "libcudnn.so.8.9.7.29")):
        m.library(d, real, "libcudnn.so.8")
    f = facts(m, LD_LIBRARY_PATH=f"/opt/a/lib:/opt/b/lib:{t}/lib64")
    tk = [x for x in f["toolkits"] if x["realpath"] == t][0]
    expect(tk["version"].startswith("12.3") and "2023" not in tk["version"], tk)
    c = [x for x in f["cudnn"] if x["lib_dir"] == t + "/lib64"][0]
    expect(c["version"] == "8.9.2" and any("says 9.1.0 but the libraries are 8.9.2" in p for p in c["problems"]), c)
    copies = [w for w in f["warnings"] if "cuDNN copies with different versions" in w]
    expect(copies and copies[0].startswith("3 cuDNN copies"), f["warnings"])  # 8.9.2 and 8.9.7(.29)
    r = gpucfg("why", "--root", m.root, "libcufft.so.11", env=m.env(LD_LIBRARY_PATH=t + "/lib64"),
               exact_env=True)
    # The toolkit's version is not the library's: the name's "11" stands, the toolkit is a place.
    expect("version 11 (the file name says no more; in the CUDA 12.3 toolkit" in r.out, r.out)
    # This machine's compilers (gcc-12 by its file name) in full, as the compiler says.
    live = json.loads(gpucfg("facts", "--json").out)
    for c in live["compilers"]:
        expect(c["version"].count(".") >= 2, c)


@check("a cuDNN in a virtual environment nobody activated (/opt/torch/.venv) is found")
def _():
    m = Machine()
    v = "/opt/torch/.venv"
    m.write(v + "/pyvenv.cfg", "home = /usr/bin\n")
    m.library(v + "/lib/python3.11/site-packages/nvidia/cudnn/lib", "libcudnn.so.9", "libcudnn.so.9")
    m.write(v + "/lib/python3.11/site-packages/nvidia_cudnn_cu12-9.19.0.56.dist-info/METADATA", "Name: x\n")
    c = [x for x in facts(m)["cudnn"] if x["lib_dir"].startswith(v)]
    expect(c and c[0]["version"] == "9.19.0.56" and c[0]["location"] == "python", c)


@check("libcuda.so.1 is resolved: a forward-compatibility copy older than the driver, chosen first, is a warning")
def _():
    m = Machine()
    m.fixture("driver-open.txt", "/proc/driver/nvidia/version")  # 580.159.04
    m.library("/usr/lib/x86_64-linux-gnu", "libcuda.so.580.159.04", "libcuda.so.1")
    compat = "/usr/local/cuda-13.0/compat"
    m.library(compat, "libcuda.so.575.57.08", "libcuda.so.1")
    f = facts(m, LD_LIBRARY_PATH=compat)
    r = [x for x in f["loader"] if x["name"] == "libcuda.so.1"]
    expect(r and r[0]["chosen"] == compat + "/libcuda.so.1" and len(r[0]["candidates"]) == 2, r)
    w = [x for x in f["warnings"] if x.startswith("libcuda.so.1:")]
    expect(w and "older than the driver must never be preferred" in w[0], f["warnings"])
    f = facts(m)  # without it on the path, the driver's own wins and nothing is said
    expect(not [x for x in f["warnings"] if x.startswith("libcuda.so.1:")], f["warnings"])


@check("a toolkit's compat/libcuda is reported with its version and what it is to the driver")
def _():
    m = Machine()
    m.fixture("driver-open.txt", "/proc/driver/nvidia/version")  # 580.159.04
    m.write("/usr/local/cuda-13.0/version.json", '{"cuda_nvcc": {"version": "13.0.88"}}')
    m.write("/usr/local/cuda-13.0/bin/nvcc", "", 0o755)
    m.library("/usr/local/cuda-13.0/compat", "libcuda.so.580.65.06", "libcuda.so.1")
    m.write("/usr/local/cuda-12.8/version.json", '{"cuda_nvcc": {"version": "12.8.93"}}')
    m.write("/usr/local/cuda-12.8/bin/nvcc", "", 0o755)
    t = {x["realpath"]: x for x in facts(m)["toolkits"]}
    new, old = t.get("/usr/local/cuda-13.0", {}), t.get("/usr/local/cuda-12.8", {})
    expect(new.get("compat_libcuda") == "/usr/local/cuda-13.0/compat/libcuda.so.580.65.06"
           and new.get("compat_version") == "580.65.06", new)
    expect(old.get("compat_libcuda") == "", old)
    r = gpucfg("facts", "--root", m.root, env=m.env(), exact_env=True)
    line = [x for x in r.out.splitlines() if "compat libcuda" in x]
    expect(len(line) == 1 and "580.65.06" in line[0] and "older than the driver 580.159.04" in line[0], r.out)


@check("what steers lookup is reported: ld.so.conf.d files, LIBRARY_PATH, CUDAHOSTCXX, a /usr/local/cuda-N selector, g++-N beside g++")
def _():
    m = Machine()
    m.write("/etc/ld.so.conf.d/cuda-13.conf", "# CUDA\n/usr/local/cuda-13.0/lib\n/usr/local/cuda-13.0/compat\n")
    m.write("/usr/local/cuda-13.0/version.json", '{"cuda": {"name": "CUDA SDK", "version": "13.0.2"}}')
    m.link("/usr/local/cuda-13", "/usr/local/cuda-13.0")
    m.write("/usr/bin/g++-10", "#!/bin/sh\necho 10.5.0\n", 0o755)  # off PATH's g++, for -ccbin
    m.write("/opt/gcc/bin/g++", "#!/bin/sh\necho 13.2.0\n", 0o755)
    f = facts(m, LIBRARY_PATH="/usr/local/cuda/lib64/stubs", CUDAHOSTCXX="/opt/gcc/bin/g++")
    compilers = {(c["name"], c["version"]) for c in f["compilers"]}
    expect(("g++-10", "10.5.0") in compilers and ("g++ (/opt/gcc/bin)", "13.2.0") in compilers, compilers)
    got = {x["name"]: x["value"] for x in f["search"]}
    expect(got.get("/etc/ld.so.conf.d/cuda-13.conf") == "/usr/local/cuda-13.0/lib:/usr/local/cuda-13.0/compat", got)
    expect(got.get("LIBRARY_PATH") == "/usr/local/cuda/lib64/stubs" and got.get("CUDAHOSTCXX") == "/opt/gcc/bin/g++", got)
    sel = [s for s in f["selectors"] if s["name"] == "/usr/local/cuda-13"]
    expect(sel and sel[0]["toolkit"] == "/usr/local/cuda-13.0", f["selectors"])


@check("a system cuDNN takes its build number from its Debian package")
def _():
    m = Machine()
    m.write("/usr/include/x86_64-linux-gnu/cudnn_version_v9.h",
            "#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 14\n#define CUDNN_PATCHLEVEL 0\n")
    m.library("/usr/lib/x86_64-linux-gnu", "libcudnn.so.9.14.0", "libcudnn.so.9")
    m.write("/var/lib/dpkg/status", "Package: libcudnn9-cuda-13\nStatus: install ok installed\n"
            "Version: 9.14.0.64-1\n\nPackage: libcudnn9-dev-cuda-13\nStatus: install ok installed\n"
            "Version: 9.14.0.64-1\n\n")
    c = [x for x in facts(m)["cudnn"] if x["location"] == "system"]
    expect(c and c[0]["version"] == "9.14.0.64" and "dpkg:libcudnn9-cuda-13" in c[0]["version_evidence"], c)


@check("no driver on a machine is a normal answer")
def _():
    m = Machine()
    f = facts(m)
    expect(not f["driver"]["present"] and "no NVIDIA driver" in f["driver"]["absent_reason"], f["driver"])
    expect(f["toolkits"] == [] and f["cudnn"] == [], f)


@check("why a library that is nowhere exits 1 and says so")
def _():
    m = Machine()
    r = gpucfg("why", "libcudnn.so.9", "--root", m.root, env=m.env(), exact_env=True)
    expect(r.code == 1 and "not found" in r.out, r.out)


@check("a FIFO where a file should be does not hang the probe")
def _():
    m = Machine()
    os.makedirs(m.path("/proc/driver/nvidia"))
    os.mkfifo(m.path("/proc/driver/nvidia/version"))
    r = gpucfg("facts", "--root", m.root, env=m.env(), timeout=10, exact_env=True)
    expect(r.code == 0 and r.seconds < 2, f"{r.code} {r.seconds}")


@check("--frameworks asks each Python on PATH, within its timeout")
def _():
    m = Machine()
    m.write("/usr/bin/python3", "#!/bin/sh\necho '{\"python\": \"3.10.12\", \"executable\": \"/usr/bin/python3\", "
            "\"torch\": {\"version\": \"2.1.0+cu118\", \"cuda\": \"11.8\", \"cudnn\": \"8700\", \"gpu\": false}}'\n", 0o755)
    m.write("/opt/slow/bin/python3", "#!/bin/sh\nsleep 20\n", 0o755)
    r = gpucfg("facts", "--json", "--frameworks", "--timeout", "1", "--root", m.root,
               env=m.env(PATH="/usr/bin:/opt/slow/bin"), exact_env=True)
    expect(r.code == 0 and r.seconds < 5, f"{r.code} {r.seconds:.1f}s {r.err}")
    envs = {e["interpreter"]: e for e in json.loads(r.out)["frameworks"]}
    torch = envs["/usr/bin/python3"]["builds"][0]
    expect(torch == {"name": "torch", "version": "2.1.0+cu118", "cuda": "11.8", "cudnn": "8700",
                     "gpu_visible": False, "error": "", "libraries": []}, torch)
    expect(envs["/opt/slow/bin/python3"]["error"].startswith("timed out"), envs)


@check("--frameworks also asks a virtual environment nobody activated, and says which cuDNN its framework mapped")
def _():
    m = Machine()
    v = "/opt/torch/.venv"
    m.write(v + "/pyvenv.cfg", "home = /usr/bin\n")
    lib = v + "/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn.so.9"
    m.write(v + "/bin/python3", "#!/bin/sh\necho '{\"python\": \"3.11.9\", \"executable\": \"" + v +
            "/bin/python3\", \"torch\": {\"version\": \"2.9.0\", \"cuda\": \"12.8\", \"cudnn\": \"91900\", "
            "\"gpu\": true, \"libraries\": [\"" + lib + "\"]}}'\n", 0o755)
    r = gpucfg("facts", "--json", "--frameworks", "--root", m.root, env=m.env(PATH="/usr/bin"), exact_env=True)
    envs = {e["interpreter"]: e for e in json.loads(r.out)["frameworks"]}
    expect(v + "/bin/python3" in envs, sorted(envs))
    expect(envs[v + "/bin/python3"]["builds"][0]["libraries"] == [lib], envs[v + "/bin/python3"])
    r = gpucfg("facts", "--frameworks", "--root", m.root, env=m.env(PATH="/usr/bin"), exact_env=True)
    expect("loads " + lib in r.out, r.out)


finish()
