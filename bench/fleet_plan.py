#!/usr/bin/env python3
"""Benchmark: one manifest planned against a fleet of machines' saved facts in one command
(`gpucfg plan --fleet DIR`), in each output format, side by side with what a team would otherwise
script: one `gpucfg plan --facts FILE` per machine. Issue 27's goals: 10,000 hosts in <= 2 s in
any format, and peak memory <= 256 MB at 10,000 and at 100,000 hosts (each run's own peak, from
wait4); issue 12's: <= 0.05x the separate runs.

The fleet is made from the H200's facts (examples/facts) and this machine's, varied the way a
real fleet varies: driver versions, GPU models, Pythons, host names, GPU UUIDs. The separate runs
are timed on a sample and scaled (running all would take minutes); the sample size is printed.

    bench/fleet_plan.py [path/to/gpucfg] [hosts,hosts...] [manifest]    (default 10000,100000)
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
SIZES = [int(n) for n in (sys.argv[2] if len(sys.argv) > 2 else "10000,100000").split(",")]
MANIFEST = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, "manifests", "tf-2.16.yaml")
SAMPLE = 50

DRIVERS = ["470.57.02", "525.60.13", "535.54.03", "545.23.06", "550.54.14", "570.124.06",
           "580.95.05"]
GPUS = [("NVIDIA H200", "9.0"), ("NVIDIA A100-SXM4-80GB", "8.0"), ("NVIDIA L4", "8.9"),
        ("Tesla V100-SXM2-32GB", "7.0"), ("NVIDIA GeForce GTX 1080", "6.1"),
        ("NVIDIA B200", "10.0")]


def make_fleet(d, hosts):
    """hosts facts files: each kind of machine serialized once, then only its names replaced
    (a fleet of 100,000 is written in seconds, not minutes)."""
    with open(os.path.join(ROOT, "examples", "facts", "h200-cuda13-apt.json")) as f:
        h200 = json.load(f)
    here = json.loads(subprocess.run([BINARY, "facts", "--json"], capture_output=True,
                                     text=True, check=True).stdout)
    kinds = {}
    for i in range(hosts):
        key = (i % 3 == 0, i % len(DRIVERS), i % len(GPUS))
        if key not in kinds:
            f = copy.deepcopy(here if i % 3 == 0 else h200)
            f["platform"]["hostname"] = "@HOST@"
            f["driver"]["present"] = True
            f["driver"]["version"] = DRIVERS[i % len(DRIVERS)]
            name, cc = GPUS[i % len(GPUS)]
            f["driver"]["gpus"] = [{"index": k, "name": name, "uuid": f"GPU-@HOST@-{k}",
                                    "compute_capability": cc, "memory_bytes": 0} for k in range(8)]
            if i % 3 != 0:
                f["pythons"] = here["pythons"]  # the H200 file predates pythons
            kinds[key] = json.dumps(f)
        with open(os.path.join(d, f"gpu-{i:06d}.json"), "w") as out:
            out.write(kinds[key].replace("@HOST@", f"gpu-{i:06d}"))


def timed(cmd):
    """Wall seconds, peak resident MB of that process, its output's size and last KB (stdout to a
    file: a fleet's JSON is hundreds of MB, and this process stays small, since a child's peak
    counts what it was forked with)."""
    with tempfile.TemporaryFile() as out:
        t = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - t
        size = out.seek(0, os.SEEK_END)
        out.seek(max(0, size - 1024))
        return wall, usage.ru_maxrss / 1024, size, out.read().decode(errors="replace")


def main():
    ok = True
    for hosts in SIZES:
        tmp = tempfile.mkdtemp(prefix="gpucfg-bench-fleet-")
        fleet = os.path.join(tmp, "fleet")
        os.makedirs(fleet)
        t = time.monotonic()
        make_fleet(fleet, hosts)
        print(f"{hosts} hosts' facts written in {time.monotonic() - t:.1f} s "
              f"({sum(os.path.getsize(os.path.join(fleet, f)) for f in os.listdir(fleet)) / 1e6:.0f} MB)")
        for fmt in ("text", "json", "markdown"):
            wall, mb, size, tail = timed([BINARY, "plan", "--fleet", fleet, "--format", fmt,
                                          MANIFEST])
            if fmt == "json":  # the summary is written last
                summary = json.JSONDecoder().raw_decode(tail[tail.rindex('"summary":') + 10:])[0]
            goal = (wall <= 2.0 or hosts > 10000) and mb <= 256
            ok = ok and goal
            print(f"  --format {fmt:9} {wall:6.2f} s wall, peak {mb:6.1f} MB, output "
                  f"{size / 1e6:6.1f} MB  {'ok' if goal else 'NOT met'}")
        print(f"  {summary}")
        if hosts <= 10000:
            files = sorted(os.listdir(fleet))
            step = max(1, len(files) // SAMPLE)
            singles = [timed([BINARY, "plan", "--facts", os.path.join(fleet, f), MANIFEST])[0]
                       for f in files[::step][:SAMPLE]]
            one = timed([BINARY, "plan", "--fleet", fleet, MANIFEST])[0]
            separate = statistics.mean(singles) * hosts
            print(f"  separate runs: {statistics.mean(singles) * 1000:.1f} ms each (mean of "
                  f"{len(singles)}), {separate:.1f} s for {hosts}; ratio {one / separate:.3f}x "
                  "(goal <= 0.05x)")
        shutil.rmtree(tmp)
    print("goals (10,000 hosts <= 2 s in every format; peak <= 256 MB at every size): "
          + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
