"""Shared by the benchmarks: one timed run of a command, which must succeed."""
import subprocess
import sys
import time


def timed(cmd, env=None):
    """Wall seconds of one run of `cmd` (output discarded); exits with its stderr if it fails."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} failed: {p.stderr[-800:]}")
    return wall
