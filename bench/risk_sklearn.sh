#!/usr/bin/env bash
# Tabular risk models: `demine risk evaluate` (lr, gbt) side by side with scikit-learn's
# LogisticRegression (SimpleImputer + StandardScaler) and HistGradientBoostingClassifier, on the
# SAME grouped folds (demine writes them with --folds-out; Python reads them), on SYNTHETIC
# "public-shaped" labelled cells (see bench/risk_sklearn.py). A benchmark, not a test: it prints
# mean ROC-AUC, PR-AUC, Brier, recall@20 %, the differences and the times.
#
#   bash bench/risk_sklearn.sh [ROWS] [SEED]      (ROWS: default 60000; try 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-60000}
seed=${2:-1}
work=${BENCH_DIR:-${CARGO_TARGET_DIR:-target}/bench-risk-$rows-$seed}
mkdir -p "$work"

echo "== installing the peer (PyPI: scikit-learn, pandas) =="
python3 -m pip install -q scikit-learn pandas scipy numpy

echo "== building demine (release) =="
cargo build --release -q -p demine
bin=${CARGO_TARGET_DIR:-target}/release/demine

echo "== generating SYNTHETIC cells ($rows rows, seed $seed) =="
python3 bench/risk_sklearn.py generate "$work/cells.csv" --rows "$rows" --seed "$seed"

declare -A secs
for model in lr gbt; do
  echo "== demine risk evaluate --model $model =="
  t0=$(date +%s.%N)
  "$bin" risk evaluate --cells "$work/cells.csv" --label mine_event --group municipality \
    --exclude cell_id,lon,lat --model "$model" --folds 5 --seed "$seed" --json \
    --folds-out "$work/folds-$model.csv" > "$work/demine-$model.json"
  t1=$(date +%s.%N)
  secs[$model]=$(python3 -c "print($t1 - $t0)")
done
# Both runs deal the same folds (the fold column depends on the seed only).
cut -d, -f1-4 "$work/folds-lr.csv" | cmp -s - <(cut -d, -f1-4 "$work/folds-gbt.csv") \
  || { echo "fold assignments differ between runs" >&2; exit 1; }
printf '{"lr": %s, "gbt": %s}\n' "${secs[lr]}" "${secs[gbt]}" > "$work/times.json"

echo "== scikit-learn on the same folds; comparison (machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)) =="
python3 bench/risk_sklearn.py compare "$work/cells.csv" "$work/folds-gbt.csv" \
  "$work/demine-lr.json" "$work/demine-gbt.json" "$work/times.json" --seed "$seed"
