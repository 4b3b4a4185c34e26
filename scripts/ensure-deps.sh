#!/usr/bin/env bash
# Installs the dev dependencies when they are missing or older than package-lock.json,
# so `npm start` and `npm test` work straight after a fresh clone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
marker=node_modules/.package-lock.json
if [ ! -f "$marker" ] || [ package-lock.json -nt "$marker" ]; then
	echo "[deps] installing dev dependencies (npm ci)" >&2
	npm ci --no-audit --no-fund >&2
fi
