"""Archives in the shapes NVIDIA ships, built small for tests: for Linux, CUDA 11.2's makeself
runfile (builds/<component>/..., the driver and docs beside) and cuDNN's legacy .tgz; for
Windows, the local installer (a PE stub with a 7-Zip archive of <component>/<part>/... folders
appended, unpacked by gpucfg, never run) and cuDNN's legacy .zip (cuda/bin, cuda/include,
cuda/lib/x64)."""
import os
import shutil
import subprocess
import tarfile
import tempfile


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def make_runfile(out, scratch):
    """A makeself runfile with the 11.x payload: builds/<component>/..., the driver and docs."""
    pkg = os.path.join(scratch, "runfile-pkg")
    b = os.path.join(pkg, "builds")
    write(f"{b}/cuda_nvcc/bin/nvcc", b"#!/bin/sh\necho 'Cuda compilation tools, release 11.2, "
          b"V11.2.67'\n", 0o755)
    write(f"{b}/cuda_nvcc/nvvm/bin/cicc", b"\x7fELF cicc", 0o755)
    write(f"{b}/cuda_cudart/include/cuda_runtime_api.h", b"#define CUDART_VERSION 11020\n")
    write(f"{b}/cuda_cudart/lib64/libcudart.so.11.2.72", os.urandom(4096))
    os.symlink("libcudart.so.11.2.72", f"{b}/cuda_cudart/lib64/libcudart.so.11.0")
    os.symlink("libcudart.so.11.0", f"{b}/cuda_cudart/lib64/libcudart.so")
    # Each math library of the manifest's components as 11.2's runfile has it: its header, the
    # library under its full version and the soname link (libcublas.so.11 -> ...).
    for comp, header, lib, soname in (
            ("libcublas", "cublas_v2.h", "libcublas.so.11.3.1.68", "libcublas.so.11"),
            ("libcufft", "cufft.h", "libcufft.so.10.4.0.72", "libcufft.so.10"),
            ("libcurand", "curand.h", "libcurand.so.10.2.3.68", "libcurand.so.10"),
            ("libcusolver", "cusolverDn.h", "libcusolver.so.11.0.2.68", "libcusolver.so.11"),
            ("libcusparse", "cusparse.h", "libcusparse.so.11.3.1.68", "libcusparse.so.11")):
        write(f"{b}/{comp}/include/{header}", b"/* stand-in */\n")
        write(f"{b}/{comp}/lib64/{lib}", os.urandom(4096))
        os.symlink(lib, f"{b}/{comp}/lib64/{soname}")
    write(f"{b}/cuda_cupti/extras/CUPTI/include/cupti.h", b"/* stand-in */\n")
    write(f"{b}/cuda_cupti/extras/CUPTI/lib64/libcupti.so.2020.3.0", os.urandom(1024))
    os.symlink("libcupti.so.2020.3.0", f"{b}/cuda_cupti/extras/CUPTI/lib64/libcupti.so.11.2")
    write(f"{b}/libnpp/lib64/libnppc.so.11.2.1.68", os.urandom(1024))  # not in components
    write(f"{b}/cuda_documentation/doc/index.html", b"docs")
    write(f"{b}/version.json", b'{"cuda": {"name": "CUDA SDK", "version": "11.2.0"}}\n')
    write(f"{b}/NVIDIA-Linux-x86_64-460.27.04.run", os.urandom(2048), 0o755)
    write(f"{pkg}/EULA.txt", b"eula")
    write(f"{pkg}/cuda-installer", b"\x7fELF installer", 0o755)
    subprocess.run(["makeself", "--quiet", "--gzip", pkg, out, "CUDA Toolkit", "./cuda-installer"],
                   check=True, capture_output=True)


