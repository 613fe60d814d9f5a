"""The curated manifests: all validate, match knowledge/ (the generator finds nothing stale),
cover every TensorFlow release in the tables, and tf-2.5.yaml carries the seed procedure."""
import glob
import json
import re
import os
import subprocess
import sys

import yaml

from harness import ROOT, check, expect, finish, gpucfg


def resolved(manifest, platform):
    r = gpucfg("show", "--format", "json", "--platform", platform, manifest)
    expect(r.code == 0, r.err)
    return json.loads(r.out)["stack"]


@check("every manifest and example validates without errors or warnings")
def _():
    files = sorted(glob.glob(os.path.join(ROOT, "manifests", "*.yaml")) +
                   glob.glob(os.path.join(ROOT, "examples", "**", "*.yaml"), recursive=True))
    r = gpucfg("validate", *files)
    expect(r.code == 0, r.err[:3000])
    # The one warning allowed: an archive knowledge/install-sources.yaml says has no public pin.
    with open(os.path.join(ROOT, "knowledge", "install-sources.yaml")) as f:
        k = yaml.safe_load(f)
    unpinned = {row["url"] for t in ("toolkits", "cudnn_archives") for rows in k[t].values()
                for row in rows.values() if not row["sha256"]}
    # And a CUDA release knowledge/cuda-driver.yaml has no row for (NVIDIA's table was not
    # readable): its base says so and takes the major's compatibility floor.
    with open(os.path.join(ROOT, "knowledge", "cuda-driver.yaml")) as f:
        rows = {".".join(str(r["cuda"]).split(".")[:2]) for r in yaml.safe_load(f)["toolkit_driver"]}
    for line in r.err.splitlines():
        if ": warning: " not in line:
            continue
        m = re.search(r"warning: '([^']+)' is not pinned by a sha256", line)
        row = re.search(r"warning: CUDA ([0-9.]+) is not in knowledge/cuda-driver.yaml", line)
        expect((m and m.group(1) in unpinned) or (row and row.group(1) not in rows), line)


@check("manifests/ is what tools/gen_manifests.py makes of knowledge/")
def _():
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_manifests.py"), "--check"],
                       capture_output=True, text=True)
    expect(p.returncode == 0, p.stdout + p.stderr)


@check("one manifest per TensorFlow release; Windows from 2.11 on is refused with the reason")
def _():
    with open(os.path.join(ROOT, "knowledge", "frameworks.yaml")) as f:
        tf = yaml.safe_load(f)["tensorflow"]
    for row in (r for r in tf if r["os"] == "linux"):
        short = ".".join(str(row["version"]).split(".")[:2])
        path = f"manifests/tf-{short}.yaml"
        expect(os.path.exists(os.path.join(ROOT, path)), f"{path} missing")
        windows = any(r["os"] == "windows" and str(r["version"]).startswith(short + ".") for r in tf)
        r = gpucfg("validate", "--quiet", "--platform", "windows-x86_64", path)
        if windows:
            expect(r.code == 0, f"{path} on Windows: {r.err}")
        else:
            expect(r.code == 1 and "no native-Windows GPU build" in r.err, f"{path}: {r.err}")


@check("PyTorch wheels run from their CUDA major's floor: below the release's own, plan warns")
def _():
    m = os.path.join(ROOT, "manifests", "pytorch-2.8-cu128.yaml")
    facts = os.path.join(ROOT, "examples", "facts", "h200-cuda13-apt.json")
    def driver(version, os_id="linux-x86_64"):
        r = gpucfg("plan", "--format", "json", "--facts", facts, "--assume",
                   f"driver={version},platform={os_id}", m)
        return next(c for c in json.loads(r.out)["checks"] if c["name"] == "driver")
    expect(driver("535.54.03")["outcome"] == "warn", driver("535.54.03"))  # 12.x floor, < 12.8's 570
    expect(driver("570.26")["outcome"] == "pass", driver("570.26"))
    expect(driver("520.61.05")["outcome"] == "fail", driver("520.61.05"))  # below 12.x's 525.60.13
    expect(driver("526.98", "windows-x86_64")["outcome"] == "warn", driver("526.98", "windows-x86_64"))


@check("PyTorch wheels refuse a GPU they carry no kernel for, and take one their PTX can JIT for")
def _():
    facts = os.path.join(ROOT, "examples", "facts", "h200-cuda13-apt.json")
    def gpu(manifest, sm):
        r = gpucfg("plan", "--format", "json", "--facts", facts, "--assume",
                   f"driver=590.48.01,gpu={sm}", os.path.join(ROOT, "manifests", manifest))
        return next(c for c in json.loads(r.out)["checks"] if c["name"] == "gpu 0")["outcome"]
    cases = [("pytorch-2.14-cu126.yaml", "sm_90", "pass"),   # 5.0 .. 9.0, no PTX
             ("pytorch-2.14-cu126.yaml", "sm_120", "fail"),  # Blackwell: no kernel, no PTX
             ("pytorch-2.14-cu126.yaml", "sm_61", "pass"),   # Pascal runs the sm_60 kernels
             ("pytorch-2.14-cu130.yaml", "sm_61", "fail"),   # CUDA 13 wheels start at sm_75
             ("pytorch-2.14-cu130.yaml", "sm_121", "pass"),  # 12.0+PTX
             ("pytorch-2.8-cu128.yaml", "sm_70", "pass"),    # kept for Volta (pytorch#157517)
             ("pytorch-2.1-cu118.yaml", "sm_37", "pass")]
    for manifest, sm, want in cases:
        got = gpu(manifest, sm)
        expect(got == want, f"{manifest} on {sm}: {got}, expected {want}")


