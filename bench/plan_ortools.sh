#!/usr/bin/env bash
# Campaign planner bench on SYNTHETIC instances (seeded):
#  1. quality: 1,000 tasks x 50 teams with travel: demine plan vs a WSPT/greedy list schedule vs
#     OR-Tools CP-SAT given 10x demine's time, all priced by one evaluator (plan_ortools.py);
#  2. scale: 10,000 tasks x 500 teams: plan time, and 1,000 Monte Carlo runs of that plan.
#
#   bash bench/plan_ortools.sh [SEED] [DEMINE_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-1}
secs=${2:-10}
work=${BENCH_DIR:-target/bench-plan-$seed}
mkdir -p "$work/q" "$work/s"

echo "== installing the peer (PyPI: ortools) =="
if ! python3 -c "import ortools" 2>/dev/null; then
  python3 -m pip install --quiet --break-system-packages ortools 2>/dev/null || {
    python3 -m venv target/bench-venv && target/bench-venv/bin/pip install --quiet ortools
  }
fi
py=python3
python3 -c "import ortools" 2>/dev/null || py=target/bench-venv/bin/python3

echo "== building demine (release) =="
cargo build --release -q -p demine
bin=${CARGO_TARGET_DIR:-target}/release/demine
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

echo "== quality: 1,000 tasks x 50 teams (SYNTHETIC, seed $seed) =="
$py bench/plan_ortools.py gen "$work/q" 1000 50 "$seed"
"$bin" plan --tasks "$work/q/tasks.csv" --teams "$work/q/teams.csv" --start 2026-01-01 --calendar none \
  --search-budget "$secs" --seed "$seed" --json > "$work/q/demine.json"
$py bench/plan_ortools.py compare "$work/q" "$work/q/demine.json" "$((secs * 10))"

echo "== scale: 10,000 tasks x 500 teams (SYNTHETIC, seed $seed) =="
$py bench/plan_ortools.py gen "$work/s" 10000 500 "$seed"
/usr/bin/time -f "plan wall %e s, max RSS %M KiB" "$bin" plan --tasks "$work/s/tasks.csv" --teams "$work/s/teams.csv" \
  --start 2026-01-01 --search-budget 20 --seed "$seed" --json > "$work/s/plan.json"
python3 -c "import json; p=json.load(open('$work/s/plan.json')); print(f\"plan: {p['time_s']:.1f} s search, objective {p['objective']:.4e}, completion {p['completion_date']}, stopped by search budget: {p['stopped_by_search_budget']}\")"
"$bin" forecast --tasks "$work/s/tasks.csv" --teams "$work/s/teams.csv" --start 2026-01-01 --search-budget 20 \
  --runs 1000 --seed "$seed" --json > "$work/s/forecast.json"
python3 -c "import json; f=json.load(open('$work/s/forecast.json')); print(f\"forecast: {f['runs']} runs in {f['monte_carlo_time_s']:.1f} s (plan {f['plan_time_s']:.1f} s); P10 {f['p10']}, P50 {f['p50']}, P90 {f['p90']}\")"
