"""plan and apply end to end in temporary roots: converge, drift, repair, rollback byte for byte,
idempotence, saved plans and staleness, the lock, destroy, env quoting, and the seed's Windows
plan from a saved facts file (golden files; GPUCFG_TEST_ACCEPT=1 rewrites them)."""
import json
import os
import re
import shutil
import subprocess
import time

from fakemachine import Machine, debris, snapshot
from harness import ACCEPT, ROOT, check, expect, finish, gpucfg

GOLDEN = os.path.join(ROOT, "tests", "golden")


def manifest(m, name="demo", content="hello\n", extra_files="", path_entry="/opt/demo/bin"):
    """A manifest exercising every Linux resource apply has: copy, symlink, alias, absent,
    env (set and prepend) and loader paths, with its source file inside the root."""
    m.write("/opt/src/tool.conf", content)
    text = f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: {name}}}
requires: {{platforms: [linux-x86_64]}}
files:
  - {{copy: /opt/demo/tool.conf, from: /opt/src/tool.conf, mode: "0640"}}
  - {{symlink: /opt/demo/current, target: tool.conf}}
  - {{alias: /opt/demo/lib/libcusolver.so.10, target: libcusolver.so.11, why: "TF 2.4 asks for .so.10"}}
  - {{absent: /opt/demo/stale.txt}}
{extra_files}env:
  DEMO_HOME: /opt/demo
  PATH: {{prepend: [{path_entry}]}}
loader:
  paths: [/opt/demo/lib]
