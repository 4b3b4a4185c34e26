#!/usr/bin/env bash
# `npm start`: a real n8n with this package loaded, the sandbox API running, and the example
# credentials and workflows imported. Editor: http://localhost:5678 (owner login printed below).
# Idempotent: the user folder .n8n-local/ is reused (the package copy is refreshed every start).
# Stop it with Ctrl+C: n8n shuts down, then the sandbox is stopped.
#
# Environment knobs: N8N_PORT (5678), SANDBOX_PORT (8787), SKIP_BUILD=1, SKIP_SANDBOX=1,
# N8N_LOCAL_DIR (user folder, default .n8n-local/), N8N_VERSION / N8N_CACHE_DIR (see scripts/install-n8n.sh),
# EXAMPLES_DIR (examples/: credentials/*.json and *.json workflows, each an object or an array),
# N8N_LOCAL_OWNER_EMAIL / N8N_LOCAL_OWNER_PASSWORD (owner account, re-applied at every start).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

N8N_PORT="${N8N_PORT:-5678}"
SANDBOX_PORT="${SANDBOX_PORT:-8787}"
OWNER_EMAIL="${N8N_LOCAL_OWNER_EMAIL:-admin@example.com}"
OWNER_PASSWORD="${N8N_LOCAL_OWNER_PASSWORD:-ApiSync-Local-1}"
EXAMPLES_DIR="${EXAMPLES_DIR:-$REPO/examples}"
TS_NODE="$REPO/node_modules/.bin/ts-node"

log() { echo "[start] $*" >&2; }

bash "$REPO/scripts/ensure-deps.sh"

# 1. build the package
if [ "${SKIP_BUILD:-0}" != "1" ]; then
	log "building the package (npm run build)"
	npm run --silent build >&2
fi

# 2. n8n itself (cached outside the repo)
N8N_INSTALL_DIR="$(bash "$REPO/scripts/install-n8n.sh" | tail -n 1)"
N8N_USER_FOLDER="${N8N_LOCAL_DIR:-$REPO/.n8n-local}"
mkdir -p "$N8N_USER_FOLDER"
# shellcheck source=scripts/n8n-env.sh
source "$REPO/scripts/n8n-env.sh"

# 3. the package, copied in as a community package (n8n-workflow peer -> n8n's own copy)
"$TS_NODE" --transpile-only "$REPO/test/e2e/support/install-package-cli.ts" "$N8N_INSTALL_DIR" "$N8N_USER_FOLDER" "$REPO" >&2

# 4. the sandbox API
SANDBOX_PID=""
N8N_PID=""
cleanup() {
	if [ -n "$SANDBOX_PID" ] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
		log "stopping the sandbox"
		kill -TERM -- "-$SANDBOX_PID" 2>/dev/null || kill -TERM "$SANDBOX_PID" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$SANDBOX_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$SANDBOX_PID" 2>/dev/null || true
	fi
}
on_signal() {
	if [ -n "$N8N_PID" ]; then kill -TERM "$N8N_PID" 2>/dev/null || true; else exit 130; fi
}
trap cleanup EXIT
trap on_signal INT TERM HUP

if [ "${SKIP_SANDBOX:-0}" != "1" ]; then
	if curl -s -o /dev/null "http://127.0.0.1:$SANDBOX_PORT/" 2>/dev/null; then
		log "port $SANDBOX_PORT is already in use: assuming a sandbox is running there"
	else
		log "starting the sandbox API on http://127.0.0.1:$SANDBOX_PORT"
		# own process group, so cleanup stops it and only it
		SANDBOX_PORT="$SANDBOX_PORT" setsid "$TS_NODE" --transpile-only "$REPO/test/sandbox/cli.ts" \
			> "$N8N_USER_FOLDER/sandbox.log" 2>&1 &
		SANDBOX_PID=$!
		for _ in $(seq 1 100); do
			if curl -s -o /dev/null "http://127.0.0.1:$SANDBOX_PORT/"; then break; fi
			if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
				log "the sandbox failed to start:"; cat "$N8N_USER_FOLDER/sandbox.log" >&2; exit 1
			fi
			sleep 0.2
		done
		log "sandbox up (log: $N8N_USER_FOLDER/sandbox.log)"
	fi
fi

# 5. example credentials and workflows (stable ids, so re-imports update instead of duplicating)
import_files() { # <credentials|workflow> <files...>
	local kind="$1"; shift
	[ "$#" -gt 0 ] || return 0
	local merged="$N8N_USER_FOLDER/import-$kind.json" count output
	count="$("$TS_NODE" --transpile-only "$REPO/test/e2e/support/merge-import-files.ts" "$merged" "$@")"
	log "importing $count example $kind entr$([ "$count" = 1 ] && echo y || echo ies)"
	if ! output="$(n8n_cli "import:$kind" --input="$merged" 2>&1)" || ! grep -q "Successfully imported" <<<"$output"; then
		echo "$output" | tail -n 30 >&2
		log "import:$kind failed"
		exit 1
	fi
}
shopt -s nullglob
import_files credentials "$EXAMPLES_DIR"/credentials/*.json
import_files workflow "$EXAMPLES_DIR"/*.json
shopt -u nullglob

# 6. n8n in the foreground. The owner account comes from env (n8n 2.x: no owner-setup screen).
export N8N_PORT N8N_HOST="${N8N_HOST:-localhost}" N8N_PROTOCOL=http
export N8N_EDITOR_BASE_URL="http://localhost:$N8N_PORT/" N8N_WEBHOOK_URL="${N8N_WEBHOOK_URL:-http://localhost:$N8N_PORT/}"
export N8N_INSTANCE_OWNER_MANAGED_BY_ENV=true
export N8N_INSTANCE_OWNER_EMAIL="$OWNER_EMAIL"
export N8N_INSTANCE_OWNER_FIRST_NAME="Local" N8N_INSTANCE_OWNER_LAST_NAME="Owner"
N8N_INSTANCE_OWNER_PASSWORD_HASH="$("$N8N_NODE" -e "process.stdout.write(require(process.argv[1]).hashSync(process.argv[2], 10))" \
	"$N8N_INSTALL_DIR/node_modules/bcryptjs" "$OWNER_PASSWORD")"
export N8N_INSTANCE_OWNER_PASSWORD_HASH

log "starting n8n: editor on http://localhost:$N8N_PORT  (login: $OWNER_EMAIL / $OWNER_PASSWORD)"
"$N8N_NODE" "$N8N_BIN" start &
N8N_PID=$!
set +e
while :; do
	wait "$N8N_PID"
	status=$?
	# a trapped signal interrupts `wait` (status > 128) while n8n is still shutting down: wait again
	kill -0 "$N8N_PID" 2>/dev/null || break
done
exit "$status"
