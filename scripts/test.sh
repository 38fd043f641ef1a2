#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit, property, doc and CLI integration tests, with
# GDAL as a real client.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked "$@"
# Real clients of `demine serve`: schemathesis on the REST API's OpenAPI document.
bash tests/clients/api_schemathesis.sh "${CARGO_TARGET_DIR:-target}/debug/demine"
# The national-scale generator test is #[ignore]d in debug builds (minutes); it runs here in release.
cargo test --release --locked -p demine-demo -- --ignored
