#!/usr/bin/env bash
# ansible-test sanity on exactly what `ansible-galaxy collection build` ships.
#
# ansible-test bootstraps pip in its sanity virtualenvs by downloading get-pip.py, from a host
# this machine cannot reach. A stand-in in ansible-test's cache bootstraps pip with ensurepip
# instead (without PIP_CONFIG_FILE, whose local index would break ensurepip's install).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.venv/bin

cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
cat >"$cache/get_pip_24_2.py" <<'PY'
"""Stand-in for get-pip.py: bootstrap pip offline with ensurepip."""
import os
import subprocess
import sys

os.environ.pop("PIP_CONFIG_FILE", None)
sys.exit(subprocess.call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"]))
PY

# Outside the checkout: inside it, ansible-test would see git ignoring the files and skip them.
work=$(mktemp -d "${TMPDIR:-/tmp}/herokuops-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/dist" "$work/ansible_collections/herokuops/platform"
"$BIN/ansible-galaxy" collection build --force --output-path "$work/dist" . >/dev/null
tar -xzf "$work"/dist/herokuops-platform-*.tar.gz -C "$work/ansible_collections/herokuops/platform"
cd "$work/ansible_collections/herokuops/platform"
# ansible-test looks for a python matching --python; give it the venv's.
export PATH=$BIN:$PATH
"$BIN/ansible-test" sanity --python 3.11 --color no "$@"
