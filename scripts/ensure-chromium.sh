#!/usr/bin/env bash
# Makes sure the browser test's Chromium is there (Debian's `chromium` package at /usr/bin/chromium), as
# `npm run test:queue` does for PostgreSQL and Redis: installed with apt-get when missing, as root or through
# passwordless sudo. When it cannot be installed (not root and no passwordless sudo, no apt-get), it says so and
# what to run, and returns 0: every other test still runs, and the browser test fails with the same hint.
# Knob for tests: CHROMIUM_BIN (default /usr/bin/chromium).
set -uo pipefail
bin="${CHROMIUM_BIN:-/usr/bin/chromium}"
[ -x "$bin" ] && exit 0

cannot() {
	echo "[chromium] $bin is missing and cannot be installed here: $1." >&2
	echo "[chromium] The browser test (test/e2e/browser.e2e.test.ts) will fail; every other test runs." >&2
	echo "[chromium] Install it once as root:  apt-get update && apt-get install -y chromium" >&2
	exit 0
}

command -v apt-get >/dev/null 2>&1 || cannot "apt-get was not found (this is not a Debian-like system)"
if [ "$(id -u)" = "0" ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
	sudo=(sudo -n)
else
	cannot "not running as root, and sudo needs a password (or is not installed)"
fi

echo "[chromium] $bin is missing: installing Debian's chromium package with apt-get (once)" >&2
# DEBIAN_FRONTEND goes on the command itself: sudo resets the environment (env_reset), and a debconf prompt would
# hang the test run.
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
if ! "${apt[@]}" update -qq >&2 || ! "${apt[@]}" install -y -qq chromium >&2; then
	cannot "apt-get install chromium failed (see above)"
fi
[ -x "$bin" ] || cannot "apt-get installed chromium, but $bin is still not there"
echo "[chromium] installed $bin" >&2
