#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain, from Debian: Node/npm and
# chromium (the web application's build and browser tests), GDAL's command-line
# tools (gdal-bin: tests read demine's files and server with a real GIS client), Python's venv
# (the Python clients — schemathesis, OWSLib, ogctests — go in a venv outside the clone) and curl.
set -euo pipefail
missing=()
command -v ogrinfo >/dev/null 2>&1 || missing+=(gdal-bin)
command -v curl >/dev/null 2>&1 || missing+=(curl)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
# The web application's build (npm) and browser tests (Debian's chromium, DejaVu for Cyrillic).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  echo "installing ${missing[*]} from Debian ..." >&2
  for attempt in 1 2; do
    if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
      break
    fi
    [ "$attempt" = 2 ] && { echo "could not install ${missing[*]}" >&2; exit 1; }
    sleep 5
  done
fi
# OWSLib and ogctests for the OGC API client tests, in a venv outside the clone.
bash "$(dirname "$0")/../tests/clients/install-ogc-clients.sh" >/dev/null
