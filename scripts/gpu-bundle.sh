#!/usr/bin/env bash
# Packs build/cli/gpucfg with the shared libraries it needs beyond glibc and libstdc++ into
# .gpu/bundle.tar.xz (ignored by git), for a GPU machine that cannot build or install packages:
# the binary is stripped and given an RPATH of $ORIGIN/lib, so nothing else it runs (nvcc,
# Python, the framework) sees these libraries. Unpack there and point GPUCFG at it:
#   mkdir -p /tmp/g && tar -C /tmp/g -xJf .gpu/bundle.tar.xz && GPUCFG=/tmp/g/gpucfg scripts/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v patchelf >/dev/null || { echo "gpu-bundle: needs patchelf (apt-get install patchelf)" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib" .gpu
strip -o "$stage/gpucfg" build/cli/gpucfg
ldd build/cli/gpucfg | awk '/=> \//{print $3}' |
  grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux[^/]*|libpthread|libdl|librt)\.so' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done
# RPATH, not RUNPATH: it also serves the libraries' own dependencies (libcurl's libnghttp2).
patchelf --force-rpath --set-rpath '$ORIGIN/lib' "$stage/gpucfg"
tar -C "$stage" -cJf .gpu/bundle.tar.xz .
echo "gpu-bundle: .gpu/bundle.tar.xz ($(du -h .gpu/bundle.tar.xz | cut -f1))"
