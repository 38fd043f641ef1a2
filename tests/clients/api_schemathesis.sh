#!/usr/bin/env bash
# schemathesis (PyPI) against `demine serve`'s own OpenAPI document (/api/v1/openapi.json), on a
# SYNTHETIC demo registry, logged in as the demo administrator: no request may end in a 5xx, and
# every answer must match the schema the document gives for it.
#
#   bash tests/clients/api_schemathesis.sh [path/to/demine]
set -euo pipefail
cd "$(dirname "$0")/../.."
DEMINE="${1:-${CARGO_TARGET_DIR:-target}/debug/demine}"
VENV="${DEMINE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/demine/venv}"
if [ ! -x "$VENV/bin/st" ]; then
  echo "installing schemathesis into $VENV ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'schemathesis==4.32.5' >&2
fi
work="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
password="$("$DEMINE" demo --scale small --out "$work" --json --seed 7 |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["login"]["password"])')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$DEMINE" --db "$work/demine.gpkg" serve --addr "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
token="$(curl -fsS -X POST -H 'content-type: application/json' \
  -d "{\"username\":\"demo-admin\",\"password\":\"$password\"}" "$base/api/v1/auth/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
# schemathesis keeps a cache in the current folder: keep it out of the clone.
DEMINE="$(cd "$(dirname "$DEMINE")" && pwd)/$(basename "$DEMINE")"
cd "$work"
# Revoking the token would log the run out halfway: that route is covered by the Rust tests.
"$VENV/bin/st" run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance \
  --exclude-path /api/v1/auth/revoke \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
  --workers 2 \
  --seed 7 \
  --no-color
echo "schemathesis: no 5xx, every response conforms ($base/api/v1/openapi.json)"
