"""Rollback of toolkit trees: every tree gpucfg installs is an entry of its store, kept while a
generation names it, so rolling back (and forward again) links it back byte for byte; a kill at
any step of such a rollback converges; files a user added to a tree are carried into the tree
that comes back, and stop a rollback that would drop them; gc frees only what no kept generation
needs; going back to before gpucfg removes the loader cache gpucfg's ldconfig made."""
import json
import os
import subprocess

from fakemachine import Machine, debris, snapshot
from harness import BINARY, ROOT, check, expect, finish, gpucfg


def run(m, *args):
    return gpucfg(*args, "--root", m.root, env=m.env(), exact_env=True, timeout=60)


def toolkit_manifest(m, version, prefix=None):
    """A CUDA `version` toolkit folder under /srv and a manifest installing it from there."""
    src = f"/srv/cuda-{version}"
    m.write(src + "/version.json", '{"cuda": {"name": "CUDA SDK", "version": "%s.1"}}' % version)
    m.write(src + "/bin/nvcc", f"#!/bin/sh\necho 'release {version}'\n" * 40, 0o755)
    m.library(src + "/lib64", f"libcudart.so.{version}.1", "libcudart.so.12")
    pre = f"\n  prefix: {prefix}" if prefix else ""
    return m.manifest(version, f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: cuda}}
requires: {{platforms: [linux-x86_64], driver: {{linux: ">=545"}}}}
cuda:
  version: "{version}"{pre}
  source: {{directory: {src}}}
loader:
  paths: ["${{cuda.prefix}}/lib64"]
