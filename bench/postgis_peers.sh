#!/usr/bin/env bash
# demine on PostgreSQL + PostGIS against the peers that serve and compute on the same database,
# side by side in one run, on the national demo (~100,000 hazards) moved into PostGIS with
# `demine migrate`. Not part of the tests. Prints figures, times and ratios:
#
#   1. land-release accounting: `demine release` against the same computation in PostGIS SQL
#      (per hazard, activities in (end_date, id) order, each releasing ST_Intersection of what
#      remains, ST_Difference, ST_Area(geography)), and the union of the hazards;
#   2. OGC API – Features items with a bbox and with a CQL2 filter: demine against tipg (PyPI);
#   3. hazard vector tiles: demine against martin (crates.io), if a martin binary is given
#      (MARTIN=/path/to/martin, or `martin` on PATH; build it with
#      `cargo install martin --locked --version 0.18.0 --no-default-features --features postgres`).
#
#   bash bench/postgis_peers.sh        # DATA=/work/bench-data (the national demo, built once)
#
# Load: `hey` (Debian), closed loop, the same concurrency and duration for both servers, one
# server at a time on this machine. demine: 2 tokio workers, HTTP Basic on every request;
# tipg: uvicorn with 2 workers, no authentication.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/work/bench-data}
DUR=${DUR:-15s}
CONC=${CONC:-8}
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/demine"
mkdir -p "$DATA" "$CACHE"
command -v hey >/dev/null || { apt-get install -y -qq hey >/dev/null; }

FEATURES=${FEATURES:-demine/postgres,demine-server/postgres}
cargo build -q --release --locked -p demine -p demine-server --features "$FEATURES" --bin demine
T="${CARGO_TARGET_DIR:-target}/release"
GPKG="$DATA/demine.gpkg"
if [ ! -s "$GPKG" ]; then
  echo "building the national demo into $DATA (a few minutes) ..." >&2
  "$T/demine" demo --scale national --out "$DATA" --db "$GPKG" >/dev/null
fi

