#!/usr/bin/env bash
# The checking pass CI runs after the test suite: the whole suite again, built with
# AddressSanitizer and UndefinedBehaviorSanitizer (./build-asan; any report fails), then each
# fuzz harness for a short smoke run (scripts/fuzz.sh, FUZZ_SECONDS each, default 20).
# Leak reports are off: libcurl's and libarchive's process-lifetime state would drown them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# clang: gcc 12 under -fsanitize warns falsely inside libstdc++'s regex (maybe-uninitialized).
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DGPUCFG_SANITIZE=ON >/dev/null
cmake --build build-asan
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The tests' time limits are the release build's; instrumented code runs a few times slower.
export GPUCFG_TEST_TIME_FACTOR=3
ctest --test-dir build-asan --output-on-failure -j2
scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
