#!/usr/bin/env bash
# Builds the Debian package, dist/gpucfg_<version>-1_<arch>.deb, from a Release build of this
# tree (build-release/, tests left out). Its Depends are read from the binary by dpkg-shlibdeps,
# so build it on the release it is for (Debian 12 here). Install: apt install ./dist/gpucfg_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The data folder an installed binary falls back to is the package's, never this checkout.
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DGPUCFG_BUILD_TESTS=OFF \
  -DGPUCFG_DATA_DIR=/usr/share/gpucfg
cmake --build build-release
(cd build-release && cpack -G DEB -B "$PWD/../dist")
rm -rf dist/_CPack_Packages
ls -l dist/*.deb
