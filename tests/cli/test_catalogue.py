"""The curated catalogue installs from pinned sources, offline.

1. Every manifest in manifests/, on every platform it declares, names a source for its toolkit
   and cuDNN; each pin is 64 hex digits; an unpinned archive is one knowledge/ marks as having
   no public pin (never a silent gap).
2. tf-2.5 end to end the way NVIDIA ships it: a local HTTP server is the team mirror
   (GPUCFG_MIRROR) holding a makeself runfile in NVIDIA's builds/<component>/ layout, a legacy
   cuDNN .tgz, a 7-Zip installer with a PE stub (the Windows .exe's shape) and a cuDNN .zip. The
   manifest's pins are swapped for these files' own. plan and apply on Linux install the
   toolkit (driver, docs and unselected components left out) with cuDNN in it, env and loader
   files; a second plan is empty; rollback removes it. `fetch --mirror` fills a mirror for both
   platforms, and the .exe unpacks through its component folders.
3. A redistrib index named by NVIDIA's URL and pinned by its own sha256 is found, with the
   archives it lists (at their relative paths), on the same mirror by the same switch.
"""
import json
import os
import re
import shutil
import tarfile
import tempfile

import yaml

from harness import ROOT, check, expect, finish, gpucfg, serve
from nvshapes import make_cudnn_tgz, make_exe, make_runfile, make_zip, pinned_copy, sha256_of, write

TMP = tempfile.mkdtemp(prefix="gpucfg-catalogue-")
HEX = re.compile(r"^[0-9a-f]{64}$")


sha = sha256_of


def unpinned_in_knowledge():
    with open(os.path.join(ROOT, "knowledge", "install-sources.yaml")) as f:
        k = yaml.safe_load(f)
    out = set()
    for table in ("toolkits", "cudnn_archives"):
        for rows in k[table].values():
            for row in rows.values():
                if not row["sha256"]:
                    out.add(row["url"])
    return out


@check("every curated manifest names pinned sources on every platform it declares")
def walk():
    allowed = unpinned_in_knowledge()
    problems, checked = [], 0
    for name in sorted(os.listdir(os.path.join(ROOT, "manifests"))):
        path = os.path.join(ROOT, "manifests", name)
        with open(path) as f:
            platforms = (yaml.safe_load(f).get("requires") or {}).get("platforms") or []
        for p in platforms:
            r = gpucfg("show", "--format", "json", "--no-origins", "--platform", p, path)
            expect(r.code == 0, f"{name} {p}: show failed: {r.err}")
            stack = json.loads(r.out)["stack"]
            for section in ("cuda", "cudnn"):
                if section not in stack:
                    continue
                checked += 1
                src = stack[section].get("source")
                if not src or not src.get("artifacts"):
                    problems.append(f"{name} on {p}: {section} has no source")
                    continue
                for a in src["artifacts"]:
                    pin, where = a.get("sha256", ""), a.get("location", "")
                    if pin and not HEX.match(pin):
                        problems.append(f"{name} on {p}: {section} pin '{pin}' is malformed")
                    elif not pin and where not in allowed:
                        problems.append(f"{name} on {p}: {section} {where} has no pin and "
                                        "knowledge/ does not say why")
    expect(checked > 60, f"only {checked} toolkit/cuDNN steps seen")
    expect(not problems, "\n".join(problems))


