"""`gpucfg facts` on the machine the tests run on: the answer has the right shape (the schema,
where python3-jsonschema is installed), every fact carries evidence, and what this project's
machines are known to hold is found. With GPUCFG_EXPECT_GPU=1 (the device check) a driver and at
least one GPU must be reported; without a GPU the driver must be reported absent, not invented."""
import json
import os
import tempfile
import time

from harness import LOCAL_TOOLKIT, MACHINE_TOOLKIT, ROOT, check, expect, finish, gpucfg, local_toolkit

r = gpucfg("facts", "--json")
facts = json.loads(r.out) if r.code == 0 else {}
EXPECT_GPU = os.environ.get("GPUCFG_EXPECT_GPU") == "1"


@check("facts exits 0 and prints JSON")
def _():
    expect(r.code == 0, r.err)
    expect(facts.get("format_version") == 1, r.out[:300])


@check("facts --json follows schemas/facts.schema.json")
def _():
    try:
        import jsonschema
    except ImportError:
        print("skipped: python3-jsonschema not installed here; shape checked below only")
        return
    with open(os.path.join(ROOT, "schemas", "facts.schema.json")) as f:
        jsonschema.validate(facts, json.load(f))


@check("the driver is reported with evidence, or absent with a reason")
def _():
    d = facts["driver"]
    if EXPECT_GPU:
        expect(d["present"], f"a GPU machine must report its driver: {d}")
    if d["present"]:
        expect(d["version"].count(".") >= 1 and d["evidence"], d)
        expect(not EXPECT_GPU or d["gpus"], "no GPU listed")
        for g in d["gpus"]:
            major, minor = g["compute_capability"].split(".")
            expect(int(major) >= 3 and g["name"] and g["uuid"].startswith("GPU-") and g["memory_bytes"] > 0, g)
    else:
        expect("no NVIDIA driver" in d["absent_reason"] and not d["gpus"], d)


@check("every toolkit and cuDNN copy has a version and where it came from")
def _():
    for t in facts["toolkits"]:
        # A toolkit whose version nothing tells (an nvcc on PATH that runs nothing, headers
        # copied into /usr/local) is still reported, where it was found, without a version.
        expect(t["found_by"] and (not t["version"] or t["version_evidence"]), t)
    for c in facts["cudnn"]:
        expect(c["version"] and c["version_evidence"] and c["libraries"], c)


@check("every loader answer is its first candidate, and explains the chain")
def _():
    for res in facts["loader"]:
        if res["chosen"]:
            expect(res["candidates"][0]["path"] == res["chosen"], res)
        expect(any(s.startswith("result:") for s in res["steps"]), res)


@check("this project's CUDA 13.0 + cuDNN 9.19 tree is found where it is installed")
def _():
    if local_toolkit():
        print("skipped:", local_toolkit())
        return
    found = facts
    if LOCAL_TOOLKIT != MACHINE_TOOLKIT:
        # The toolkit scripts/test.sh brought is in the build folder, where nothing looks unless
        # told: told as a user would tell it, by CUDA_HOME and LD_LIBRARY_PATH.
        r = gpucfg("facts", "--json", env={"CUDA_HOME": LOCAL_TOOLKIT,
                                           "LD_LIBRARY_PATH": os.path.join(LOCAL_TOOLKIT, "lib64")})
        found = json.loads(r.out)
    real = os.path.realpath(LOCAL_TOOLKIT)
    t = [t for t in found["toolkits"] if t["realpath"] == real]
    expect(t and t[0]["version"].startswith("13.0"), found["toolkits"])
    expect("nvcc" in t[0]["components"], t[0]["components"])
    if os.path.exists(os.path.join(LOCAL_TOOLKIT, "dist-info")):  # a tree made from NVIDIA's wheels
        expect(t[0]["version"] == "13.0.88" and "cudnn" in t[0]["components"], t[0])
        c = [c for c in found["cudnn"] if os.path.realpath(c["lib_dir"]).startswith(real)]
        expect(c and c[0]["version"].startswith("9.19.0"), found["cudnn"])
    why = [x for x in found["loader"] if x["name"].startswith("libcudnn.so.")]
    expect(why and why[0]["chosen"], "libcudnn.so.N is not explained")


@check("compilers are asked only when a check reads the answer, all at once, and answer from a "
       "cache while their file is unchanged (path, size, mtime)")
def _():
    d = tempfile.mkdtemp(prefix="gpucfg-compilers-")
    bindir, log = os.path.join(d, "bin"), os.path.join(d, "runs.log")
    os.makedirs(bindir)
    for name in ("gcc", "g++"):
        # Each run logs its start and end, so two runs that overlap were asked at once.
        with open(os.path.join(bindir, name), "w") as f:
            f.write(f"#!/bin/sh\necho \"{name} start $(/bin/date +%s.%N)\" >> {log}\n/bin/sleep 0.5\n"
                    f"echo \"{name} end $(/bin/date +%s.%N)\" >> {log}\necho 12.2.0\n")
        os.chmod(os.path.join(bindir, name), 0o755)
    env = {"PATH": bindir, "GPUCFG_CACHE_DIR": os.path.join(d, "cache"), "HOME": d}

    def runs():
        if not os.path.exists(log):
            return []
        with open(log) as f:
            return [line.split() for line in f]

    def manifest(requires):
        path = os.path.join(d, "m.yaml")
        with open(path, "w") as f:
            f.write("apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: cc}\n"
                    f"requires: {{platforms: [linux-x86_64]{requires}}}\ncuda: {{version: '12.3', "
                    "prefix: /nonexistent/cuda, source: {adopt: true}}\n")
        return path
    r = gpucfg("plan", manifest(""), env=env)
    expect(r.code in (0, 1, 2), r.err)
    expect(runs() == [], f"a plan that checks no compiler ran them: {runs()}")
    r = gpucfg("plan", manifest(", host_compiler: {linux: {gcc: '<=13'}}"), env=env)
    expect("gcc 12.2.0 within <=13" in r.out, r.out + r.err)
    starts = {n: float(t) for n, what, t in runs() if what == "start"}
    ends = {n: float(t) for n, what, t in runs() if what == "end"}
    expect(set(starts) == {"gcc", "g++"}, runs())
    expect(max(starts.values()) < min(ends.values()), f"asked one after another: {runs()}")
    before = len(runs())
    r = gpucfg("facts", "--json", env=env)
    found = {c["name"]: c["version"] for c in json.loads(r.out)["compilers"]}
    expect(found.get("g++") == "12.2.0" and len(runs()) == before,
           f"unchanged compilers were asked again: {found} {runs()[before:]}")
    time.sleep(0.01)
    os.utime(os.path.join(bindir, "g++"))  # replaced (a new mtime): asked again, gcc is not
    gpucfg("facts", "--json", env=env)
    expect(sorted(n for n, what, _ in runs()[before:] if what == "start") == ["g++"], runs())


finish()
