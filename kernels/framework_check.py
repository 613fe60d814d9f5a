"""The framework level of `gpucfg verify`, run by the environment's own interpreter:
    python -I framework_check.py tensorflow|pytorch GPU_EXPECTED(0|1)
Prints one `RESULT {json}` line per check, as the CUDA workloads do. The last one lists the
CUDA and cuDNN files this process mapped (from /proc/self/maps; on Windows its module list):
which copy the framework
really loaded, which gpucfg compares with the manifest. A check that needs a GPU is `not-run`
when gpucfg saw none (GPU_EXPECTED=0), and `fail` when it saw one the framework cannot."""
import json
import os
import sys
import traceback

FRAMEWORK, GPU = sys.argv[1], sys.argv[2] == "1"
STAGE = ["import"]  # the check an exception belongs to
LIBS = ("libcudart", "libcudnn", "libcublas", "libcuda.so", "cudart64", "cudnn64", "cudnn_")


def result(check, outcome, detail, **data):
    print("RESULT " + json.dumps(dict(check=check, outcome=outcome, detail=detail, **data)),
          flush=True)


def windows_modules():
    """The files of the DLLs loaded in this process (EnumProcessModules, GetModuleFileNameW)."""
    import ctypes
    from ctypes import wintypes
    k32 = ctypes.WinDLL("kernel32", use_last_error=True)
    k32.GetCurrentProcess.restype = wintypes.HANDLE
    k32.K32EnumProcessModules.argtypes = [wintypes.HANDLE, ctypes.POINTER(wintypes.HMODULE),
                                          wintypes.DWORD, ctypes.POINTER(wintypes.DWORD)]
    k32.GetModuleFileNameW.argtypes = [wintypes.HMODULE, wintypes.LPWSTR, wintypes.DWORD]
    proc, count = k32.GetCurrentProcess(), 1024
    while True:
        mods, need = (wintypes.HMODULE * count)(), wintypes.DWORD()
        if not k32.K32EnumProcessModules(proc, mods, ctypes.sizeof(mods), ctypes.byref(need)):
            return []
        if need.value <= ctypes.sizeof(mods):
            break
        count = need.value // ctypes.sizeof(wintypes.HMODULE) + 16
    out, buf = [], ctypes.create_unicode_buffer(32768)
    for h in mods[:need.value // ctypes.sizeof(wintypes.HMODULE)]:
        if h and k32.GetModuleFileNameW(h, buf, 32768):
            out.append(buf.value)
    return out


def mapped():
    """Real paths of the CUDA/cuDNN libraries in this process, in the order first mapped."""
    if os.name == "nt":
        return [p for p in windows_modules() if any(os.path.basename(p).lower().startswith(x) for x in LIBS)]
    seen = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split(None, 5)
                if len(parts) < 6:
                    continue
                path = parts[5].strip()
                name = os.path.basename(path)
                if any(name.startswith(p) for p in LIBS) and path not in seen:
                    seen.append(os.path.realpath(path))
    except OSError:
        pass
    return seen


def pytorch():
    import torch
    result("import", "pass", f"torch {torch.__version__}", version=torch.__version__)
    STAGE[0] = "framework"
    cuda = torch.version.cuda
    result("built with CUDA", "pass" if cuda else "fail",
           f"torch.version.cuda = {cuda}", cuda=cuda,
           cudnn=str(torch.backends.cudnn.version()) if torch.backends.cudnn.is_available() else None)
    visible = torch.cuda.is_available()
    gpu_checks(visible, f"torch.cuda.is_available() = {visible}", lambda: torch_conv(torch))


def torch_conv(torch):
    import torch.nn.functional as F
    x = torch.randn(8, 16, 32, 32, device="cuda")
    w = torch.randn(16, 16, 3, 3, device="cuda")
    y = F.conv2d(x, w, padding=1)
    ref = F.conv2d(x.double().cpu(), w.double().cpu(), padding=1)
    err = (y.double().cpu() - ref).abs().max().item()
    torch.cuda.synchronize()
    return err, torch.cuda.get_device_name(0)


def tensorflow():
    import tensorflow as tf
    result("import", "pass", f"tensorflow {tf.__version__}", version=tf.__version__)
    STAGE[0] = "framework"
    built = tf.test.is_built_with_cuda()
    info = tf.sysconfig.get_build_info()
    result("built with CUDA", "pass" if built else "fail",
           f"tf.test.is_built_with_cuda() = {built}", cuda=info.get("cuda_version"),
           cudnn=info.get("cudnn_version"))
    gpus = tf.config.list_physical_devices("GPU")
    gpu_checks(bool(gpus), f"tf.config.list_physical_devices('GPU') = {gpus}",
               lambda: tf_conv(tf))


def tf_conv(tf):
    import numpy as np
    with tf.device("/GPU:0"):
        x = tf.random.normal([8, 32, 32, 16])
        w = tf.random.normal([3, 3, 16, 16])
        y = tf.nn.conv2d(x, w, 1, "SAME")
    with tf.device("/CPU:0"):
        ref = tf.nn.conv2d(tf.cast(x, tf.float64), tf.cast(w, tf.float64), 1, "SAME")
    err = float(np.max(np.abs(y.numpy().astype("float64") - ref.numpy())))
    return err, y.device


def gpu_checks(visible, detail, conv):
    if not GPU:
        result("GPU visible", "not-run", "no GPU on this machine (gpucfg facts); " + detail)
        result("convolution on the GPU", "not-run", "no GPU on this machine")
        return
    result("GPU visible", "pass" if visible else "fail", detail)
    if not visible:
        result("convolution on the GPU", "not-run", "the framework sees no GPU")
        return
    err, where = conv()
    # fp32 with TF32 allowed against fp64: a 3x3x16 sum of unit normals stays well inside 0.1.
    result("convolution on the GPU", "pass" if err < 0.1 else "fail",
           f"8x16x32x32 conv 3x3 on {where}: max |error| {err:.2e} against fp64 on the CPU",
           max_error=err)


try:
    (pytorch if FRAMEWORK == "pytorch" else tensorflow)()
except Exception:
    result(STAGE[0], "fail", traceback.format_exc(limit=3).strip().splitlines()[-1])
result("libraries mapped", "pass", "CUDA and cuDNN files in this process", libraries=mapped())
