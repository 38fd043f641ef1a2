#!/usr/bin/env bash
# Lane generation throughput on a ~1 km² SYNTHETIC polygon with holes (a wobbly 1 × 1 km field
# with ponds): `demine lanes` (release) at fixed headings and with --heading auto, side by side
# with a shapely/GEOS + pyproj peer doing the same strip clipping at one heading. Prints ms,
# lanes per second and the ratio. A benchmark, not a test.
#
#   bash bench/lanes.sh [WIDTH_M] [SEED]      (default 1 m lanes, seed 1)
set -euo pipefail
cd "$(dirname "$0")/.."
width=${1:-1}
seed=${2:-1}
target=${CARGO_TARGET_DIR:-target}
work=$target/bench-lanes-$seed
mkdir -p "$work"

echo "== installing the peer (PyPI: shapely, pyproj) =="
py=python3
if ! python3 -m pip install --quiet --break-system-packages shapely pyproj 2>/dev/null; then
  python3 -m venv "$target/venv-lanes" && "$target/venv-lanes/bin/pip" install --quiet shapely pyproj
  py="$target/venv-lanes/bin/python"
fi

echo "== building demine (release) =="
cargo build --release -q -p demine
bin=$target/release/demine

"$py" bench/lanes_peer.py generate "$work/field.geojson" --seed "$seed"

best_ms() { # best of 3 wall-clock runs of "$@", in ms; the last run's stdout in $work/last.json
  local best=""
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s%N)
    "$@" > "$work/last.json"
    t1=$(date +%s%N)
    local ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

printf '%-22s %8s %10s %12s %12s %10s\n' "run" "lanes" "ms" "lanes/s" "coverage %" "vs shapely"
for heading in 0 37; do
  d_ms=$(best_ms "$bin" lanes --polygon "$work/field.geojson" --width "$width" --heading "$heading" --out "$work/lanes.geojson" --json)
  d_lanes=$(python3 -c "import json; print(json.load(open('$work/last.json'))['lanes'])")
  d_cov=$(python3 -c "import json; print(round(json.load(open('$work/last.json'))['coverage_pct'], 4))")
  p_ms=$(best_ms "$py" bench/lanes_peer.py shapely "$work/field.geojson" --width "$width" --heading "$heading")
  p_lanes=$(python3 -c "import json; print(json.load(open('$work/last.json'))['lanes'])")
  p_inner=$(python3 -c "import json; print(round(1000 * json.load(open('$work/last.json'))['seconds']))")
  printf '%-22s %8s %10s %12s %12s %9sx\n' "demine heading $heading°" "$d_lanes" "$d_ms" \
    "$(python3 -c "print(round($d_lanes / max($d_ms, 1) * 1000))")" "$d_cov" "$(python3 -c "print(round($p_inner / max($d_ms, 1), 2))")"
  printf '%-22s %8s %10s %12s\n' "shapely heading $heading°" "$p_lanes" "$p_inner" "$(python3 -c "print(round($p_lanes / max($p_inner, 1) * 1000))")"
done
a_ms=$(best_ms "$bin" lanes --polygon "$work/field.geojson" --width "$width" --heading auto --out "$work/lanes-auto.geojson" --json)
a_lanes=$(python3 -c "import json; v = json.load(open('$work/last.json')); print(v['lanes'], 'at', round(v['heading_deg'], 2), 'deg')")
printf '%-22s %8s %10s   (every 1° + edge directions scored, best 3 + 0° + 90° laid out exactly)\n' "demine auto" "$a_lanes" "$a_ms"
echo "(demine ms: whole process incl. reading and writing GeoJSON; shapely ms: inside Python, after import; 1 m lanes unless given)"
