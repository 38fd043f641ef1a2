#!/usr/bin/env bash
# Real GIS clients against demine's OGC API – Features and vector tiles: GDAL (OAPIF and MVT
# drivers, Debian gdal-bin), OWSLib and ogctests (PyPI, in a venv outside the clone).
#
#  - `ogrinfo OAPIF:` lists every collection;
#  - `ogr2ogr -oo PAGE_SIZE=1000` copies every hazard and activity, and `demine release` on a
#    registry imported from the copy gives the server's figures;
#  - GDAL's -where and -spat reach the server as a CQL2 filter and a bbox (the server log shows them);
#  - OWSLib reads collections and items; ogctests' Part 1 core suite passes;
#  - GDAL's MVT driver reads the hazard tiles.
# Run by scripts/test.sh; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=$(bash tests/clients/install-ogc-clients.sh)
# The features the rest of the suite was built with (scripts/test.sh), so nothing is rebuilt.
cargo build -q --locked -p demine --bin demine ${DEMINE_CARGO_FEATURES:+--features "$DEMINE_CARGO_FEATURES"}
T="${CARGO_TARGET_DIR:-target}/debug"
W=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
USER_PW="ogc:correct horse battery"
export DEMINE_PASSWORD="correct horse battery"
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "ogc clients: FAIL: $*" >&2; echo "--- server log (tail)" >&2; tail -30 "$W/server.log" >&2; exit 1; }

"$T/demine" demo --scale small --seed 7 --out "$W/demo" --db "$W/demo/demine.gpkg" >/dev/null
printf '%s\n' "$DEMINE_PASSWORD" | DEMINE_ACTOR=setup "$T/demine" --db "$W/demo/demine.gpkg" user add ogc --role analyst >/dev/null
RUST_LOG=info "$T/demine" --db "$W/demo/demine.gpkg" serve --addr "127.0.0.1:$PORT" >"$W/server.log" 2>&1 &
SERVER_PID=$!
BASE="http://127.0.0.1:$PORT/ogc"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "server did not start"
GDAL=(--config GDAL_HTTP_AUTH BASIC --config GDAL_HTTP_USERPWD "$USER_PW")

# 1. ogrinfo lists every collection.
want=$(curl -sf -u "$USER_PW" "$BASE/collections" | python3 -c 'import json,sys; print("\n".join(c["id"] for c in json.load(sys.stdin)["collections"]))')
got=$(ogrinfo -ro -q "OAPIF:$BASE" "${GDAL[@]}" | sed -E 's/^[0-9]+: ([^ ]+).*/\1/')
for c in $want; do grep -qx "$c" <<<"$got" || fail "ogrinfo does not list $c (got: $got)"; done
echo "ogc clients: ogrinfo lists $(wc -w <<<"$want") collections" >&2

# 2. ogr2ogr copies every hazard and activity; the release on the copy matches the server's.
for layer in hazards activities; do
  ogr2ogr -f GeoJSON "$W/$layer.geojson" "OAPIF:$BASE" "$layer" -oo PAGE_SIZE=1000 "${GDAL[@]}" \
    || fail "ogr2ogr $layer"
done
n_server=$(curl -sf -u "$USER_PW" "$BASE/collections/hazards/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])')
n_copy=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["features"]))' "$W/hazards.geojson")
[ "$n_server" = "$n_copy" ] || fail "ogr2ogr copied $n_copy hazards of $n_server"
for layer in hazards activities; do
  "$T/demine" import "$layer" "$W/$layer.geojson" --db "$W/copy.gpkg" >/dev/null 2>"$W/import.log" \
    || fail "import of the copied $layer: $(tail -5 "$W/import.log")"