@check("every curated environment lock gives each Python it names one runnable wheel per project")
def locks():
    base = json.loads(gpucfg("facts", "--json").out)
    d = tempfile.mkdtemp(prefix="gpucfg-locks-")
    checked, problems, unlocked = 0, [], []
    for name in sorted(os.listdir(os.path.join(ROOT, "manifests"))):
        path = os.path.join(ROOT, "manifests", name)
        with open(path) as f:
            py = yaml.safe_load(f).get("python")
        if py is None:
            continue
        if not py.get("lock"):
            unlocked.append(name)
            continue
        targets = sorted({t for w in py["lock"] for t in w.get("for", [])})
        for t in targets:
            platform, version = t.split("/")
            # A machine whose only Python is that version: plan picks it and selects its wheels.
            facts = dict(base, pythons=[{"path": f"/usr/bin/python{version}", "realpath":
                                         f"/usr/bin/python{version}", "version": version,
                                         "evidence": "test"}])
            facts["platform"] = dict(base["platform"], id=platform)
            fp = os.path.join(d, "facts.json")
            with open(fp, "w") as f:
                json.dump(facts, f)
            r = gpucfg("plan", "--format", "json", "--facts", fp, path)
            doc = json.loads(r.out) if r.out.startswith("{") else {"checks": []}
            check_ = next((c for c in doc["checks"] if c["name"] == "python"), None)
            checked += 1
            if not check_ or check_["outcome"] != "pass":
                problems.append(f"{name} {t}: {check_ or r.err[-300:]}")
    expect(checked > 80, f"only {checked} locked targets seen")
    expect(not problems, "\n".join(problems[:10]))
    print(f"{checked} locked targets select cleanly; unlocked: {', '.join(unlocked)}")


# --- files in NVIDIA's shapes ---------------------------------------------------------------

