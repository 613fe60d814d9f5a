"""Fleet plans: one manifest against a folder of saved facts files (this machine's, the H200's,
the Windows laptop's, and variants made from them: a driver too old, a GPU the wheels have no
kernels for). One table; a host that fails is named with its errors; the exit code says whether
any host fails (1) or, with --detailed-exitcode, changes (2); Markdown collapses each host's
plan; JSON agrees with schemas/fleet-plan.schema.json and each host's plan with plan.schema.json.
"""
import copy
import json
import os
import re
import subprocess
import tempfile
import time

import jsonschema

from harness import BINARY, ROOT, TIME_FACTOR, check, expect, finish, gpucfg

TMP = tempfile.mkdtemp(prefix="gpucfg-fleet-")
FLEET = os.path.join(TMP, "fleet")
os.makedirs(FLEET)


def save(name, facts):
    with open(os.path.join(FLEET, name + ".json"), "w") as f:
        json.dump(facts, f)


def load(path):
    with open(os.path.join(ROOT, path)) as f:
        return json.load(f)


here = json.loads(gpucfg("facts", "--json").out)
here["platform"]["hostname"] = "build-host"  # the facts' own name wins over the file's
h200 = load("examples/facts/h200-cuda13-apt.json")
# Three hosts below are made from this one file: without its own host name ("vm"), each is
# named by its file.
h200["platform"].pop("hostname", None)
save("this-machine", here)
save("h200", h200)
save("laptop-windows", load("examples/facts/windows-gtx1650.json"))
old = copy.deepcopy(h200)
old["driver"]["version"] = "470.57.02"  # below CUDA 12.x's floor
save("h200-old-driver", old)
pascal = copy.deepcopy(h200)
for g in pascal["driver"]["gpus"]:
    g["compute_capability"], g["name"] = "6.1", "NVIDIA GeForce GTX 1080"
save("pascal", pascal)

M = os.path.join(ROOT, "manifests", "pytorch-2.14-cu130.yaml")


def rows(out):
    """host -> (platform, result) from the text table."""
    got = {}
    for line in out.splitlines():
        m = re.match(r"^(\S+)\s+(\S+)\s+(error|fail|changes|ok)\s", line)
        if m:
            got[m.group(1)] = (m.group(2), m.group(3))
    return got


@check("one table for the fleet: each host's platform and result; the failing ones with their errors")
def table():
    r = gpucfg("plan", "--fleet", FLEET, M, timeout=60)
    expect(r.code == 1, f"a failing host makes exit 1, got {r.code}: {r.err}")
    t = rows(r.out)
    expect(sorted(t) == ["build-host", "h200", "h200-old-driver", "laptop-windows", "pascal"], t)
    expect(t["h200-old-driver"] == ("linux-x86_64", "fail"), t)
    expect(t["pascal"][1] == "fail", t)
    expect(t["laptop-windows"][0] == "windows-x86_64", t)
    expect(re.search(r"h200-old-driver \(.*\):\n  Error: driver", r.out), r.out)
    expect(re.search(r"pascal \(.*\):\n(  Error: .*\n)*  Error: gpu 0: NVIDIA GeForce GTX 1080, "
                     r"sm_61: outside compute_capability", r.out), r.out)
    expect("5 host(s):" in r.out, r.out)


@check("exit codes: 0 when every host matches or only changes, 2 with --detailed-exitcode; --facts twice is a fleet")
def exit_codes():
    ok = os.path.join(TMP, "ok")
    os.makedirs(ok)
    with open(os.path.join(ok, "this-machine.json"), "w") as f:
        json.dump(here, f)
    m = os.path.join(TMP, "env-only.yaml")
    with open(m, "w") as f:
        f.write("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: env-only}\n"
                "requires: {platforms: [linux-x86_64]}\nenv: {GPUCFG_FLEET_TEST: \"1\"}\n")
    r = gpucfg("plan", "--fleet", ok, m)
    expect(r.code == 0 and rows(r.out)["build-host"][1] == "changes", r.out + r.err)
    r = gpucfg("plan", "--detailed-exitcode", "--fleet", os.path.join(ok, "this-machine.json"), m)
    expect(r.code == 2, r.out + r.err)
    r = gpucfg("plan", "--fleet", os.path.join(TMP, "missing"), m)
    expect(r.code == 1 and "not a facts file or a folder" in r.err, r.err)
    r = gpucfg("plan", "--facts", os.path.join(ok, "this-machine.json"), "--facts",
               os.path.join(FLEET, "pascal.json"), m)
    expect(r.code == 0 and sorted(rows(r.out)) == ["build-host", "pascal"], r.out + r.err)
    r = gpucfg("plan", "--fleet", ok, "--out", os.path.join(TMP, "p.json"), m)
    expect(r.code == 64, "--out with several machines is a usage error: " + r.err)


@check("Markdown: the table, then each host's plan collapsed, failed hosts first")
def markdown():
    r = gpucfg("plan", "--fleet", FLEET, "--format", "markdown", M, timeout=60)
    expect(r.out.startswith("**gpucfg fleet plan** `pytorch-2.14-cu130`: 5 host(s):"), r.out[:200])
    expect(r.out.count("<details>") == 5, r.out)
    first = re.search(r"<summary><code>([^<]+)</code>: (\w+)", r.out)
    expect(first and first.group(2) in ("error", "fail"), first and first.group(0))
    expect("| `pascal` | linux-x86_64 | **fail** |" in r.out, r.out)


