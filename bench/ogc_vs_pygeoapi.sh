#!/usr/bin/env bash
# demine's OGC API – Features and vector tiles against pygeoapi (PyPI) serving the same
# GeoPackage, side by side in one run, on the national demo (~100,000 hazards). Not part of the
# tests. Prints throughput, p50/p99 and ratios per workload, then demine's latency at a fixed
# 1,000 requests/s of mixed reads.
#
#   bash bench/ogc_vs_pygeoapi.sh            # DATA=/work/bench-data (built once: ~2 min, ~1.2 GB)
#
# Load: `hey` (Debian), closed loop, the same concurrency and duration for both servers, one
# server at a time on this 2-core machine. demine: 2 tokio workers (one per core), HTTP Basic
# (cached) on every request; pygeoapi 0.21 (the newest that installs on Python 3.11): gunicorn
# with 2 workers, no authentication.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/work/bench-data}
DUR=${DUR:-15s}
CONC=${CONC:-8}
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/demine"
mkdir -p "$DATA" "$CACHE"
command -v hey >/dev/null || { apt-get install -y -qq hey >/dev/null; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 1; }

# PROFILE=debug measures the dev profile (dependencies at opt-level 2, demine's crates at 0).
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then
  cargo build -q --release --locked -p demine --bin demine
else
  cargo build -q --locked -p demine --bin demine
fi
T="${CARGO_TARGET_DIR:-target}/$PROFILE"
GPKG="$DATA/demine.gpkg"
if [ ! -s "$GPKG" ]; then
  echo "building the national demo into $DATA (a few minutes) ..." >&2
  "$T/demine" demo --scale national --out "$DATA" --db "$GPKG" >/dev/null
fi

# pygeoapi in a venv on Debian's Python (it loads mod_spatialite into sqlite3).
[ -e /usr/lib/x86_64-linux-gnu/mod_spatialite.so ] || apt-get install -y -qq libsqlite3-mod-spatialite python3-venv >/dev/null
PV="$CACHE/venv-pygeoapi"
if ! "$PV/bin/python" -c 'import pygeoapi, gunicorn' 2>/dev/null; then
  /usr/bin/python3 -m venv --system-site-packages "$PV"
  "$PV/bin/pip" install -q --disable-pip-version-check 'pygeoapi==0.21.0' gunicorn
fi

W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

# The data's extent and a bbox of ~0.25° in its middle.
read -r MINX MINY MAXX MAXY < <(/usr/bin/python3 - "$GPKG" <<'PY'
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(*c.execute("select min_x, min_y, max_x, max_y from gpkg_contents where table_name='hazards'").fetchone())
PY
)
BBOX=$(/usr/bin/python3 -c "x=($MINX+$MAXX)/2; y=($MINY+$MAXY)/2; print(f'{x-0.125},{y-0.125},{x+0.125},{y+0.125}')")
NHAZ=$(/usr/bin/python3 -c "import sqlite3;print(sqlite3.connect('file:$GPKG?mode=ro',uri=True).execute('select count(*) from hazards').fetchone()[0])")
DEEP=$(( NHAZ / 2 ))

