#!/usr/bin/env python3
"""Benchmark: one manifest planned against 1,000 machines' saved facts, in one command
(`gpucfg plan --fleet DIR`), side by side with what a team would otherwise script: 1,000
separate `gpucfg plan --facts FILE` runs. Issue #12's goal: the whole fleet in <= 1 s wall on
this 2-core machine, and <= 0.05x the separate runs.

The fleet is made from the H200's facts (examples/facts) and this machine's, varied the way a
real fleet varies: driver versions, GPU models, Pythons, host names. The separate runs are
timed on a sample and scaled (running all 1,000 would take minutes); the sample size is printed.

    bench/fleet_plan.py [path/to/gpucfg] [hosts] [manifest]
"""
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cli", "gpucfg")
HOSTS = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
MANIFEST = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, "manifests", "tf-2.16.yaml")
SAMPLE = 50

DRIVERS = ["470.57.02", "525.60.13", "535.54.03", "545.23.06", "550.54.14", "570.124.06",
           "580.95.05"]
GPUS = [("NVIDIA H200", "9.0"), ("NVIDIA A100-SXM4-80GB", "8.0"), ("NVIDIA L4", "8.9"),
        ("Tesla V100-SXM2-32GB", "7.0"), ("NVIDIA GeForce GTX 1080", "6.1"),
        ("NVIDIA B200", "10.0")]


def make_fleet(d):
    with open(os.path.join(ROOT, "examples", "facts", "h200-cuda13-apt.json")) as f:
        h200 = json.load(f)
    here = json.loads(subprocess.run([BINARY, "facts", "--json"], capture_output=True,
                                     text=True, check=True).stdout)
    for i in range(HOSTS):
        f = copy.deepcopy(here if i % 3 == 0 else h200)
        f["platform"]["hostname"] = f"gpu-{i:04d}"
        f["driver"]["present"] = True
        f["driver"]["version"] = DRIVERS[i % len(DRIVERS)]
        name, cc = GPUS[i % len(GPUS)]
        f["driver"]["gpus"] = [{"index": k, "name": name, "uuid": f"GPU-{i}-{k}",
                                "compute_capability": cc, "memory_bytes": 0} for k in range(8)]
        if i % 3 != 0:
            f["pythons"] = here["pythons"]  # the H200 file predates pythons
        with open(os.path.join(d, f"gpu-{i:04d}.json"), "w") as out:
            json.dump(f, out)


def timed(cmd):
    t = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    return time.monotonic() - t, p


def main():
    tmp = tempfile.mkdtemp(prefix="gpucfg-bench-fleet-")
    fleet = os.path.join(tmp, "fleet")
    os.makedirs(fleet)
    make_fleet(fleet)
    files = sorted(os.listdir(fleet))
    one = min(timed([BINARY, "plan", "--fleet", fleet, MANIFEST])[0] for _ in range(3))
    as_json, p = min((timed([BINARY, "plan", "--fleet", fleet, "--format", "json", MANIFEST])
                      for _ in range(3)), key=lambda x: x[0])
    doc = json.loads(p.stdout)
    print(f"{HOSTS} hosts, {os.path.basename(MANIFEST)}: {doc['summary']}")
    step = max(1, len(files) // SAMPLE)
    singles = [timed([BINARY, "plan", "--facts", os.path.join(fleet, f), MANIFEST])[0]
               for f in files[::step][:SAMPLE]]
    separate = statistics.mean(singles) * HOSTS
    print(f"one command (--fleet, the table): {one:.2f} s wall (best of 3); goal <= 1 s")
    print(f"one command (--fleet --format json, {len(p.stdout) / 1e6:.0f} MB): {as_json:.2f} s")
    print(f"separate runs: {statistics.mean(singles) * 1000:.1f} ms each (mean of {len(singles)}),"
          f" {separate:.1f} s for {HOSTS}")
    print(f"ratio: {one / separate:.3f}x (goal <= 0.05x)")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
