#!/usr/bin/env bash
# The loop that proves a stack gpucfg itself applied (issue 26): capture this machine's toolkit and
# cuDNN into a mirror folder (`gpucfg capture`), apply that stack from the mirror into a scratch
# root, and `verify --root --level compute` it. On a GPU (GPUCFG_EXPECT_GPU=1, what gpu-check.sh
# sets) the conv and GEMM checks must pass against their fp64 references, run against the root's
# libraries; without one (GPUCFG_EXPECT_GPU=0) every workload must build and every run must say
# "no CUDA device". No network: everything comes from the machine and the mirror folder.
#   scripts/gpu-loop.sh [PREFIX]    # default /usr/local/cuda; OUT=dir keeps the log and reports
set -euo pipefail
cd "$(dirname "$0")/.."
g=${GPUCFG:-build/cli/gpucfg}
prefix=$(readlink -f "${1:-/usr/local/cuda}")
expect_gpu=${GPUCFG_EXPECT_GPU:-1}
[ -x "$g" ] || { echo "gpu-loop: no gpucfg at $g (build first, or set GPUCFG)" >&2; exit 2; }
[ -d "$prefix" ] || { echo "gpu-loop: no toolkit at $prefix" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GPUCFG_DATA_DIR=$PWD GPUCFG_CACHE_DIR=$work/cache

# What the workloads need, of what this toolkit has (capture names its components when asked
# for one it lacks); cuDNN must be among them, since conv is the point.
have=$("$g" capture "$prefix" --out "$work/probe" --components none 2>&1 | sed -n 's/.*(it has: \(.*\))$/\1/p' | tr -d ' ' || true)
want=""
for c in cuda_cccl cuda_crt cuda_cudart cuda_nvcc cuda_culibos libnvvm libcublas cudnn unrecorded; do
  case ",$have," in *",$c,"*) want=$want${want:+,}$c ;; esac
done
# A cuDNN outside the toolkit's prefix (Debian's or NVIDIA's packages put it in /usr) goes into the
# mirror as an archive in NVIDIA's layout, made from the copy facts finds (LOOP_CUDNN_FROM_FACTS=1
# takes that way even where capture could pack it).
separate=${LOOP_CUDNN_FROM_FACTS:-0}
case ",$want," in *,cudnn,*) ;; *) separate=1 ;; esac
if [ "$separate" = 1 ]; then want=$(echo ",$want," | sed 's/,cudnn,/,/; s/^,//; s/,$//'); fi
exclude=()
if [ "$separate" = 1 ]; then exclude=(--exclude 'lib*/libcudnn*' --exclude 'include/cudnn*'); fi
echo "== capture $prefix ($want)"
"$g" capture "$prefix" --out "$work/mirror" --components "$want" "${exclude[@]}" --install-prefix /opt/cuda-loop --name gpu-loop
if [ "$separate" = 1 ]; then
  echo "== cuDNN from facts, packed as an archive in NVIDIA's layout"
  CUDA_HOME=$prefix "$g" facts --json >"$work/facts.json" # found wherever the toolkit is
  python3 - "$work/facts.json" "$work/mirror" "$prefix" <<'PY'
import glob, hashlib, json, os, re, shutil, sys, tarfile
facts, mirror, prefix = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
copies = [c for c in facts.get("cudnn", []) if c.get("version") and c.get("lib_dir") and c.get("header")]
if not copies:
    sys.exit("gpu-loop: facts finds no cuDNN with headers and libraries on this machine")
# The newest; of equal versions, the one inside the toolkit being captured.
c = max(copies, key=lambda c: ([int(x) for x in re.findall(r"\d+", c["version"])],
                               os.path.realpath(c["lib_dir"]).startswith(prefix + "/")))
name = f"cudnn-linux-x86_64-{c['version']}_cuda-archive"
top = os.path.join(mirror, name)
os.makedirs(os.path.join(top, "include"))
os.makedirs(os.path.join(top, "lib"))
# Headers by the names cudnn.h includes them by: Debian's packages name the files cudnn_v9.h and
# point cudnn.h at them through alternatives, so each is copied as the name it is reached by.
for d in {os.path.dirname(c["header"]), "/usr/include"}:
    for h in glob.glob(os.path.join(d, "cudnn*.h")):
        plain = re.sub(r"_v\d+\.h$", ".h", os.path.basename(h))
        target = os.path.join(top, "include", plain)
        if not os.path.exists(target):
            shutil.copyfile(h, target)