# A private cluster for the benchmark (not the tests').
export DEMINE_PG_STATE="${TMPDIR:-/tmp}/demine-pg-bench-$(id -u)"
bash scripts/pg-test-cluster.sh start >/dev/null
W=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash scripts/pg-test-cluster.sh stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
ADMIN=$(bash scripts/pg-test-cluster.sh env | sed -n 's/^export DEMINE_TEST_PG=//p')
BASE=${ADMIN%/*}
DB="$BASE/demine_bench"
psql "$ADMIN" -qAtc "DROP DATABASE IF EXISTS demine_bench" >/dev/null
psql "$ADMIN" -qAtc "CREATE DATABASE demine_bench TEMPLATE demine_template" >/dev/null
echo "moving the national demo into PostGIS (demine migrate checks the figures and the audit chain) ..." >&2
t0=$(date +%s.%N)
DEMINE_ACTOR=bench "$T/demine" migrate --from "$GPKG" --to "$DB" >"$W/migrate.txt"
t_migrate=$(python3 -c "import time;print(time.time()-$t0)")
psql "$DB" -qAtc "VACUUM ANALYZE" >/dev/null
NHAZ=$(psql "$DB" -qAtc "SELECT count(*) FROM hazards")
NACT=$(psql "$DB" -qAtc "SELECT count(*) FROM activities")

printf '\nSYNTHETIC data: national demo, %s hazards, %s activities, on PostgreSQL %s + PostGIS %s.\n' \
  "$NHAZ" "$NACT" "$(psql "$DB" -qAtc 'SHOW server_version' | cut -d' ' -f1)" "$(psql "$DB" -qAtc 'SELECT postgis_lib_version()')"
printf 'Machine: %s, %s cores. demine release build. migrate GeoPackage -> PostGIS: %.1f s.\n' \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(nproc)" "$t_migrate"

# ---------------------------------------------------------------- 1. accounting
psql "$DB" -q >/dev/null <<'SQL'
CREATE OR REPLACE FUNCTION bench_release(OUT hazard_id text, OUT area_m2 float8, OUT cancelled_m2 float8,
                                         OUT reduced_m2 float8, OUT cleared_m2 float8)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
  h record; a record; remaining geometry; piece geometry; got float8;
BEGIN
  FOR h IN SELECT id, geom FROM hazards WHERE review = 'approved' LOOP
    hazard_id := h.id; area_m2 := ST_Area(h.geom::geography);
    cancelled_m2 := 0; reduced_m2 := 0; cleared_m2 := 0; remaining := h.geom;
    FOR a IN SELECT outcome, geom FROM activities
             WHERE activities.hazard_id = h.id AND review = 'approved' ORDER BY end_date, id LOOP
      EXIT WHEN ST_IsEmpty(remaining);
      CONTINUE WHEN NOT ST_Intersects(remaining, a.geom);
      piece := ST_Intersection(remaining, a.geom);
      got := ST_Area(piece::geography);
      CONTINUE WHEN got <= 0;
      IF a.outcome = 'cancelled' THEN cancelled_m2 := cancelled_m2 + got;
      ELSIF a.outcome = 'reduced' THEN reduced_m2 := reduced_m2 + got;
      ELSE cleared_m2 := cleared_m2 + got; END IF;
      remaining := ST_Difference(remaining, a.geom);
    END LOOP;
    RETURN NEXT;
  END LOOP;
END $$;
SQL
seconds() { python3 -c "import time;print(time.time()-$1)"; }
t0=$(date +%s.%N)
psql "$DB" -qAt -F, -c "SELECT sum(area_m2), sum(cancelled_m2), sum(reduced_m2), sum(cleared_m2) FROM bench_release()" >"$W/pg_sums.csv"
t_pg_hazards=$(seconds "$t0")
t0=$(date +%s.%N)
psql "$DB" -qAt -c "SELECT ST_Area(ST_Union(geom)::geography) FROM hazards WHERE review = 'approved'" >"$W/pg_union.txt"
t_pg_union=$(seconds "$t0")
t0=$(date +%s.%N)
DEMINE_ACTOR=bench "$T/demine" --db "$DB" release --json --timings-json "$W/timings.json" >"$W/demine.json"
t_demine_wall=$(seconds "$t0")
python3 - "$W/demine.json" "$W/timings.json" "$W/pg_sums.csv" "$W/pg_union.txt" "$t_pg_hazards" "$t_pg_union" "$t_demine_wall" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); timing = json.load(open(sys.argv[2]))
pg = [float(x) for x in open(sys.argv[3]).read().strip().split(",")]
union = float(open(sys.argv[4]).read().strip())
t_pg_h, t_pg_u, t_wall = map(float, sys.argv[5:8])
sums = {k: sum(h[k] for h in d["per_hazard"]) for k in ["area_m2", "cancelled_m2", "reduced_m2", "cleared_m2"]}
print("\n1. Land-release accounting, demine vs PostGIS SQL on the same database")
print(f"{'figure':<34}{'demine m²':>20}{'PostGIS m²':>20}{'rel. diff':>11}")
rows = [("sum over hazards: area", sums["area_m2"], pg[0]), ("sum over hazards: cancelled", sums["cancelled_m2"], pg[1]),
        ("sum over hazards: reduced", sums["reduced_m2"], pg[2]), ("sum over hazards: cleared", sums["cleared_m2"], pg[3]),
        ("union of the hazards", d["hazard_area_m2"], union)]
worst = 0.0
for name, a, b in rows:
    r = abs(a - b) / max(abs(b), 1.0); worst = max(worst, r)
    print(f"{name:<34}{a:>20,.0f}{b:>20,.0f}{r:>11.2e}")
print("figures AGREE to 0.01 %" if worst <= 1e-4 else "figures DIFFER beyond 0.01 %")
t_d = timing["accounting_s"]
print(f"time: demine accounting {t_d:.2f} s, reading the records from PostGIS {timing['read_s']:.2f} s "
      f"(whole command {t_wall:.2f} s); "
      f"PostGIS per-hazard SQL {t_pg_h:.2f} s + union {t_pg_u:.2f} s")
print(f"ratio: demine accounting is {(t_pg_h + t_pg_u) / t_d:.1f}x faster than PostGIS SQL "
      f"({(t_pg_h + t_pg_u) / t_wall:.1f}x for the whole command)")
PY

# ---------------------------------------------------------------- HTTP load
. bench/http_load.sh
row() { # name, demine "rps p50 p99 bad", peer "rps p50 p99 bad"
  read -r dr d50 d99 dbad <<<"$2"; read -r pr p50 p99 pbad <<<"$3"
  printf '%-30s %10.0f %8.1f %8.1f %10.0f %8.1f %8.1f %7.2fx' "$1" "$dr" "$d50" "$d99" "$pr" "$p50" "$p99" \
    "$(python3 -c "print($dr/max($pr,1e-9))")"
  [ "$dbad$pbad" != "00" ] && printf '  (non-2xx: demine %s, peer %s)' "$dbad" "$pbad"
  echo
}
read -r MINX MINY MAXX MAXY < <(psql "$DB" -qAt -F' ' -c "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM hazards) x")
BBOX=$(python3 -c "x=($MINX+$MAXX)/2; y=($MINY+$MAXY)/2; print(f'{x-0.125},{y-0.125},{x+0.125},{y+0.125}')")
export DEMINE_PASSWORD="bench password 1"
AUTH=(-H "Authorization: Basic $(printf '%s' "peers-bench:$DEMINE_PASSWORD" | base64)")
DPORT=18090; PPORT=18091; MPORT=18092
# `demine serve` itself, as an authority runs it (change notifications, kept tiles and pages).
printf '%s\n' "$DEMINE_PASSWORD" | DEMINE_ACTOR=bench "$T/demine" --db "$DB" user add peers-bench --role analyst >/dev/null
# serve KEEP_PAGES: starts demine (pages kept or each made afresh) and waits for its overview.
serve() {
  DEMINE_KEEP_PAGES=$1 RUST_LOG=warn,demine_server::overview=info \
    "$T/demine" --db "$DB" serve --addr "127.0.0.1:$DPORT" >"$W/demine.log" 2>&1 &
  DEMINE_PID=$!; PIDS+=($DEMINE_PID)
  up "http://127.0.0.1:$DPORT/healthz"
  # The server makes the national overview (extents, zoom 0-5 tiles) when it starts: measure after.
  for _ in $(seq 600); do grep -q "national overview made ahead" "$W/demine.log" && break; sleep 0.5; done
}
stop_demine() { kill "$DEMINE_PID" 2>/dev/null || true; wait "$DEMINE_PID" 2>/dev/null || true; }
# Measure demine now, stop it, then the peer: one server at a time.
D="http://127.0.0.1:$DPORT/ogc/collections/hazards/items"
declare -A DEM KEPT
WORKLOADS=("items, bbox (limit 100)|bbox=$BBOX&limit=100"
           "items, CQL2 class='CHA' (100)|filter=class%3D%27CHA%27&filter-lang=cql2-text&limit=100")
# Every page made afresh, as tipg makes them (the side-by-side figures) ...
serve 0
for w in "${WORKLOADS[@]}"; do
  IFS='|' read -r name q <<<"$w"
  warm -u "peers-bench:$DEMINE_PASSWORD" "$D?$q"
  DEM[$name]=$(run "${AUTH[@]}" "$D?$q")
done
stop_demine
# ... then as demine serves by default: pages and tiles kept until the registry changes.
serve 1
for w in "${WORKLOADS[@]}"; do
  IFS='|' read -r name q <<<"$w"
  warm -u "peers-bench:$DEMINE_PASSWORD" "$D?$q"
  KEPT[$name]=$(run "${AUTH[@]}" "$D?$q")
done
# A tile in the data's middle at zoom 10 and 12.
TILES=$(python3 - "$MINX" "$MINY" "$MAXX" "$MAXY" <<'PY'
import math, sys
x0, y0, x1, y1 = map(float, sys.argv[1:5]); lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
for z in (10, 12):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    print(f"{z}/{x}/{y}")
PY
)
for tile in $TILES; do
  warm -u "peers-bench:$DEMINE_PASSWORD" "http://127.0.0.1:$DPORT/tiles/hazards/$tile.mvt"
  DEM[tile $tile]=$(run "${AUTH[@]}" "http://127.0.0.1:$DPORT/tiles/hazards/$tile.mvt")
done
stop_demine

# ---------------------------------------------------------------- 2. tipg
TV="$CACHE/venv-tipg"
if ! "$TV/bin/python" -c 'import tipg, uvicorn' 2>/dev/null; then
  python3 -m venv "$TV"
  "$TV/bin/pip" install -q --disable-pip-version-check 'tipg==1.*' 'uvicorn[standard]'
fi
(DATABASE_URL="${DB/postgres:\/\//postgresql://}" TIPG_DB_SCHEMAS='["public"]' TIPG_MAX_FEATURES_PER_QUERY=10000 \
  exec "$TV/bin/uvicorn" tipg.main:app --host 127.0.0.1 --port "$PPORT" --workers 2 --log-level warning >"$W/tipg.log" 2>&1) &
TIPG_PID=$!; PIDS+=($TIPG_PID)
P="http://127.0.0.1:$PPORT/collections/public.hazards/items"
up "$P?limit=1"
printf '\n2. OGC API - Features on PostGIS: demine vs tipg %s, %s per run, %s connections\n' \
  "$("$TV/bin/python" -c 'import tipg;print(tipg.__version__)')" "$DUR" "$CONC"
printf '%-30s %10s %8s %8s %10s %8s %8s %8s\n' workload "demine/s" "p50 ms" "p99 ms" "tipg/s" "p50 ms" "p99 ms" ratio
for w in "${WORKLOADS[@]}"; do
  IFS='|' read -r name q <<<"$w"
  # tipg returns 10 features unless asked; same limit, same filter language.
  warm "$P?$q"
  row "$name" "${DEM[$name]}" "$(run "$P?$q")"
done
printf 'demine with pages kept until the registry changes (its default; tipg keeps none):\n'
for w in "${WORKLOADS[@]}"; do
  IFS='|' read -r name q <<<"$w"
  read -r kr k50 k99 kbad <<<"${KEPT[$name]}"
  printf '%-30s %10.0f %8.1f %8.1f%s\n' "$name" "$kr" "$k50" "$k99" "$([ "$kbad" != 0 ] && echo "  (non-2xx: $kbad)")"
done
kill "$TIPG_PID" 2>/dev/null || true; wait "$TIPG_PID" 2>/dev/null || true

# ---------------------------------------------------------------- 3. martin
MARTIN=${MARTIN:-$(command -v martin || true)}
[ -z "$MARTIN" ] && [ -x "$HOME/.cargo/bin/martin" ] && MARTIN="$HOME/.cargo/bin/martin"
printf '\n3. Hazard vector tiles on PostGIS: demine vs martin\n'
if [ -z "$MARTIN" ]; then
  echo "martin not found: build it with 'cargo install martin --locked --version 0.18.0 --no-default-features --features postgres' (or MARTIN=/path) to compare; demine alone:"
  for tile in $TILES; do read -r dr d50 d99 _ <<<"${DEM[tile $tile]}"; printf '%-30s %10.0f/s %8.1f ms p50 %8.1f ms p99\n' "tile $tile" "$dr" "$d50" "$d99"; done
else
  "$MARTIN" --listen-addresses "127.0.0.1:$MPORT" --workers 2 "${DB/postgres:\/\//postgresql://}" >"$W/martin.log" 2>&1 &
  MARTIN_PID=$!; PIDS+=($MARTIN_PID)
  up "http://127.0.0.1:$MPORT/catalog"
  printf '%-30s %10s %8s %8s %10s %8s %8s %8s\n' workload "demine/s" "p50 ms" "p99 ms" "martin/s" "p50 ms" "p99 ms" ratio
  for tile in $TILES; do
    warm "http://127.0.0.1:$MPORT/hazards/$tile"
    row "tile $tile" "${DEM[tile $tile]}" "$(run "http://127.0.0.1:$MPORT/hazards/$tile")"
  done
fi
