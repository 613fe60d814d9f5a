"""Issue #31: as root, gpucfg never trusts, follows or runs what another user can write. A second,
unprivileged user (`gpucfg-other`, made here with useradd) plants what the audit planted; gpucfg
runs as root under --root and must refuse, or leave the plant alone, every time; the canary
outside the root is never touched. Without root (no second user can be made) every check says
it was skipped and why."""
import hashlib
import http.server
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from fakemachine import Machine
from harness import ROOT, check, expect, finish, gpucfg, local_manifest, local_toolkit

OTHER = "gpucfg-other"

if os.geteuid() != 0:
    print("skipped: these checks make a second user and run gpucfg as root; run them as root")
    print("0 passed, 0 failed")
    sys.exit(0)

if subprocess.run(["id", OTHER], capture_output=True).returncode != 0:
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER],
                   check=True)
UID, GID = pwd.getpwnam(OTHER).pw_uid, pwd.getpwnam(OTHER).pw_gid

# The canary: a root-owned file outside every root, which nothing may change.
CANARY_DIR = tempfile.mkdtemp(prefix="gpucfg-canary-")
CANARY = os.path.join(CANARY_DIR, "shadow")
with open(CANARY, "w") as f:
    f.write("root's secret\n")
os.chmod(CANARY, 0o600)


def canary():
    st = os.stat(CANARY)
    with open(CANARY) as f:
        return f.read(), oct(st.st_mode & 0o7777), st.st_uid


CANARY_THEN = canary()


def as_other(*argv, **kw):
    """Runs a command as the second user."""
    return subprocess.run(["setpriv", f"--reuid={UID}", f"--regid={GID}", "--clear-groups", "--", *argv],
                          capture_output=True, text=True, **kw)


def open_to_other(m):
    """The machine's folders reachable by the other user (a root an admin shares, as the audit's
    scratch roots were), so it can plant what it plants."""
    for d in (os.path.dirname(m.root), m.root):
        os.chmod(d, 0o755)


def owned_by_other(path, mode=0o755):
    os.makedirs(path, exist_ok=True)
    os.chown(path, UID, GID)
    os.chmod(path, mode)


def run(m, *args, env=None, **kw):
    return gpucfg(*args, "--root", m.root, env=m.env(**(env or {})), exact_env=True,
                  timeout=kw.pop("timeout", 60), **kw)


def file_manifest(m, name="app", path="/opt/app/app.conf", mode="0644"):
    m.write("/srv/src/app.conf", "configuration\n")
    return m.manifest(name, f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: {name}}}
requires: {{platforms: [linux-x86_64]}}
files:
  - {{copy: {path}, from: /srv/src/app.conf, mode: "{mode}"}}
""")


@check("1: a journal planted in a state folder another user can write is not replayed")
def _():
    m = Machine()
    open_to_other(m)
    state = m.path("/var/lib/gpucfg")
    owned_by_other(state)
    journal = json.dumps({"generation": 1, "steps": [{"kind": "create", "path": CANARY}]})
    r = as_other("sh", "-c", f"cat > {state}/journal.json", input=journal)
    expect(r.returncode == 0, r.stderr)
    r = run(m, "apply", "--yes", file_manifest(m))
    expect(r.code == 1 and "the state folder" in r.err and "open to other users" in r.err
           and f"owned by uid {UID}" in r.err, r.out + r.err)
    expect(canary() == CANARY_THEN, "the canary changed")
    # Even a journal in a folder of root's own is replayed only within the root.
    m2 = Machine()
    os.makedirs(m2.path("/var/lib/gpucfg"), mode=0o700)
    with open(m2.path("/var/lib/gpucfg/journal.json"), "w") as f:
        f.write(journal)
    r = run(m2, "apply", "--yes", file_manifest(m2))
    expect(r.code == 1 and "cannot replay" in r.err and "not a path under the root" in r.err, r.out + r.err)
    expect(canary() == CANARY_THEN, "the canary changed")


@check("2: a prefix inside a folder another user can write is refused, so no chmod races there")
def _():
    m = Machine()
    open_to_other(m)
    owned_by_other(m.path("/home/other"))
    mf = file_manifest(m, path="/home/other/app/app.conf")
    r = run(m, "plan", mf)
    expect(r.code == 1 and "other users can change what is there" in r.out, r.out + r.err)
    # The other user swaps in links to the canary's folder as fast as it can meanwhile.
    racer = subprocess.Popen(["setpriv", f"--reuid={UID}", f"--regid={GID}", "--clear-groups", "--",
                              "sh", "-c", f"for i in $(seq 1 3000); do ln -sfn {CANARY_DIR} "
                                          f"{m.path('/home/other/app')} 2>/dev/null; rm -f {m.path('/home/other/app')}; done"])
    try:
        for _ in range(5):
            r = run(m, "apply", "--yes", mf)
            expect(r.code == 1, r.out + r.err)
    finally:
        racer.wait(timeout=60)
    expect(canary() == CANARY_THEN and oct(os.stat(CANARY_DIR).st_mode & 0o777) == "0o700", "the canary changed")


@check("3: a store another user can write is refused: nothing in it is installed")
def _():
    m = Machine()
    store = os.path.join(os.path.dirname(m.root), "their-store")
    owned_by_other(store)
    os.chmod(os.path.dirname(m.root), 0o755)
    path, sha = m.toolkit_archive("tk.tar.gz", "12.0.1")
    mf = m.manifest("tk", f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: tk}}
requires: {{platforms: [linux-x86_64], driver: {{linux: ">=535"}}}}
cuda: {{version: "12.0", prefix: /opt/tk, active: false, source: {{archive: "file://{path}", sha256: {sha}}}}}
""")
    r = run(m, "apply", "--yes", mf, env={"GPUCFG_CACHE_DIR": store})
    expect(r.code == 1 and "the store" in r.err and "open to other users" in r.err, r.out + r.err)
    expect(not os.path.exists(m.path("/opt/tk")), "installed from a store others can write")