for lib in glob.glob(os.path.join(c["lib_dir"], "libcudnn*.so*")):
    target = os.path.join(top, "lib", os.path.basename(lib))
    if os.path.islink(lib) and os.path.dirname(os.path.realpath(lib)) == os.path.realpath(c["lib_dir"]):
        os.symlink(os.path.basename(os.path.realpath(lib)), target)
    else:
        shutil.copyfile(lib, target)
archive = os.path.join(mirror, name + ".tar.gz")
with tarfile.open(archive, "w:gz", compresslevel=1) as t:
    t.add(top, arcname=name)
shutil.rmtree(top)
sha = hashlib.sha256(open(archive, "rb").read()).hexdigest()
major = c["version"].split(".")[0]
toolkit = re.search(r'^  version: "([^"]+)"', open(os.path.join(mirror, "gpu-loop.yaml")).read(), re.M).group(1)
with open(os.path.join(mirror, "gpu-loop.yaml"), "a") as m:
    m.write(f'cudnn:\n  version: "{c["version"]}"\n  cuda: "{toolkit.split(".")[0]}"\n  into: cuda\n'
            f"  source:\n    archive: {os.path.basename(archive)}\n    sha256: {sha}\n")
print(f"gpu-loop: cuDNN {c['version']} from {c['lib_dir']} -> {os.path.basename(archive)}")
PY
fi
mkdir -p "$work/root"
echo "== apply into a scratch root from the mirror"
"$g" apply --root "$work/root" --yes "$work/mirror/gpu-loop.yaml"
echo "== a second plan is empty"
"$g" plan --root "$work/root" --detailed-exitcode "$work/mirror/gpu-loop.yaml" >/dev/null
echo "== verify --root --level compute"
"$g" verify --root "$work/root" --level compute "$work/mirror/gpu-loop.yaml" || true
"$g" verify --root "$work/root" --level compute --json "$work/mirror/gpu-loop.yaml" >"$work/verify.json" || true
if [ -n "${OUT:-}" ]; then
  cp "$work/verify.json" "$OUT/gpu-loop-verify.json"
  "$g" facts --json >"$OUT/gpu-loop-facts.json" || true
fi
python3 - "$work/verify.json" "$expect_gpu" "$work/root" <<'PY'
import json, os, sys
doc, expect_gpu, root = json.load(open(sys.argv[1])), sys.argv[2] == "1", os.path.realpath(sys.argv[3])
compute = [r for r in doc["results"] if r["level"] == "compute"]
builds = [r for r in compute if r["check"].startswith("build ")]
runs = [r for r in compute if not r["check"].startswith("build ")]
bad = [r for r in builds if r["outcome"] != "pass"] if len(builds) == 4 else [{"check": "builds", "detail": builds}]
if expect_gpu:
    for name in ("cudnn conv fwd fp32", "cudnn conv bwd data fp32", "cudnn conv fwd fp16", "cublas gemm fp32"):
        hits = [r for r in runs if r["check"].endswith(name)]
        bad += [r for r in hits if r["outcome"] != "pass"] or ([] if hits else [{"check": name, "detail": "no result"}])
    libs = [r.get("data", {}).get("library", "") for r in runs]
    bad += [{"check": "library", "detail": lib} for lib in libs if lib and not os.path.realpath(lib).startswith(root)]
else:
    bad += [r for r in runs if r["outcome"] != "not-run" or not r["detail"].startswith("no CUDA device")]
for r in bad:
    print("gpu-loop: NOT AS EXPECTED", r.get("check"), r.get("outcome", ""), r.get("detail"))
print(f"gpu-loop: {len(builds)} builds, {len(runs)} runs, {len(bad)} not as expected")
sys.exit(1 if bad else 0)
PY
