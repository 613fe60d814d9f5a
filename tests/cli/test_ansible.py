"""The Ansible collection (ansible/) under the real ansible-playbook from Debian, with the real
engine, against localhost with --root folders: check mode on a fresh root reports changed and
writes nothing, apply reports changed with its generation, a second run is ok, check mode after
drift is changed again, state=absent restores what was there, a bad manifest fails with gpucfg's
own file:line:col; the facts module's document validates against the facts schema; ansible-doc
renders both modules; the example role copies a manifest repository, applies and fills a fleet
folder that `gpucfg plan --fleet` reads."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ansible"))
from ansible_run import Ansible  # noqa: E402
from fakemachine import Machine, snapshot  # noqa: E402
from harness import BINARY, ROOT, check, expect, finish, gpucfg  # noqa: E402

if not shutil.which("ansible-playbook"):
    print("FAILED: ansible-playbook not found (scripts/setup.sh installs Debian's ansible-core)")
    sys.exit(1)


def stack_manifest(m, copy=True):
    """A toolkit folder, a copied file, an alias, environment and loader paths: what a stack
    installs, with its sources inside the root."""
    m.write("/srv/cuda-12.4/version.json", '{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}')
    m.write("/srv/cuda-12.4/bin/nvcc", "#!/bin/sh\necho 'release 12.4'\n", 0o755)
    m.library("/srv/cuda-12.4/lib64", "libcudart.so.12.4.127", "libcudart.so.12")
    m.write("/opt/src/tool.conf", "hello\n")
    return m.manifest("stack", f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: demo}}
requires: {{platforms: [linux-x86_64], driver: {{linux: ">=545"}}}}
cuda:
  version: "12.4"
  source: {{directory: /srv/cuda-12.4}}
files:
{'  - {copy: /opt/demo/tool.conf, from: /opt/src/tool.conf, mode: "0640"}' if copy else ''}
  - {{alias: /opt/demo/lib/libcusolver.so.10, target: libcusolver.so.11, why: "TF 2.4 asks for .so.10"}}
env:
  DEMO_HOME: /opt/demo
  PATH: {{prepend: [/usr/local/cuda-12.4/bin]}}
loader:
  paths: [/usr/local/cuda-12.4/lib64]
""")


m = Machine()
MANIFEST = stack_manifest(m)
ENV = dict(m.env(), GPUCFG_DATA_DIR=ROOT, GPUCFG_CACHE_DIR=os.path.join(m.root, "..", "cache"))
A = Ansible(env=ENV)
BASE = {"manifest": MANIFEST, "root": m.root, "binary": BINARY, "verify": "none"}


def stack(*args, **params):
    return A.task("gpucfg.gpucfg.stack", dict(BASE, **params), *args)


before = snapshot(m.root, skip_state=False)


@check("check mode on a fresh root: changed, the plan as the diff, nothing written")
def fresh_check():
    r, p = stack("--check", "--diff")
    expect(not r.get("failed") and r["changed"] is True, r)
    expect("+ toolkit /usr/local/cuda-12.4" in r["plan"] and "generation" not in r, r)
    diff = r["diff"][0] if isinstance(r["diff"], list) else r["diff"]
    expect("+ toolkit /usr/local/cuda-12.4" in diff["prepared"], diff)
    expect("+ toolkit /usr/local/cuda-12.4" in p.stdout, "--diff shows the plan:\n" + p.stdout)
    expect(snapshot(m.root, skip_state=False) == before, "check mode wrote into the root")


@check("apply: changed with generation 1; a second run is ok and makes no generation")
def apply_twice():
    r, _ = stack()
    expect(not r.get("failed") and r["changed"] is True and r["generation"] == 1, r)
    expect(os.path.islink(m.path("/opt/demo/lib/libcusolver.so.10")), "alias not made")
    expect(os.path.exists(m.path("/usr/local/cuda-12.4/bin/nvcc")), "toolkit not placed")
    r, _ = stack()
    expect(not r.get("failed") and r["changed"] is False and "generation" not in r, r)
    r, _ = stack("--check")
    expect(r["changed"] is False, r)
    h = gpucfg("history", "--root", m.root, env=ENV, exact_env=True)
    expect(h.out.count("\n") == 1, h.out)


@check("drift: check mode reports changed and names the path; a run repairs it")
def drift():
    with open(m.path("/opt/demo/tool.conf"), "a") as f:
        f.write("edited by hand\n")
    r, _ = stack("--check", "--diff")
    expect(r["changed"] is True and "~ file /opt/demo/tool.conf" in r["plan"], r)
    r, _ = stack()
    expect(r["changed"] is True and r["generation"] == 2, r)
    with open(m.path("/opt/demo/tool.conf")) as f:
        expect(f.read() == "hello\n", "not repaired")
    # The edit was kept beside the file (the plan said so); the person reads it and removes it.
    kept = m.path("/opt/demo/tool.conf.gpucfg-edited-1")
    expect("kept first as /opt/demo/tool.conf.gpucfg-edited-1" in r["plan"] and os.path.exists(kept), r["plan"])
    os.unlink(kept)


