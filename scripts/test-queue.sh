#!/usr/bin/env bash
# `npm run test:queue`: the package in n8n's queue mode — real PostgreSQL and Redis (Debian packages
# `postgresql` and `redis-server`, installed with apt-get when missing), one main, two workers and one
# webhook processor. Ends with the line "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
npm run build >&2
bash scripts/install-n8n.sh >/dev/null
exec node_modules/.bin/jest -c jest.queue.config.js "$@"
