#!/usr/bin/env bash
# QA sampling plans (`demine qa plan`) checked against scipy.stats.hypergeom, an independent exact
# hypergeometric implementation: n minimal, D = ceil(LQ*N), every OC value to 1e-9, the budget
# (reverse) answer. Also times demine's plans.
#
#   bash bench/qa_scipy.sh [CASES]        (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-300}
target=${CARGO_TARGET_DIR:-target}

echo "== installing the peer (PyPI: scipy) =="
py=python3
if ! python3 -m pip install --quiet --break-system-packages scipy 2>/dev/null; then
  python3 -m venv "$target/venv-qa" && "$target/venv-qa/bin/pip" install --quiet scipy
  py="$target/venv-qa/bin/python"
fi

echo "== building demine (release) =="
cargo build --release -q -p demine
bin=$target/release/demine

echo "== $cases plans, demine vs scipy =="
t0=$(date +%s.%N)
"$py" bench/qa_scipy.py "$bin" "$cases"
t1=$(date +%s.%N)
echo "wall time incl. scipy and process starts: $(python3 -c "print(f'{$t1 - $t0:.1f}')") s"

echo "== one large plan: N = 10,000,000 units, LQ 0.001, beta 0.05, c = 2 =="
time "$bin" qa plan --lot-units 10000000 --lq 0.001 --beta 0.05 --c 2 --json | python3 -c "import json,sys; v=json.load(sys.stdin); print('n =', v['n'], ' c =', v['c'], ' Pa(LQ) =', v['p_accept_at_lq'])"
