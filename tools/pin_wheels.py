#!/usr/bin/env python3
"""Pin the NVIDIA wheels the TensorFlow stacks and the CUDA 13 bases install: knowledge/wheel-pins.yaml.

Networked (reads the package index through pip, downloads no wheel it can avoid); run it when a
TensorFlow release is added to knowledge/frameworks.yaml, then tools/gen_manifests.py:

    tools/pin_wheels.py            # rewrite knowledge/wheel-pins.yaml
    tools/pin_wheels.py --check    # exit 1 when a pin differs from what the index serves

For each release it reads `tensorflow==X`'s own metadata (Requires-Dist with extra "and-cuda")
and pins each NVIDIA wheel to the exact version the extra names (its lower bound where 2.20+
give ranges), with the sha256 the index publishes for the manylinux x86_64 file. TF 2.12/2.13
predate the extra: they take 2.14's CUDA 11.8 wheels with the cuDNN TensorFlow tested (8.6).
nccl is left out: it is not part of the toolkit.

CUDA 13 bases (cuda-13.X.yaml) take the component wheels NVIDIA's own `cuda-toolkit==X`
metapackage pins in its extras (from CUDA 13 the nvcc wheel carries nvcc itself, so such a
toolkit compiles); the base's driver floor is that release's toolkit driver.
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "knowledge" / "wheel-pins.yaml"
FIRST_EXTRA = (2, 14)
# CUDA 13 bases installed from wheels: release -> cuda-toolkit metapackage version. Not 13.0.0:
# its nvidia-nvvm 13.0.48 wheel puts cicc in bin/, where nvcc does not look (nvcc.profile says
# $(TOP)/nvvm/bin), so that toolkit cannot compile (found by `gpucfg verify --level compute`);
# 13.0.2's nvvm 13.0.88 has nvvm/bin/cicc.
TOOLKITS = {"13.0": "13.0.2"}
# The metapackage extras a base takes: the components it lists plus what they need to work
# (nvcc runs crt and nvvm and compiles against cccl's headers; cusolver/cusparse load nvjitlink).
TOOLKIT_EXTRAS = ["cudart", "nvcc", "crt", "nvvm", "cccl", "cublas", "cufft", "curand",
                  "cusolver", "cusparse", "cupti", "nvrtc", "nvjitlink"]


# Run on Linux x86_64 (this machine's tags pick the file whose hash is pinned), with a Python
# every release supports (3.10 or 3.11).
def report(reqs):
    with tempfile.TemporaryDirectory() as d:
        r = os.path.join(d, "r.json")
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet",
                        "--ignore-installed", "--no-deps", "--only-binary=:all:",
                        "--report", r] + reqs,
                       check=True, stdout=subprocess.DEVNULL)
        with open(r) as f:
            return json.load(f)["install"]


def extra_pins(version):
    meta = report([f"tensorflow=={version}"])[0]["metadata"]
    pins = []
    for req in meta.get("requires_dist", []):
        spec, _, marker = req.partition(";")
        if "and-cuda" not in marker or not spec.startswith("nvidia-"):
            continue
        spec = re.sub(r"[\s()]", "", spec)
        name = re.match(r"[A-Za-z0-9_.-]+", spec).group(0)
        if "nccl" in name:
            continue
        exact = re.search(r"==([0-9.]+)", spec) or re.search(r">=([0-9.]+)", spec)
        pins.append(f"{name}=={exact.group(1)}")
    return sorted(pins)


def toolkit_pins(version):
    """The exact component wheels `cuda-toolkit==version` pins for TOOLKIT_EXTRAS."""
    meta = report([f"cuda-toolkit=={version}"])[0]["metadata"]
    pins = []
    for req in meta.get("requires_dist", []):
        spec, _, marker = req.partition(";")
        extra = re.search(r"extra == '([a-z_]+)'", marker)
        if not extra or extra.group(1) not in TOOLKIT_EXTRAS or "linux" not in marker:
            continue
        spec = re.sub(r"[\s()]", "", spec)
        name, exact = re.match(r"([A-Za-z0-9_.-]+)==([0-9.]+?)(\.\*)?$", spec).groups()[:2]
        pins.append(f"{name}=={exact}")
    return sorted(set(pins))


def pinned(pins):
    return [{"package": f"{r['metadata']['name']}=={r['metadata']['version']}",
             "sha256": r["download_info"]["archive_info"]["hashes"]["sha256"]}
            for r in sorted(report(pins), key=lambda r: r["metadata"]["name"])]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    with open(ROOT / "knowledge" / "frameworks.yaml") as f:
        tf = [r for r in yaml.safe_load(f)["tensorflow"] if r["os"] == "linux"]
    wanted = {}
    for row in tf:
        v = str(row["version"])
        key = tuple(int(x) for x in v.split(".")[:2])
        if key < (2, 12):
            continue
        wanted[v] = None if key < FIRST_EXTRA else extra_pins(v)
    base = wanted["2.14.0"]
    for v, pins in wanted.items():
        if pins is None:  # 2.12, 2.13: 2.14's CUDA 11.8 wheels, cuDNN 8.6
            wanted[v] = [p if "cudnn" not in p else "nvidia-cudnn-cu11==8.6.0.163" for p in base]
    out = {}
    for v, pins in sorted(wanted.items()):
        out[v] = pinned(pins)
        print(v, len(out[v]), "wheels", file=sys.stderr)
    toolkits = {}
    for cuda, release in TOOLKITS.items():
        toolkits[cuda] = {"release": release, "wheels": pinned(toolkit_pins(release))}
        print("cuda", cuda, len(toolkits[cuda]["wheels"]), "wheels", file=sys.stderr)
    text = ("# Generated by tools/pin_wheels.py from the package index (networked); do not edit.\n"
            "# tensorflow: the NVIDIA wheels each TensorFlow release's `[and-cuda]` extra pins;\n"
            "# toolkits: the component wheels NVIDIA's `cuda-toolkit` metapackage pins for a CUDA 13\n"
            "# base. Each with the sha256 the index publishes for the manylinux x86_64 file.\n"
            "# source: pypi-index, tf-and-cuda, nvidia-cuda-toolkit-wheel.\n"
            + yaml.safe_dump({"tensorflow": out, "toolkits": toolkits}, sort_keys=True, width=100))
    if args.check:
        same = OUT.exists() and OUT.read_text() == text
        print("wheel pins up to date" if same else "wheel pins differ from the index", file=sys.stderr)
        return 0 if same else 1
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