"""
    path = os.path.join(m.root, "..", os.path.basename(m.root) + f"-{name}.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def run(m, *args, **kw):
    return gpucfg(*args, "--root", m.root, env=m.env(**kw.pop("env", {})), exact_env=True, **kw)


@check("plan -> apply -> plan: no changes (detailed exit 0); drift is seen and repaired; rollback is byte for byte")
def _():
    m = Machine()
    m.write("/opt/demo/stale.txt", "left over\n")
    mf = manifest(m)
    r = run(m, "plan", "--detailed-exitcode", mf)
    expect(r.code == 2 and "Plan: 6 to add, 0 to change, 1 to destroy, 1 to run." in r.out, r.out + r.err)
    r = run(m, "apply", "--yes", mf)
    expect(r.code == 0 and "Applied: generation 1" in r.out, r.out + r.err)
    after_first = snapshot(m.root)
    expect(after_first["opt/demo/tool.conf"][2] == "0o640", after_first["opt/demo/tool.conf"])
    expect(after_first["opt/demo/lib/libcusolver.so.10"] == ("link", "libcusolver.so.11"), after_first)
    expect("opt/demo/stale.txt" not in after_first, "absent: must be removed")
    expect(os.path.exists(m.path("/etc/ld.so.cache")), "ldconfig -r ran")
    r = run(m, "plan", "--detailed-exitcode", mf)
    expect(r.code == 0 and "No changes." in r.out, r.out)
    # A person edits a managed file: the plan sees it, apply repairs it.
    with open(m.path("/opt/demo/tool.conf"), "a") as f:
        f.write("edited by hand\n")
    r = run(m, "plan", "--detailed-exitcode", mf)
    expect(r.code == 2 and "~ file /opt/demo/tool.conf" in r.out and "content differs" in r.out
           and "kept first as /opt/demo/tool.conf.gpucfg-edited-1" in r.out, r.out)
    # The manifest changes too, so generation 2 differs from 1 in more than the repair.
    mf = manifest(m, content="hello, second version\n", path_entry="/opt/demo/sbin")
    r = run(m, "apply", "--yes", mf)
    expect(r.code == 0 and "generation 2" in r.out, r.out + r.err)
    expect(snapshot(m.root) != after_first, "generation 2 should differ")
    # The person's edit was kept beside the file, and is theirs: rollback leaves it.
    kept = m.path("/opt/demo/tool.conf.gpucfg-edited-1")
    expect(open(kept).read().endswith("edited by hand\n"), "the edit is kept")
    after_first["opt/demo/tool.conf.gpucfg-edited-1"] = snapshot(m.root)["opt/demo/tool.conf.gpucfg-edited-1"]
    r = run(m, "rollback", "--yes")
    expect(r.code == 0 and "generation 3" in r.out, r.out + r.err)
    now = snapshot(m.root)
    for snap in (now, after_first):  # the manifest's source file is the test's input, not managed
        snap.pop("opt/src/tool.conf", None)
    expect(now == after_first, "rollback differs:\n" + "\n".join(
        f"{k}: {after_first.get(k)} -> {now.get(k)}" for k in sorted(set(now) | set(after_first))
        if now.get(k) != after_first.get(k)))
    h = run(m, "history")
    expect(h.out.count("\n") == 3 and "* 3" in h.out, h.out)


@check("a second apply changes nothing and makes no generation")
def _():
    m = Machine()
    mf = manifest(m)
    expect(run(m, "apply", "--yes", mf).code == 0, "first apply")
    before = snapshot(m.root, skip_state=False)
    r = run(m, "apply", "--yes", mf)
    expect(r.code == 0 and "No changes." in r.out and "Applied" not in r.out, r.out)
    after = snapshot(m.root, skip_state=False)
    expect(before == after, "the second apply touched something")


@check("destroy restores what was there before gpucfg, byte for byte, and nothing else")
def _():
    m = Machine()
    m.write("/opt/demo/tool.conf", "the admin's own file\n")
    m.write("/etc/profile.d/other.sh", "export OTHER=1\n")
    before = snapshot(m.root)
    mf = manifest(m)
    before = snapshot(m.root)  # includes the manifest's source file
    expect(run(m, "apply", "--yes", mf).code == 0, "apply")
    r = run(m, "destroy", "--yes", mf)
    expect(r.code == 0, r.out + r.err)
    after = snapshot(m.root)
    after.pop("etc/ld.so.cache", None)
    for state in ("var", "var/lib", "var/lib/gpucfg"):  # gpucfg's state folder stays
        after.pop(state, None)
    # Folders included: the ones apply made (/opt/demo/lib, /etc/ld.so.conf.d, ...) are gone,
    # the ones that were there stay.
    expect(after == before, f"{sorted(set(after.items()) ^ set(before.items()))}")


@check("destroy and rollback remove the folders apply made, but not one a user put a file in")
def _():
    m = Machine()
    mf = manifest(m)
    expect(run(m, "apply", "--yes", mf).code == 0, "apply")
    m.write("/opt/demo/notes.txt", "mine\n")  # a user's file in a folder gpucfg made
    r = run(m, "destroy", "--yes", mf)
    expect(r.code == 0 and "- folder /opt/demo/lib" in r.out and "- folder /etc/ld.so.conf.d" in r.out
           and "folder /opt/demo\n" not in r.out, r.out + r.err)
    expect(not os.path.exists(m.path("/opt/demo/lib")) and not os.path.exists(m.path("/etc/profile.d")),
           "emptied folders left behind")
    with open(m.path("/opt/demo/notes.txt")) as f:
        expect(f.read() == "mine\n", "the user's file")
    # Rollback to before gpucfg after a second apply: the same rule.
    os.unlink(m.path("/opt/demo/notes.txt"))
    expect(run(m, "apply", "--yes", mf).code == 0, "apply again")
    r = run(m, "rollback", "--to", "0", "--yes")
    expect(r.code == 0 and not os.path.exists(m.path("/opt/demo")), r.out + r.err)
    # A plan for the folders is refused by nothing: the next apply makes them again.
    expect(run(m, "apply", "--yes", mf).code == 0 and os.path.isdir(m.path("/opt/demo/lib")), "re-apply")


@check("a saved plan applies while the machine is unchanged, and is refused as stale after")
def _():
    m = Machine()
    mf = manifest(m)
    out = os.path.join(m.root, "..", os.path.basename(m.root) + ".plan.json")
    r = run(m, "plan", "--out", out, mf)
    expect(r.code == 0 and os.path.exists(out), r.err)
    stale_out = out + ".2"
    run(m, "plan", "--out", stale_out, mf)
    r = run(m, "apply", "--yes", out)
    expect(r.code == 0 and "generation 1" in r.out, r.out + r.err)
    r = run(m, "apply", "--yes", stale_out)  # made before the apply above changed the machine
    expect(r.code == 1 and "stale" in r.err, r.out + r.err)
    w = gpucfg("plan", "--out", stale_out, "--facts", os.path.join(ROOT, "examples/facts/windows-gtx1650.json"),
               os.path.join(ROOT, "manifests/tf-2.5.yaml"))
    r = run(m, "apply", "--yes", stale_out)
    expect(r.code == 1 and "stale" in r.err, "a plan made from a facts file must not apply here")


@check("env values are written so that nothing in them executes")
def _():
    m = Machine()
    nasty = "it's $(touch PWNED) `touch PWNED2` ${HOME} \\ \"q\""  # $${ is gpucfg's literal ${
    mf = os.path.join(m.root, "..", os.path.basename(m.root) + "-env.yaml")
    with open(mf, "w") as f:
        f.write("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: envq}\nenv:\n  NASTY: " +
                json.dumps(nasty.replace("${", "$${")) +
                "\n  PATH: {prepend: [\"/opt/a b/bin\"], remove: [/old/bin]}\n")
    r = run(m, "apply", "--yes", mf)
    expect(r.code == 0, r.out + r.err)
    script = m.path("/etc/profile.d/gpucfg-envq.sh")
    work = os.path.join(m.root, "work")
    os.makedirs(work)
    p = subprocess.run(["sh", "-c", f". {script}; . {script}; printf '%s\\n' \"$NASTY\" \"$PATH\""], cwd=work,
                       capture_output=True, text=True, env={"PATH": "/old/bin:/usr/bin:/bin", "HOME": "/h"})
    lines = p.stdout.split("\n")
    expect(p.returncode == 0 and lines[0] == nasty, p.stdout + p.stderr)
    expect(lines[1] == "/opt/a b/bin:/usr/bin:/bin", lines[1])
    expect(not os.listdir(work), f"something executed: {os.listdir(work)}")
    # environment.d, read by systemd's own generator: the same value, and a prepend to an unset
    # variable leaves no empty entry (the current directory on the search path).
    gen = "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator"
    if os.access(gen, os.X_OK):
        home = os.path.join(m.root, "genhome")
        os.makedirs(os.path.join(home, ".config", "environment.d"))
        shutil.copy(m.path("/etc/environment.d/90-gpucfg-envq.conf"),
                    os.path.join(home, ".config", "environment.d", "90-gpucfg.conf"))
        def generated(env):
            out = subprocess.run([gen], capture_output=True, text=True,
                                 env=dict(env, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config")))
            # It prints VAR="value" with a backslash before any character it escapes.
            return {k: re.sub(r"\\(.)", r"\1", v[1:-1] if v.startswith('"') else v) for k, v in
                    (line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)}
        got = generated({})
        expect(got.get("NASTY") == nasty, f"environment.d gives {got.get('NASTY')!r}")
        expect(got.get("PATH") == "/opt/a b/bin", f"environment.d PATH {got.get('PATH')!r}")
        expect(generated({"PATH": "/usr/bin"}).get("PATH") == "/opt/a b/bin:/usr/bin", "PATH kept")
    else:
        print("skipped: no systemd environment.d generator here")
    for shell, needle in (("bash", "export NASTY='it'\\''s $(touch"), ("fish", "set -gx NASTY 'it\\'s $(touch")):
        r = gpucfg("env", "--shell", shell, mf)
        expect(r.code == 0 and needle in r.out, r.out)


@check("two applies at once: the second fails with a clear lock message; state stays consistent")
def _():
    m = Machine()
    mf = manifest(m)
    env = dict(m.env(), GPUCFG_FAULT_DELAY_MS="150", GPUCFG_DATA_DIR=ROOT)
    from harness import BINARY
    slow = subprocess.Popen([BINARY, "apply", "--yes", "--root", m.root, mf], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.4)
    r = run(m, "apply", "--yes", mf)
    expect(r.code == 1 and "another gpucfg holds the lock" in r.err and "pid " in r.err, r.err)
    r = run(m, "apply", "--yes", "--lock-timeout", "1", mf)
    expect(r.code == 1 and "waiting up to 1 s for the lock, held by pid " in r.err and
           "(waited 1 s)" in r.err, r.err)
    out, err = slow.communicate(timeout=60)
    expect(slow.returncode == 0, out + err)
    r = run(m, "plan", "--detailed-exitcode", mf)
    expect(r.code == 0, r.out)
    expect(run(m, "history").out.count("\n") == 1, "one generation")


@check("twelve gpucfgs at once: each one refused names the holder")
def _():
    m = Machine()
    expect(run(m, "history").code == 0, "history")
    from harness import BINARY
    env = dict(m.env(), GPUCFG_DATA_DIR=ROOT)
    procs = [subprocess.Popen([BINARY, "gc", "--dry-run", "--root", m.root], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(12)]
    refused = [p.communicate(timeout=60)[1] for p in procs if p.wait(timeout=60) != 0]
    unnamed = [e for e in refused if "pid " not in e]
    expect(not unnamed, f"{len(unnamed)} of {len(refused)} refusals name no holder: {unnamed[:2]}")


@check("a killed apply leaves a lock and a journal that the next gpucfg recovers")
def _():
    m = Machine()
    mf = manifest(m)
    env = dict(m.env(), GPUCFG_FAULT_STEP="6", GPUCFG_DATA_DIR=ROOT)
    from harness import BINARY
    p = subprocess.run([BINARY, "apply", "--yes", "--root", m.root, mf], env=env, capture_output=True, text=True)
    expect(p.returncode == -9, f"expected SIGKILL, got {p.returncode}")
    r = run(m, "plan", mf)
    expect("an apply was interrupted here" in r.out + r.err, "plan does not say so:\n" + r.out + r.err)
    r = run(m, "apply", "--yes", mf)
    expect(r.code == 0 and "undid an interrupted transaction" in r.err and "recovered the lock" in r.err, r.err)
    expect(not debris(m.root), debris(m.root))


@check("the seed's Windows machine planned with tf-2.5 lists exactly the seed's steps (golden)")
def _():
    # The CUDA 11.2 Windows installer has no public sha256 (knowledge/install-sources.yaml), so
    # the plan names it unpinned; --allow-unpinned shows the steps that would follow.
    args = ["plan", "--allow-unpinned", "--facts", "examples/facts/windows-gtx1650.json",
            "manifests/tf-2.5.yaml"]
    # An empty cache: the golden files say "to download" for every locked wheel on any machine.
    cache = {"GPUCFG_CACHE_DIR": os.path.join(os.environ.get("TMPDIR", "/tmp"), f"gpucfg-golden-{os.getpid()}")}
    for fmt, ext in (("text", "txt"), ("markdown", "md")):
        r = gpucfg(*args, "--format", fmt, "--detailed-exitcode", env=cache)
        expect(r.code == 2, r.out + r.err)
        path = os.path.join(GOLDEN, f"plan-tf-2.5-windows.{ext}")
        if ACCEPT:
            with open(path, "w") as f:
                f.write(r.out)
            continue
        with open(path) as f:
            want = f.read()
        expect(r.out == want, f"plan differs from {path}:\n{r.out}")
    doc = json.loads(gpucfg(*args, "--format", "json", env=cache).out)
    shutil.rmtree(cache["GPUCFG_CACHE_DIR"], True)
    expect(len(doc["actions"][0]["artifacts"]) == 1, doc["actions"][0])
    # The seed's steps 6 and 7: the interpreter (none on that machine) and the environment with
    # its locked TensorFlow wheel for Windows.
    envs = [a for a in doc["actions"] if a["resource"] == "python-env"]
    expect([(a["op"], a["path"]) for a in envs][0] == ("install-tree", "C:\\gpucfg\\python\\3.9") and
           envs[1]["op"] == "build-env" and re.fullmatch(r"C:\\gpucfg\\envs\\tf-2\.5-[0-9a-f]{12}", envs[1]["path"])
           and "tensorflow-2.5.0-cp39-cp39-win_amd64.whl" in envs[1]["summary"], envs)
    got = sorted((a["change"], a["resource"], a["path"].split("CUDA\\v11.2")[-1]) for a in doc["actions"]
                 if a["resource"] != "python-env")
    # The installer unpacked into the toolkit; the seed's copy step, each place: rule of the cuDNN
    # zip with its destination, files listed once the zip is unpacked.
    want = sorted([("create", "toolkit", ""), ("create", "cudnn", "\\bin\\cudnn*64_8.dll"),
                   ("create", "cudnn", "\\include\\cudnn*.h"), ("create", "cudnn", "\\lib\\x64\\cudnn*.lib"),
                   ("create", "file", "\\bin\\cusolver64_10.dll"), ("create", "env", "env:CUDA_PATH"),
                   ("create", "env", "env:PATH"), ("create", "env", "env:TF_XLA_FLAGS")])
    expect(got == want, got)
    # Each rule with the files it places (before any download: what cuDNN 8's Windows packages
    # hold), so a reviewer sees the seed's own three copies and where they go.
    tk = "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.2"
    placed = [f for a in doc["actions"] if a["resource"] == "cudnn" for f in a["files"]]
    for f in ("bin/cudnn64_8.dll -> " + tk + "\\bin\\cudnn64_8.dll",
              "include/cudnn.h -> " + tk + "\\include\\cudnn.h",
              "lib/x64/cudnn.lib -> " + tk + "\\lib\\x64\\cudnn.lib"):
        expect(f in placed, (f, placed))
    expect(all(a["files_from"].startswith("expected: ") for a in doc["actions"] if a["resource"] == "cudnn"),
           [a["files_from"] for a in doc["actions"]])
    checks = {c["name"]: c["outcome"] for c in doc["checks"]}
    expect(checks == {"platform": "pass", "driver": "pass", "gpu 0": "pass", "host compiler": "pass",
                     "python": "pass"}, checks)  # none listed: python.install's is used
    try:
        import jsonschema
        with open(os.path.join(ROOT, "schemas", "plan.schema.json")) as f:
            jsonschema.validate(doc, json.load(f))
    except ImportError:
        print("skipped plan schema check: no python3-jsonschema")


@check("plans are deterministic, and --assume turns a good plan into a failing one")
def _():
    args = ["plan", "--format", "json", "--facts", "examples/facts/windows-gtx1650.json", "manifests/tf-2.5.yaml"]
    expect(gpucfg(*args).out == gpucfg(*args).out, "two plans of the same inputs differ")
    r = gpucfg(*args[:-1], "--assume", "driver=456.71", "manifests/tf-2.5.yaml")
    doc = json.loads(r.out)
    expect(r.code == 1 and any("driver 456.71" in e for e in doc["errors"]), r.out[:500])
    r = gpucfg("plan", "--facts", "examples/facts/windows-gtx1650.json", "--assume", "gpu=sm_30", "manifests/tf-2.5.yaml")
    expect(r.code == 1 and "FAIL    gpu 0" in r.out, r.out)
    r = gpucfg("plan", "--facts", "examples/facts/windows-gtx1650.json", "manifests/tf-2.12.yaml")
    expect(r.code == 1 and "no native-Windows GPU build" in r.err, r.out + r.err)
    # The Windows seed planned from this Linux machine: the cusolver alias's source comes with the
    # toolkit the plan installs, so its absence now is no error.
    r = gpucfg("plan", "--allow-unpinned", "--assume", "platform=windows-x86_64", "manifests/tf-2.5.yaml")
    expect(r.code == 0 and "+ file C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.2\\bin\\cusolver64_10.dll"
           in r.out, r.out + r.err)
    r = gpucfg("plan", "--assume", "gpu=banana", "manifests/tf-2.5.yaml")
    expect(r.code == 64 and "--assume: gpu=banana" in r.err, r.err)


@check("a Windows environment planned from a saved facts file: the interpreter from its pinned "
       "archive, the environment, and PATH naming the built folder (Windows has no folder links)")
def _():
    work = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"gpucfg-winenv-{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    m = os.path.join(work, "win-env.yaml")
    with open(m, "w") as f:
        f.write("""apiVersion: gpucfg/v1
