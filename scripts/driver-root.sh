#!/usr/bin/env bash
# The heavier driver check of issue #29, not run by CI: a minimal Debian 12 bootstrapped into a
# folder from Debian's archive, NVIDIA's driver packages installed there by gpucfg through apt
# (examples/debian12-driver.yaml: nvidia-driver 535 held, nvidia-kernel-dkms, the kernel headers,
# g++-12), the module built by DKMS against that folder's kernel headers, then a second plan
# (empty), facts (the packages beside the loaded module) and a rollback to before gpucfg.
#
#   sudo scripts/driver-root.sh [ROOT]        # default /var/tmp/gpucfg-driver-root
#
# Needs root, the Debian archive (MIRROR, default deb.debian.org), about 2 GB and 10-20 minutes
# on two cores. The root is kept for a second run (debootstrap is skipped); remove it after.
set -euo pipefail
cd "$(dirname "$0")/.."
GPUCFG=${GPUCFG:-build/cli/gpucfg}
R=${1:-/var/tmp/gpucfg-driver-root}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
export GPUCFG_DATA_DIR=${GPUCFG_DATA_DIR:-$PWD}
say() { printf '\n== %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "driver-root: needs root (debootstrap, chroot)"; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
if [ ! -e "$R/etc/debian_version" ]; then
  say "debootstrap bookworm into $R"
  debootstrap --variant=minbase --components=main,contrib,non-free,non-free-firmware \
    bookworm "$R" "$MIRROR"
fi
# Maintainer scripts run chrooted into the root (dpkg --root); DKMS wants /proc and /dev there.
for m in proc sys dev; do mountpoint -q "$R/$m" || mount --bind "/$m" "$R/$m"; done
trap 'for m in dev sys proc; do umount -l "$R/$m" 2>/dev/null || true; done' EXIT
apt_root=(-o "Dir=$R" -o "Dir::State::status=$R/var/lib/dpkg/status" -o "DPkg::Options::=--root=$R")
say "apt-get update for the root (the lists gpucfg plans from)"
apt-get "${apt_root[@]}" -q update

say "gpucfg plan"
"$GPUCFG" plan --root "$R" examples/debian12-driver.yaml
say "gpucfg apply"
"$GPUCFG" apply --yes --root "$R" examples/debian12-driver.yaml

kver=$(ls "$R/lib/modules" | sort -V | tail -1)
say "DKMS against the root's kernel headers ($kver)"
# The packages' own scripts build for the running kernel (uname -r, this machine's), whose
# headers the root does not have; the root's kernel is built for here.
chroot "$R" dkms autoinstall -k "$kver" || true
chroot "$R" dkms status
ko=$(find "$R/lib/modules/$kver" -name 'nvidia*.ko*' | head -5)
[ -n "$ko" ] || { echo "driver-root: no nvidia module was built for $kver"; exit 1; }
echo "$ko"

say "a second plan changes nothing"
"$GPUCFG" plan --detailed-exitcode --root "$R" examples/debian12-driver.yaml
say "facts: the driver packages beside the (absent) module"
"$GPUCFG" facts --root "$R" | sed -n '/^driver/,/^toolkit\|^selector/p'
say "rollback to before gpucfg"
"$GPUCFG" rollback --to 0 --yes --root "$R"
if chroot "$R" dpkg-query -W -f='${Status}' nvidia-driver 2>/dev/null | grep -q "ok installed"; then
  echo "driver-root: nvidia-driver is still installed after the rollback"; exit 1
fi
say "driver-root: passed"
