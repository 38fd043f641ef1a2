#!/usr/bin/env bash
# `demine capacity --deadline` on the SYNTHETIC region demo (issue 14: an answer in under 30 s,
# including "no mix can finish by D; the earliest at this confidence is D'"), and
# `demine strategy` on the same registry. Release build; prints wall times.
#
#   bash bench/capacity_region.sh [SEED] [OUT_DIR]
set -euo pipefail
SEED="${1:-42}"
OUT="${2:-/tmp/demine-bench-region-$SEED}"
cd "$(dirname "$0")/.."
cargo build --release -p demine >/dev/null
BIN="${CARGO_TARGET_DIR:-target}/release/demine"
if [ ! -f "$OUT/demine.gpkg" ]; then
  "$BIN" demo --scale region --seed "$SEED" --out "$OUT" --force >/dev/null
fi
DB="$OUT/demine.gpkg"
START=$(date +%Y-%m-%d)
time_it() {
  local label="$1"; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$BIN" --db "$DB" "$@" > "$OUT/out.txt" 2>/dev/null || true
  t1=$(date +%s.%N)
  printf '%-44s %6.1f s  %s\n' "$label" "$(echo "$t1 - $t0" | bc)" "$(head -c 260 "$OUT/out.txt" | tr '\n' ' ')"
}
for months in 3 12 36; do
  D=$(date -d "$START + $months months" +%Y-%m-%d)
  time_it "capacity --deadline +$months months" capacity --start "$START" --deadline "$D"
done
time_it "capacity --deadline +36 months, clear-all" capacity --start "$START" --deadline "$(date -d "$START + 36 months" +%Y-%m-%d)" --strategy clear-all
time_it "strategy (3 strategies + frontier)" strategy --start "$START"
