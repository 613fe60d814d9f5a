#!/usr/bin/env bash
# README command 1: set up, build, and run gpucfg's main job on the seed manifest. Until the
# planner lands, that is: validate tf-2.5.yaml for every platform it declares, then show it
# resolved for this machine and for the seed's Windows machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
build/cli/gpucfg validate manifests/tf-2.5.yaml
build/cli/gpucfg show manifests/tf-2.5.yaml
build/cli/gpucfg show --platform windows-x86_64 manifests/tf-2.5.yaml
