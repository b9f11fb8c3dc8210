#!/usr/bin/env bash
# Install the official Heroku CLI (npm package `heroku`) into .cache/heroku-cli, where
# tests/emulator/test_cli.py runs it against the emulator. Idempotent; the first install takes
# about a minute and 400 MB. Without node or npm it says so and exits 0: those tests then skip.
set -euo pipefail
cd "$(dirname "$0")/.."
HEROKU_CLI_VERSION=11.10.0
NODE_MAJOR_MIN=20   # the `engines` of heroku@11
DEST=.cache/heroku-cli

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool is not installed: the Heroku CLI cannot be installed"
    exit 0
  fi
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
if (( node_major < NODE_MAJOR_MIN )); then
  echo "node $(node --version) is too old for heroku@$HEROKU_CLI_VERSION (needs >= $NODE_MAJOR_MIN)"
  exit 0
fi

installed=$(node -p "require('./$DEST/node_modules/heroku/package.json').version" 2>/dev/null ||
  true)
if [[ $installed == "$HEROKU_CLI_VERSION" && -x $DEST/node_modules/.bin/heroku ]]; then
  echo "heroku CLI $installed already in $DEST"
  exit 0
fi

mkdir -p "$DEST"
[[ -f $DEST/package.json ]] || echo '{"name": "heroku-cli-for-tests", "private": true}' \
  >"$DEST/package.json"
npm install --prefix "$DEST" --save-exact --no-audit --no-fund --loglevel=error \
  "heroku@$HEROKU_CLI_VERSION" >/dev/null
echo "heroku CLI $HEROKU_CLI_VERSION installed in $DEST"