kind: Stack
metadata: {name: win-env}
requires: {platforms: [windows-x86_64], python: ">=3.9,<3.10"}
python:
  install:
    version: "3.9.13"
    into: C:\\gpucfg\\python\\3.9
    source: {archive: https://www.python.org/ftp/python/3.9.13/python-3.9.13-embed-amd64.zip,
             sha256: %s, layout: plain}
  import: [numpy]
  lock:
    - {wheel: numpy-1.19.5-cp39-cp39-win_amd64.whl, sha256: %s, for: [windows-x86_64/3.9]}
""" % ("a" * 64, "b" * 64))
    facts = os.path.join(ROOT, "examples/facts/windows-gtx1650.json")
    r = gpucfg("plan", "--facts", facts, m)
    expect(r.code == 0, r.out + r.err)
    expect("python: C:\\gpucfg\\python\\3.9\\python.exe (Python 3.9.13), installed with the stack "
           "from python.install: no Python >=3.9,<3.10 the lock has wheels for was found" in r.out, r.out)
    expect("+ python-env C:\\gpucfg\\python\\3.9\n      Python 3.9.13 in C:\\gpucfg\\python\\3.9 from "
           "python-3.9.13-embed-amd64.zip" in r.out, r.out)
    envs = re.findall(r"\+ python-env (C:\\gpucfg\\envs\\win-env-[0-9a-f]{12})\n", r.out)
    expect(len(envs) == 1, r.out)
    expect(f"PATH prepend {envs[0]}\\Scripts " in r.out, r.out)
    expect("symlink" not in r.out and "C:\\gpucfg\\envs\\win-env " not in r.out, r.out)
    doc = json.loads(gpucfg("plan", "--format", "json", "--facts", facts, m).out)
    ops = [(a["op"], a["path"]) for a in doc["actions"]]
    # The interpreter is unpacked before the environment it builds.
    expect(ops.index(("install-tree", "C:\\gpucfg\\python\\3.9")) < ops.index(("build-env", envs[0])), ops)
    # A machine with a Python the stack accepts uses it: nothing is installed, and the
    # environment is built by that interpreter.
    with open(facts) as f:
        doc = json.load(f)
    doc["pythons"] = [{"path": "C:\\Python39\\python.exe", "realpath": "C:\\Python39\\python.exe",
                       "version": "3.9", "evidence": "file:C:\\Python39\\python.exe"}]
    own = os.path.join(work, "own-python.json")
    with open(own, "w") as f:
        json.dump(doc, f)
    r = gpucfg("plan", "--facts", own, m)
    expect(r.code == 0 and "python-env C:\\gpucfg\\python" not in r.out and
           "python.install" not in r.out and "python: C:\\Python39\\python.exe (Python 3.9, the newest" in r.out,
           r.out)
    # python.install names the program it holds, and a version plan can trust without running it.
    with open(m) as f:
        text = f.read()
    with open(m, "w") as f:
        f.write(text.replace('version: "3.9.13"', 'version: "3.9"'))
    r = gpucfg("plan", "--facts", facts, m)
    expect(r.code != 0 and re.search(r"win-env\.yaml:\d+:\d+: .*python\.install\.version must be X\.Y\.Z", r.err),
           r.out + r.err)
    shutil.rmtree(work, True)


@check("python.install never replaces a folder it did not make: the plan refuses, naming it")
def _():
    m = Machine()
    m.write("/srv/py.tar.gz", "not read by plan")
    # No Python here is 3.99: the lock's interpreter is python.install's.
    mf = m.manifest("pyinst", """apiVersion: gpucfg/v1