done
"$T/demine" release --json --db "$W/demo/demine.gpkg" >"$W/release-server.json"
"$T/demine" release --json --db "$W/copy.gpkg" >"$W/release-copy.json"
python3 - "$W/release-server.json" "$W/release-copy.json" <<'PY' || fail "release figures differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("hazards", "hazard_area_m2", "cancelled_m2", "reduced_m2", "cleared_m2", "remaining_m2"):
    x, y = a[k], b[k]
    assert abs(x - y) <= 1e-6 * max(1.0, abs(x)), (k, x, y)
print(f"ogc clients: release of the ogr2ogr copy = server's ({a['hazards']} hazards, {a['remaining_m2']:.0f} m² remaining)", file=sys.stderr)
PY

# 3. GDAL's -where and -spat reach the server as CQL2 and bbox.
ogrinfo -ro -q "OAPIF:$BASE" hazards -where "class = 'CHA'" -spat -180 -80 180 80 "${GDAL[@]}" >"$W/where.txt" \
  || fail "ogrinfo -where"
grep -q "ogc filter.*filter=class = 'CHA'" "$W/server.log" || fail "GDAL's -where did not reach the server as CQL2"
grep -q "ogc bbox" "$W/server.log" || fail "GDAL's -spat did not reach the server as a bbox"
n_where=$(grep -c "^OGRFeature" "$W/where.txt" || true)
n_cha=$(curl -sf -u "$USER_PW" "$BASE/collections/hazards/items?limit=1&class=CHA" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])')
[ "$n_where" = "$n_cha" ] || fail "ogrinfo -where gave $n_where features, the server has $n_cha CHAs"
echo "ogc clients: GDAL -where/-spat pushed down (server log: $(grep -m1 'ogc filter' "$W/server.log" | sed 's/.*ogc filter/ogc filter/'))" >&2

# 4. OWSLib reads collections and items.
"$PY" - "$BASE" "$USER_PW" <<'PY' || fail "OWSLib"
import sys
from owslib.ogcapi.features import Features
from owslib.util import Authentication
user, pw = sys.argv[2].split(":", 1)
w = Features(sys.argv[1], auth=Authentication(user, pw))
ids = w.feature_collections()
assert "hazards" in ids and "finds" in ids, ids
assert w.collection("hazards")["id"] == "hazards"
items = w.collection_items("hazards", limit=5)
assert items["numberReturned"] == 5, items["numberReturned"]
f = w.collection_item("hazards", items["features"][0]["id"])
assert f["id"] == items["features"][0]["id"]
assert "class" in w.collection_queryables("hazards")["properties"]
print(f"ogc clients: OWSLib read {len(ids)} collections and items", file=sys.stderr)
PY

# 5. ogctests Part 1 core (run through pytest: `python -m ogctests` always exits 0).
"$PY" - "$BASE" "$USER_PW" <<'PY' || fail "ogctests features/core"
import base64, sys, httpx
from ogctests.main import run_ogctests
token = base64.b64encode(sys.argv[2].encode()).decode()
c = httpx.Client(base_url=sys.argv[1], headers={"Authorization": "Basic " + token}, timeout=60)
sys.exit(run_ogctests("features/core", instance_url=sys.argv[1], test_client=c, flags=["-q", "-p", "no:cacheprovider"]))
PY

# 6. GDAL's MVT driver reads the tiles: a zoom level (metadata.json + every tile) and one tile.
ogrinfo -ro -al -so "MVT:http://127.0.0.1:$PORT/tiles/hazards/11" "${GDAL[@]}" >"$W/mvt.txt" 2>&1 || fail "MVT zoom level: $(cat "$W/mvt.txt")"
n_tiles=$(sed -n 's/^Feature Count: //p' "$W/mvt.txt" | head -1)
[ "${n_tiles:-0}" -gt 0 ] || fail "the MVT driver read no hazards: $(cat "$W/mvt.txt")"
grep -q "remaining_m2" "$W/mvt.txt" || fail "tiles carry no remaining_m2"
echo "ogc clients: GDAL's MVT driver read $n_tiles hazard features at zoom 11" >&2
echo "ogc clients: all passed" >&2
