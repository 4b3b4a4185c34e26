#!/usr/bin/env bash
# `npm test`: every test — unit, in-process workflows (n8n-core), and end to end in a real n8n.
# Installs what it needs (dev dependencies; Debian's chromium for the browser test, with apt-get when missing and
# root or passwordless sudo, else a clear message; n8n 2.41.1 into ~/.cache/n8n-nodes-api-sync on first run).
# Ends with the line "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
bash scripts/ensure-chromium.sh
npm run build >&2
bash scripts/install-n8n.sh >/dev/null
exec node_modules/.bin/jest "$@"
