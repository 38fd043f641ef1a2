#!/usr/bin/env bash
# One million SYNTHETIC finds imported from a Shapefile and from a GeoPackage, side by side in one
# run with GDAL's `ogr2ogr` writing the same files into a GeoPackage (issue 15). demine runs its
# normal import: every record validated (contract, enumerations, dates, ids unique, hazard_id
# known, geometry), plausibility checks (finds outside every hazard, far from the rest), written
# in one transaction with its change log. Wall time and peak memory (max RSS) from
# /usr/bin/time -v. A benchmark, not a test: it prints a table and the ratios.
#
#   bash bench/import_million.sh [N_FINDS] [SEED]     (default 1000000 finds, seed 1)
#
# Needs gdal-bin (ogr2ogr) and time (scripts/install-test-deps.sh installs both) and python3.
# Data and outputs go to $BENCH_DIR (default target/bench-import-million), never into git.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
seed=${2:-1}
hazards=2000
work=${BENCH_DIR:-target/bench-import-million}
mkdir -p "$work"
command -v ogr2ogr >/dev/null && [ -x /usr/bin/time ] || bash scripts/install-test-deps.sh

echo "== building demine (release) ==" >&2
cargo build --release -q -p demine
bin=${CARGO_TARGET_DIR:-target}/release/demine

data="$work/data-$n-$seed"
if [ ! -f "$data/finds.gpkg" ]; then
  echo "== generating SYNTHETIC data: $hazards hazards, $n finds (seed $seed) ==" >&2
  rm -rf "$data" && mkdir -p "$data"
  python3 bench/import_million_data.py "$data" "$n" "$hazards" "$seed"
  ogr2ogr -f "ESRI Shapefile" "$data/finds.shp" "$data/finds.geojson" -lco ENCODING=UTF-8
  ogr2ogr -f GPKG "$data/finds.gpkg" "$data/finds.geojson" -nln finds
  rm "$data/finds.geojson"
fi
# The registry the finds go into: the hazards they name, imported once, copied for every run.
base="$work/base-$seed.gpkg"
if [ ! -f "$base" ]; then
  rm -f "$base"
  "$bin" --db "$base" --actor bench import hazards "$data/hazards.geojson" > /dev/null
fi

results="$work/results.tsv"
: > "$results"
measure() { # LABEL OUTPUT COMMAND...
  local label=$1 out=$2; shift 2
  rm -f "$out" "$out-wal" "$out-shm"
  [[ $label == demine* ]] && cp "$base" "$out"
  sync
  if ! /usr/bin/time -v -o "$work/time.txt" "$@" > "$work/out.txt" 2>&1; then
    echo "$label failed:" >&2; cat "$work/out.txt" "$work/time.txt" >&2; exit 1
  fi
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/time.txt")
  printf '%s\t%s\t%s\n' "$label" "$wall" "$rss" >> "$results"
  printf '%-34s %8.2f s %7s MiB\n' "$label" "$wall" "$rss" >&2
}

echo "== importing $n SYNTHETIC finds ==" >&2
measure "demine import finds (shp)" "$work/demine-shp.gpkg" \
  "$bin" --db "$work/demine-shp.gpkg" --actor bench import finds "$data/finds.shp"
measure "ogr2ogr -f GPKG (shp)" "$work/ogr-shp.gpkg" \
  ogr2ogr -f GPKG "$work/ogr-shp.gpkg" "$data/finds.shp"
measure "demine import finds (gpkg)" "$work/demine-gpkg.gpkg" \
  "$bin" --db "$work/demine-gpkg.gpkg" --actor bench import finds "$data/finds.gpkg"
measure "ogr2ogr -f GPKG (gpkg)" "$work/ogr-gpkg.gpkg" \
  ogr2ogr -f GPKG "$work/ogr-gpkg.gpkg" "$data/finds.gpkg"

# Both sides wrote every find.
for f in demine-shp demine-gpkg ogr-shp ogr-gpkg; do
  got=$(ogrinfo -so -ro "$work/$f.gpkg" finds | awk -F': ' '/Feature Count/ {print $2}')
  [ "$got" = "$n" ] || { echo "$f.gpkg holds ${got:-no} finds, not $n" >&2; exit 1; }
done

echo
echo "SYNTHETIC data: $n finds in $hazards hazards (seed $seed); validation on."
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(ogr2ogr --version | cut -d, -f1); $(rustc --version | cut -d' ' -f1-2)"
python3 - "$results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    label, wall, rss = line.rstrip("\n").split("\t")
    rows[label] = (float(wall), int(rss))
print(f"| {'source':<6} | {'demine s':>9} | {'ogr2ogr s':>9} | {'ogr2ogr / demine':>16} | {'demine MiB':>10} | {'ogr2ogr MiB':>11} |")
print(f"|{'-' * 8}|{'-' * 11}|{'-' * 11}|{'-' * 18}|{'-' * 12}|{'-' * 13}|")
slower = False
for src in ("shp", "gpkg"):
    d, o = rows[f"demine import finds ({src})"], rows[f"ogr2ogr -f GPKG ({src})"]
    ratio = o[0] / d[0] if d[0] else float("inf")
    slower |= ratio < 1
    print(f"| {src:<6} | {d[0]:>9.2f} | {o[0]:>9.2f} | {ratio:>15.2f}× | {d[1]:>10} | {o[1]:>11} |")
print("demine is slower than ogr2ogr on at least one source" if slower else "demine is faster than ogr2ogr on both sources")
PY
