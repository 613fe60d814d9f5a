#!/usr/bin/env bash
# Installs everything gpucfg needs to build and test on Debian 12 (or Ubuntu 22.04+).
# Idempotent and non-interactive: packages already present are left alone; run it as root or
# with sudo available. Nothing is downloaded except Debian packages.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev catch2
  libarchive-dev libdeflate-dev libisal-dev libcurl4-openssl-dev libssl-dev
  python3 python3-yaml python3-jsonschema python3-setuptools-whl python3-wheel-whl
  makeself p7zip-full
  clang libclang-rt-14-dev zip systemd
  dpkg-dev zsh fish dash shellcheck lintian groff-base ansible-core
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