""")


def state(m, *parts):
    return m.path(os.path.join("/var/lib/gpucfg", *parts))


def managed(snap):
    return {k: v for k, v in snap.items() if not k.startswith("srv")}


@check("rollback across a toolkit upgrade puts the old tree back byte for byte, and forward again")
def _():
    m = Machine()
    a, b = toolkit_manifest(m, "12.3"), toolkit_manifest(m, "12.4")
    expect(run(m, "apply", "--yes", a).code == 0, "apply 12.3")
    at_1 = managed(snapshot(m.root))
    # Converged on a machine without a driver: a warning, not a driver change to review.
    r = run(m, "plan", "--format", "markdown", a)
    expect("Labels: `no-changes`\n" in r.out and "driver: no NVIDIA driver" in r.out, r.out)
    r = run(m, "apply", "--yes", b)
    expect(r.code == 0 and "- toolkit /usr/local/cuda-12.3" in r.out, r.out + r.err)
    at_2 = managed(snapshot(m.root))
    r = run(m, "rollback", "--to", "1", "--yes")
    expect(r.code == 0, r.out + r.err)
    expect(r.out.startswith("gpucfg: rollback to generation 1 under "), r.out)
    expect("+ toolkit /usr/local/cuda-12.3" in r.out and "linked again from gpucfg's store" in r.out, r.out)
    expect(managed(snapshot(m.root)) == at_1, "the machine is not as generation 1 left it")
    expect(run(m, "plan", "--detailed-exitcode", "--checksum", a).code == 0, "generation 1's manifest converged")
    r = run(m, "rollback", "--to", "2", "--yes")
    expect(r.code == 0 and managed(snapshot(m.root)) == at_2, r.out + r.err)
    expect(run(m, "plan", "--detailed-exitcode", "--checksum", b).code == 0, "generation 2's manifest converged")
    expect(not debris(m.root), debris(m.root))


@check("a toolkit replaced in the same prefix rolls back byte for byte")
def _():
    m = Machine()
    a, b = toolkit_manifest(m, "12.3", "/opt/cuda"), toolkit_manifest(m, "12.4", "/opt/cuda")
    expect(run(m, "apply", "--yes", a).code == 0, "apply 12.3")
    at_1 = managed(snapshot(m.root))
    r = run(m, "apply", "--yes", b)
    expect(r.code == 0 and "~ toolkit /opt/cuda" in r.out and "its sources changed" in r.out, r.out + r.err)
    expect(managed(snapshot(m.root)) != at_1, "12.4 replaced 12.3")
    r = run(m, "rollback", "--yes")
    expect(r.code == 0 and managed(snapshot(m.root)) == at_1, r.out + r.err)


@check("a kill at every step of a toolkit rollback converges: undone, then the rollback runs again")
def _():
    k = 1
    while True:
        m = Machine()
        a, b = toolkit_manifest(m, "12.3", "/opt/cuda"), toolkit_manifest(m, "12.4", "/opt/cuda")
        expect(run(m, "apply", "--yes", a).code == 0, "apply 12.3")
        at_1 = managed(snapshot(m.root))
        expect(run(m, "apply", "--yes", b).code == 0, "apply 12.4")
        at_2 = managed(snapshot(m.root))
        env = dict(m.env(), GPUCFG_DATA_DIR=ROOT, GPUCFG_FAULT_STEP=str(k))
        p = subprocess.run([BINARY, "rollback", "--yes", "--root", m.root], env=env,
                           capture_output=True, text=True)
        if p.returncode == 0:
            expect(k > 3, f"the rollback finished before checkpoint {k}")
            break
        expect(p.returncode == -9, f"step {k}: {p.returncode} {p.stderr}")
        run(m, "gc", "--dry-run")  # takes the lock, so it undoes (or finishes) the rollback
        now = managed(snapshot(m.root))
        expect(now in (at_1, at_2), f"step {k}: after recovery the tree is neither generation's")
        r = run(m, "rollback", "--to", "1", "--yes")
        expect(r.code == 0, f"step {k}: {r.out} {r.err}")
        expect(managed(snapshot(m.root)) == at_1, f"step {k}: not generation 1 after recovery and rollback")
        expect(not debris(m.root), f"step {k}: {debris(m.root)}")
        k += 1


@check("files a user added to a tree stop a rollback that would drop them; nothing changes")
def _():
    m = Machine()
    a = toolkit_manifest(m, "12.3")
    expect(run(m, "apply", "--yes", a).code == 0, "apply")
    m.write("/usr/local/cuda-12.3/lib64/my-plugin.so", "the user's\n")
    before = snapshot(m.root)
    r = run(m, "rollback", "--to", "0", "--yes")
    expect(r.code == 1 and "holds files gpucfg did not install (lib64/my-plugin.so)" in r.out, r.out + r.err)
    expect(snapshot(m.root) == before, "a refused rollback changed the machine")
    os.remove(m.path("/usr/local/cuda-12.3/lib64/my-plugin.so"))
    r = run(m, "rollback", "--to", "0", "--yes")
    expect(r.code == 0 and not os.path.exists(m.path("/usr/local/cuda-12.3")), r.out + r.err)
    # gpucfg's ldconfig made the scratch root's loader cache; before gpucfg there was none.
    expect(not os.path.exists(m.path("/etc/ld.so.cache")), "rollback to 0 left the loader cache")


@check("a tree damaged before it was replaced still comes back as recorded: the store's entry is whole")
def _():
    m = Machine()
    a, b = toolkit_manifest(m, "12.3"), toolkit_manifest(m, "12.4")
    expect(run(m, "apply", "--yes", a).code == 0, "apply 12.3")
    at_1 = managed(snapshot(m.root))
    os.remove(m.path("/usr/local/cuda-12.3/bin/nvcc"))  # unlinks the installed name only
    r = run(m, "apply", "--yes", b)
    expect(r.code == 0, r.out + r.err)
    r = run(m, "rollback", "--to", "1", "--yes")
    expect(r.code == 0 and managed(snapshot(m.root)) == at_1, r.out + r.err)


@check("a write through an installed file into the store's entry is caught: rollback to it is refused")
def _():
    m = Machine()
    a, b = toolkit_manifest(m, "12.3"), toolkit_manifest(m, "12.4")
    expect(run(m, "apply", "--yes", a).code == 0, "apply 12.3")
    with open(m.path("/usr/local/cuda-12.3/bin/nvcc"), "a") as f:  # in place: the same file
        f.write("# edited in place\n")
    expect(run(m, "apply", "--yes", b).code == 0, "apply 12.4")
    before = snapshot(m.root)
    r = run(m, "rollback", "--to", "1", "--yes")
    expect(r.code == 1 and "/usr/local/cuda-12.3: the store's copy of the tree that generation recorded" in r.out
           and "~bin/nvcc" in r.out, r.out + r.err)
    expect(snapshot(m.root) == before, "a refused rollback changed the machine")


def store_trees(m):
    return sorted(n for n in os.listdir(os.path.join(m.store, "trees")) if not n.endswith(".json"))


@check("gc frees only what no kept generation needs, and --keep forgets the oldest generations")
def _():
    m = Machine()
    a, b = toolkit_manifest(m, "12.3"), toolkit_manifest(m, "12.4")
    expect(run(m, "apply", "--yes", a).code == 0 and run(m, "apply", "--yes", b).code == 0, "applies")
    kept = store_trees(m)
    expect(len(kept) == 2, kept)  # generation 1's tree and generation 2's
    r = run(m, "gc")
    expect(r.code == 0 and "Freed 0 MB: 0 store tree(s)" in r.out and store_trees(m) == kept, r.out + r.err)
    r = run(m, "gc", "--keep", "1", "--dry-run")
    expect(r.code == 0 and "Would forget generation(s) 1." in r.out and "1 store tree(s)" in r.out, r.out)
    expect(store_trees(m) == kept, "a dry run removed a tree")
    r = run(m, "gc", "--keep", "1")
    expect(r.code == 0 and "Forgot generation(s) 1." in r.out and "1 store tree(s)" in r.out, r.out + r.err)
    expect(len(store_trees(m)) == 1, store_trees(m))
    r = run(m, "rollback", "--to", "1", "--yes")
    expect(r.code == 1 and "no generation 1" in r.out + r.err, r.out + r.err)
    # What generation 2 and the originals need is still there: plan converges, rollback to 0 works.
    expect(run(m, "plan", "--detailed-exitcode", "--checksum", b).code == 0, "generation 2 intact")
    r = run(m, "rollback", "--to", "0", "--yes")
    expect(r.code == 0 and not os.path.exists(m.path("/usr/local/cuda-12.4")), r.out + r.err)
    blobs = set(os.listdir(state(m, "blobs")))
    needed = set()
    for n in os.listdir(state(m, "generations")):
        with open(state(m, "generations", n)) as f:
            needed |= {e["sha256"] for e in json.load(f)["entries"] if e.get("sha256")}
    expect(needed <= blobs, f"gc removed blobs a generation needs: {needed - blobs}")


@check("gc sweeps the store shared by several roots: an entry another root's generation names stays")
def _():
    m, other = Machine(), Machine()
    other.store = m.store  # two roots, one store
    a = toolkit_manifest(m, "12.3")
    o = toolkit_manifest(other, "12.4")
    expect(run(m, "apply", "--yes", a).code == 0 and run(other, "apply", "--yes", o).code == 0, "applies")
    expect(len(store_trees(m)) == 2, store_trees(m))
    r = run(m, "rollback", "--to", "0", "--yes")  # this root no longer needs its tree
    expect(r.code == 0, r.out + r.err)
    r = run(m, "gc", "--keep", "1")
    expect(r.code == 0 and "1 store tree(s)" in r.out, r.out + r.err)
    expect(len(store_trees(m)) == 1, store_trees(m))
    expect(run(other, "plan", "--detailed-exitcode", "--checksum", o).code == 0, "the other root is intact")


def file_manifest(m, name, content):
    m.write(f"/srv/{name}.conf", content)
    return m.manifest(name, f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: {name}}}
requires: {{platforms: [linux-x86_64]}}
files:
  - {{copy: /etc/tool/{name}.conf, from: /srv/{name}.conf}}
""")