def make_redistrib(mirror):
    """redistrib_11.8.0.json in NVIDIA's shape and the two archives it lists, at their
    relative paths (<component>/linux-x86_64/<name>-archive.tar.xz), as a mirror keeps them."""
    index = {"release_date": "2022-10-03", "release_label": "11.8.0", "release_product": "cuda"}
    for comp, version, files in (
            ("cuda_cudart", "11.8.89", {"include/cuda_runtime_api.h": b"#define CUDART_VERSION 11080\n",
                                        "lib/libcudart.so.11.8.89": os.urandom(4096)}),
            ("cuda_nvcc", "11.8.89", {"bin/nvcc": b"#!/bin/sh\necho 'Cuda compilation tools, "
                                      b"release 11.8, V11.8.89'\n"})):
        top = f"{comp}-linux-x86_64-{version}-archive"
        rel = f"{comp}/linux-x86_64/{top}.tar.xz"
        src = os.path.join(TMP, "redist-src", top)
        for name, data in files.items():
            write(os.path.join(src, name), data, 0o755 if name.startswith("bin/") else 0o644)
        out = os.path.join(mirror, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with tarfile.open(out, "w:xz") as t:
            t.add(src, arcname=top)
        index[comp] = {"name": comp, "license": "CUDA Toolkit", "version": version,
                       "linux-x86_64": {"relative_path": rel, "sha256": sha(out), "md5": "0",
                                        "size": str(os.path.getsize(out))}}
    path = os.path.join(mirror, "redistrib_11.8.0.json")
    with open(path, "w") as f:
        json.dump(index, f, indent=2)
    return sha(path)


MIRROR = os.path.join(TMP, "served")
os.makedirs(MIRROR)
REDISTRIB_PIN = make_redistrib(MIRROR)
FILES = {
    "cuda_11.2.0_460.27.04_linux.run": lambda out: make_runfile(out, TMP),
    "cudnn-11.2-linux-x64-v8.1.0.77.tgz": lambda out: make_cudnn_tgz(out, TMP),
    "cuda_11.2.0_460.89_win10.exe": make_exe,
    "cudnn-11.2-windows-x64-v8.1.0.77.zip": make_zip,
}
for fname, make in FILES.items():
    make(os.path.join(MIRROR, fname))
PINS = {fname: sha(os.path.join(MIRROR, fname)) for fname in FILES}


URL, SERVED = serve(MIRROR)


def stack_copy():
    """tf-2.5 and its base, with each archive's pin swapped for the test file's own."""
    d = pinned_copy(("tf-2.5.yaml", "cuda-11.2.yaml"), PINS, os.path.join(TMP, "manifests"),
                    os.path.join(ROOT, "manifests"))
    return os.path.join(d, "tf-2.5.yaml")


M = stack_copy()
R = os.path.join(TMP, "root")
os.makedirs(R)
ENV = {"GPUCFG_CACHE_DIR": os.path.join(TMP, "cache"), "GPUCFG_MIRROR": URL,
       "GPUCFG_RETRIES": "0", "GPUCFG_CONNECT_TIMEOUT": "2", "GPUCFG_CONFIG": "/nonexistent"}
TK = os.path.join(R, "usr/local/cuda-11.2")


@check("tf-2.5 plans from the mirror: the toolkit from its runfile, each cuDNN place: rule with its "
       "destination (lib64 is the tree's link to lib), gcc outside nvcc's range warns")
def plan():
    r = gpucfg("plan", "--root", R, M, env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)
    expect("from 1 archive(s)" in r.out, r.out)
    for rule in ("include/cudnn*.h -> /usr/local/cuda-11.2/include",
                 "lib/libcudnn*.so.8* -> /usr/local/cuda-11.2/lib "):
        expect(rule in r.out, (rule, r.out))
    expect(not re.search(r"FAIL\s+host compiler", r.out), r.out)


@check("tf-2.5 applies: runfile components, cuDNN in the toolkit, env and loader files")
def apply():
    r = gpucfg("apply", "--yes", "--no-verify", "--root", R, M, env=ENV, timeout=120)
    expect(r.code == 0, r.out + r.err)
    expect(os.access(os.path.join(TK, "bin/nvcc"), os.X_OK), "nvcc is not executable")
    for rel in ("nvvm/bin/cicc", "include/cuda_runtime_api.h", "lib/libcudart.so.11.2.72",
                "lib/libcublas.so.11.3.1.68", "extras/CUPTI/lib64/libcupti.so.2020.3.0",
                "version.json", "include/cudnn.h", "lib/libcudnn.so.8.1.0",
                "lib/libcudnn_ops_infer.so.8", "lib64/libcudnn.so.8"):
        expect(os.path.lexists(os.path.join(TK, rel)), f"{rel} missing")
    for rel in ("doc", "lib/libnppc.so.11.2.1.68", "NVIDIA-Linux-x86_64-460.27.04.run",
                "EULA.txt", "cuda-installer", "lib/libcudnn_static_v8.a",
                "share/licenses/cudnn/NVIDIA_SLA_cuDNN_Support.txt", "NVIDIA_SLA_cuDNN_Support.txt"):
        expect(not os.path.lexists(os.path.join(TK, rel)), f"{rel} should have been left out")
    expect(os.path.islink(os.path.join(R, "usr/local/cuda")), "no /usr/local/cuda link")
    expect(os.path.exists(os.path.join(R, "etc/ld.so.conf.d/gpucfg-tf-2.5.conf")), "no loader file")
    with open(os.path.join(R, "etc/profile.d/gpucfg-tf-2.5.sh")) as f:
        expect("TF_XLA_FLAGS" in f.read(), "env file lacks TF_XLA_FLAGS")
    expect(any(p.endswith(".run") for p in SERVED), f"runfile not served: {SERVED}")
    facts = json.loads(gpucfg("facts", "--json", "--root", R).out)
    versions = [t.get("version") for t in facts.get("toolkits", [])]
    expect("11.2.0" in versions, f"facts sees toolkits {versions}")


@check("a second plan changes nothing")
def second():
    r = gpucfg("plan", "--detailed-exitcode", "--root", R, M, env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)


@check("rollback removes the toolkit")
def rollback():
    r = gpucfg("rollback", "--yes", "--root", R, env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)
    expect(not os.path.exists(TK), "toolkit still there")


@check("a cached archive damaged since it was fetched is named and removed; the next apply fetches it anew")
def damaged_cache():
    cached = os.path.join(ENV["GPUCFG_CACHE_DIR"], "artifacts", PINS["cuda_11.2.0_460.27.04_linux.run"])
    expect(os.path.exists(cached), f"{cached} is not in the cache")
    with open(cached, "wb") as f:
        f.write(b"not the runfile any more")
    # The trees unpacked from it before are the store's; without them the archive is read again.
    shutil.rmtree(os.path.join(ENV["GPUCFG_CACHE_DIR"], "trees"))
    r = gpucfg("apply", "--yes", "--no-verify", "--root", R, M, env=ENV, timeout=120)
    expect(r.code != 0 and "is damaged" in r.err and "apply again" in r.err, r.out + r.err)
    expect(not os.path.exists(cached), "the damaged copy is still in the cache")
    expect(not os.path.exists(TK), "a failed apply left the toolkit")
    r = gpucfg("apply", "--yes", "--no-verify", "--root", R, M, env=ENV, timeout=120)
    expect(r.code == 0 and os.path.exists(os.path.join(TK, "bin/nvcc")), r.out + r.err)
    r = gpucfg("rollback", "--yes", "--root", R, env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)


@check("fetch --mirror fills a mirror for Linux and Windows; the .exe unpacks by component")
def mirror():
    out = os.path.join(TMP, "team-mirror")
    r = gpucfg("fetch", "--mirror", out, "--platform", "linux-x86_64", "--platform",
               "windows-x86_64", M, env=ENV, timeout=120)
    expect(r.code == 0, r.out + r.err)
    expect(sorted(os.listdir(out)) == sorted(FILES), f"mirror holds {os.listdir(out)}")
    d = os.path.join(TMP, "exe")
    os.makedirs(os.path.join(d, "root"))
    with open(os.path.join(d, "m.yaml"), "w") as f:
        f.write(f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: exe}}
