#!/usr/bin/env bash
# README command 2: set up, build, bring the CUDA toolkit the tests compile against, and run the
# whole test suite (unit and CLI tests) with ctest. Works from a fresh clone; uses ./build. Extra
# arguments go to ctest (e.g. -R unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
# The toolkit: CUDA 13.0 with cuDNN 9.19 from NVIDIA's wheels on the package index (about 2 GB
# the first time, from gpucfg's cache after), applied by gpucfg itself into build/toolkit; a
# machine's own CUDA is never relied on. GPUCFG_TEST_NO_TOOLKIT=1 runs without it (offline):
# the tests that compile against a real stack then say they are skipped, and why.
if [ "${GPUCFG_TEST_NO_TOOLKIT:-0}" != 1 ]; then
  mkdir -p build/toolkit
  build/cli/gpucfg apply --yes --no-verify --root build/toolkit tests/fixtures/toolkit-cuda-13.0.yaml \
    >build/toolkit.log 2>&1 || {
    tail -20 build/toolkit.log
    echo "test: could not bring the CUDA toolkit into build/toolkit (log: build/toolkit.log);" \
      "GPUCFG_TEST_NO_TOOLKIT=1 runs the suite without it" >&2
    exit 1
  }
  echo "test: $(tail -1 build/toolkit.log) (CUDA 13.0 + cuDNN 9.19 in build/toolkit)"
fi
ctest --test-dir build --output-on-failure "$@"
