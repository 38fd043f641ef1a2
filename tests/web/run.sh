#!/usr/bin/env bash
# Builds the web application and `demine` with it embedded (cargo feature `web`), then runs the
# browser tests (tests/web/run.mjs) in Debian's chromium. Prints "N passed, N failed".
# Screenshots of every screen, in English and Ukrainian, go to $DEMINE_WEB_OUT
# (default: a temporary folder; never committed).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
command -v chromium >/dev/null 2>&1 || bash scripts/install-chromium.sh >&2
# DEMINE_BIN: a `demine` already built with the web app in it (scripts/test.sh passes the one its
# test build made); otherwise build the app and the binary here.
if [ -z "${DEMINE_BIN:-}" ]; then
  bash scripts/build-web.sh
  cargo build --locked -p demine --features "web${DEMINE_CARGO_FEATURES:+,$DEMINE_CARGO_FEATURES}"
  DEMINE_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/demine"
fi
export DEMINE_BIN
export DEMINE_WEB_OUT="${DEMINE_WEB_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/demine-web-screens.XXXXXX")}"
node tests/web/run.mjs
