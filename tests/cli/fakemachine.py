"""Builds fake machines for `gpucfg facts --root`: real folder layouts, real (tiny) ELF shared
libraries with the right SONAMEs, and a real ld.so cache written by `ldconfig -r`."""
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "probe")
_lib_cache = {}


def _compile(soname):
    if soname not in _lib_cache:
        d = tempfile.mkdtemp(prefix="gpucfg-lib-")
        src = os.path.join(d, "f.c")
        with open(src, "w") as f:
            f.write("int gpucfg_fixture(void) { return 0; }\n")
        out = os.path.join(d, "lib.so")
        subprocess.run(["cc", "-shared", "-fPIC", f"-Wl,-soname,{soname}", "-o", out, src], check=True)
        _lib_cache[soname] = out
    return _lib_cache[soname]


class Machine:
    def __init__(self):
        # The machine's root and, beside it, the store gpucfg keeps for it (each test its own, so
        # one test's gc never meets another's entries).
        self._tmp = tempfile.TemporaryDirectory(prefix="gpucfg-machine-")
        self.root = os.path.join(self._tmp.name, "root")
        self.store = os.path.join(self._tmp.name, "store")
        os.makedirs(self.root)
        self.ld_conf = []

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def write(self, p, text, mode=0o644):
        full = self.path(p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
        os.chmod(full, mode)

    def fixture(self, name, p):
        with open(os.path.join(FIXTURES, name)) as f:
            self.write(p, f.read())

    def link(self, p, target):
        full = self.path(p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        os.symlink(target, full)

    def library(self, folder, real_name, soname, dev_link=False):
        """folder/real_name, a real ELF library with `soname`, plus the soname link."""
        os.makedirs(self.path(folder), exist_ok=True)
        shutil.copy(_compile(soname), self.path(os.path.join(folder, real_name)))
        if soname != real_name:
            self.link(os.path.join(folder, soname), real_name)
        if dev_link:
            self.link(os.path.join(folder, soname.split(".so")[0] + ".so"), soname)

    def toolkit_archive(self, name, version, redist=False, extra=b""):
        """A stand-in toolkit archive beside the root (version.json, bin/nvcc, lib/libcudart.so.12;
        in NVIDIA's redist layout, under cuda_x-linux-x86_64-VERSION-archive/): (path, sha256)."""
        top = f"cuda_x-linux-x86_64-{version}-archive/" if redist else ""
        files = {"version.json": json.dumps({"cuda": {"name": "CUDA SDK", "version": version}}).encode(),
                 "bin/nvcc": f"#!/bin/sh\necho 'release {version}'\n".encode() + extra,
                 "lib/libcudart.so.12": f"cudart {version}\n".encode()}
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as t:
            for rel, data in files.items():
                info = tarfile.TarInfo(top + rel)
                info.size, info.mtime = len(data), 1700000000
                info.mode = 0o755 if rel.startswith("bin/") else 0o644
                t.addfile(info, io.BytesIO(data))
        path = os.path.join(os.path.dirname(self.root), name)
        with open(path, "wb") as f:
            f.write(buf.getvalue())
        return path, hashlib.sha256(buf.getvalue()).hexdigest()

    def manifest(self, name, text):
        """A manifest file beside the root (a path on this computer, as users keep them)."""
        path = os.path.join(self.root, "..", os.path.basename(self.root) + f"-{name}.yaml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def cudnn_header(self, include_dir, version):
        """include_dir/cudnn_version.h saying `version` (major.minor.patch)."""
        major, minor, patch = version.split(".")[:3]
        self.write(include_dir + "/cudnn_version.h",
                   f"#define CUDNN_MAJOR {major}\n#define CUDNN_MINOR {minor}\n#define CUDNN_PATCHLEVEL {patch}\n")

    def ldconfig(self):
        """Writes <root>/etc/ld.so.cache with the real ldconfig. Returns False where that cannot
        run (it chroots, so it needs root)."""
        self.write("/etc/ld.so.conf", "\n".join(self.ld_conf) + "\n")
        p = subprocess.run(["ldconfig", "-r", self.root], capture_output=True, text=True)
        return p.returncode == 0 and os.path.exists(self.path("/etc/ld.so.cache"))

    def env(self, **extra):
        """An environment for gpucfg that names only machine paths of this root."""
        e = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LD_LIBRARY_PATH": "",
             "GPUCFG_CACHE_DIR": self.store}
        e.update(extra)
        return e


def snapshot(root, skip_state=True):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if skip_state and rel_dir.startswith(os.path.join("var", "lib", "gpucfg")):
            continue
        for n in sorted(dirnames + filenames):
            p = os.path.join(dirpath, n)
            rel = os.path.normpath(os.path.join(rel_dir, n))
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    out[rel] = ("file", hashlib.sha256(f.read()).hexdigest(), oct(os.stat(p).st_mode & 0o7777))
            elif os.path.isdir(p):
                out[rel] = ("dir",)
    return out


def debris(root):
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            if n.startswith(".gpucfg-new-") or n.startswith(".gpucfg-old-") or n.endswith(".tmp"):
                found.append(os.path.join(dirpath, n))
    if os.path.exists(os.path.join(root, "var/lib/gpucfg/journal.json")):
        found.append("journal.json")
    return found
