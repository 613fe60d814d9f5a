#!/usr/bin/env python3
"""Benchmark, on a GPU machine: gpucfg's cuDNN convolution workload (kernels/conv.cu) against
PyTorch's conv2d (cuDNN benchmark mode, channels-last fp16) on the same GPU and shapes, side by
side in one run. Reports the cuDNN each one loaded. Target from the issue: >= 0.95x PyTorch.

    bench/conv_vs_torch.py path/to/conv-binary [LD_LIBRARY_PATH for the binary]
"""
import json
import os
import subprocess
import sys

SHAPES = [(256, 256, 14, 14, 256, 3), (128, 128, 56, 56, 128, 3), (64, 64, 224, 224, 64, 3)]


def ours(binary, libpath):
    env = dict(os.environ)
    if libpath:
        env["LD_LIBRARY_PATH"] = libpath + ":" + env.get("LD_LIBRARY_PATH", "")
    out = subprocess.run([binary], capture_output=True, text=True, env=env, timeout=600).stdout
    results = [json.loads(l[len("RESULT "):]) for l in out.splitlines() if l.startswith("RESULT ")]
    lib = next((r for r in results if r["check"] == "cudnn load"), {})
    by_shape = {tuple(r["shape"]): r for r in results if "shape" in r and "nhwc" in r["check"]}
    return by_shape, lib


def torch_tflops():
    import torch
    import torch.nn.functional as F
    torch.backends.cudnn.benchmark = True
    out = {}
    for n, c, h, w, k, r in SHAPES:
        x = torch.randn(n, c, h, w, device="cuda", dtype=torch.half).to(memory_format=torch.channels_last)
        wt = torch.randn(k, c, r, r, device="cuda", dtype=torch.half).to(memory_format=torch.channels_last)
        for _ in range(5):
            F.conv2d(x, wt, padding=r // 2)
        torch.cuda.synchronize()
        times = []
        for _ in range(20):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            F.conv2d(x, wt, padding=r // 2)
            b.record()
            torch.cuda.synchronize()
            times.append(a.elapsed_time(b))
        ms = sorted(times)[len(times) // 2]
        out[(n, c, h, w, k, r)] = 2.0 * n * k * h * w * c * r * r / (ms * 1e-3) / 1e12
    return out, torch.__version__, torch.backends.cudnn.version()


def main():
    binary = sys.argv[1]
    libpath = sys.argv[2] if len(sys.argv) > 2 else ""
    mine, lib = ours(binary, libpath)
    theirs, tv, tcudnn = torch_tflops()
    print(f"gpucfg conv: cuDNN {lib.get('cudnn_runtime')} from {lib.get('library')} (built against {lib.get('cudnn_header')})")
    print(f"PyTorch {tv}: cuDNN {tcudnn}")
    print(f"{'shape (N,C,H,W,K,R)':32} {'gpucfg TFLOP/s':>15} {'PyTorch TFLOP/s':>16} {'ratio':>7}")
    worst = 9.9
    for s in SHAPES:
        m = mine.get(s, {}).get("tflops", 0.0)
        ratio = m / theirs[s] if theirs[s] else 0
        worst = min(worst, ratio)
        print(f"{str(s):32} {m:15.1f} {theirs[s]:16.1f} {ratio:7.2f}")
    print(f"target >= 0.95x: {'met' if worst >= 0.95 else 'NOT met'} (worst {worst:.2f})")


if __name__ == "__main__":
    main()