kind: Stack
metadata: {name: pyinst}
requires: {platforms: [linux-x86_64], python: ">=3.99,<3.100"}
python:
  install:
    version: "3.99.0"
    into: /opt/py
    source: {archive: /srv/py.tar.gz, sha256: %s, layout: plain}
  import: [six]
  lock:
    - {wheel: six-1.17.0-py2.py3-none-any.whl, sha256: %s, for: [linux-x86_64/3.99]}
""" % ("a" * 64, "b" * 64))
    r = run(m, "plan", mf)
    expect(r.code == 0 and "+ python-env /opt/py\n      Python 3.99.0 in /opt/py from py.tar.gz" in r.out
           and "/opt/py/bin/python3 (Python 3.99.0), installed with the stack" in r.out, r.out + r.err)
    m.write("/opt/py/mine.txt", "the user's")
    r = run(m, "plan", mf)
    expect(r.code == 1 and "python-env: /opt/py exists and gpucfg did not install it; refusing to replace it"
           in r.out + r.err, r.out + r.err)


def fake_cuda_sources(m):
    """A CUDA 12.3 toolkit folder and a cuDNN 8.9.7 package folder, laid out as NVIDIA ships them."""
    src = "/srv/cuda-12.3"
    m.write(src + "/version.json", '{"cuda": {"name": "CUDA SDK", "version": "12.3.2"}}')
    m.write(src + "/bin/nvcc", "#!/bin/sh\necho 'Cuda compilation tools, release 12.3, V12.3.107'\n", 0o755)
    m.library(src + "/lib64", "libcudart.so.12.3.101", "libcudart.so.12")
    pkg = "/srv/cudnn-linux-x86_64-8.9.7.29_cuda12-archive"
    m.write(pkg + "/include/cudnn_version.h", "#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 9\n#define CUDNN_PATCHLEVEL 7\n")
    m.write(pkg + "/include/cudnn.h", '#include "cudnn_version.h"\n')
    m.library(pkg + "/lib", "libcudnn.so.8.9.7", "libcudnn.so.8")
    m.library(pkg + "/lib", "libcudnn_ops_infer.so.8.9.7", "libcudnn_ops_infer.so.8")
    mf = os.path.join(m.root, "..", os.path.basename(m.root) + "-cuda.yaml")
    with open(mf, "w") as f:
        f.write(f"""apiVersion: gpucfg/v1
