#!/usr/bin/env bash
# Hindcasts of a programme's monthly released area, `demine forecast --history --fit-until`,
# against statsmodels' ETS (M,Ad,M: multiplicative error, additive damped trend, multiplicative
# 12-month seasonality; P10/P90 from 1000 simulated paths) and the straight line through the last
# 12 fitted months, on the same SYNTHETIC histories (6 shapes x PER_SHAPE programmes, 48–120
# months, fitted up to 12, 18 and 24 months before the end). Prints error, P10–P90 coverage, time
# and the ratios demine / ETS. About a minute with the default 120 histories on 2 cores.
#
#   bash bench/history_statsmodels.sh [PER_SHAPE] [SEED]     (default 20, 20261205)
#
# DEMINE_BIN=path/to/demine uses that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
per_shape=${1:-20}
seed=${2:-20261205}
target=${CARGO_TARGET_DIR:-target}

echo "== installing the peer (PyPI: statsmodels) =="
py=python3
if ! python3 -m pip install --quiet --break-system-packages statsmodels 2>/dev/null; then
  python3 -m venv "$target/venv-history" && "$target/venv-history/bin/pip" install --quiet statsmodels
  py="$target/venv-history/bin/python"
fi

if [ -n "${DEMINE_BIN:-}" ]; then
  bin=$DEMINE_BIN
else
  echo "== building demine (release) =="
  cargo build --release -q -p demine
  bin=$target/release/demine
fi
if ! "$bin" forecast --help | grep -q -- '--fit-until'; then
  echo "$bin has no forecast --history --fit-until" >&2
  exit 1
fi

echo "== $((6 * per_shape)) SYNTHETIC histories x 3 hindcasts, demine vs statsmodels ETS =="
out="$target/history-bench"
rm -rf "$out"
t0=$(date +%s.%N)
"$py" bench/history_statsmodels.py "$bin" --seed "$seed" --per-shape "$per_shape" --out "$out"
t1=$(date +%s.%N)
echo "wall time of the benchmark: $(python3 -c "print(f'{$t1 - $t0:.1f}')") s"
