"""Small, real wheels for the environment tests and bench: zip files in the binary distribution
format (dist-info with METADATA, WHEEL, RECORD hashes, entry points, a .data folder), built here
so the tests need no registry. One stands in for TensorFlow: it has the API the framework check
calls, and like TensorFlow's stream executor it dlopens the stack's libcudart and libcudnn by
soname when asked for GPUs, so what it maps is what the loader's paths give it."""
import base64
import hashlib
import os
import subprocess
import zipfile

FAKE_TF = '''"""A stand-in for TensorFlow (gpucfg's tests): the calls the framework check makes."""
import ctypes
import types

__version__ = "{version}"
test = types.SimpleNamespace(is_built_with_cuda=lambda: True)
sysconfig = types.SimpleNamespace(
    get_build_info=lambda: {{"cuda_version": "13", "cudnn_version": "9"}})


def _list_physical_devices(kind):
    # By soname, from the loader's paths, as TensorFlow does; no GPU behind them.
    ctypes.CDLL("libcudart.so.13", mode=ctypes.RTLD_GLOBAL)
    ctypes.CDLL("libcudnn.so.9", mode=ctypes.RTLD_GLOBAL)
    return []


config = types.SimpleNamespace(list_physical_devices=_list_physical_devices)
{extra}
'''


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(out_dir, name, version, files, entry_points="", tag="py3-none-any"):
    """files: {path in the wheel: text or bytes}; paths may be under NAME-VERSION.data/."""
    dist = f"{name}-{version}"
    info = f"{dist}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    files[f"{info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: gpucfg-tests\n"
                              f"Root-Is-Purelib: true\nTag: {tag}\n")
    if entry_points:
        files[f"{info}/entry_points.txt"] = entry_points
    record = ""
    path = os.path.join(out_dir, f"{dist}-{tag}.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for rel, data in files.items():
            data = data.encode() if isinstance(data, str) else data
            info_z = zipfile.ZipInfo(rel, date_time=(2024, 1, 1, 0, 0, 0))
            info_z.external_attr = (0o755 if "/scripts/" in rel else 0o644) << 16
            info_z.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info_z, data)
            record += f"{rel},{record_hash(data)},{len(data)}\n"
        record += f"{info}/RECORD,,\n"
        z.writestr(f"{info}/RECORD", record)
    return path


def fake_framework(out_dir, version="2.16.1", broken=False):
    extra = "raise ImportError('this build of the stand-in is broken on purpose')" if broken else ""
    return make_wheel(out_dir, "tensorflow", version, {
        "tensorflow/__init__.py": FAKE_TF.format(version=version, extra=extra),
        "nsp/__init__.py": "",  # shared with the helper wheel, as NVIDIA's wheels share nvidia/
    })


def helper(out_dir):
    """A dependency with what pip handles: an entry point, a #!python script, purelib data."""
    return make_wheel(out_dir, "fake_helper", "1.0", {
        "fake_helper/__init__.py": "def main():\n    print('helper ok')\n",
        "nsp/__init__.py": "",
        "fake_helper-1.0.data/scripts/fake-helper-raw": "#!python\nprint('raw ok')\n",
        "fake_helper-1.0.data/purelib/fake_helper_extra.py": "VALUE = 42\n",
    }, entry_points="[console_scripts]\nfake-helper = fake_helper:main\n")


def stub_libraries(prefix):
    """libcudart.so.13 and libcudnn.so.9 as tiny real shared libraries under prefix/lib64."""
    lib = os.path.join(prefix, "lib64")
    os.makedirs(lib, exist_ok=True)
    src = os.path.join(prefix, "stub.c")
    with open(src, "w") as f:
        f.write("int gpucfg_stub(void) { return 1; }\n")
    for stem, soname, real in (("cudart", "libcudart.so.13", "libcudart.so.13.0.96"),
                               ("cudnn", "libcudnn.so.9", "libcudnn.so.9.1.0")):
        subprocess.run(["cc", "-shared", "-fPIC", f"-Wl,-soname,{soname}", "-o",
                        os.path.join(lib, real), src], check=True)
        os.symlink(real, os.path.join(lib, soname))
    os.remove(src)
    return lib
