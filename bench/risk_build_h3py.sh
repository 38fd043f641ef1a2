#!/usr/bin/env bash
# `demine risk build` on national data (`demine demo --scale national`: ~100,000 hazards over
# ~170,000 km², ~1,000,000 finds) side by side with the same pipeline in Python: h3-py v4 + numpy +
# scikit-learn + shapely + pyproj (bench/risk_build_h3py.py, installed from PyPI here). Both read
# the same SYNTHETIC registry (demine from the GeoPackage, Python from `demine export` GeoJSON),
# cover the hazards with H3 cells, compute the same features and labels, cross-validate on grouped
# folds, score every cell, summarise per hazard and save the hexagons. A benchmark, not a test: it
# prints wall time, peak memory (RSS) and the ratio.
#
#   bash bench/risk_build_h3py.sh [RES] [SEED]      (RES: default 9)
set -euo pipefail
cd "$(dirname "$0")/.."
res=${1:-9}
seed=${2:-1}
target=${CARGO_TARGET_DIR:-target}
work=${BENCH_DIR:-$target/bench-risk-build-$seed}
mkdir -p "$work"

echo "== installing the peer (PyPI: h3 v4, numpy, scikit-learn, shapely, pyproj) =="
py=python3
if ! $py -m pip install --quiet --break-system-packages "h3>=4,<5" numpy scikit-learn "shapely>=2" pyproj 2>/dev/null; then
  $py -m venv "$target/bench-venv"
  py="$target/bench-venv/bin/python"
  $py -m pip install --quiet "h3>=4,<5" numpy scikit-learn "shapely>=2" pyproj
fi

echo "== building demine (release) =="
cargo build --release -q -p demine
bin=$target/release/demine

if [ ! -f "$work/base.gpkg" ]; then
  echo "== generating SYNTHETIC national data (seed $seed) =="
  "$bin" demo --scale national --seed "$seed" --out "$work/demo" > "$work/demo.txt"
  mv "$work/demo/demine.gpkg" "$work/base.gpkg"
fi
mkdir -p "$work/export"
for kind in hazards activities finds accidents; do
  [ -f "$work/export/$kind.geojson" ] || "$bin" --db "$work/base.gpkg" export "$kind" "$work/export/$kind.geojson" > /dev/null
done
for layer in roads settlements line_of_contact; do
  [ -f "$work/export/$layer.geojson" ] || "$bin" --db "$work/base.gpkg" export layer "$layer" "$work/export/$layer.geojson" > /dev/null
done

peak() { awk -F': ' '/Maximum resident set size/ {printf "%.2f", $2 / 1048576}' "$1"; }
cpu() { awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$1"; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$1"; }

echo "== demine risk build (resolution $res, seed $seed) =="
cp "$work/base.gpkg" "$work/demine.gpkg"
rm -f "$work/demine.gpkg-wal" "$work/demine.gpkg-shm"
# The copy's 1.4 GB of dirty pages would otherwise be written back while demine reads.
sync
/usr/bin/time -v "$bin" --db "$work/demine.gpkg" risk build --res "$res" --seed "$seed" --json \
  > "$work/demine.json" 2> "$work/demine.time"

echo "== h3-py + numpy + scikit-learn =="
# scikit-learn's HistGradientBoosting runs on OpenMP. On a shared 2-core machine its two threads
# wait at barriers for each other's time slices: on a busy machine a cross-validation that takes
# 3 s on one thread took 146 s on two. One thread by default; PEER_OMP_THREADS=2 on a quiet one.
OMP_NUM_THREADS=${PEER_OMP_THREADS:-1} /usr/bin/time -v "$py" bench/risk_build_h3py.py "$work/export" "$work/python.json" --res "$res" --seed "$seed" \
  --db "$work/python.sqlite" > /dev/null 2> "$work/python.time"

echo "== comparison (machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)) =="
dw=$(wall "$work/demine.time"); pw=$(wall "$work/python.time")
dm=$(peak "$work/demine.time"); pm=$(peak "$work/python.time")
dc=$(cpu "$work/demine.time"); pc=$(cpu "$work/python.time")
"$py" - "$work/demine.json" "$work/python.json" "$dw" "$pw" "$dm" "$pm" "$dc" "$pc" <<'EOF'
import json, sys
d, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
dw, pw, dm, pm, dc, pc = map(float, sys.argv[3:9])
print(f"cells: demine {d['cells']:,}, python {p['cells']:,}")
print(f"labelled (positive/negative): demine {d['labelled']['positive']:,}/{d['labelled']['negative']:,}, "
      f"python {p['labelled']['positive']:,}/{p['labelled']['negative']:,}")
print(f"CV ROC-AUC: demine {d['cv']['auc_mean']:.3f} ({d['cv']['rows']:,} cells), "
      f"python HGB {p['cv']['auc_mean']:.3f} ({p['cv']['rows']:,} cells)")
print("demine stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in d["timings"].items()))
print("python stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in p["timings"].items()))
print(f"{'':28}{'wall':>10}{'CPU (user+sys)':>16}{'peak RSS':>12}")
print(f"{'demine risk build':28}{dw:>9.1f}s{dc:>15.1f}s{dm:>8.2f} GiB")
print(f"{'h3-py+numpy+scikit-learn':28}{pw:>9.1f}s{pc:>15.1f}s{pm:>8.2f} GiB")
print(f"demine is {pw / dw:.1f}x faster (wall), {pc / dc:.1f}x less CPU; peak memory {dm / pm:.2f}x")
EOF
