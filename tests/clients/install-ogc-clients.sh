#!/usr/bin/env bash
# Python clients of the OGC API tests (OWSLib, ogctests) and of GeoParquet (pyarrow, shapely,
# pyproj) in a venv outside the clone (pyarrow 17: ogctests 0.1.15 requires >=17,<18):
# ${XDG_CACHE_HOME:-$HOME/.cache}/demine/venv. Idempotent; prints the venv's python.
set -euo pipefail
VENV="${DEMINE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/demine/venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import owslib, ogctests, httpx, pyarrow, shapely, pyproj' 2>/dev/null; then
  echo "installing OWSLib, ogctests, pyarrow, shapely and pyproj into $VENV ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'owslib==0.35.0' 'ogctests==0.1.15' 'pyarrow==17.0.0' 'shapely==2.2.0' 'pyproj==3.7.2' >&2
fi
echo "$VENV/bin/python"
