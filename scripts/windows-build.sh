#!/usr/bin/env bash
# The Windows build (issue #16), cross-compiled here with Debian's MinGW-w64 and tested under
# Wine: installs the toolchain and Wine, builds the libraries Debian does not ship for MinGW from
# Debian's own source packages (apt-get source, after adding the deb-src entry) into a cached
# prefix, then builds build-win/ (gpucfg.exe, standing alone: everything linked statically), runs
# the unit tests under Wine, then the seed's acceptance run (tests/windows/acceptance.py: tf-2.5
# applied into Wine's C:\Program Files from installer-shaped archives, the registry checked with
# `wine reg query`, a second apply empty, facts, why, rollback), then the seed's steps 6-8
# (tests/windows/seed_env.py: the interpreter from its pinned archive, framework environments
# from real win_amd64 wheels, TensorFlow 2.5.0's included; fetches about 500 MB from the package
# index; GPUCFG_SKIP_SEED_ENV=1 leaves it out).
#
#   scripts/windows-build.sh            # toolchain, libraries (cached), build-win/, tests
#   GPUCFG_MINGW_CACHE=DIR ...          # where the libraries are kept (default .mingw/)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
cache=${GPUCFG_MINGW_CACHE:-$repo/.mingw}
prefix=$cache/prefix
src=$cache/src
toolchain=$repo/scripts/windows/mingw-w64.cmake
export GPUCFG_MINGW_PREFIX=$prefix
export WINEPREFIX=${WINEPREFIX:-$cache/wine} WINEDEBUG=${WINEDEBUG:--all}

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
for p in mingw-w64 wine wine64 cmake ninja-build dpkg-dev p7zip-full python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "windows-build: installing ${need[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Debian's source packages: a deb-src entry beside the binary ones, the same mirror and suites.
if ! apt-get source --print-uris -qq yaml-cpp >/dev/null 2>&1; then
  echo "windows-build: adding a deb-src entry for Debian's source packages"
  $sudo tee /etc/apt/sources.list.d/gpucfg-deb-src.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  $sudo apt-get update -qq
fi

# Unpacks Debian's source of PACKAGE under $src and sets $dir to it, unless this version is
# already built (a stamp naming it in the prefix): then returns 1. built PACKAGE writes the stamp.
unpack_source() {
  local package=$1 version
  version=$(apt-cache showsrc "$package" | awk '/^Version:/ {print $2; exit}')
  stamp=$prefix/.built-$package-$version
  [ -e "$stamp" ] && return 1
  echo "windows-build: $package $version from Debian's source package"
  rm -rf "${src:?}/$package" && mkdir -p "$src/$package" "$prefix/lib" "$prefix/include"
  (cd "$src/$package" && apt-get source -qq "$package" >/dev/null 2>&1)
  dir=$(find "$src/$package" -mindepth 1 -maxdepth 1 -type d | head -1)
}
built() {
  rm -rf "${src:?}/$1"
  touch "$stamp"
}

# One library configured with the MinGW toolchain and the given CMake options, installed into
# the prefix.
build_lib() {
  local package=$1
  shift
  unpack_source "$package" || return 0
  cmake -S "$dir" -B "$src/$package/build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" "$@" >/dev/null
  cmake --build "$src/$package/build"
  cmake --install "$src/$package/build" >/dev/null
  built "$package"
}

# zlib: Debian's source drops win32/ (the DLL's resource file its CMake build wants), so the
# static library is compiled directly: every .c at the top, then libz.a and the two headers.
build_zlib() {
  unpack_source zlib || return 0
  (cd "$dir" && for c in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback \
      inffast inflate inftrees trees uncompr zutil; do
     x86_64-w64-mingw32-gcc-posix -O2 -c "$c.c" -o "$c.o"
   done && x86_64-w64-mingw32-ar rcs "$prefix/lib/libz.a" ./*.o && cp zlib.h zconf.h "$prefix/include/")
  built zlib
}

# libdeflate: its Makefile names the static library libdeflatestatic.lib for Windows targets.
build_libdeflate() {
  unpack_source libdeflate || return 0
  make -C "$dir" -j"$(nproc)" CC=x86_64-w64-mingw32-gcc-posix AR=x86_64-w64-mingw32-ar \
    libdeflatestatic.lib >/dev/null
  cp "$dir/libdeflatestatic.lib" "$prefix/lib/libdeflate.a"
  cp "$dir/libdeflate.h" "$prefix/include/"
  built libdeflate
}

build_lib yaml-cpp -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF -DYAML_BUILD_SHARED_LIBS=OFF
build_lib nlohmann-json3 -DJSON_BuildTests=OFF
build_lib cli11 -DCLI11_BUILD_TESTS=OFF -DCLI11_BUILD_EXAMPLES=OFF -DCLI11_BUILD_DOCS=OFF
build_lib catch2 -DCATCH_BUILD_TESTING=OFF -DCATCH_INSTALL_DOCS=OFF -DCATCH_INSTALL_HELPERS=OFF
# Archives: zlib (gzip, zip) and liblzma (xz, 7-Zip's LZMA) under libarchive; NVIDIA's formats
# need nothing else (no bzip2, zstd, lz4). Static libraries only.
build_zlib
build_libdeflate
build_lib xz-utils -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF
build_lib libarchive -DBUILD_SHARED_LIBS=OFF -DENABLE_TEST=OFF -DENABLE_TAR=OFF -DENABLE_CPIO=OFF \
  -DENABLE_CAT=OFF -DENABLE_OPENSSL=OFF -DENABLE_NETTLE=OFF -DENABLE_LZ4=OFF -DENABLE_ZSTD=OFF \
  -DENABLE_BZip2=OFF -DENABLE_LIBXML2=OFF -DENABLE_EXPAT=OFF -DENABLE_ICONV=OFF -DENABLE_ACL=OFF \
  -DENABLE_LIBB2=OFF -DENABLE_CNG=ON -DENABLE_WERROR=OFF
# libcurl over Windows' own TLS (Schannel) and certificate store: no OpenSSL to ship.
build_lib curl -DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF \
  -DCURL_USE_SCHANNEL=ON -DCURL_USE_OPENSSL=OFF -DCURL_USE_LIBSSH2=OFF -DUSE_LIBIDN2=OFF \
  -DCURL_USE_LIBPSL=OFF -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF -DENABLE_UNICODE=ON

cmake -S . -B build-win -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix"
cmake --build build-win
ctest --test-dir build-win --output-on-failure
# A fresh Wine prefix of its own (the test's), so nothing from an earlier run is mistaken for a result.
env -u WINEPREFIX python3 tests/windows/acceptance.py build-win/cli/gpucfg.exe
if [ -z "${GPUCFG_SKIP_SEED_ENV:-}" ]; then
  env -u WINEPREFIX python3 tests/windows/seed_env.py build-win/cli/gpucfg.exe
fi