DPORT=18080; PPORT=18081
export DEMINE_PASSWORD="bench password 1"
cat >"$W/pygeoapi.yml" <<YML
server:
  bind: {host: 127.0.0.1, port: $PPORT}
  url: http://127.0.0.1:$PPORT
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {default_items: 10, max_items: 10000}
  map: {url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png", attribution: OSM}
logging:
  level: ERROR
metadata:
  identification: {title: demine benchmark peer, description: pygeoapi over the demine GeoPackage, keywords: [bench], keywords_type: theme, terms_of_service: none, url: http://127.0.0.1}
  license: {name: CC-BY 4.0, url: https://creativecommons.org/licenses/by/4.0/}
  provider: {name: bench, url: http://127.0.0.1}
  contact: {name: bench, position: x, address: x, city: x, stateorprovince: x, postalcode: x, country: x, phone: x, fax: x, email: x@example.org, url: http://127.0.0.1, hours: x, instructions: x, role: pointOfContact}
resources:
  hazards:
    type: collection
    title: Hazards
    description: hazards
    keywords: [hazards]
    extents:
      spatial: {bbox: [$MINX, $MINY, $MAXX, $MAXY], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}
    providers:
      - type: feature
        name: SQLiteGPKG
        data: $GPKG
        id_field: fid
        table: hazards
YML
export PYGEOAPI_CONFIG="$W/pygeoapi.yml" PYGEOAPI_OPENAPI="$W/openapi.yml"
"$PV/bin/pygeoapi" openapi generate "$PYGEOAPI_CONFIG" --output-file "$PYGEOAPI_OPENAPI" >"$W/openapi.log" 2>&1 || { cat "$W/openapi.log"; exit 1; }
# One server at a time: pygeoapi's SQLite provider cannot load the GeoPackage
# (AutoGPKGStart() returns 0) while another process has it open.
(cd "$W" && exec "$PV/bin/gunicorn" -w 2 -b "127.0.0.1:$PPORT" pygeoapi.flask_app:APP >"$W/pygeoapi.log" 2>&1) &
PG_PID=$!
PIDS+=($PG_PID)
. bench/http_load.sh
up "http://127.0.0.1:$PPORT/collections/hazards"
# (hey's -a mangles passwords with spaces: send the header itself)
AUTH=(-H "Authorization: Basic $(printf '%s' "bench:$DEMINE_PASSWORD" | base64)")
D="http://127.0.0.1:$DPORT/ogc/collections/hazards/items"
P="http://127.0.0.1:$PPORT/collections/hazards/items"


printf '\nSYNTHETIC data: national demo, %s hazards. demine %s build. Machine: %s, %s cores. %s per run, %s connections.\n' \
  "$NHAZ" "$PROFILE" "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(nproc)" "$DUR" "$CONC"
WORKLOADS=("items, bbox (limit 100)|bbox=$BBOX&limit=100|bbox=$BBOX&limit=100"
           "items, filter class=CHA (CQL2)|filter=class%3D%27CHA%27&limit=100|class=CHA&limit=100"
           "items, deep page (offset $DEEP)|offset=$DEEP&limit=100|offset=$DEEP&limit=100")
# pygeoapi's SQLite/GPKG provider has no CQL2: its nearest equivalent is the property filter.
declare -A PYG
for w in "${WORKLOADS[@]}"; do
  IFS='|' read -r name dq pq <<<"$w"
  warm "$P?$pq"
  PYG[$name]=$(run "$P?$pq")
done
kill "$PG_PID" 2>/dev/null || true; wait "$PG_PID" 2>/dev/null || true
# demine with KEEP=1 keeps pages until the registry changes (its default); KEEP=0 makes every
# page afresh, as pygeoapi does: the side-by-side items runs use KEEP=0.
# The account the load runs as (kept in the data between runs: an existing one is left as it is).
printf '%s\n' "$DEMINE_PASSWORD" | DEMINE_ACTOR=bench "$T/demine" --db "$GPKG" user add bench --role analyst >/dev/null 2>&1 || true
start_demine() {
  [ -n "${DEMINE_PID:-}" ] && { kill "$DEMINE_PID" 2>/dev/null || true; wait "$DEMINE_PID" 2>/dev/null || true; }
  DEMINE_KEEP_PAGES=$1 RUST_LOG=warn "$T/demine" --db "$GPKG" serve --addr "127.0.0.1:$DPORT" >"$W/demine.log" 2>&1 &
  DEMINE_PID=$!
  PIDS+=($DEMINE_PID)
  up "http://127.0.0.1:$DPORT/healthz"
}
start_demine 0
echo "items: every page made afresh on both sides (demine: DEMINE_KEEP_PAGES=0)"
printf '%-34s %10s %9s %9s %10s %9s %9s %8s\n' workload "demine/s" "p50 ms" "p99 ms" "pygeoapi/s" "p50 ms" "p99 ms" ratio
for w in "${WORKLOADS[@]}"; do
  IFS='|' read -r name dq pq <<<"$w"
  warm -u "bench:$DEMINE_PASSWORD" "$D?$dq"
  read -r dr d50 d99 dbad < <(run "${AUTH[@]}" "$D?$dq")
  read -r pr p50 p99 pbad <<<"${PYG[$name]}"
  printf '%-34s %10.0f %9.1f %9.1f %10.1f %9.1f %9.1f %7.1fx' "$name" "$dr" "$d50" "$d99" "$pr" "$p50" "$p99" \
    "$(/usr/bin/python3 -c "print($dr/max($pr,1e-9))")"
  [ "$dbad$pbad" != "00" ] && printf '  (non-2xx: demine %s, pygeoapi %s)' "$dbad" "$pbad"
  echo
done

# Tiles (pygeoapi serves no tiles from a GeoPackage): demine alone, three zooms around the middle.
tile_of() { /usr/bin/python3 -c "
import math; z=$1; lon=($MINX+$MAXX)/2; lat=($MINY+$MAXY)/2; n=2**z
x=int((lon+180)/360*n); y=int((1-math.asinh(math.tan(math.radians(lat)))/math.pi)/2*n); print(f'{z}/{x}/{y}')"; }
for z in 8 11 14; do
  t=$(tile_of $z)
  u="http://127.0.0.1:$DPORT/tiles/hazards/$t.mvt"
  curl -s -o /dev/null -u "bench:$DEMINE_PASSWORD" "$u"
  read -r dr d50 d99 dbad < <(run "${AUTH[@]}" "$u")
  printf '%-34s %10.0f %9.1f %9.1f %10s %9s %9s %8s\n' "hazard tile z$z ($t, cached)" "$dr" "$d50" "$d99" - - - -
done
# An uncached tile: the first request of each of 64 z12 tiles around the middle.
t0=$(date +%s.%N)
for dx in $(seq -4 3); do for dy in $(seq -4 3); do
  IFS=/ read -r z x y <<<"$(tile_of 12)"
  curl -s -o /dev/null -u "bench:$DEMINE_PASSWORD" "http://127.0.0.1:$DPORT/tiles/hazards/$z/$((x+dx))/$((y+dy)).mvt"
done; done
printf '%-34s %10s %9.1f (mean of 64 tiles made from the registry)\n' "hazard tile z12, uncached" "" \
  "$(/usr/bin/python3 -c "import time; print((time.time()-$t0)*1000/64)")"

# Pages kept until the registry changes (demine's default): the same items URLs again.
start_demine 1
echo
echo "items, pages kept until the registry changes (demine's default; pygeoapi keeps none):"
for w in "${WORKLOADS[@]}"; do
  IFS='|' read -r name dq pq <<<"$w"
  warm -u "bench:$DEMINE_PASSWORD" "$D?$dq"
  read -r dr d50 d99 dbad < <(run "${AUTH[@]}" "$D?$dq")
  printf '%-34s %10.0f %9.1f %9.1f\n' "$name" "$dr" "$d50" "$d99"
done

# demine at a fixed 1,000 requests/s of mixed reads: four URLs at 250/s each (25 workers × 10/s),
# with pages kept (the default) and with every page made afresh.
mixed_run() {
mixed=("$D?bbox=$BBOX&limit=100" "$D?filter=class%3D%27CHA%27&limit=100" "$D?offset=$DEEP&limit=100"
       "http://127.0.0.1:$DPORT/tiles/hazards/$(tile_of 11).mvt")
i=0
for u in "${mixed[@]}"; do
  hey -z 20s -c 25 -q 10 -o csv "${AUTH[@]}" "$u" >"$W/mixed-$1-$i.csv" 2>/dev/null &
  i=$((i+1))
done
wait_hey() { while pgrep -x hey >/dev/null; do sleep 0.5; done; }
wait_hey
/usr/bin/python3 - "$1" "$W"/mixed-"$1"-*.csv <<'PY'
import csv, sys
lat, bad, t_end = [], 0, 0.0
for p in sys.argv[2:]:
    for r in csv.DictReader(open(p)):
        lat.append(float(r["response-time"]) * 1000)
        t_end = max(t_end, float(r["offset"]))
        if not r["status-code"].startswith("2"):
            bad += 1
lat.sort()
q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))]
print(f"demine, mixed reads at 1,000 req/s offered, {sys.argv[1]}: {len(lat)/max(t_end,1e-9):.0f} req/s served, "
      f"p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, max {lat[-1]:.1f} ms, non-2xx {bad} of {len(lat)}")
PY
}
echo
mixed_run "pages kept"
start_demine 0
mixed_run "every page made afresh"