kind: Stack
metadata: {{name: cuda-dir}}
requires: {{platforms: [linux-x86_64]}}
cuda:
  version: "12.3"
  source: {{directory: {src}}}
cudnn:
  version: 8.9.7.29
  into: cuda
  source: {{directory: {pkg}}}
  place:
    - {{from: "include/cudnn*.h", to: include}}
    - {{from: "lib/libcudnn*.so.8*", to: lib64}}
loader:
  paths: ["${{cuda.prefix}}/lib64"]
verify:
  level: static
""")
    return mf


@check("a toolkit and cuDNN from local folders: installed, reported by facts, converged, rolled back")
def _():
    m = Machine()
    mf = fake_cuda_sources(m)
    r = run(m, "apply", "--yes", mf)
    # The manifest's verify level runs after the change: this fake toolkit has no cuBLAS, so the
    # static level fails (exit 3) while the changes stay applied.
    expect(r.code == 3 and "FAIL    static: component cublas" in r.out and "Applied: generation 1" in r.out, r.out + r.err)
    expect("+ toolkit /usr/local/cuda-12.3" in r.out and "+ active-toolkit /usr/local/cuda" in r.out, r.out)
    f = json.loads(run(m, "facts", "--json").out)
    t = [t for t in f["toolkits"] if t["realpath"] == "/usr/local/cuda-12.3"]
    expect(t and t[0]["version"] == "12.3.2", f["toolkits"])
    c = [c for c in f["cudnn"] if c["lib_dir"] == "/usr/local/cuda-12.3/lib64"]
    expect(c and c[0]["version"] == "8.9.7" and not c[0]["problems"], f["cudnn"])
    expect(os.readlink(m.path("/usr/local/cuda-12.3/lib64/libcudnn.so.8")) == "libcudnn.so.8.9.7", "links kept")
    # Placed files keep the package's executable bit (libraries), headers stay 0644.
    for rel, want in (("lib64/libcudnn.so.8.9.7", 0o755), ("include/cudnn_version.h", 0o644)):
        got = os.stat(m.path("/usr/local/cuda-12.3/" + rel)).st_mode & 0o777
        expect(got == want, f"{rel}: {oct(got)}")
    expect(os.readlink(m.path("/usr/local/cuda")) == "/usr/local/cuda-12.3", "active toolkit")
    r = run(m, "plan", "--detailed-exitcode", mf)
    expect(r.code == 0, r.out)
    r = run(m, "rollback", "--to", "0", "--yes")
    expect(r.code == 0 and not os.path.exists(m.path("/usr/local/cuda-12.3")) and
           not os.path.lexists(m.path("/usr/local/cuda")), r.out + r.err)
    expect(not debris(m.root), debris(m.root))


@check("an adopted toolkit is recorded, never changed, and a change to it is reported")
def _():
    m = Machine()
    t = "/usr/local/cuda-12.2"
    m.write(t + "/version.json", '{"cuda": {"name": "CUDA SDK", "version": "12.2.2"}}')
    m.library(t + "/lib64", "libcudart.so.12.2.140", "libcudart.so.12")
    mf = os.path.join(m.root, "..", os.path.basename(m.root) + "-adopt.yaml")
    with open(mf, "w") as f:
        f.write("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: adopt}\n"
                "cuda: {version: '12.2', active: false, source: {adopt: true}}\n")
    r = run(m, "apply", "--yes", mf)
    expect(r.code == 0 and "record its files" in r.out, r.out + r.err)
    before = snapshot(m.root)
    expect(run(m, "plan", "--detailed-exitcode", mf).code == 0, "converged")
    with open(m.path(t + "/lib64/libcudart.so.12.2.140"), "ab") as f:
        f.write(b"patched")
    r = run(m, "plan", "--checksum", mf)
    expect(r.code == 1 and "changed since gpucfg adopted it (~lib64/libcudart.so.12.2.140)" in r.out, r.out)
    r = run(m, "destroy", "--yes", mf)
    expect(r.code == 0 and os.path.exists(m.path(t + "/version.json")), "destroy must not remove an adopted tree")
    expect({k for k in before if k.startswith("usr")} == {k for k in snapshot(m.root) if k.startswith("usr")}, "")


finish()
