#!/usr/bin/env bash
# One hazard on the national demo (~100,000 hazards, ~1,000,000 finds): `show`, `progress
# add`, `residual` and `certificate`, each timed over 5 runs, for this build and, when given,
# for an older build (e.g. one from before the repository read by hazard), side by side.
# A benchmark, not a test: it prints seconds and the ratio; the target is under 0.2 s each.
#
#   bash bench/one_hazard.sh [OLD_DEMINE_BINARY]
#
# An older binary is built with e.g. `git worktree add /tmp/old 8d413dc && (cd /tmp/old &&
# cargo build --release -p demine)`, then passed as /tmp/old/target/release/demine.
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:-}
work=${BENCH_DIR:-target/bench-one-hazard}
mkdir -p "$work"
cargo build --release -q -p demine
new=${CARGO_TARGET_DIR:-target}/release/demine

demo() { # BINARY DIR
  if [ ! -f "$2/demine.gpkg" ]; then
    echo "== generating the SYNTHETIC national demo in $2 ==" >&2
    "$1" demo --scale national --seed 1 --out "$2" > /dev/null
  fi
}
demo "$new" "$work/new"
[ -n "$old" ] && demo "$old" "$work/old"

# A confirmed hazard with land left, and a 20 × 20 m square of it for a day's progress.
read -r hazard lon lat < <(python3 - "$work/new/demine.gpkg" <<'PY'
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
for hid, blob in db.execute("SELECT id, geom FROM hazards WHERE class = 'CHA' AND status = 'active' ORDER BY fid LIMIT 200"):
    minx, maxx, miny, maxy = struct.unpack("<4d", blob[8:40])
    print(hid, (minx + maxx) / 2, (miny + maxy) / 2)
    break
PY
)
python3 - "$lon" "$lat" > "$work/day.geojson" <<'PY'
import json, sys
x, y = float(sys.argv[1]), float(sys.argv[2])
d = 0.0001
ring = [[x, y], [x + 2.8 * d, y], [x + 2.8 * d, y + 1.8 * d], [x, y + 1.8 * d], [x, y]]
print(json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"id": "day"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
PY
echo "hazard $hazard; machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timeit() { # LABEL BINARY DB ARGS...
  local label=$1 bin=$2 db=$3; shift 3
  local runs=()
  for i in 1 2 3 4 5; do
    local args=("${@//@RUN@/$i}")
    local t0 t1
    t0=$(date +%s.%N)
    "$bin" --db "$db" "${args[@]}" > /dev/null 2>&1 || { echo "$label failed: $bin ${args[*]}" >&2; return 1; }
    t1=$(date +%s.%N)
    runs+=("$(echo "$t1 - $t0" | bc)")
  done
  printf '%s\n' "${runs[@]}" | median
}

row() { # COMMAND-NAME ARGS... (@RUN@ is replaced by the run number)
  local name=$1; shift
  local n o
  n=$(timeit "$name" "$new" "$work/new/demine.gpkg" "$@")
  if [ -n "$old" ] && [ "$name" != show ]; then
    local oargs=()
    for a in "$@"; do [ "$a" != --draft ] && oargs+=("$a"); done
    o=$(timeit "$name" "$old" "$work/old/demine.gpkg" "${oargs[@]}")
    printf '%-12s %8.3f s   before %8.3f s   %6.1f× faster\n' "$name" "$n" "$o" "$(echo "$o / $n" | bc -l)"
  else
    printf '%-12s %8.3f s\n' "$name" "$n"
  fi
}

row show show hazards "$hazard"
row progress progress add --date 2024-06-0@RUN@ --task "$hazard" --team BENCH-@RUN@ --team-kind manual \
  --hours 7 --polygon "$work/day.geojson" --id "BENCH-$$-@RUN@" --max-m2-per-hour manual=1000
row residual residual "$hazard"
row certificate certificate "$hazard" --out "$work/cert.html" --draft