requires: {{platforms: [linux-x86_64]}}
cuda:
  version: "11.2"
  prefix: /opt/win
  active: false
  components: [nvcc, cudart]
  source:
    archive: {os.path.join(out, "cuda_11.2.0_460.89_win10.exe")}
    sha256: {PINS["cuda_11.2.0_460.89_win10.exe"]}
""")
    r = gpucfg("apply", "--yes", "--root", os.path.join(d, "root"), os.path.join(d, "m.yaml"),
               env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)
    got = sorted(os.path.relpath(os.path.join(p, n), os.path.join(d, "root/opt/win"))
                 for p, _, files in os.walk(os.path.join(d, "root/opt/win")) for n in files)
    expect(got == ["bin/cudart64_110.dll", "bin/nvcc.exe", "include/cuda_runtime_api.h"], got)


@check("a redistrib index at NVIDIA's URL, pinned, comes with its archives from the mirror")
def redistrib_from_mirror():
    d = os.path.join(TMP, "redist")
    os.makedirs(os.path.join(d, "root"))
    with open(os.path.join(d, "m.yaml"), "w") as f:
        f.write(f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: redist}}
requires: {{platforms: [linux-x86_64], driver: {{linux: ">=520.61.05"}}}}
cuda:
  version: "11.8"
  components: [cudart, nvcc]
  source:
    redistrib: https://developer.download.nvidia.com/compute/cuda/redist/redistrib_11.8.0.json
    sha256: {REDISTRIB_PIN}
    components: [cuda_cudart, cuda_nvcc]
""")
    before = len(SERVED)
    r = gpucfg("apply", "--yes", "--no-verify", "--root", os.path.join(d, "root"),
               os.path.join(d, "m.yaml"), env=ENV, timeout=60)
    expect(r.code == 0, r.out + r.err)
    tk = os.path.join(d, "root/usr/local/cuda-11.8")
    expect(os.access(os.path.join(tk, "bin/nvcc"), os.X_OK), "nvcc missing or not executable")
    expect(os.path.exists(os.path.join(tk, "lib64/libcudart.so.11.8.89")), "cudart missing")
    served = [p for p in SERVED[before:]]
    expect(any(p.endswith("redistrib_11.8.0.json") for p in served), f"index not served: {served}")
    expect(sum(p.endswith("-archive.tar.xz") for p in served) == 2, f"archives: {served}")


@check("fetch of a manifest whose toolkit names no source fails and says so")
def no_source():
    d = os.path.join(TMP, "nosrc")
    os.makedirs(d)
    with open(os.path.join(d, "m.yaml"), "w") as f:
        f.write("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: n}\n"
                "requires: {platforms: [linux-x86_64]}\ncuda: {version: \"11.2\"}\n")
    r = gpucfg("fetch", os.path.join(d, "m.yaml"), env=ENV)
    # One verdict, worded once (plan::no_source), from fetch and from plan alike.
    expect(r.code == 1 and "names no cuda.source for linux-x86_64" in r.err, r.out + r.err)
    r = gpucfg("plan", "--root", R, os.path.join(d, "m.yaml"), env=ENV)
    expect(r.code == 1 and "names no cuda.source for linux-x86_64" in r.out + r.err, r.out + r.err)


finish()
