"""The catalogue agrees with itself, offline (the networked half is tools/catalogue.py check):

1. Every curated manifest's stated versions are what it installs: a TensorFlow stack's
   framework.version is the tensorflow wheel its lock installs, its cuDNN and CUDA are those of
   the cudnn and runtime wheels it places, and its toolkit wheels are exactly the
   `[and-cuda]` set knowledge/wheel-pins.yaml records, NCCL included; a PyTorch stack's cuDNN
   (description, knowledge/frameworks.yaml) and CUDA are those of the wheels its lock installs,
   on every target; a CUDA base from wheels installs its own CUDA's runtime and nvcc.
2. Every lock covers every Python its requires.python admits (a Python that cannot be locked
   narrows the range, and the manifest says why).
3. Every `source:` any knowledge/ row names is an id of knowledge/sources.yaml.
"""
import glob
import os
import re

import yaml

from harness import ROOT, check, expect, finish


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


KB = {os.path.basename(p): load(p) for p in glob.glob(os.path.join(ROOT, "knowledge", "*.yaml"))}
MANIFESTS = {os.path.basename(p)[:-5]: load(p)
             for p in sorted(glob.glob(os.path.join(ROOT, "manifests", "*.yaml")))}


def vkey(v):
    return tuple(int(x) for x in re.findall(r"\d+", str(v)))


def mm(v):
    return ".".join(str(v).split(".")[:2])


def lock_versions(lock, stem):
    """{target: version} of the wheel whose file name starts with stem (e.g. nvidia_cudnn_cu)."""
    out = {}
    for w in lock:
        name = w.get("wheel") or w["sdist"]  # an sdist (source only) is no CUDA wheel, but named alike
        if name.lower().startswith(stem):
            for t in w["for"]:
                out[t] = name.split("-")[1]
    return out


def pins_of(section):
    """The wheel pins of a cuda/cudnn section's source (one source, or a list per platform)."""
    src = (section or {}).get("source") or {}
    return {w["package"] for s in (src if isinstance(src, list) else [src])
            for w in s.get("wheels") or []}


def pinned(pins, stem):
    return next((p.split("==")[1] for p in pins if p.startswith(stem)), None)


def base_cuda(m):
    for b in m.get("extends") or []:
        return load(os.path.join(ROOT, "manifests", b))["cuda"]["version"]
    return None


@check("TensorFlow stacks install what they state: framework, cuDNN, CUDA and NCCL wheels")
def tensorflow():
    problems, seen = [], 0
    pins = KB["wheel-pins.yaml"]["tensorflow"]
    for name, m in MANIFESTS.items():
        fw = m.get("framework") or {}
        if fw.get("name") != "tensorflow":
            continue
        version = str(fw["version"])
        lock = (m.get("python") or {}).get("lock") or []
        for target, v in {**lock_versions(lock, "tensorflow-"),
                          **lock_versions(lock, "tensorflow_gpu-")}.items():
            seen += 1
            if v != version:
                problems.append(f"{name}: states TensorFlow {version}, lock installs {v} on {target}")
        cuda_pins, dnn_pins = pins_of(m.get("cuda")), pins_of(m.get("cudnn"))
        if not cuda_pins:
            continue
        seen += 1
        want = {p["package"] for p in pins.get(version, [])}
        if cuda_pins | dnn_pins != want:
            problems.append(f"{name}: wheels differ from wheel-pins.yaml {version}: "
                            f"{sorted((cuda_pins | dnn_pins) ^ want)}")
        runtime = pinned(cuda_pins, "nvidia-cuda-runtime-")
        if mm(runtime) != str(m["cudnn"]["cuda"]) or mm(runtime) != base_cuda(m):
            problems.append(f"{name}: states CUDA {m['cudnn']['cuda']} (base {base_cuda(m)}), "
                            f"installs runtime {runtime}")
        cudnn = pinned(dnn_pins, "nvidia-cudnn-")
        if not cudnn or not vkey(cudnn)[:2] == vkey(m["cudnn"]["version"])[:2]:
            problems.append(f"{name}: states cuDNN {m['cudnn']['version']}, installs {cudnn}")
        if not pinned(cuda_pins, "nvidia-nccl-") or "nccl" not in m["cuda"]["components"]:
            problems.append(f"{name}: the [and-cuda] set without NCCL (or nccl not a component)")
    expect(seen > 40, f"only {seen} TensorFlow facts checked")
    expect(not problems, "\n".join(problems))


