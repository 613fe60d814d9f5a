"""Issue #24's defects, each as it was reported, against the real binary under --root: toolkit
archives (version.json, bin/nvcc, lib/libcudart.so.12) in the plain and in NVIDIA's redist
layout, installed through the one store; then the store itself: every bucket in one folder,
gc across all of them, and entries checked before they are used again."""
import os

from fakemachine import Machine, debris, snapshot
from harness import check, expect, finish, gpucfg


def run(m, *args, **kw):
    return gpucfg(*args, "--root", m.root, env=m.env(**kw.pop("env", {})), exact_env=True,
                  timeout=kw.pop("timeout", 60), **kw)


def archive(m, name, version, redist=False, extra=b""):
    return m.toolkit_archive(name, version, redist, extra)


def manifest(m, name, version, arc, prefix="/opt/tk", stack="tk"):
    path, sha = arc
    text = f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: {stack}}}
requires: {{platforms: [linux-x86_64], driver: {{linux: ">=535"}}}}
cuda:
  version: "{version}"
  prefix: {prefix}
  active: false
  source: {{archive: "file://{path}", sha256: {sha}}}
"""
    out = os.path.join(os.path.dirname(m.root), name)
    with open(out, "w") as f:
        f.write(text)
    return out


def tree(m, prefix="/opt/tk"):
    return {k: v for k, v in snapshot(m.root).items() if k.startswith(prefix.lstrip("/"))}


@check("1: an in-place upgrade keeps the user's file, and rollback brings the old tree back with it")
def _():
    m = Machine()
    m1 = manifest(m, "m1.yaml", "12.0", archive(m, "a1.tar.gz", "12.0.1"))
    m2 = manifest(m, "m2.yaml", "12.1", archive(m, "a2.tar.gz", "12.1.0"))
    expect(run(m, "apply", "--yes", m1).code == 0, "apply 12.0")
    at_1 = tree(m)
    m.write("/opt/tk/lib/user.so", "the user's\n")
    r = run(m, "plan", m2)
    expect("carried into the new tree: +lib/user.so" in r.out, r.out)
    r = run(m, "apply", "--yes", m2)
    expect(r.code == 0 and "generation 2" in r.out and "carried into the new tree: lib/user.so" in r.out,
           r.out + r.err)
    expect(open(m.path("/opt/tk/lib/user.so")).read() == "the user's\n", "the upgrade lost the user's file")
    expect("12.1.0" in open(m.path("/opt/tk/version.json")).read(), "not upgraded")
    r = run(m, "rollback", "--yes")
    expect(r.code == 0 and "generation 3" in r.out, r.out + r.err)
    now = tree(m)
    expect(now.pop("opt/tk/lib/user.so", None) is not None, "rollback lost the user's file")
    expect(now == at_1, "rollback is not generation 1 byte for byte")
    expect(run(m, "plan", "--detailed-exitcode", "--checksum", m1).code == 0, "generation 1's manifest converged")
    expect(not debris(m.root), debris(m.root))


@check("2: a tree whose version.json lies elsewhere (NVIDIA's redist layout) converges")
def _():
    m = Machine()
    mf = manifest(m, "m.yaml", "12.0", archive(m, "redist.tar.gz", "12.0.1", redist=True))
    expect(run(m, "apply", "--yes", mf).code == 0, "apply")
    expect(os.path.exists(m.path("/opt/tk/share/licenses")), tree(m))
    m.write("/opt/tk/lib/user.so", "mine\n")
    for _ in range(2):
        r = run(m, "plan", "--detailed-exitcode", mf)
        expect(r.code == 0 and "No changes" in r.out, r.out)
        r = run(m, "apply", "--yes", mf)
        expect(r.code == 0 and "Applied" not in r.out, r.out)
    expect(os.path.exists(m.path("/opt/tk/lib/user.so")), "the user's file")


@check("3: a new pin of the same version is a change, said with both pins")
def _():
    m = Machine()
    a, b = archive(m, "a.tar.gz", "12.0.1"), archive(m, "b.tar.gz", "12.0.1", extra=b"# rebuilt\n")
    m1, m2 = manifest(m, "m1.yaml", "12.0", a), manifest(m, "m2.yaml", "12.0", b)
    expect(run(m, "apply", "--yes", m1).code == 0, "apply")
    r = run(m, "plan", "--detailed-exitcode", m2)
    expect(r.code == 2 and f"was a.tar.gz sha256:{a[1][:12]}; now b.tar.gz sha256:{b[1][:12]}" in r.out,
           r.out)
    expect(run(m, "apply", "--yes", m2).code == 0, "apply the new pin")
    expect(open(m.path("/opt/tk/bin/nvcc")).read().endswith("# rebuilt\n"), "the new bits are not there")


@check("4: drift only --checksum sees: plan --checksum shows it, apply --checksum and its saved plan repair it")
def _():
    m = Machine()
    mf = manifest(m, "m.yaml", "12.0", archive(m, "a.tar.gz", "12.0.1"))
    expect(run(m, "apply", "--yes", mf).code == 0, "apply")
    nvcc = m.path("/opt/tk/bin/nvcc")
    good = open(nvcc).read()
    st = os.stat(nvcc)
    with open(nvcc, "r+") as f:  # in place, same size, mtime put back
        f.write("X")
    os.utime(nvcc, ns=(st.st_atime_ns, st.st_mtime_ns))
    expect(run(m, "plan", "--detailed-exitcode", mf).code == 0, "seen without --checksum")
    r = run(m, "plan", "--detailed-exitcode", "--checksum", mf)
    expect(r.code == 2 and "~bin/nvcc" in r.out, r.out)
    saved = os.path.join(os.path.dirname(m.root), "p.json")
    expect(run(m, "plan", "--checksum", "--out", saved, mf).code == 0, "plan --out")
    r = run(m, "apply", "--yes", saved)
    expect(r.code == 0 and "generation 2" in r.out, r.out + r.err)
    expect(open(nvcc).read() == good, "not repaired")
    expect(run(m, "plan", "--detailed-exitcode", "--checksum", mf).code == 0, "still differs")
    # The same by apply --checksum, after another such edit.
    with open(nvcc, "r+") as f:
        f.write("Y")
    os.utime(nvcc, ns=(st.st_atime_ns, st.st_mtime_ns))
    r = run(m, "apply", "--yes", mf)
    expect(r.code == 0 and "No changes" in r.out, r.out)
    r = run(m, "apply", "--yes", "--checksum", mf)
    expect(r.code == 0 and "generation 3" in r.out and open(nvcc).read() == good, r.out + r.err)


@check("5: a saved plan of a toolkit adopted outside the usual prefixes applies")
def _():
    m = Machine()
    m.write("/srv/tk/version.json", '{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}')
    m.library("/srv/tk/lib64", "libcudart.so.12.4.127", "libcudart.so.12")
    mf = os.path.join(os.path.dirname(m.root), "adopt.yaml")
    with open(mf, "w") as f:
        f.write("""apiVersion: gpucfg/v1
