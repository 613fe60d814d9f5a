#!/usr/bin/env bash
# README command 1: set up, build, and do gpucfg's main job on this machine, which needs no GPU
# and no CUDA of its own:
#   - validate the seed manifest for every platform it declares;
#   - plan a curated manifest (PyTorch 2.14 with CUDA 13.0 wheels) against this machine;
#   - apply the curated CUDA 13.0 base from NVIDIA's wheels on the package index into a scratch
#     root (about 1.3 GB the first time, cached in ~/.cache/gpucfg after), verify it there (its
#     own nvcc builds the workloads; without a GPU their runs say so), and show that a second
#     plan is empty;
#   - plan the manifest adopting this machine's own CUDA 13.0 + cuDNN 9.19 tree, where there is one;
#   - plan the seed (tf-2.5) for the seed's Windows machine from its saved facts.
# A plan that finds errors (no driver is only a warning) exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
g=build/cli/gpucfg
$g validate manifests/tf-2.5.yaml
echo; $g plan manifests/pytorch-2.14-cu130.yaml
root=${GPUCFG_RUN_ROOT:-$(mktemp -d /tmp/gpucfg-run-XXXXXX)}
echo; echo "== apply manifests/cuda-13.0.yaml into $root (a scratch root; nothing outside it changes)"
$g apply --yes --no-verify --root "$root" manifests/cuda-13.0.yaml
echo; echo "== verify it there"
status=0
$g verify --level compute --root "$root" manifests/cuda-13.0.yaml || status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 4 ] || exit "$status" # 4: passed all that can run here
echo; echo "== a second plan: nothing left to do"
$g plan --detailed-exitcode --root "$root" manifests/cuda-13.0.yaml
if [ -x /usr/local/cuda-13.0/bin/nvcc ]; then
  echo; $g plan examples/local-cuda-13.0.yaml
else
  echo; echo "skipped: plan examples/local-cuda-13.0.yaml (it adopts /usr/local/cuda-13.0, which this machine does not have)"
fi
# The CUDA 11.2 Windows installer has no public sha256 (knowledge/install-sources.yaml):
# --allow-unpinned shows the steps that would follow its download.
echo; $g plan --allow-unpinned --facts examples/facts/windows-gtx1650.json manifests/tf-2.5.yaml