def make_cudnn_tgz(out, scratch):
    """NVIDIA's legacy cuDNN archive: cuda/include, cuda/lib64 with versioned names and links."""
    d = os.path.join(scratch, "cudnn-tgz")
    write(f"{d}/cuda/include/cudnn.h", b"#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 1\n"
          b"#define CUDNN_PATCHLEVEL 0\n")
    write(f"{d}/cuda/include/cudnn_version.h", b"#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 1\n"
          b"#define CUDNN_PATCHLEVEL 0\n")
    write(f"{d}/cuda/lib64/libcudnn.so.8.1.0", os.urandom(2048))
    write(f"{d}/cuda/lib64/libcudnn_ops_infer.so.8.1.0", os.urandom(2048))
    os.symlink("libcudnn.so.8.1.0", f"{d}/cuda/lib64/libcudnn.so.8")
    os.symlink("libcudnn_ops_infer.so.8.1.0", f"{d}/cuda/lib64/libcudnn_ops_infer.so.8")
    # What tf-2.5's place: rules leave out, as NVIDIA's archive has it: the static library and
    # the license text stay out of the toolkit.
    write(f"{d}/cuda/lib64/libcudnn_static_v8.a", os.urandom(512))
    write(f"{d}/cuda/NVIDIA_SLA_cuDNN_Support.txt", b"license")
    with tarfile.open(out, "w:gz") as t:
        t.add(os.path.join(d, "cuda"), arcname="cuda")


def make_exe(out, files=None):
    """`files`: {path inside the installer: bytes}; by default a few components, the display
    driver and a setup file (which gpucfg leaves out)."""
    files = files or {
        "cuda_nvcc/nvcc/bin/nvcc.exe": b"MZ nvcc",
        "cuda_cudart/cudart/bin/cudart64_110.dll": b"MZ cudart",
        "cuda_cudart/cudart_dev/include/cuda_runtime_api.h": b"// header",
        "libcublas/cublas/bin/cublas64_11.dll": b"MZ cublas",
        "Display.Driver/nvlddmkm.sys": b"driver",
        "setup.cfg": b"setup",
    }
    d = tempfile.mkdtemp(prefix="gpucfg-exe-tree-")
    for name, data in files.items():
        write(os.path.join(d, name), data)
    payload = d + ".7z"
    subprocess.run(["7z", "a", "-bd", "-y", payload, "."], cwd=d, check=True, capture_output=True)
    with open(out, "wb") as f:
        f.write(b"MZ" + b"\0" * (300 << 10))
        with open(payload, "rb") as p:
            shutil.copyfileobj(p, f)
    shutil.rmtree(d)
    os.remove(payload)


def make_zip(out, names=("cuda/bin/cudnn64_8.dll", "cuda/bin/cudnn_ops_infer64_8.dll",
                         "cuda/include/cudnn.h", "cuda/lib/x64/cudnn.lib"), data=None):
    import zipfile
    with zipfile.ZipFile(out, "w") as z:
        for n in names:
            z.writestr(n, (data or {}).get(n, b"x"))


def sha256_of(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pinned_copy(names, pins, out_dir, manifests_dir, python=False):
    """Copies of the curated manifests `names` into `out_dir`, each `archive:` whose file name is
    in `pins` given that sha256 (the test files' own, in place of NVIDIA's). Returns out_dir.
    Without `python`, the framework environment (`python:`, its locked wheels from the package
    index) is left out: these copies test the toolkit and cuDNN archives, offline."""
    import re
    os.makedirs(out_dir, exist_ok=True)
    for name in names:
        with open(os.path.join(manifests_dir, name)) as f:
            lines = f.read().split("\n")
        if not python and "python:" in lines:
            start = lines.index("python:")
            end = next((j for j in range(start + 1, len(lines))
                        if lines[j] and not lines[j].startswith((" ", "#"))), len(lines))
            del lines[start:end]
        for i, line in enumerate(list(lines)):
            m = re.match(r"^(\s*)archive: .*/([^/]+)$", line)
            if not m or m.group(2) not in pins:
                continue
            # The pin line follows the archive line when there is one; else one is added.
            pin = f"{m.group(1)}sha256: {pins[m.group(2)]}"
            if i + 1 < len(lines) and lines[i + 1].strip().startswith("sha256:"):
                lines[i + 1] = pin
            else:
                lines.insert(i + 1, pin)
        with open(os.path.join(out_dir, name), "w") as f:
            f.write("\n".join(lines))
    return out_dir
