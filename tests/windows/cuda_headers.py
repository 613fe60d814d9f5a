"""Real CUDA, cuBLAS and cuDNN headers for the Windows acceptance test, from NVIDIA's wheels on
the package index (the headers are the same on every platform), cached under the MinGW cache.

The test's stand-in stack is CUDA 11.2 with cuDNN 8.1, whose headers are on no registry here; the
nearest on the index are CUDA 11.8's runtime and nvcc's crt/ headers, cuBLAS 11.11 and cuDNN 8.9.6, and every call the
workloads make exists in 8.1 and 11.2 too. Only the headers are read out of the 400-700 MB wheels,
by HTTP range requests (tools/pyindex.py); zipfile checks each member's CRC, and each wheel must
be the file pinned here (its sha256 in the index's listing).
"""
import hashlib
import io
import os
import sys
import urllib.request
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import pyindex  # noqa: E402

WHEELS = {  # project: (version, wheel sha256, folder of headers in the wheel)
    "nvidia-cuda-runtime-cu11": ("11.8.89", "92d04069a987e1fbc9213f8376d265df0f7bb42617d44f5eda1f496acea7f2d1",
                                 "nvidia/cuda_runtime/include/"),
    # nvcc's crt/ (host_config.h, host_defines.h), which cuda_runtime.h includes
    "nvidia-cuda-nvcc-cu11": ("11.8.89", "f8e1e995166c884f2f5bf94975d7abb89175363b8712f7f81cd38d0df1b2cd85",
                              "nvidia/cuda_nvcc/include/"),
    "nvidia-cublas-cu11": ("11.11.3.6", "60252822adea5d0b10cd990a7dc7bedf7435f30ae40083c7a624a85a43225abc",
                           "nvidia/cublas/include/"),
    "nvidia-cudnn-cu11": ("8.9.6.50", "319a8f7ca3d65139f1b69998595c7076ae0e4271a325e5dfde50a3ca31f55584",
                          "nvidia/cudnn/include/"),
}


def _zip(file):
    """The wheel as a zip: read whole when small, else by ranges."""
    if file["size"] < 8 << 20:
        with urllib.request.urlopen(file["url"], timeout=120) as r:
            data = r.read()
        if hashlib.sha256(data).hexdigest() != file["hashes"]["sha256"]:
            raise SystemExit(f"{file['filename']}: sha256 differs from the index's")
        return zipfile.ZipFile(io.BytesIO(data))
    return zipfile.ZipFile(io.BufferedReader(pyindex._Ranges(file["url"], file["size"]),
                                             buffer_size=1 << 20))


def fetch(cache):
    """{project: folder holding its include/ tree}, fetched once into `cache`."""
    out = {}
    for project, (version, sha, inside) in WHEELS.items():
        dest = os.path.join(cache, f"{project}-{version}")
        out[project] = dest
        if os.path.exists(os.path.join(dest, ".complete")):
            continue
        file = pyindex.linux_wheel(project, version)
        if not file or file["hashes"].get("sha256") != sha:
            raise SystemExit(f"{project}=={version}: the index no longer serves the pinned wheel")
        print(f"cuda_headers: {project} {version}'s headers from {file['filename']}", flush=True)
        with _zip(file) as z:
            for name in z.namelist():
                if name.startswith(inside) and not name.endswith("/"):
                    target = os.path.join(dest, name[len(inside):])
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with open(target, "wb") as f:
                        f.write(z.read(name))
        open(os.path.join(dest, ".complete"), "w").close()
    return out


if __name__ == "__main__":
    for project, folder in fetch(sys.argv[1] if len(sys.argv) > 1 else "/tmp/cuda-headers").items():
        print(project, folder, len([f for _, _, fs in os.walk(folder) for f in fs]))
