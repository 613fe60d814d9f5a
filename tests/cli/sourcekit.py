"""What the sources tests share (test_sources.py, test_archives.py): a scratch folder per test
process with gpucfg's cache in it, small manifests and tar archives made at test time, and apply
into a fresh root."""
import hashlib
import io
import os
import tarfile
import tempfile

from harness import gpucfg

TMP = tempfile.mkdtemp(prefix="gpucfg-sources-")
CACHE = os.path.join(TMP, "cache")
ENV = {"GPUCFG_CACHE_DIR": CACHE, "GPUCFG_RETRY_BACKOFF_MS": "10", "GPUCFG_RETRIES": "2",
       "GPUCFG_STALL_TIMEOUT": "5"}
_n = [0]


def fresh(name):
    _n[0] += 1
    d = os.path.join(TMP, f"{name}-{_n[0]}")
    os.makedirs(os.path.join(d, "root"))
    return d


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tree(root):
    out = []
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(dirpath, n), root))
    return sorted(out)


def write_manifest(d, source, prefix="/opt/stack", name="src"):
    path = os.path.join(d, "m.yaml")
    with open(path, "w") as f:
        f.write(f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: {name}}}
requires: {{platforms: [linux-x86_64]}}
cuda:
  version: "12.0"
  prefix: {prefix}
  active: false
  source:
{source}""")
    return path


def tar_with(path, members, mode="w:gz"):
    """members: (TarInfo, bytes or None)."""
    with tarfile.open(path, mode) as t:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)


def entry(name, kind=tarfile.REGTYPE, data=b"x", link="", mode=0o644):
    i = tarfile.TarInfo(name)
    i.type = kind
    i.linkname = link
    i.mode = mode
    return (i, data if kind == tarfile.REGTYPE else None)


def apply(d, m, *extra, env=None):
    e = dict(ENV)
    e.update(env or {})
    return gpucfg("apply", "--yes", "--root", os.path.join(d, "root"), *extra, m, env=e, timeout=120)