@check("4: verify builds nothing into, and runs nothing from, a store another user can write")
def _():
    if local_toolkit():
        print("4: skipped:", local_toolkit())
        return
    store = tempfile.mkdtemp(prefix="gpucfg-their-store-")
    os.chmod(store, 0o755)
    os.makedirs(os.path.join(store, "verify"))
    for d in (store, os.path.join(store, "verify")):
        os.chown(d, UID, GID)
    r = gpucfg("verify", "--level", "compute", local_manifest(), env={"GPUCFG_CACHE_DIR": store},
               timeout=600)
    expect(r.code in (0, 3, 4) and "build conv" in r.out, r.out + r.err)
    expect(os.listdir(os.path.join(store, "verify")) == [], "verify used a store others can write")
    shutil.rmtree(store, ignore_errors=True)


@check("5: a toolkit's nvcc that another user owns is not run as root; facts says so")
def _():
    m = Machine()
    open_to_other(m)
    tk = m.path("/usr/local/cuda-12.4")
    owned_by_other(tk)
    owned_by_other(os.path.join(tk, "bin"))
    evil = os.path.join(CANARY_DIR, "nvcc-ran")
    r = as_other("sh", "-c", f"printf '#!/bin/sh\\ntouch {evil}\\necho release 12.4\\n' > {tk}/bin/nvcc && chmod 755 {tk}/bin/nvcc")
    expect(r.returncode == 0, r.stderr)
    r = run(m, "facts", "--json")
    expect(r.code == 0, r.out + r.err)
    expect(not os.path.exists(evil), "the other user's nvcc ran as root")
    warnings = json.loads(r.out)["warnings"]
    expect(any("bin/nvcc was not run" in w and f"owned by uid {UID}" in w for w in warnings), warnings)


@check("6: facts --frameworks does not run a venv's Python another user made")
def _():
    m = Machine()
    open_to_other(m)
    venv = m.path("/opt/x/venv")
    owned_by_other(m.path("/opt/x"))
    evil = os.path.join(CANARY_DIR, "python-ran")
    r = as_other("sh", "-c", f"mkdir -p {venv}/bin && touch {venv}/pyvenv.cfg && "
                             f"printf '#!/bin/sh\\ntouch {evil}\\n' > {venv}/bin/python3 && chmod 755 {venv}/bin/python3")
    expect(r.returncode == 0, r.stderr)
    r = run(m, "facts", "--json", "--frameworks")
    expect(r.code == 0 and not os.path.exists(evil), r.out + r.err)
    expect(any("/opt/x/venv/bin/python3 was not run" in w for w in json.loads(r.out)["warnings"]), r.out)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


@check("7: a link planted at a download's partial file is removed, never appended through")
def _():
    m = Machine()
    served = tempfile.mkdtemp(prefix="gpucfg-served-")
    path, sha = m.toolkit_archive("tk.tar.gz", "12.0.1")
    shutil.copy(path, served)
    handler = lambda *a, **kw: Quiet(*a, directory=served, **kw)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        mf = m.manifest("tk", f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: tk}}
