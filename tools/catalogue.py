#!/usr/bin/env python3
"""The maintainer's command that keeps the curated catalogue current and correct. Networked (the
package index, and NVIDIA's redistrib indexes where reachable); not part of CI, whose offline
half is tests/cli/test_catalogue_consistency.py.

    tools/catalogue.py check              # report what is new or disagrees; exit 1 if anything
    tools/catalogue.py update [--only S]  # re-pin, re-lock and regenerate manifests/

check reads, from the package index, each release list and each wheel's own METADATA (by HTTP
range requests, tools/pyindex.py) and compares them with knowledge/:
- new releases: a TensorFlow patch newer than a row's `version`, a TensorFlow or PyTorch minor
  without a row, a CUDA 13 release of NVIDIA's cuda-toolkit metapackage without a base or newer
  than its base's, a cuDNN wheel no cudnn.yaml row covers;
- disagreements: TensorFlow's `[and-cuda]` Requires-Dist against knowledge/wheel-pins.yaml
  (NCCL included); each locked PyTorch stack's torch wheel against the cuDNN and CUDA
  knowledge/frameworks.yaml states for it (the wheel wins); cuda-toolkit's pins against a base's;
- NVIDIA's redistrib index listing, or one line saying it is not reachable from here.

update runs tools/pin_wheels.py, tools/lock_env.py --catalogue and tools/gen_manifests.py, so
the diff to review is knowledge/*.yaml and manifests/; its exit status is theirs.
"""
import argparse
import os
import re
import subprocess
import sys

import yaml

import pin_wheels
import pyindex

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
REDISTRIB = "https://developer.download.nvidia.com/compute/cuda/redist/"


def load(name):
    with open(os.path.join(ROOT, "knowledge", name)) as f:
        return yaml.safe_load(f)


def mm(v):
    return ".".join(str(v).split(".")[:2])


def in_range(v, rng):
    """Does v satisfy ">=9.12,<=9.21"? A bound compares only the components it names."""
    for clause in rng.split(","):
        op, bound = re.match(r"\s*([<>]=?)\s*([0-9.]+)", clause).groups()
        a, b = pyindex.vkey(v), pyindex.vkey(bound)
        a = a[:len(b)] if op in ("<=", ">=") else a
        if not {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b}[op]:
            return False
    return True


def new_releases(fw, pins, cudnn):
    out = []
    tf_rows = {mm(r["version"]): r for r in fw["tensorflow"] if r["os"] == "linux"}
    for (major, minor), newest in pyindex.newest_patches("tensorflow", (2, 0)).items():
        row = tf_rows.get(f"{major}.{minor}")
        if not row:
            out.append(f"tensorflow {newest}: no row in knowledge/frameworks.yaml")
        elif pyindex.vkey(newest) > pyindex.vkey(row["version"]) and "keep" not in row:
            out.append(f"tensorflow {newest}: newer than the row's {row['version']} "
                       "(frameworks.yaml; curated stacks take the newest patch)")
    torch_rows = {str(r["version"]) for r in fw["pytorch"]}
    for (major, minor), newest in pyindex.newest_patches("torch", (1, 12)).items():
        if f"{major}.{minor}" not in torch_rows:
            out.append(f"torch {newest}: no row in knowledge/frameworks.yaml")
    bases = pins.get("toolkits") or {}
    for cuda, release in pin_wheels.toolkit_releases().items():
        have = bases.get(cuda)
        if not have:
            out.append(f"cuda-toolkit {release}: no CUDA {cuda} base (knowledge/wheel-pins.yaml)")
        elif have["release"] != release:
            out.append(f"cuda-toolkit {release}: newer than the {cuda} base's {have['release']}")

    def cudnn_known(v):
        for row in cudnn["releases"]:
            if "version" in row and pyindex.vkey(v)[:len(pyindex.vkey(row["version"]))] \
                    == pyindex.vkey(row["version"]):
                return True
            if "range" in row and in_range(v, row["range"]):
                return True
        return False
    for project in ("nvidia-cudnn-cu12", "nvidia-cudnn-cu13"):
        for v in pyindex.releases(project):
            if not cudnn_known(v):
                out.append(f"{project} {v}: no row in knowledge/cudnn.yaml")
    return out


def tf_disagreements(fw, pins):
    out = []
    for row in fw["tensorflow"]:
        v = str(row["version"])
        if row["os"] != "linux" or tuple(pyindex.vkey(v)[:2]) < pin_wheels.FIRST_EXTRA:
            continue
        want, _ = pin_wheels.extra_pins(v)
        have = {p["package"] for p in pins["tensorflow"].get(v, [])}
        for p in sorted(set(want) ^ have):
            side = "the extra has" if p in want else "wheel-pins.yaml has"
            out.append(f"tensorflow {v}[and-cuda]: {side} {p}")
    return out


