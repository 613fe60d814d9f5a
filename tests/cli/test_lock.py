"""Lock files: `gpucfg lock` writes <name>.lock.json beside a manifest (schemas/lock.schema.json);
plan and apply hold the manifest to it: an edit that changes what it resolves to fails the plan
with the update command; `lock` without --update only compares (a CI check); an archive the
manifest leaves unpinned is pinned by `lock --allow-unpinned` and then installs without the
flag, and bytes that change behind that pin are refused; a lock travels with its manifest.
"""
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile

import jsonschema

from harness import ROOT, check, expect, finish, gpucfg

TMP = tempfile.mkdtemp(prefix="gpucfg-lock-")
ENV = {"GPUCFG_CACHE_DIR": os.path.join(TMP, "cache"), "GPUCFG_CONFIG": "/nonexistent"}
D = os.path.join(TMP, "stack")
os.makedirs(D)


def archive(path, text):
    with tarfile.open(path, "w:gz") as t:
        for name, data in (("bin/tool", b"#!/bin/sh\n"), ("version.json", text.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            t.addfile(info, io.BytesIO(data))


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


archive(os.path.join(D, "toolkit.tar.gz"), '{"cuda": {"name": "CUDA SDK", "version": "12.0.0"}}')
M = os.path.join(D, "train.yaml")
MANIFEST = """apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: train}}
requires: {{platforms: [linux-x86_64], driver: {{linux: ">=525.60.13"}}}}
cuda:
  version: "12.0"
  prefix: /opt/cuda
  active: false
  source:
    archive: toolkit.tar.gz
{pin}env:
  NCCL_DEBUG: {level}
"""


def manifest(pin=True, level="WARN"):
    with open(M, "w") as f:
        f.write(MANIFEST.format(pin=f"    sha256: {sha(os.path.join(D, 'toolkit.tar.gz'))}\n"
                                if pin else "", level=level))


LOCK = os.path.join(D, "train.lock.json")


@check("lock writes <name>.lock.json beside the manifest, valid against its schema")
def write():
    manifest()
    r = gpucfg("lock", M, env=ENV)
    expect(r.code == 0 and "Wrote" in r.out, r.out + r.err)
    with open(LOCK) as f:
        doc = json.load(f)
    with open(os.path.join(ROOT, "schemas", "lock.schema.json")) as f:
        jsonschema.validate(doc, json.load(f))
    art = doc["platforms"]["linux-x86_64"]["artifacts"]
    expect(len(art) == 1 and art[0]["role"] == "cuda" and art[0]["file"] == "toolkit.tar.gz" and
           art[0]["origins"] == ["./toolkit.tar.gz"], art)
    r = gpucfg("lock", M, env=ENV)
    expect(r.code == 0 and "up to date" in r.out, r.out + r.err)


@check("an edit the lock does not cover fails plan with the update command; --update fixes it")
def drift():
    manifest(level="INFO")
    r = gpucfg("plan", "--root", TMP, M, env=ENV)
    expect(r.code == 1 and "gpucfg lock --update" in r.out, r.out + r.err)
    r = gpucfg("lock", M, env=ENV)
    expect(r.code == 1 and "does not match" in r.err, r.err)
    r = gpucfg("lock", "--update", M, env=ENV)
    expect(r.code == 0, r.err)
    r = gpucfg("plan", "--root", TMP, M, env=ENV)
    expect(r.code == 0, r.out + r.err)


@check("a lock travels with its manifest: a clone elsewhere agrees")
def relocated():
    other = os.path.join(TMP, "clone")
    shutil.copytree(D, other)
    r = gpucfg("plan", "--root", TMP, os.path.join(other, "train.yaml"), env=ENV)
    expect(r.code == 0, r.out + r.err)


@check("an unpinned archive: lock --allow-unpinned pins it; apply then needs no flag; new bytes are refused")
def trust_on_first_use():
    manifest(pin=False)
    os.remove(LOCK)
    r = gpucfg("plan", "--root", TMP, M, env=ENV)
    expect(r.code == 1 and "not pinned" in r.out + r.err, r.out + r.err)
    r = gpucfg("lock", "--allow-unpinned", M, env=ENV)
    expect(r.code == 0 and "not pinned; its sha256 is" in r.err, r.out + r.err)
    root = os.path.join(TMP, "root")
    os.makedirs(root)
    r = gpucfg("apply", "--yes", "--no-verify", "--root", root, M, env=ENV, timeout=60)
    expect(r.code == 0 and os.path.exists(os.path.join(root, "opt/cuda/bin/tool")), r.out + r.err)
    # The archive replaced behind the lock's back (same name, other bytes).
    archive(os.path.join(D, "toolkit.tar.gz"), '{"cuda": {"name": "CUDA SDK", "version": "12.0.1"}}')
    shutil.rmtree(os.path.join(TMP, "cache"), ignore_errors=True)
    root2 = os.path.join(TMP, "root2")
    os.makedirs(root2)
    r = gpucfg("apply", "--yes", "--no-verify", "--root", root2, M, env=ENV, timeout=60)
    expect(r.code == 1 and not os.path.exists(os.path.join(root2, "opt")), r.out + r.err)


finish()