requires: {{platforms: [linux-x86_64], driver: {{linux: ">=535"}}}}
cuda: {{version: "12.0", prefix: /opt/tk, active: false,
        source: {{archive: "http://127.0.0.1:{srv.server_address[1]}/tk.tar.gz", sha256: {sha}}}}}
""")
        os.makedirs(os.path.join(m.store, "partial"))
        os.symlink(CANARY, os.path.join(m.store, "partial", sha + ".part"))
        r = run(m, "apply", "--yes", mf)
        expect(r.code == 0, r.out + r.err)
    finally:
        srv.shutdown()
    expect(canary() == CANARY_THEN, "bytes were appended through the link")


@check("8: copies gpucfg keeps of a 0600 file are root's alone")
def _():
    m = Machine()
    open_to_other(m)
    m.write("/opt/app/app.conf", "the admin's 0600 secret\n", 0o600)
    r = run(m, "apply", "--yes", file_manifest(m, mode="0600"))
    expect(r.code == 0, r.out + r.err)
    state = m.path("/var/lib/gpucfg")
    expect(oct(os.stat(state).st_mode & 0o777) == "0o700", oct(os.stat(state).st_mode))
    blobs = os.listdir(os.path.join(state, "blobs"))
    expect(blobs, "no blobs kept")
    for b in blobs:
        r = as_other("cat", os.path.join(state, "blobs", b))
        expect(r.returncode != 0 and "secret" not in r.stdout, f"the other user read {b}")


@check("9: another user cannot take the state lock and block every run")
def _():
    m = Machine()
    open_to_other(m)
    mf = file_manifest(m)
    expect(run(m, "apply", "--yes", mf).code == 0, "apply")
    lock = m.path("/var/lib/gpucfg/lock")
    expect(oct(os.stat(lock).st_mode & 0o777) == "0o600", oct(os.stat(lock).st_mode))
    r = as_other("flock", "-s", "-n", lock, "true")
    expect(r.returncode != 0, "the other user took the lock")
    # A holder that is not gpucfg is named by its process.
    holder = subprocess.Popen(["flock", lock, "sleep", "5"])
    time.sleep(0.3)
    try:
        r = run(m, "rollback", "--yes")
        expect(r.code == 1 and "flock" in r.err and "may not be gpucfg" in r.err, r.err)
    finally:
        holder.kill()
        holder.wait()


@check("10: a link at the lock's name is not followed: its target is never made")
def _():
    m = Machine()
    os.makedirs(m.path("/var/lib/gpucfg"), mode=0o700)
    os.makedirs(m.path("/etc"))
    os.symlink(m.path("/etc/nologin"), m.path("/var/lib/gpucfg/lock"))
    r = run(m, "apply", "--yes", file_manifest(m))
    expect(r.code == 1 and "lock" in r.err, r.out + r.err)
    expect(not os.path.exists(m.path("/etc/nologin")), "the link's target was made")


@check("children of root get an allowlisted environment: no PYTHONPATH, PIP_*, NVCC_* or LD_PRELOAD")
def _():
    m = Machine()
    dump = os.path.join(os.path.dirname(m.root), "env-of-nvcc")
    m.write("/usr/local/cuda-12.4/bin/nvcc", f"#!/bin/sh\nenv > {dump}\necho 'release 12.4, V12.4.131'\n", 0o755)
    r = run(m, "facts", env={"PYTHONPATH": "/evil", "PIP_INDEX_URL": "http://evil", "NVCC_PREPEND_FLAGS": "-evil",
                             "LD_AUDIT": "/evil.so", "CUDA_VISIBLE_DEVICES": "0"})
    expect(r.code == 0 and os.path.exists(dump), r.out + r.err)
    names = {line.split("=", 1)[0] for line in open(dump).read().splitlines() if "=" in line}
    for bad in ("PYTHONPATH", "PIP_INDEX_URL", "NVCC_PREPEND_FLAGS", "LD_AUDIT"):
        expect(bad not in names, f"{bad} reached nvcc")
    expect("PATH" in names and "CUDA_VISIBLE_DEVICES" in names, names)


@check("the canary outside every root was never touched")
def _():
    expect(canary() == CANARY_THEN, "the canary changed")


try:
    finish()
finally:
    shutil.rmtree(CANARY_DIR, ignore_errors=True)
