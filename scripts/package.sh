#!/usr/bin/env bash
# Builds the Debian package, dist/gpucfg_<version>-1_<arch>.deb, from a Release build of this
# tree (build-release/, tests left out). Its Depends are read from the binary by dpkg-shlibdeps,
# so build it on the release it is for (Debian 12 here). Install: apt install ./dist/gpucfg_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The data folder an installed binary falls back to is the package's, never this checkout.
# Debian's hardening flags (stack protector, _FORTIFY_SOURCE, relro and BIND_NOW), as
# dpkg-buildflags gives them to every package built for Debian.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cxxflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DGPUCFG_BUILD_TESTS=OFF \
  -DGPUCFG_DATA_DIR=/usr/share/gpucfg -DCMAKE_CXX_FLAGS="$cxxflags" \
  -DCMAKE_EXE_LINKER_FLAGS="$ldflags" -DCMAKE_SHARED_LINKER_FLAGS="$ldflags"
cmake --build build-release
(cd build-release && cpack -G DEB -B "$PWD/../dist")
rm -rf dist/_CPack_Packages
ls -l dist/*.deb
# Debian's own check of the package: no error and no warning (info-level notes aside).
if command -v lintian >/dev/null; then
  lintian --fail-on error,warning dist/*.deb
else
  echo "package: lintian is not installed (apt-get install lintian); the package was not checked" >&2
fi
