#!/usr/bin/env bash
# README command 2: set up, build and run the whole test suite (unit and CLI tests) with ctest.
# Works from a fresh clone; uses ./build. Extra arguments go to ctest (e.g. -R unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
ctest --test-dir build --output-on-failure "$@"
