#!/usr/bin/env python3
"""What the package index has that knowledge/ lacks: framework releases (TensorFlow, PyTorch)
and NVIDIA component releases (the CUDA runtime and cuDNN wheels), so a stale catalogue is
seen, not discovered by users. Networked (the index's JSON API); not part of CI.

    tools/check_stale.py [--index https://pypi.org]

Exit status 1 when something is missing, with one line per missing release.
"""
import argparse
import json
import os
import re
import sys
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(name):
    with open(os.path.join(ROOT, "knowledge", name)) as f:
        return yaml.safe_load(f)


def vkey(v):
    return [int(x) for x in re.findall(r"\d+", str(v))]


def releases(index, project):
    """Final releases with at least one file, oldest first."""
    with urllib.request.urlopen(f"{index}/pypi/{project}/json", timeout=60) as r:
        doc = json.load(r)
    out = [v for v, files in doc["releases"].items()
           if files and re.fullmatch(r"\d+(\.\d+)*", v)]
    return sorted(out, key=vkey)


def mm(v):
    return ".".join(str(v).split(".")[:2])


def in_range(v, rng):
    ok = True
    for clause in rng.split(","):
        clause = clause.strip()
        for op in (">=", "<=", ">", "<"):
            if clause.startswith(op):
                a, b = vkey(v), vkey(clause[len(op):])
                a = a[:len(b)] if op in ("<=", ">=") else a
                ok = ok and {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b}[op]
                break
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default="https://pypi.org")
    a = ap.parse_args()
    fw, cudnn, drivers = load("frameworks.yaml"), load("cudnn.yaml"), load("cuda-driver.yaml")
    missing = []

    known_tf = {mm(r["version"]) for r in fw["tensorflow"]}
    oldest_tf = min((r["version"] for r in fw["tensorflow"]), key=vkey)
    for v in releases(a.index, "tensorflow"):
        if vkey(v) >= vkey(oldest_tf) and mm(v) not in known_tf:
            missing.append(f"tensorflow {v}: no row in knowledge/frameworks.yaml")
    known_torch = {str(r["version"]) for r in fw["pytorch"]}
    oldest_torch = min((str(r["version"]) for r in fw["pytorch"]), key=vkey)
    for v in releases(a.index, "torch"):
        if vkey(v) >= vkey(oldest_torch) and mm(v) not in known_torch:
            missing.append(f"torch {v}: no row in knowledge/frameworks.yaml")

    known_cuda = {mm(r["cuda"]) for r in drivers["toolkit_driver"]}
    for project in ("nvidia-cuda-runtime-cu12", "nvidia-cuda-runtime"):
        for v in releases(a.index, project):
            if mm(v) not in known_cuda and vkey(v)[0] >= 12:
                missing.append(f"{project} {v}: CUDA {mm(v)} is not in knowledge/cuda-driver.yaml")

    def cudnn_known(v):
        for row in cudnn["releases"]:
            if "version" in row and vkey(v)[:len(vkey(row["version"]))] == vkey(row["version"]):
                return True
            if "range" in row and in_range(v, row["range"]):
                return True
        return False
    for project in ("nvidia-cudnn-cu12", "nvidia-cudnn-cu13"):
        for v in releases(a.index, project):
            if not cudnn_known(v):
                missing.append(f"{project} {v}: no row in knowledge/cudnn.yaml")

    seen = set()
    for line in missing:
        if line not in seen:
            print(line)
            seen.add(line)
    print(f"{len(seen)} release(s) on the index that knowledge/ lacks", file=sys.stderr)
    return 1 if seen else 0


if __name__ == "__main__":
    sys.exit(main())
