#!/usr/bin/env python3
"""Pin the NVIDIA wheels the TensorFlow stacks and the CUDA 13 bases install: knowledge/wheel-pins.yaml.

Networked (reads the package index: its JSON listings for the sha256, and each wheel's own
METADATA through HTTP range requests, tools/pyindex.py; no wheel is downloaded whole). Run it
when a release is added to knowledge/ (tools/catalogue.py update does), then
tools/gen_manifests.py:

    tools/pin_wheels.py            # rewrite knowledge/wheel-pins.yaml
    tools/pin_wheels.py --check    # exit 1 when a pin differs from what the index serves

For each TensorFlow release (2.14 on) it reads `tensorflow==X`'s own Requires-Dist with extra
"and-cuda" and pins every NVIDIA wheel the extra names, NCCL included (multi-GPU TensorFlow
loads libnccl). Where the extra gives a range (2.20 on: nvidia-cudnn-cu12>=9.3.0.75,<10) the
floor is pinned, not what the range resolves to today, and the note says so: the floor is the
configuration TensorFlow was built and tested with (its table's CUDA 12.5, cuDNN 9.3), a lock
must not drift with each NVIDIA release, and the stack's stated versions stay true. What the
extra names that is no NVIDIA component wheel on the index (tensorrt==8.5.3.1 for 2.14, a
source package that fetches from NVIDIA's own index) is left out with its reason. TF 2.12/2.13
predate the extra: they take 2.14's CUDA 11.8 wheels with the cuDNN TensorFlow tested (8.6).

CUDA 13 bases (cuda-13.X.yaml): the newest release of each 13.x minor of NVIDIA's own
`cuda-toolkit` metapackage, and the component wheels it pins in its extras (from CUDA 13 the
nvcc wheel carries nvcc itself, so such a toolkit compiles).
"""
import argparse
import pathlib
import re
import sys

import yaml

import pyindex

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "knowledge" / "wheel-pins.yaml"
FIRST_EXTRA = (2, 14)
# Not 13.0.0 nor 13.0.1: 13.0.0's nvidia-nvvm 13.0.48 wheel puts cicc in bin/, where nvcc does
# not look (nvcc.profile says $(TOP)/nvvm/bin), so that toolkit cannot compile (found by
# `gpucfg verify --level compute`); 13.0.2's nvvm 13.0.88 has nvvm/bin/cicc. The newest release
# of each minor is taken, and no release before these floors.
TOOLKIT_FLOORS = {"13.0": "13.0.2"}
# The metapackage extras a base takes: the components it lists plus what they need to work
# (nvcc runs crt and nvvm and compiles against cccl's headers; cusolver/cusparse load nvjitlink).
TOOLKIT_EXTRAS = ["cudart", "nvcc", "crt", "nvvm", "cccl", "cublas", "cufft", "curand",
                  "cusolver", "cusparse", "cupti", "nvrtc", "nvjitlink"]


def extra_pins(version):
    """(pins, notes) of `tensorflow==version[and-cuda]` from the wheel's own metadata."""
    wheel = pyindex.linux_wheel("tensorflow", version, "3.11") or \
        pyindex.linux_wheel("tensorflow", version, "3.10")
    pins, notes, floors = [], [], []
    for name, spec, marker in pyindex.requires_dist(pyindex.metadata(wheel)):
        if "and-cuda" not in marker:
            continue
        if not name.startswith("nvidia-"):
            notes.append(f"The extra's {name}{spec} is left out: it is published on the "
                         "package index as source only, which fetches its wheels from NVIDIA's "
                         "own index; TensorFlow loads it only for TF-TRT")
            continue
        exact = re.search(r"==([0-9.]+)", spec)
        floor = re.search(r">=([0-9.]+)", spec)
        if not exact:
            floors.append(name)
        pins.append(f"{name}=={(exact or floor).group(1)}")
    if floors:
        notes.append("The extra gives ranges (e.g. >=X,<next major); the floors are pinned: "
                     "what TensorFlow was built and tested with, not whatever the index serves "
                     "newest today")
    return sorted(pins), notes