@check("a user's edit of a file gpucfg wrote is kept beside it, and named, before rollback, apply or destroy replace it")
def _():
    m = Machine()
    mf = file_manifest(m, "a", "gpucfg's\n")
    expect(run(m, "apply", "--yes", mf).code == 0, "apply")
    conf = m.path("/etc/tool/a.conf")
    with open(conf, "w") as f:
        f.write("the user's edit\n")
    # rollback to before gpucfg: the file goes (it was not there), the edit is kept and named.
    r = run(m, "rollback", "--to", "0", "--yes")
    expect(r.code == 0 and "kept first as /etc/tool/a.conf.gpucfg-edited-1" in r.out, r.out + r.err)
    expect("folder /etc/tool" not in r.out, f"the folder keeps the edit, so it is not emptied: {r.out}")
    kept = m.path("/etc/tool/a.conf.gpucfg-edited-1")
    expect(not os.path.exists(conf) and open(kept).read() == "the user's edit\n", snapshot(m.root))
    # apply repairing an edit keeps it the same way; later runs never remove the copy.
    expect(run(m, "apply", "--yes", mf).code == 0, "apply again")
    with open(conf, "w") as f:
        f.write("edited again\n")
    r = run(m, "apply", "--yes", mf)
    gen = r.out
    expect(r.code == 0 and ".gpucfg-edited-" in r.out, r.out + r.err)
    copies = sorted(n for n in os.listdir(m.path("/etc/tool")) if ".gpucfg-edited-" in n)
    expect(len(copies) == 2 and open(conf).read() == "gpucfg's\n", f"{copies} {gen}")
    expect(run(m, "destroy", mf, "--yes").code == 0, "destroy")
    left = sorted(os.listdir(m.path("/etc/tool")))
    expect(left == copies, f"destroy left {left}; the kept copies {copies} must stay")


@check("destroy puts a file back as it was before gpucfg: bytes, mode and modification time")
def _():
    m = Machine()
    m.write("/etc/tool/b.conf", "the machine's own\n", 0o600)
    before = os.stat(m.path("/etc/tool/b.conf"))
    os.utime(m.path("/etc/tool/b.conf"), ns=(before.st_atime_ns, 1_500_000_000_000_000_000))
    mf = file_manifest(m, "b", "gpucfg's\n")
    expect(run(m, "apply", "--yes", mf).code == 0, "apply")
    r = run(m, "destroy", mf, "--yes")
    expect(r.code == 0, r.out + r.err)
    st = os.stat(m.path("/etc/tool/b.conf"))
    expect(open(m.path("/etc/tool/b.conf")).read() == "the machine's own\n", "bytes")
    expect(st.st_mode & 0o777 == 0o600 and st.st_mtime_ns == 1_500_000_000_000_000_000,
           f"mode {oct(st.st_mode)}, mtime {st.st_mtime_ns}")


finish()
