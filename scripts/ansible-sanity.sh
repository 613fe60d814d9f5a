#!/usr/bin/env bash
# `ansible-test sanity` on the collection in ansible/ (all 32 tests, about 2 minutes; needs the
# package index, so not part of CI). ansible-test bootstraps pip in each test's virtual
# environment with a get-pip script it downloads from ci-files.testing.ansible.com, which only
# the package index is reachable from here: the script it would fetch is stood in for by one that
# runs pip 21.3.1 from its wheel, downloaded from the index, with the same arguments (what
# get-pip.py does with the copy of pip it carries). The collection is staged where ansible-test
# wants it, ansible_collections/gpucfg/gpucfg, as a git checkout of the files this one tracks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
pip_version=21.3.1
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
wheel=$cache/pip-$pip_version-py3-none-any.whl
[ -f "$wheel" ] || python3 -m pip download -q --no-deps --only-binary=:all: "pip==$pip_version" -d "$cache"
cat >"$cache/get_pip_${pip_version//./_}.py" <<EOF
# Stands in for get-pip-$pip_version.py (written by gpucfg's scripts/ansible-sanity.sh).
import sys
sys.path.insert(0, "$wheel")
from pip._internal.cli.main import main
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + sys.argv[1:]))
EOF
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dest=$stage/ansible_collections/gpucfg/gpucfg
mkdir -p "$dest"
git ls-files ansible | sed 's|^ansible/||' | (cd ansible && xargs cp --parents -t "$dest")
(cd "$dest" && git init -q && git add -A)
python=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
(cd "$dest" && ansible-test sanity --python "$python" "$@")
