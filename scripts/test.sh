#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit, property, doc and CLI integration tests, with
# GDAL, OWSLib, ogctests and schemathesis as real clients, on both store backends: the
# GeoPackage file and PostgreSQL + PostGIS (a private cluster with a hot standby, started here
# and torn down on exit).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step prints its wall time, so that a slow CI run says where the time went.
step() {
  local started=$SECONDS
  "$@"
  echo "test.sh: $((SECONDS - started)) s for: $*" >&2
}
step bash scripts/install-test-deps.sh
step cargo fmt --all -- --check
# The default build (no PostgreSQL) is what `cargo run --release -- demo` compiles: lint it too.
step cargo clippy --workspace --locked -- -D warnings

bash scripts/pg-test-cluster.sh start >/dev/null
trap 'bash scripts/pg-test-cluster.sh stop' EXIT
bash scripts/pg-test-cluster.sh replica >/dev/null
eval "$(bash scripts/pg-test-cluster.sh env)"
# The server is tested as it ships: with the web application built in (`web`), so the browser
# tests below reuse the binary this build makes instead of building another.
step bash scripts/build-web.sh
export DEMINE_CARGO_FEATURES=demine/postgres,demine-server/postgres,demine/web
FEATURES=(--features "$DEMINE_CARGO_FEATURES")

step cargo clippy --workspace --all-targets --locked "${FEATURES[@]}" -- -D warnings
# Every suite; the store's bodies run on both backends in one run.
step cargo test --workspace --locked "${FEATURES[@]}" "$@"
# Both backends, one suite: the server's HTTP and OGC suites and the backend-neutral CLI suites
# again, on PostGIS (a fresh database per test; the server connects as an ordinary role) …
PG_SUITES=(--test http --test ogc --test registry_rules --test corrections --test release --test import_errors
  --test layers --test check --test concurrency --test field --test migrate --test server_faults --test interchange)
DEMINE_TEST_BACKEND=postgres step cargo test --workspace --locked "${FEATURES[@]}" "${PG_SUITES[@]}"
# … and once more with the application's organisation filter off: row-level security alone must
# keep every organisation's rows from the others, through every route.
DEMINE_TEST_BACKEND=postgres DEMINE_TEST_RLS_ONLY=1 step cargo test --workspace --locked "${FEATURES[@]}" --test http --test ogc

# Real GIS clients (GDAL OAPIF/MVT, OWSLib, ogctests) against /ogc and /tiles.
step bash tests/clients/ogc_clients.sh
# Real clients of `demine serve`: schemathesis on the REST API's OpenAPI document.
step bash tests/clients/api_schemathesis.sh "${CARGO_TARGET_DIR:-target}/debug/demine"
# The web application in a real browser (Debian's chromium, playwright-core, axe-core): builds
# web/ with npm (node_modules outside the clone) and `demine --features web`.
DEMINE_BIN="${CARGO_TARGET_DIR:-target}/debug/demine" step bash tests/web/run.sh
# The national-scale generator test and the strategy engine's residual against the region demo's
# truth on more seeds are #[ignore]d in a plain `cargo test` (minutes); they run here, in the test
# build made above (those crates and their dependencies are optimised in it, see Cargo.toml), so
# that CI does not compile every dependency a second time for a release build.
# (Only those two tests are #[ignore]d; the features of the build above apply to the workspace,
# so the workspace's unit and integration tests are selected, not packages; no doctests.)
step cargo test --workspace --locked "${FEATURES[@]}" --lib --tests -- --ignored
