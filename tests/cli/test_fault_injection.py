"""Kill `gpucfg apply` (SIGKILL) at random points, many times. After each kill the next gpucfg
undoes or finishes the interrupted transaction; a new apply (or a rollback) converges; no staging
debris stays; nothing outside the managed set changes. Then the same for an in-place toolkit
upgrade through the store (a user's file inside, rolled back afterwards) and for gc (killed while
it frees store entries, generations and blobs). Random but reproducible: the seed is printed and
can be set with GPUCFG_FAULT_SEED."""
import os
import random
import subprocess
import time

from fakemachine import Machine, debris, snapshot
from harness import BINARY, ROOT, check, expect, finish, gpucfg

SEED = int(os.environ.get("GPUCFG_FAULT_SEED", str(int(time.time()))))
ROUNDS = int(os.environ.get("GPUCFG_FAULT_ROUNDS", "30"))
print(f"fault injection: seed {SEED}, {ROUNDS} rounds")
rng = random.Random(SEED)

MANAGED_A = ["opt/app/app.conf", "opt/app/current", "opt/app/old.txt", "etc/profile.d/gpucfg-app.sh",
             "etc/environment.d/90-gpucfg-app.conf", "etc/ld.so.conf.d/gpucfg-app.conf", "etc/ld.so.cache"]


def write_manifest(m, version):
    """Version 1 and 2 differ in every way apply can differ: content, links, removals, env, loader."""
    m.write(f"/srv/src/app-{version}.conf", f"app configuration {version}\n" * (version * 50))
    files = [f"  - {{copy: /opt/app/app.conf, from: /srv/src/app-{version}.conf}}",
             f"  - {{symlink: /opt/app/current, target: app-v{version}}}"]
    files.append("  - {copy: /opt/app/old.txt, from: /srv/src/app-1.conf}" if version == 1
                 else "  - {copy: /opt/app/new.txt, from: /srv/src/app-2.conf}")
    text = ("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: app}\nfiles:\n" + "\n".join(files) +
            f"\nenv:\n  APP_VERSION: \"{version}\"\n  PATH: {{prepend: [/opt/app/v{version}/bin]}}\n"
            f"loader:\n  paths: [/opt/app/v{version}/lib]\n")
    path = os.path.join(m.root, "..", os.path.basename(m.root) + f"-app{version}.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def run(m, *args):
    return gpucfg(*args, "--root", m.root, env=m.env(), exact_env=True, timeout=60)


def unmanaged(snap):
    return {k: v for k, v in snap.items() if not any(k == p or k.startswith(p + "/") for p in
                                                        MANAGED_A + ["opt/app/new.txt", "srv/src"])
            and v[0] != "dir"}


def start(rng_round):
    m = Machine()
    m.write("/opt/app/app.conf", "the admin's hand-made configuration\n")  # replaced, must come back on destroy
    m.write("/etc/hosts", "127.0.0.1 localhost\n")                         # never touched
    m.write("/opt/app/README", "not managed\n")
    v1, v2 = write_manifest(m, 1), write_manifest(m, 2)
    r = run(m, "apply", "--yes", v1)
    expect(r.code == 0, r.out + r.err)
    return m, v1, v2


for i in range(ROUNDS):
    mode = "step" if i % 2 == 0 else "timer"
    k = rng.randint(1, 45)
    delay_ms = rng.randint(0, 600)
    after = rng.choice(["apply-again", "back-to-v1"])

    @check(f"round {i}: kill at {'checkpoint ' + str(k) if mode == 'step' else str(delay_ms) + ' ms'}, then {after}")
    def _(mode=mode, k=k, delay_ms=delay_ms, after=after):
        m, v1, v2 = start(i)
        at_v1 = snapshot(m.root)
        env = dict(m.env(), GPUCFG_DATA_DIR=ROOT)
        if mode == "step":
            env["GPUCFG_FAULT_STEP"] = str(k)
            p = subprocess.run([BINARY, "apply", "--yes", "--root", m.root, v2], env=env, capture_output=True, text=True)
            code = p.returncode
        else:
            env["GPUCFG_FAULT_DELAY_MS"] = "15"
            p = subprocess.Popen([BINARY, "apply", "--yes", "--root", m.root, v2], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay_ms / 1000)
            p.kill()
            code = p.wait()
        expect(code in (0, -9), f"apply ended with {code}")
        if after == "apply-again":
            r = run(m, "apply", "--yes", v2)
            expect(r.code == 0, r.out + r.err)
            r = run(m, "plan", "--detailed-exitcode", v2)
            expect(r.code == 0, "apply did not converge:\n" + r.out)
        else:
            r = run(m, "apply", "--yes", v1)
            expect(r.code == 0, r.out + r.err)
            now = snapshot(m.root)
            a = {k2: v for k2, v in now.items() if v[0] != "dir" and k2 != "etc/ld.so.cache"}
            b = {k2: v for k2, v in at_v1.items() if v[0] != "dir" and k2 != "etc/ld.so.cache"}
            expect(a == b, "back at v1, the tree differs from the first v1 apply: " +
                   str(sorted(set(a.items()) ^ set(b.items()))))
        expect(not debris(m.root), f"staging debris left: {debris(m.root)}")
        # Killed, recovered, converged: nothing outside the managed set may have changed.
        expect(unmanaged(snapshot(m.root)) == unmanaged(at_v1), "a path outside the managed set changed: " +
               str(sorted(set(unmanaged(snapshot(m.root)).items()) ^ set(unmanaged(at_v1).items()))))
        h = run(m, "history").out
        expect(h.count("*") == 1, h)


def toolkit(m, name, version):
    path, sha = m.toolkit_archive(f"{name}.tar.gz", version)
    return m.manifest(name, f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: tk}}
