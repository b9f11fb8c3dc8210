#!/usr/bin/env bash
# Install the collections requirements.yml names into .collections: from Galaxy where it is
# reachable, else from the `ansible` package on PyPI, which carries amazon.aws and
# community.postgresql.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DEST=.collections
ANSIBLE_PACKAGE_VERSION=12.3.0   # carries amazon.aws 10.1.2 and community.postgresql 4.2.0
COLLECTIONS=(amazon/aws community/postgresql)
mkdir -p "$DEST/ansible_collections"

if timeout 60 "$BIN/ansible-galaxy" collection install -r requirements.yml -p "$DEST" \
    --timeout 15 >/dev/null 2>&1; then
  echo "collections installed from Galaxy"
  exit 0
fi

echo "Galaxy unreachable: taking ${COLLECTIONS[*]//\//.} from the PyPI package ansible==$ANSIBLE_PACKAGE_VERSION"
cache=.cache/collections
mkdir -p "$cache"
wheel=$(ls "$cache"/ansible-"$ANSIBLE_PACKAGE_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
if [[ -z $wheel ]]; then
  "$BIN/pip" download -q --no-deps -d "$cache" "ansible==$ANSIBLE_PACKAGE_VERSION"
  wheel=$(ls "$cache"/ansible-"$ANSIBLE_PACKAGE_VERSION"-*.whl | head -n 1)
fi
for collection in "${COLLECTIONS[@]}"; do
  rm -rf "${DEST:?}/ansible_collections/$collection"
done
"$BIN/python" - "$wheel" "$DEST" "${COLLECTIONS[@]}" <<'PY'
import sys
import zipfile

wheel, dest, collections = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as archive:
    for collection in collections:
        prefix = f"ansible_collections/{collection}/"
        members = [name for name in archive.namelist() if name.startswith(prefix)]
        if not members:
            sys.exit(f"{collection.replace('/', '.')} is not in {wheel}")
        archive.extractall(dest, members)
        print(f"{collection.replace('/', '.')}: {len(members)} files into {dest}")
PY
