#!/usr/bin/env bash
# The checks that need a GPU (CI has none): run on a machine with an NVIDIA GPU after
# `scripts/test.sh` (or any build in ./build). MANIFEST names the manifest describing that
# machine's stack (default: the H200 example). Prints everything; exits non-zero if a check fails.
# Not -e: every check runs and the exit status says whether any failed. What the checks need
# (the folder, the binary) stops the script at once.
set -uo pipefail
cd "$(dirname "$0")/.." || { echo "gpu-check: cannot enter the repository" >&2; exit 2; }
g=${GPUCFG:-build/cli/gpucfg}
[ -x "$g" ] || { echo "gpu-check: no gpucfg at $g (build first, or set GPUCFG)" >&2; exit 2; }
manifest=${MANIFEST:-examples/h200-cuda13-apt.yaml}
export GPUCFG_DATA_DIR=$PWD GPUCFG_CACHE_DIR=${GPUCFG_CACHE_DIR:-$(mktemp -d)}
status=0
# The framework environment: the machine's own PyTorch venv, adopted (TORCH_MANIFEST), verified on
# the GPU with the cuDNN its process mapped; then the environment path itself (stand-in wheels).
framework_checks() {
  local tm=${TORCH_MANIFEST:-examples/h200-torch-venv.yaml}
  echo "== verify --level framework: $tm"
  $g verify --level framework "$tm" || status=1
  if [ -n "${OUT:-}" ]; then  # replaces examples/verify/h200-torch-venv.json
    $g verify --json --level framework "$tm" >"$OUT/verify-torch.json"
  fi
  $g verify --json --level framework "$tm" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
fw = [r for r in doc["results"] if r["level"] == "framework"]
bad = [r for r in fw if r["outcome"] != "pass"]
print("framework checks:", len(fw), "passed:", len(fw) - len(bad))
for r in bad: print("  NOT PASSED", r["check"], r["outcome"], r["detail"])
sys.exit(1 if bad or not any(r["check"].endswith("cudnn mapped") for r in fw) else 0)' || status=1
  echo "== the environment path with stand-in wheels"
  python3 tests/cli/test_pyenv.py "$g" || status=1
}
if [ "${GPU_CHECKS:-all}" = framework ]; then
  $g facts || status=1
  framework_checks
  exit $status
fi
echo "== facts"; $g facts || status=1
# The saved reports in examples/ come from here: with OUT set (the device tool's folder), the facts
# and verify reports are written there to replace examples/facts/h200-cuda13-apt.json and
# examples/verify/h200-cuda13-apt.json (tests/cli/test_schema.py checks them), and the framework
# report examples/verify/h200-torch-venv.json.
if [ -n "${OUT:-}" ]; then
  $g facts --json --frameworks >"$OUT/facts.json" || status=1
  $g verify --json "$manifest" >"$OUT/verify.json"
fi
echo "== live facts test"; GPUCFG_EXPECT_GPU=1 python3 tests/cli/test_facts_live.py "$g" || status=1
echo "== verify (compute), then a cached second run"
$g verify "$manifest" || status=1
time $g verify "$manifest" >/dev/null
echo "== live verify test"
GPUCFG_EXPECT_GPU=1 GPUCFG_VERIFY_MANIFEST="$manifest" python3 tests/cli/test_verify.py "$g" || status=1
conv=$(find "$GPUCFG_CACHE_DIR/verify" -name conv -type f 2>/dev/null | head -1) # the store's verify/ bucket
torch_cudnn=$(python3 -c "import nvidia.cudnn, os; print(os.path.join(list(nvidia.cudnn.__path__)[0], 'lib'))" 2>/dev/null)
if [ -n "$conv" ] && python3 -c "import torch" 2>/dev/null; then
  echo "== conv vs PyTorch (the same cuDNN library where PyTorch's wheel provides one)"
  python3 bench/conv_vs_torch.py "$conv" "$torch_cudnn" || status=1
else
  echo "skipped conv vs PyTorch: no built conv workload or no PyTorch here"
fi
echo "== the loop: this stack captured into a mirror, applied by gpucfg into a scratch root, verified there on the GPU"
# OUT keeps its report and facts (for examples/verify/h200-gpu-loop.json, examples/facts/).
GPUCFG="$g" GPUCFG_EXPECT_GPU=1 scripts/gpu-loop.sh "${LOOP_PREFIX:-/usr/local/cuda}" || status=1
framework_checks
exit $status