requires: {{platforms: [linux-x86_64], driver: {{linux: ">=535"}}}}
cuda:
  version: "{version[:4]}"
  prefix: /opt/tk
  active: false
  source: {{archive: "file://{path}", sha256: {sha}}}
loader: {{paths: ["${{cuda.prefix}}/lib"]}}
""")


def tree(m):
    return {k: v for k, v in snapshot(m.root).items() if k.startswith("opt/tk")}


for i in range(max(4, ROUNDS // 3)):
    k = rng.randint(1, 30)

    @check(f"in-place upgrade {i}: kill at checkpoint {k}, then apply again and roll back")
    def _(k=k):
        m = Machine()
        v1, v2 = toolkit(m, "v1", "12.0.1"), toolkit(m, "v2", "12.1.0")
        expect(run(m, "apply", "--yes", v1).code == 0, "apply 12.0")
        at_1 = tree(m)
        m.write("/opt/tk/lib/user.so", "the user's\n")
        env = dict(m.env(), GPUCFG_DATA_DIR=ROOT, GPUCFG_FAULT_STEP=str(k))
        p = subprocess.run([BINARY, "apply", "--yes", "--root", m.root, v2], env=env,
                           capture_output=True, text=True)
        expect(p.returncode in (0, -9), f"apply ended with {p.returncode}: {p.stderr}")
        run(m, "gc", "--dry-run")  # takes the lock: undoes the interrupted upgrade, or finishes it
        expect(open(m.path("/opt/tk/lib/user.so")).read() == "the user's\n", "the kill lost the user's file")
        r = run(m, "apply", "--yes", v2)
        expect(r.code == 0, r.out + r.err)
        expect(run(m, "plan", "--detailed-exitcode", "--checksum", v2).code == 0, "did not converge")
        expect(open(m.path("/opt/tk/lib/user.so")).read() == "the user's\n", "the upgrade lost the user's file")
        r = run(m, "rollback", "--to", "1", "--yes")
        expect(r.code == 0, r.out + r.err)
        now = tree(m)
        expect(now.pop("opt/tk/lib/user.so", None) is not None and now == at_1, "not generation 1 after the rollback")
        expect(not debris(m.root), f"staging debris left: {debris(m.root)}")


for i in range(max(3, ROUNDS // 5)):
    k = rng.randint(1, 12)

    @check(f"gc {i}: kill at checkpoint {k}; the kept generations stay whole")
    def _(k=k):
        m = Machine()
        v1, v2 = toolkit(m, "v1", "12.0.1"), toolkit(m, "v2", "12.1.0")
        for mf in (v1, v2, v1, v2):
            expect(run(m, "apply", "--yes", mf).code == 0, "apply")
        at_4 = tree(m)
        expect(run(m, "rollback", "--to", "3", "--yes").code == 0, "rollback to 3")
        at_5 = tree(m)
        env = dict(m.env(), GPUCFG_DATA_DIR=ROOT, GPUCFG_FAULT_STEP=str(k))
        p = subprocess.run([BINARY, "gc", "--keep", "2", "--root", m.root], env=env,
                           capture_output=True, text=True)
        expect(p.returncode in (0, -9), f"gc ended with {p.returncode}: {p.stderr}")
        r = run(m, "gc", "--keep", "2")
        expect(r.code == 0, r.out + r.err)
        expect(run(m, "plan", "--detailed-exitcode", "--checksum", v1).code == 0, "the current tree is damaged")
        r = run(m, "rollback", "--to", "4", "--yes")
        expect(r.code == 0 and tree(m) == at_4, r.out + r.err)
        r = run(m, "rollback", "--to", "5", "--yes")
        expect(r.code == 0 and tree(m) == at_5, r.out + r.err)
        r = run(m, "rollback", "--to", "2", "--yes")
        expect(r.code == 1 and "no generation 2" in r.out + r.err, "generation 2 should be forgotten")


@check("destroy after all that restores the admin's original file")
def _():
    m, v1, v2 = start(0)
    expect(run(m, "apply", "--yes", v2).code == 0, "apply v2")
    r = run(m, "destroy", "--yes", v1)
    expect(r.code == 0, r.out + r.err)
    with open(m.path("/opt/app/app.conf")) as f:
        expect(f.read() == "the admin's hand-made configuration\n", "original not restored")
    expect(not os.path.exists(m.path("/opt/app/new.txt")) and not os.path.exists(m.path("/etc/profile.d/gpucfg-app.sh")),
           "destroy left managed files")


finish()
