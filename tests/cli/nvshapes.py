"""Archives in the shapes NVIDIA ships for Windows, built small for tests: the local installer
(a PE stub with a 7-Zip archive of <component>/<part>/... folders appended, unpacked by gpucfg,
never run) and cuDNN's legacy .zip (cuda/bin, cuda/include, cuda/lib/x64)."""
import os
import shutil
import subprocess
import tempfile


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


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
