#!/usr/bin/env bash
# README command 1: set up, build, and run gpucfg's main job: plans against this machine.
#   - validate the seed manifest for every platform it declares;
#   - plan a curated manifest (PyTorch 2.14 with CUDA 13.0 wheels) against this machine;
#   - plan the manifest adopting this machine's own CUDA 13.0 + cuDNN 9.19 tree;
#   - plan the seed (tf-2.5) for the seed's Windows machine from its saved facts.
# Plans change nothing. A plan that finds errors (no driver is only a warning) exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
g=build/cli/gpucfg
$g validate manifests/tf-2.5.yaml
echo; $g plan manifests/pytorch-2.14-cu130.yaml
echo; $g plan examples/local-cuda-13.0.yaml
# The CUDA 11.2 Windows installer has no public sha256 (knowledge/install-sources.yaml):
# --allow-unpinned shows the steps that would follow its download.
echo; $g plan --allow-unpinned --facts examples/facts/windows-gtx1650.json manifests/tf-2.5.yaml
