#!/usr/bin/env python3
"""Benchmark, on a GPU machine: gpucfg's cuDNN convolution workload (kernels/conv.cu) against
PyTorch's conv2d (cuDNN benchmark mode, channels-last fp16) on the same GPU and shapes, side by
side in one run. Reports the cuDNN each one loaded. Target: >= 0.95x PyTorch.

Both sides are timed alike: each sample is one pair of CUDA events around 50 back-to-back
launches (so PyTorch's Python dispatch, ~10 us a call, is not counted whole against a kernel of
0.1 ms), 20 samples, the median. Rounds alternate (ours, PyTorch, ours, ...), and the ratio's
median and spread over the rounds are reported: one run is not a measurement on a shared GPU.

    bench/conv_vs_torch.py path/to/conv-binary [LD_LIBRARY_PATH for the binary] [--rounds 5]
"""
import argparse
import json
import os
import statistics
import subprocess

SHAPES = [(256, 256, 14, 14, 256, 3), (128, 128, 56, 56, 128, 3), (64, 64, 224, 224, 64, 3)]
BATCH, SAMPLES = 50, 20


def flops(shape):
    n, c, h, w, k, r = shape
    return 2.0 * n * k * h * w * c * r * r


def ours(binary, libpath):
    env = dict(os.environ)
    if libpath:
        env["LD_LIBRARY_PATH"] = libpath + ":" + env.get("LD_LIBRARY_PATH", "")
    out = subprocess.run([binary], capture_output=True, text=True, env=env, timeout=600).stdout
    results = [json.loads(l[len("RESULT "):]) for l in out.splitlines() if l.startswith("RESULT ")]
    lib = next((r for r in results if r["check"] == "cudnn load"), {})
    by_shape = {tuple(r["shape"]): r.get("tflops", 0.0) for r in results if "shape" in r and "nhwc" in r["check"]}
    return by_shape, lib


class Torch:
    def __init__(self):
        import torch
        import torch.nn.functional as F
        torch.backends.cudnn.benchmark = True
        self.torch, self.F = torch, F
        self.inputs = {}
        for n, c, h, w, k, r in SHAPES:
            x = torch.randn(n, c, h, w, device="cuda", dtype=torch.half).to(memory_format=torch.channels_last)
            wt = torch.randn(k, c, r, r, device="cuda", dtype=torch.half).to(memory_format=torch.channels_last)
            for _ in range(5):  # cuDNN's autotuner picks its algorithm here
                F.conv2d(x, wt, padding=r // 2)
            self.inputs[(n, c, h, w, k, r)] = (x, wt)
        torch.cuda.synchronize()

    def tflops(self):
        torch, F = self.torch, self.F
        out = {}
        for s, (x, wt) in self.inputs.items():
            pad = s[5] // 2
            times = []
            for _ in range(SAMPLES):
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record()
                for _ in range(BATCH):
                    F.conv2d(x, wt, padding=pad)
                b.record()
                torch.cuda.synchronize()
                times.append(a.elapsed_time(b) / BATCH)
            out[s] = flops(s) / (statistics.median(times) * 1e-3) / 1e12
        return out


def main():
    ap = argparse.ArgumentParser(description="gpucfg's conv workload against PyTorch conv2d")
    ap.add_argument("binary")
    ap.add_argument("libpath", nargs="?", default="", help="LD_LIBRARY_PATH for the binary")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    binary, libpath, rounds = a.binary, a.libpath, a.rounds
    t = Torch()
    ratios = {s: [] for s in SHAPES}
    mine_all, theirs_all = {s: [] for s in SHAPES}, {s: [] for s in SHAPES}
    lib = {}
    for i in range(rounds):  # interleaved: ours, then PyTorch, each round
        mine, lib = ours(binary, libpath)
        theirs = t.tflops()
        for s in SHAPES:
            mine_all[s].append(mine.get(s, 0.0))
            theirs_all[s].append(theirs[s])
            ratios[s].append(mine.get(s, 0.0) / theirs[s] if theirs[s] else 0.0)
    torch = t.torch
    print(f"gpucfg conv: cuDNN {lib.get('cudnn_runtime')} from {lib.get('library')} (built against {lib.get('cudnn_header')})")
    print(f"PyTorch {torch.__version__}: cuDNN {torch.backends.cudnn.version()}; {rounds} interleaved rounds, "
          f"{SAMPLES} samples of {BATCH} back-to-back launches per event pair on both sides")
    print(f"{'shape (N,C,H,W,K,R)':32} {'gpucfg TFLOP/s':>15} {'PyTorch TFLOP/s':>16} {'ratio (median)':>15} {'spread':>14}")
    worst = 9.9
    for s in SHAPES:
        med = statistics.median(ratios[s])
        worst = min(worst, med)
        print(f"{str(s):32} {statistics.median(mine_all[s]):15.1f} {statistics.median(theirs_all[s]):16.1f} "
              f"{med:15.3f} {min(ratios[s]):6.3f}-{max(ratios[s]):.3f}")
    print(f"target >= 0.95x: {'met' if worst >= 0.95 else 'NOT met'} (worst median {worst:.3f})")


if __name__ == "__main__":
    main()