@check("tf-2.5 on Windows carries the seed procedure completely")
def _():
    s = resolved("manifests/tf-2.5.yaml", "windows-x86_64")
    prefix = "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.2"
    expect(s["cuda"]["version"] == "11.2" and s["cuda"]["prefix"] == prefix, s["cuda"])
    expect(s["cudnn"]["version"] == "8.1.0.77" and s["cudnn"]["placement"] == "into-cuda", s["cudnn"])
    place = {p["from"]: p["to"] for p in s["cudnn"]["place"]}
    # Every cudnn*64_8.dll: cudnn64_8.dll loads its sub-libraries by name.
    expect(place.get("bin/cudnn*64_8.dll") == prefix + "\\bin", place)
    expect(place.get("include/cudnn*.h") == prefix + "\\include", place)
    expect(place.get("lib/x64/cudnn*.lib") == prefix + "\\lib\\x64", place)
    alias = [f for f in s["files"] if "alias" in f]
    expect(len(alias) == 1 and alias[0]["alias"] == prefix + "\\bin\\cusolver64_10.dll"
           and alias[0]["target"] == "cusolver64_11.dll" and "44291" in alias[0]["why"], alias)
    env = s["env"]
    expect(env["CUDA_PATH"]["set"] == prefix, env)
    # The environment's Scripts first (activation; plan names the built folder there), then the
    # seed's two.
    expect(env["PATH"]["prepend"] == ["C:\\gpucfg\\envs\\tf-2.5\\Scripts", prefix + "\\bin",
                                      prefix + "\\libnvvp"], env["PATH"])
    expect(env["TF_XLA_FLAGS"]["set"] == "--tf_xla_enable_xla_devices", env)
    # The seed's step 6: the interpreter comes with the stack where none is found.
    inst = s["python"]["install"]
    expect(inst["version"] == "3.9.13" and inst["interpreter"] == "C:\\gpucfg\\python\\3.9\\python.exe"
           and inst["source"]["artifacts"][0]["location"].endswith("/python-3.9.13-embed-amd64.zip"), inst)
    expect(any("windows-x86_64/3.9" in w.get("for", []) and w.get("wheel", "").startswith("tensorflow-2.5.0-cp39")
               for w in s["python"]["lock"]), "no win_amd64 TensorFlow in the lock")
    expect(s["requires"]["driver"]["windows"] == ">=460.82", s["requires"])
    expect(s["requires"]["host_compiler"]["windows"]["msvc"] == "==2019", s["requires"])


@check("tf-2.5 on Linux: cuDNN headers and libcudnn.so.8* into the toolkit, a gcc nvcc 11.2 accepts")
def _():
    s = resolved("manifests/tf-2.5.yaml", "linux-x86_64")
    place = {p["from"]: p["to"] for p in s["cudnn"]["place"]}
    expect(place == {"include/cudnn*.h": "/usr/local/cuda-11.2/include",
                     "lib/libcudnn*.so.8*": "/usr/local/cuda-11.2/lib64"}, place)
    expect(not s.get("files"), "the cusolver alias is Windows-only")
    expect(s["requires"]["driver"]["linux"] == ">=460.27.03", s["requires"])
    expect(s["requires"]["host_compiler"]["linux"]["gcc"] == ">=5,<=10", s["requires"])
    expect(s["loader"]["paths"][0] == "/usr/local/cuda-11.2/lib64", s["loader"])


@check("show's origins point at the values they name; defaults and additions say what they follow")
def _():
    wrong = []
    for mf in sorted(glob.glob(os.path.join(ROOT, "manifests", "*.yaml")) +
                     glob.glob(os.path.join(ROOT, "examples", "*.yaml"))):
        for platform in ("linux-x86_64", "windows-x86_64"):
            r = gpucfg("show", "--format", "json", "--platform", platform, mf)
            if r.code != 0:
                continue  # a manifest without that platform
            doc = json.loads(r.out)
            for ptr, where in doc["origins"].items():
                node = doc["stack"]
                for part in ptr.strip("/").split("/"):
                    node = node[int(part)] if isinstance(node, list) else node[part]
                if not isinstance(node, str) or where.startswith("derived from "):
                    continue
                path, line, col = where.rsplit(":", 2)
                with open(os.path.join(ROOT, path) if not os.path.isabs(path) else path) as f:
                    text = f.read().split("\n")[int(line) - 1][int(col) - 1:].lstrip("\"'")
                # Version ranges are shown normalized ("2019" is "==2019").
                if not (text.startswith(node) or text.startswith(node.lstrip("=")) or "${" in text):
                    wrong.append(f"{os.path.basename(mf)} {platform} {ptr}={node!r} -> {where}: {text[:40]!r}")
    expect(not wrong, "\n".join(wrong[:10]) + f"\n({len(wrong)} in all)")


finish()