@check("JSON agrees with schemas/fleet-plan.schema.json; each host's plan with plan.schema.json")
def json_form():
    r = gpucfg("plan", "--fleet", FLEET, "--format", "json", M, timeout=60)
    doc = json.loads(r.out)
    jsonschema.validate(doc, load("schemas/fleet-plan.schema.json"))
    plan_schema = load("schemas/plan.schema.json")
    for h in doc["hosts"]:
        if "plan" in h:
            jsonschema.validate(h["plan"], plan_schema)
    expect(doc["summary"]["hosts"] == 5, doc["summary"])
    expect(doc["summary"]["failed"] == sum(h["result"] in ("error", "fail") for h in doc["hosts"]),
           doc["summary"])


@check("facts carry gpucfg's record: a fleet tells converged, drifted and new hosts apart")
def converged_drifted_new():
    m = os.path.join(TMP, "env-stack.yaml")
    with open(m, "w") as f:
        f.write("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: env-stack}\n"
                "requires: {platforms: [linux-x86_64]}\nenv: {GPUCFG_FLEET_CHECK: \"1\"}\n")
    d = os.path.join(TMP, "three")
    os.makedirs(d)
    for host in ("converged", "drifted", "new"):
        root = os.path.join(TMP, "roots", host)
        os.makedirs(os.path.join(root, "etc"))
        with open(os.path.join(root, "etc", "hostname"), "w") as f:
            f.write(host + "\n")
        if host != "new":
            r = gpucfg("apply", "--yes", "--no-verify", "--root", root, m, timeout=60)
            expect(r.code == 0, r.out + r.err)
        if host == "drifted":  # edited behind gpucfg's back
            with open(os.path.join(root, "etc/profile.d/gpucfg-env-stack.sh"), "a") as f:
                f.write("# local edit\n")
        r = gpucfg("facts", "--json", "--root", root)
        doc = json.loads(r.out)
        jsonschema.validate(doc, load("schemas/facts.schema.json"))
        expect(("managed" in doc) == (host != "new"), doc.get("managed"))
        with open(os.path.join(d, host + ".json"), "w") as f:
            f.write(r.out)
    r = gpucfg("plan", "--fleet", d, m)
    t = rows(r.out)
    expect(t.get("converged", ("", ""))[1] == "ok", r.out + r.err)
    expect(t.get("drifted", ("", ""))[1] == "changes" and t.get("new", ("", ""))[1] == "changes",
           r.out)
    r = gpucfg("plan", "--facts", os.path.join(d, "drifted.json"), m)
    expect("not as gpucfg recorded it" in r.out and "/etc/profile.d/gpucfg-env-stack.sh" in r.out,
           r.out)


@check("a large fleet streams: every host under its own name, machines of one kind planned once, "
       "memory that does not grow with the plans")
def _():
    big = os.path.join(TMP, "big")
    os.makedirs(big)
    kinds = [copy.deepcopy(here), copy.deepcopy(old)]
    for i in range(1500):
        f = kinds[i % 2]
        # json.dump writes "ö" as \u00f6: a name is read as JSON reads it, planned or not.
        f["platform"]["hostname"] = f"nöde-{i:04d}" if i in (2, 3) else f"node-{i:04d}"
        for k, g in enumerate(f["driver"]["gpus"]):
            g["uuid"] = f"GPU-{i}-{k}"
        with open(os.path.join(big, f"n{i:04d}.json"), "w") as out:
            json.dump(f, out)
    out = os.path.join(TMP, "big.json")
    with open(out, "w") as sink:
        t0 = time.monotonic()
        p = subprocess.Popen([BINARY, "plan", "--fleet", big, "--format", "json", M],
                             stdout=sink, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, GPUCFG_DATA_DIR=ROOT))
        _, _, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
    with open(out) as f:
        doc = json.load(f)
    expect(doc["summary"]["hosts"] == 1500, doc["summary"])
    for i in (2, 3):  # both reuse the plan made for a host of their kind (0 and 1)
        h = doc["hosts"][i]
        expect(h["host"] == h["plan"]["host"] == f"nöde-{i:04d}", (h["host"], h["plan"]["host"]))
    for i in (0, 1, 777, 1499):
        h = doc["hosts"][i]
        expect(h["host"] == f"node-{i:04d}" and h["plan"]["host"] == f"node-{i:04d}" and
               h["plan"]["facts_source"].endswith(f"n{i:04d}.json"), (h["host"], h["plan"]["host"]))
        expect(h["result"] == ("fail" if i % 2 else doc["hosts"][0]["result"]), h["result"])
    # 1,500 plans kept in memory took about 170 MB; written as they come, about 25. A sanitizer
    # build's shadow memory says nothing about this: there the bound is not checked.
    peak_mb = usage.ru_maxrss / 1024
    if TIME_FACTOR == 1:
        expect(peak_mb < 80, f"peak {peak_mb:.0f} MB for 1,500 hosts")
    else:
        print(f"peak memory not checked under GPUCFG_TEST_TIME_FACTOR={TIME_FACTOR}: {peak_mb:.0f} MB")
    # Two kinds of machine: planning 1,500 of them costs about two plans and the I/O.
    expect(wall < 5 * TIME_FACTOR, f"{wall:.1f} s for 1,500 hosts of two kinds")


finish()
