#!/usr/bin/env bash
# The whole test suite: unit, property, doc and CLI integration tests, with GDAL as a real client.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
cargo fmt --all -- --check
cargo test --workspace --locked "$@"