kind: Stack
metadata: {name: srvtk}
requires: {platforms: [linux-x86_64], driver: {linux: ">=560"}}
cuda: {version: "12.4", prefix: /srv/tk, active: false, source: {adopt: true}}
loader: {paths: ["${cuda.prefix}/lib64"]}
""")
    saved = os.path.join(os.path.dirname(m.root), "p.json")
    expect(run(m, "plan", "--out", saved, mf).code == 0, "plan --out")
    r = run(m, "apply", "--yes", saved)
    expect(r.code == 0 and "generation 1" in r.out, r.out + r.err)
    # ... and is refused once the machine changed.
    expect(run(m, "plan", "--out", saved, mf).code == 0, "plan --out again")
    m.write("/srv/tk/lib64/new.so", "x")
    r = run(m, "apply", "--yes", saved)
    expect(r.code == 1 and "is stale" in r.err, r.out + r.err)


@check("6: one store: downloads, trees and environments' wheels in one folder; gc frees every bucket")
def _():
    m = Machine()
    m1 = manifest(m, "m1.yaml", "12.0", archive(m, "a1.tar.gz", "12.0.1"))
    m2 = manifest(m, "m2.yaml", "12.1", archive(m, "a2.tar.gz", "12.1.0"))
    expect(run(m, "apply", "--yes", m1).code == 0 and run(m, "apply", "--yes", m2).code == 0, "applies")
    expect(sorted(os.listdir(m.store)) == ["VERSION", "artifacts", "lock", "partial", "roots", "tmp",
                                            "trees", "verify", "yaml"], os.listdir(m.store))
    trees = [n for n in os.listdir(os.path.join(m.store, "trees")) if not n.endswith(".json")]
    expect(len(trees) == 2, trees)
    # The installed tree is made of the store entry's files: one file, two names.
    expect(os.stat(m.path("/opt/tk/bin/nvcc")).st_nlink == 2, "not linked from the store")
    r = run(m, "gc", "--keep", "1", "--dry-run")
    expect(r.code == 0 and "1 store tree(s)" in r.out, r.out)
    r = run(m, "gc", "--keep", "1")
    expect(r.code == 0 and "Freed " in r.out and "1 store tree(s)" in r.out, r.out + r.err)
    left = [n for n in os.listdir(os.path.join(m.store, "trees")) if not n.endswith(".json")]
    expect(len(left) == 1, left)
    expect(run(m, "plan", "--detailed-exitcode", "--checksum", m2).code == 0, "the current tree is intact")


@check("6b: an entry damaged in the store is never handed out: it is made anew from its archive")
def _():
    m = Machine()
    mf = manifest(m, "m.yaml", "12.0", archive(m, "a.tar.gz", "12.0.1"))
    expect(run(m, "apply", "--yes", mf).code == 0, "apply")
    expect(run(m, "rollback", "--to", "0", "--yes").code == 0, "rollback to 0")
    entry = [n for n in os.listdir(os.path.join(m.store, "trees")) if not n.endswith(".json")][0]
    planted = os.path.join(m.store, "trees", entry, "lib", "libcudart.so.12")
    os.remove(planted)
    with open(planted, "w") as f:
        f.write("a trojan\n")
    r = run(m, "apply", "--yes", mf)
    expect(r.code == 0 and "made anew" in r.out, r.out + r.err)
    expect(open(m.path("/opt/tk/lib/libcudart.so.12")).read() == "cudart 12.0.1\n", "the planted file was installed")


@check("7: destroy leaves a /usr/local/cuda link that was there before gpucfg")
def _():
    m = Machine()
    m.write("/usr/local/cuda-13.0/version.json", '{"cuda": {"name": "CUDA SDK", "version": "13.0.1"}}')
    m.library("/usr/local/cuda-13.0/lib64", "libcudart.so.13.0.96", "libcudart.so.13")
    m.link("/usr/local/cuda", "/usr/local/cuda-13.0")
    mf = os.path.join(os.path.dirname(m.root), "local.yaml")
    with open(mf, "w") as f:
        f.write("""apiVersion: gpucfg/v1
kind: Stack
metadata: {name: local-cuda-13.0}
requires: {platforms: [linux-x86_64], driver: {linux: ">=580.65.06"}}
cuda: {version: "13.0", prefix: /usr/local/cuda-13.0, source: {adopt: true}, active: true}
env: {CUDA_HOME: "${cuda.prefix}"}
""")
    r = run(m, "apply", "--yes", mf)
    expect(r.code == 0 and "/usr/local/cuda\n" not in r.out, r.out + r.err)
    r = run(m, "destroy", "--yes", mf)
    expect(r.code == 0 and "/usr/local/cuda\n" not in r.out, r.out + r.err)
    expect(os.readlink(m.path("/usr/local/cuda")) == "/usr/local/cuda-13.0", "the link is gone")
    expect(os.path.exists(m.path("/usr/local/cuda-13.0/version.json")), "the adopted toolkit")


finish()
