#!/usr/bin/env bash
# Land-release accounting on `demine demo --scale national` data (~100,000 hazards,
# ~170,000 km²), side by side with the same computation in Python shapely 2 + pyproj.
# A benchmark, not a test: it prints times and ratios and checks the areas agree to 0.01 %.
#
#   bash bench/land_release.sh [SCALE] [SEED]      (SCALE: national (default), region, small)
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-national}
seed=${2:-1}
work=${BENCH_DIR:-target/bench-land-release-$scale-$seed}
mkdir -p "$work"

echo "== installing the peer (PyPI: shapely 2, pyproj) =="
python3 -m pip install -q "shapely>=2,<3" "pyproj>=3.6" numpy

echo "== building demine (release) =="
cargo build --release -q -p demine
bin=${CARGO_TARGET_DIR:-target}/release/demine

if [ ! -f "$work/demine.gpkg" ]; then
  echo "== generating SYNTHETIC $scale data (seed $seed) =="
  "$bin" demo --scale "$scale" --seed "$seed" --out "$work" > "$work/demo.txt"
fi
db="$work/demine.gpkg"
"$bin" --db "$db" export hazards "$work/hazards.geojson"
"$bin" --db "$db" export activities "$work/activities.geojson"

echo "== demine release (2 threads, then 1) =="
RAYON_NUM_THREADS=2 "$bin" --db "$db" release --json --timings-json "$work/timings-2.json" > "$work/demine.json"
RAYON_NUM_THREADS=1 "$bin" --db "$db" release --json --timings-json "$work/timings-1.json" > /dev/null

echo "== shapely + pyproj =="
python3 bench/land_release_shapely.py "$work/hazards.geojson" "$work/activities.geojson" "$work/shapely.json"

echo "== comparison (machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)) =="
python3 bench/compare_release.py "$work/demine.json" "$work/timings-2.json,$work/timings-1.json" "$work/shapely.json"
