#!/usr/bin/env bash
# The web application's first load on the national demo (~100,000 hazards), in Debian's chromium:
# shell, log in, map drawn; then a pan away and back, counting tile requests made twice.
# Not part of the tests.
#
#   bash bench/web_first_load.sh         # DATA=/work/bench-data (the national demo, built once)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/work/bench-data}
bash scripts/build-web.sh >/dev/null
cargo build -q --release --locked -p demine --features web
T="${CARGO_TARGET_DIR:-target}/release"
GPKG="$DATA/demine.gpkg"
if [ ! -s "$GPKG" ]; then
  echo "building the national demo into $DATA (a few minutes) ..." >&2
  "$T/demine" demo --scale national --out "$DATA" --db "$GPKG" >/dev/null
fi
# A copy, so the account added here stays out of the other benchmarks' data.
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
cp "$GPKG" "$W/national.gpkg"
export USER=bench-analyst PASSWORD="SYNTHETIC bench password"
printf '%s\n' "$PASSWORD" | DEMINE_ACTOR=bench "$T/demine" --db "$W/national.gpkg" user add "$USER" --role analyst >/dev/null
printf 'SYNTHETIC national demo: %s hazards. Machine: %s, %s cores. demine release build, chromium %s (software WebGL).\n' \
  "$(python3 -c "import sqlite3;print(sqlite3.connect('file:$W/national.gpkg?mode=ro',uri=True).execute('select count(*) from hazards').fetchone()[0])")" \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(nproc)" "$(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}')"
DEMINE_BIN="$T/demine" DB="$W/national.gpkg" node bench/web_first_load.mjs