def torch_disagreements(fw, locks):
    """Each locked PyTorch stack: its torch wheel's own Requires-Dist against the row."""
    out = []
    for rel in fw["pytorch"]:
        for variant in rel.get("variants", []):
            name = f"pytorch-{rel['version']}-cu{str(variant['cuda']).replace('.', '')}"
            lock = (locks or {}).get(name)
            if not lock:
                continue
            wheel = next(w["wheel"] for w in lock["lock"] if w["wheel"].startswith("torch-"))
            version = wheel.split("-")[1]
            python = lock["targets"][-1].split("/")[1]
            meta = pyindex.metadata(pyindex.linux_wheel("torch", version, python))
            reqs = {n: s for n, s, _ in pyindex.requires_dist(meta)}
            cudnn = next((re.sub(r"^==", "", s) for n, s in reqs.items()
                          if n.startswith("nvidia-cudnn-")), None)
            if cudnn and cudnn != str(variant["cudnn"]):
                out.append(f"{name}: frameworks.yaml says cuDNN {variant['cudnn']}, torch "
                           f"{version} requires {cudnn} (the wheel wins)")
            runtime = next((s for n, s in reqs.items() if n.startswith("nvidia-cuda-runtime")
                            or n == "cuda-toolkit"), None)
            if runtime and mm(re.sub(r"^[=<>~!]+", "", runtime)) != str(variant["cuda"]):
                out.append(f"{name}: frameworks.yaml says CUDA {variant['cuda']}, torch "
                           f"{version} requires {runtime}")
    return out


def toolkit_disagreements(pins):
    out = []
    for cuda, base in (pins.get("toolkits") or {}).items():
        want = set(pin_wheels.toolkit_pins(base["release"]))
        have = {w["package"] for w in base["wheels"]}
        for p in sorted(want ^ have):
            side = f"cuda-toolkit {base['release']} pins" if p in want else "the base has"
            out.append(f"cuda-{cuda} base: {side} {p}")
    return out


def redistrib():
    ok, why = pyindex.reachable(REDISTRIB)
    if not ok:
        return [], f"NVIDIA's redistrib indexes ({REDISTRIB}) are not reachable from here: {why}"
    import urllib.request
    with urllib.request.urlopen(REDISTRIB, timeout=60) as r:
        listing = r.read().decode("utf-8", "replace")
    known = {f for f in os.listdir(os.path.join(ROOT, "tests", "fixtures", "redistrib"))}
    found = sorted(set(re.findall(r"redistrib_(13\.[0-9.]+)\.json", listing)), key=pyindex.vkey)
    return [f"redistrib_{v}.json on NVIDIA's site" for v in found
            if f"redistrib_{v}.json" not in known], ""


def check():
    fw, pins, cudnn = load("frameworks.yaml"), load("wheel-pins.yaml"), load("cudnn.yaml")
    locks = load("env-locks.yaml")
    sections = [("new on the index", new_releases(fw, pins, cudnn)),
                ("TensorFlow's [and-cuda] extra", tf_disagreements(fw, pins)),
                ("PyTorch wheels against frameworks.yaml", torch_disagreements(fw, locks)),
                ("CUDA 13 bases against cuda-toolkit", toolkit_disagreements(pins))]
    nv, note = redistrib()
    sections.append(("NVIDIA redistrib", nv))
    total = 0
    for title, lines in sections:
        print(f"# {title}: {len(lines) or 'nothing'}")
        for line in lines:
            print(f"  {line}")
        total += len(lines)
    if note:
        print(f"note: {note}")
    print(f"{total} finding(s)", file=sys.stderr)
    return 1 if total else 0


def update(only, accept_skips):
    steps = [[sys.executable, os.path.join(TOOLS, "pin_wheels.py")],
             [sys.executable, os.path.join(TOOLS, "lock_env.py"), "--catalogue"]
             + [a for s in only for a in ("--only", s)]
             + (["--accept-skips"] if accept_skips else []),
             [sys.executable, os.path.join(TOOLS, "gen_manifests.py")]]
    for cmd in steps:
        print("+", " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd),
              file=sys.stderr)
        r = subprocess.run(cmd)
        if r.returncode != 0:
            return r.returncode
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="verb", required=True)
    sub.add_parser("check")
    up = sub.add_parser("update")
    up.add_argument("--only", action="append", default=[], help="a stack to re-lock (repeat)")
    up.add_argument("--accept-skips", action="store_true",
                    help="record Pythons that cannot be locked instead of failing")
    a = ap.parse_args()
    return check() if a.verb == "check" else update(a.only, a.accept_skips)


if __name__ == "__main__":
    sys.exit(main())
