#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain: GDAL's command-line tools
# (Debian gdal-bin), so that tests read demine's files with a real GIS client.
set -euo pipefail
if command -v ogrinfo >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
echo "installing gdal-bin (ogrinfo, ogr2ogr) from Debian ..." >&2
for attempt in 1 2; do
  if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends gdal-bin >/dev/null; then
    break
  fi
  [ "$attempt" = 2 ] && { echo "could not install gdal-bin" >&2; exit 1; }
  sleep 5
done
ogrinfo --version >&2
