"""Shared by the benchmarks: one timed run of a command, which must succeed; interleaved rounds
of an environment built into a new root by gpucfg against the same built by another tool."""
import os
import shutil
import statistics
import subprocess
import sys
import time


def settle():
    """Waits for the disk to be quiet: synced, then 6 s. Deleting a big tree (the last round's)
    leaves work behind on a filesystem mounted with `discard`, and ext4 skips the inodes it freed
    in the last 5 s when it allocates new ones; without the wait, whichever side runs after a
    deletion pays for it (seen here: uv 12 to 30 s from one run to the next)."""
    subprocess.run(["sync"])
    time.sleep(6)


def timed(cmd, env=None):
    """Wall seconds of one run of `cmd` (output discarded); exits with its stderr if it fails."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} failed: {p.stderr[-800:]}")
    return wall


def env_rounds(rounds, work, gpucfg_apply, other, name):
    """`rounds` interleaved rounds: gpucfg_apply(root) into a new root, then other(venv) into a
    new folder (each returns seconds; both start from nothing, the disk settled before each).
    Prints each round and the medians; returns the median of per-round ratios."""
    ratios, ours, theirs = [], [], []
    for i in range(rounds):
        root, venv = os.path.join(work, f"root-{i}"), os.path.join(work, f"venv-{i}")
        for p in (root, venv):
            shutil.rmtree(p, ignore_errors=True)
        os.makedirs(root)
        settle()
        g = gpucfg_apply(root)
        settle()
        o = other(venv)
        ours.append(g)
        theirs.append(o)
        ratios.append(g / o)
        print(f"round {i + 1}: gpucfg {g:.1f} s, {name} {o:.1f} s, ratio {g / o:.2f}x", flush=True)
        shutil.rmtree(root)
        shutil.rmtree(venv)
    ratio = statistics.median(ratios)
    print(f"median: gpucfg {statistics.median(ours):.1f} s (warm store), {name} "
          f"{statistics.median(theirs):.1f} s (warm cache), ratio {ratio:.2f}x "
          f"(goal <= 1.0x: {'met' if ratio <= 1.0 else 'NOT met'})")
    return ratio