def toolkit_pins(version):
    """The exact component wheels `cuda-toolkit==version` pins for TOOLKIT_EXTRAS."""
    wheel = pyindex.linux_wheel("cuda-toolkit", version)
    exact, floors = {}, {}
    for name, spec, marker in pyindex.requires_dist(pyindex.metadata(wheel)):
        extra = re.search(r"extra == ['\"]([a-z_]+)['\"]", marker)
        if not extra or extra.group(1) not in TOOLKIT_EXTRAS or "linux" not in marker:
            continue
        pin = re.match(r"==([0-9.]+?)(\.\*)?$", spec)
        if pin:
            exact[name] = pin.group(1)
        else:  # a component's dependency on another as a range (nvjitlink>=X,<14)
            floors[name] = re.search(r">=([0-9.]+)", spec).group(1)
    # The metapackage's own exact pin of a component wins over another's range for it.
    return sorted(f"{n}=={v}" for n, v in {**floors, **exact}.items())


def toolkit_releases():
    """{"13.1": "13.1.2", ...}: the newest release of each CUDA 13 minor on the index."""
    out = {}
    for (major, minor), v in pyindex.newest_patches("cuda-toolkit", (13, 0)).items():
        floor = TOOLKIT_FLOORS.get(f"{major}.{minor}")
        if not floor or pyindex.vkey(v) >= pyindex.vkey(floor):
            out[f"{major}.{minor}"] = v
    return out


def pinned(pins):
    out = []
    for pin in pins:
        name, version = pin.split("==")
        wheel = pyindex.linux_wheel(name, version)
        if not wheel:
            raise SystemExit(f"{pin}: no x86_64 Linux wheel on the index")
        out.append({"package": pin, "sha256": wheel["hashes"]["sha256"]})
    return sorted(out, key=lambda w: w["package"])


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
        wanted[v] = (None, []) if key < FIRST_EXTRA else extra_pins(v)
    base = next(p for v, (p, _) in sorted(wanted.items(), key=lambda i: pyindex.vkey(i[0])) if p)
    notes = {}
    for v, (pins, why) in wanted.items():
        if pins is None:  # 2.12, 2.13: 2.14's CUDA 11.8 wheels, cuDNN 8.6
            pins = [p if "cudnn" not in p else "nvidia-cudnn-cu11==8.6.0.163" for p in base]
            why = ["TensorFlow 2.12/2.13 predate the [and-cuda] extra: 2.14's CUDA 11.8 wheels "
                   "with the cuDNN TensorFlow 2.12/2.13 were tested with (8.6)"]
        wanted[v] = pins
        if why:
            notes[v] = why
    out = {}
    for v, pins in sorted(wanted.items()):
        out[v] = pinned(pins)
        print(v, len(out[v]), "wheels", file=sys.stderr)
    toolkits = {}
    for cuda, release in toolkit_releases().items():
        toolkits[cuda] = {"release": release, "wheels": pinned(toolkit_pins(release))}
        print("cuda", cuda, len(toolkits[cuda]["wheels"]), "wheels", file=sys.stderr)
    text = ("# Generated by tools/pin_wheels.py from the package index (networked); do not edit.\n"
            "# tensorflow: the NVIDIA wheels each TensorFlow release's `[and-cuda]` extra pins;\n"
            "# toolkits: the component wheels NVIDIA's `cuda-toolkit` metapackage pins for a CUDA 13\n"
            "# base. Each with the sha256 the index publishes for the manylinux x86_64 file.\n"
            "# notes: what a release's pins leave out or choose, and why (rendered into manifests).\n"
            "# source: pypi-index, tf-and-cuda, nvidia-cuda-toolkit-wheel.\n"
            + yaml.safe_dump({"tensorflow": out, "notes": notes, "toolkits": toolkits},
                             sort_keys=True, width=100))
    if args.check:
        same = OUT.exists() and OUT.read_text() == text
        print("wheel pins up to date" if same else "wheel pins differ from the index", file=sys.stderr)
        return 0 if same else 1
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