@check("verify after a change: its report is returned; a failing check fails the task")
def verify_after_change():
    os.unlink(m.path("/opt/demo/tool.conf"))
    r, _ = stack(verify="static")
    report = r["verify"]
    expect(r["changed"] is True and report["failed"] >= 1, r)
    expect({x["level"] for x in report["results"]} == {"static"}, report)
    # The stack's nvcc is a shell script that is no nvcc: the static level must say so.
    expect(r.get("failed") is True and "a check failed" in r["msg"], r)


@check("state=absent: check mode changed and writes nothing; a run restores the root; then ok")
def absent():
    snap = snapshot(m.root, skip_state=False)
    r, _ = stack("--check", state="absent")
    expect(r["changed"] is True and "- toolkit /usr/local/cuda-12.4" in r["plan"], r)
    expect(snapshot(m.root, skip_state=False) == snap, "check mode wrote into the root")
    r, _ = stack(state="absent")
    expect(not r.get("failed") and r["changed"] is True and r["generation"] == 4, r)
    # Files, links and folders as before (the folders apply made are gone); gpucfg's state and
    # the loader cache it ran ldconfig for are what remains.
    now = {k: v for k, v in snapshot(m.root).items()
           if not k.startswith("etc/ld.so") and k not in ("var", "var/lib", "var/lib/gpucfg")}
    was = {k: v for k, v in before.items() if not k.startswith(("etc/ld.so", "var"))}
    expect(now == was, sorted(set(now) ^ set(was)))
    r, _ = stack(state="absent")
    expect(r["changed"] is False and not r.get("failed"), r)


@check("a bad manifest fails the task with gpucfg's file:line:col and changes nothing")
def bad_manifest():
    bad = m.manifest("bad", "apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: x}\ncuda: {version: 12}\nbogus: 1\n")
    snap = snapshot(m.root, skip_state=False)
    r, _ = stack(manifest=bad)
    expect(r.get("failed") is True and f"{bad}:5:1" in r["msg"], r)
    expect(snapshot(m.root, skip_state=False) == snap, "a failed task changed the root")


@check("the facts module returns gpucfg facts that validate against the facts schema")
def facts():
    r, _ = A.task("gpucfg.gpucfg.facts", {"root": m.root, "binary": BINARY})
    doc = r["ansible_facts"]["gpucfg"]
    expect(not r.get("failed") and r["changed"] is False, r)
    import jsonschema
    with open(os.path.join(ROOT, "schemas/facts.schema.json")) as f:
        jsonschema.validate(doc, json.load(f))
    expect(doc["managed"]["generation"] == 4, doc.get("managed"))


@check("ansible-doc renders both modules and the role's playbook is found by name")
def docs():
    for name, words in (("gpucfg.gpucfg.stack", ("check_mode", "state", "verify", "offline")),
                        ("gpucfg.gpucfg.facts", ("frameworks", "ansible_facts"))):
        d = A.doc(name)
        expect(d.returncode == 0 and all(w in d.stdout for w in words), d.stdout + d.stderr)


@check("the converge role copies the manifest repository, applies, and fills a fleet folder")
def role():
    # No copy: a copy's from: is a file on the host, which a controller planning from saved facts
    # cannot read; the toolkit, alias, environment and loader entries it can judge by the record.
    host = Machine()
    repo = os.path.join(A.tmp, "gpu-stacks")
    os.makedirs(os.path.join(repo, "stacks"))
    shutil.copy(stack_manifest(host, copy=False), os.path.join(repo, "stacks/train.yaml"))
    fleet = os.path.join(A.tmp, "fleet")
    os.makedirs(fleet)
    extra = {"gpucfg_hosts": "localhost", "gpucfg_become": False, "gpucfg_repo": repo,
             "gpucfg_repo_dest": os.path.join(A.tmp, "on-host"), "gpucfg_root": host.root,
             "gpucfg_binary": BINARY, "gpucfg_verify": "none", "gpucfg_fleet_dir": fleet}
    book = os.path.join(ROOT, "ansible/playbooks/converge.yml")
    p = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
                        json.dumps(extra), book], env=A.env, capture_output=True, text=True,
                       timeout=300)
    expect(p.returncode == 0 and "changed=" in p.stdout, p.stdout + p.stderr)
    expect(os.path.exists(os.path.join(host.root, "usr/local/cuda-12.4/bin/nvcc")), p.stdout)
    r = gpucfg("plan", "--fleet", fleet, "--format", "json", os.path.join(repo, "stacks/train.yaml"),
               env=ENV, exact_env=True)
    hosts = json.loads(r.out)["hosts"]
    # Converged, from gpucfg's own record in the saved facts: nothing to do on that host.
    expect(len(hosts) == 1 and hosts[0]["result"] == "ok", r.out + r.err)


finish()