@check("PyTorch stacks' cuDNN and CUDA are those of the wheels their locks install")
def pytorch():
    problems, seen = [], 0
    rows = {str(r["version"]): r for r in KB["frameworks.yaml"]["pytorch"]}
    for name, m in MANIFESTS.items():
        fw = m.get("framework") or {}
        lock = (m.get("python") or {}).get("lock")
        if fw.get("name") != "pytorch" or not lock:
            continue
        variant = next(v for v in rows[str(fw["version"])]["variants"]
                       if str(v["cuda"]) == str(fw["cuda"]))
        stated = re.search(r"cuDNN ([0-9.]+) bundled", m["metadata"]["description"]).group(1)
        if stated != str(variant["cudnn"]):
            problems.append(f"{name}: description says cuDNN {stated}, frameworks.yaml "
                            f"{variant['cudnn']}")
        cudnn = lock_versions(lock, "nvidia_cudnn_cu")
        runtime = lock_versions(lock, "nvidia_cuda_runtime")
        torch = lock_versions(lock, "torch-")
        for target in sorted({t for w in lock for t in w["for"]}):
            seen += 1
            if cudnn.get(target) != stated:
                problems.append(f"{name} {target}: states cuDNN {stated}, installs "
                                f"{cudnn.get(target)}")
            if mm(runtime.get(target, "")) != str(fw["cuda"]):
                problems.append(f"{name} {target}: states CUDA {fw['cuda']}, installs runtime "
                                f"{runtime.get(target)}")
            if mm(torch.get(target, "")) != str(fw["version"]):
                problems.append(f"{name} {target}: states torch {fw['version']}, installs "
                                f"{torch.get(target)}")
    expect(seen > 40, f"only {seen} PyTorch targets checked")
    expect(not problems, "\n".join(problems[:20]))


@check("CUDA bases from wheels install their own CUDA's runtime and nvcc")
def bases():
    seen = 0
    for name, m in MANIFESTS.items():
        if not name.startswith("cuda-"):
            continue
        cuda = str(m["cuda"]["version"])
        for src in (m["cuda"].get("source") or []):
            pins = {w["package"] for w in src.get("wheels") or []}
            if not pins:
                continue
            seen += 1
            for stem in ("nvidia-cuda-runtime==", "nvidia-cuda-nvcc=="):
                v = pinned(pins, stem)
                expect(v and mm(v) == cuda, f"{name}: CUDA {cuda} installs {stem}{v}")
    expect(seen >= 6, f"only {seen} wheel bases (13.0 to 13.5 expected)")


def admitted(rng):
    """The 3.x minors a requires.python range admits (>=3.A,<=3.B as the generator writes it)."""
    lo = re.search(r">=\s*3\.(\d+)", rng)
    hi = re.search(r"<=\s*3\.(\d+)", rng)
    expect(lo and hi, f"requires.python '{rng}' is not >=3.A,<=3.B")
    return {f"3.{x}" for x in range(int(lo.group(1)), int(hi.group(1)) + 1)}


def release_range(m):
    """The Python range knowledge/frameworks.yaml gives the manifest's framework release."""
    fw = m["framework"]
    if fw["name"] == "tensorflow":
        rows = KB["frameworks.yaml"]["tensorflow"]
        return next(r["python_range"] for r in rows
                    if r["os"] == "linux" and mm(r["version"]) == mm(fw["version"]))
    return next(r["python_range"] for r in KB["frameworks.yaml"]["pytorch"]
                if str(r["version"]) == str(fw["version"]))


@check("every lock covers every Python its requires.python admits; each other Python the "
       "release supports is a recorded skip with its reason")
def coverage():
    problems, seen = [], 0
    locks = KB["env-locks.yaml"]
    for name, m in MANIFESTS.items():
        lock = (m.get("python") or {}).get("lock")
        if not lock:
            continue
        seen += 1
        targets = {t.split("/")[1] for w in lock for t in w["for"] if t.startswith("linux-")}
        want = admitted(m["requires"]["python"])
        if targets != want:
            problems.append(f"{name}: requires.python {m['requires']['python']} admits "
                            f"{sorted(want, key=vkey)}, the lock covers {sorted(targets, key=vkey)}")
        skipped = {t.split("/")[1]: why for t, why in
                   ((locks.get(name) or {}).get("skipped") or {}).items()}
        for py in sorted(admitted(release_range(m)) - targets, key=vkey):
            if len(skipped.get(py, "")) < 20:
                problems.append(f"{name}: Python {py} is in the release's range, not locked, "
                                "and the lock records no reason")
            elif f"Python {py} not locked" not in open(os.path.join(
                    ROOT, "manifests", name + ".yaml")).read():
                problems.append(f"{name}: the manifest does not say why Python {py} is left out")
    expect(seen > 25, f"only {seen} locked manifests")
    expect(not problems, "\n".join(problems))


@check("every source a knowledge/ row names is in knowledge/sources.yaml")
def sources():
    ids = set(KB["sources.yaml"]["sources"])
    missing, seen = [], 0

    def walk(node, where):
        nonlocal seen
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "source" and isinstance(v, str):
                    seen += 1
                    for sid in re.split(r",\s*", v):
                        if sid not in ids:
                            missing.append(f"{where}: unknown source '{sid}'")
                else:
                    walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")
    for name, doc in KB.items():
        if name != "sources.yaml":
            walk(doc, name)
    expect(seen > 200, f"only {seen} source references")
    expect(not missing, "\n".join(missing))


@check("TensorFlow rows install the newest patch they name, or say why they keep an older one")
def patches():
    for row in KB["frameworks.yaml"]["tensorflow"]:
        tested = row.get("tested_as")
        if tested:
            expect(mm(tested) == mm(row["version"]) and vkey(tested) < vkey(row["version"]),
                   f"tensorflow {row['version']}: tested_as {tested} is not an older patch")
        if "keep" in row:
            expect(len(row["keep"]) > 20, f"tensorflow {row['version']}: keep without a reason")


finish()
