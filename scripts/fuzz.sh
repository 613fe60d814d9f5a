#!/usr/bin/env bash
# Fuzzes gpucfg's parsers of untrusted input with libFuzzer (clang; AddressSanitizer and
# UndefinedBehaviorSanitizer on):
#   fuzz_manifest   the YAML reader and the manifest decoder, for every platform
#   fuzz_redistrib  NVIDIA's redistrib index (it may come from any mirror)
#   fuzz_probe      version files and headers, the driver's proc file, dist-info, dpkg, os-release,
#                   compiler output, the binary ld.so cache, ELF dynamic sections
#   fuzz_names      archive entry names and layouts, wheel names and tags, simple-index pages
#   fuzz_archive    extraction of any archive libarchive reads, with the entry rules
#
#   scripts/fuzz.sh [SECONDS per harness, default 60] [HARNESS...]
#
# Seeds come from the tests' fixtures and manifests; each harness's corpus grows in
# build-fuzz/corpus/NAME across runs. A crash fails the script and leaves its input in
# build-fuzz/crashes/NAME/: add it under tests/fuzz/regressions/ with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(manifest redistrib probe names archive)
command -v clang++ >/dev/null || { echo "fuzz: needs clang++ (apt-get install clang)" >&2; exit 1; }

cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DGPUCFG_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --target $(printf 'fuzz_%s ' "${harnesses[@]}") >/dev/null

seed() { # NAME FILE...: copy seeds into the corpus (once)
  local dir=build-fuzz/corpus/$1
  shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$dir/" 2>/dev/null || true; done
}
seed manifest manifests/*.yaml examples/*.yaml tests/cases/invalid/*.yaml
seed redistrib tests/fixtures/redistrib/*.json
seed probe tests/fixtures/probe/* /bin/true
seed names tests/fixtures/probe/version-10.0.txt
seed archive tests/fixtures/zip/*.zip
if [ ! -f build-fuzz/corpus/archive/seed.tar.gz ]; then
  mkdir -p build-fuzz/corpus/archive build-fuzz/seed/x-archive/lib
  echo lib >build-fuzz/seed/x-archive/lib/libx.so.1
  ln -sf libx.so.1 build-fuzz/seed/x-archive/lib/libx.so
  tar -C build-fuzz/seed -czf build-fuzz/corpus/archive/seed.tar.gz x-archive
  (cd build-fuzz/seed && zip -qry ../corpus/archive/seed.zip x-archive)
fi
for f in tests/fuzz/regressions/*; do
  [ -f "$f" ] && seed "$(basename "$f" | cut -d- -f1)" "$f"
done

status=0
for h in "${harnesses[@]}"; do
  mkdir -p "build-fuzz/crashes/$h"
  log=build-fuzz/fuzz_$h.log
  if build-fuzz/tests/fuzz/fuzz_$h -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
      -artifact_prefix="build-fuzz/crashes/$h/" "build-fuzz/corpus/$h" >"$log" 2>&1; then
    echo "fuzz_$h: $(grep -o 'Done [0-9]* runs' "$log" | tail -1 |
      awk '{print $2}') executions in ${seconds} s, no crash"
  else
    echo "fuzz_$h: FAILED (see $log and build-fuzz/crashes/$h/)"
    grep -m5 -E 'ERROR|SUMMARY|runtime error' "$log" || true
    status=1
  fi
done
exit $status
