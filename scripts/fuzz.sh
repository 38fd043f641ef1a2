#!/usr/bin/env bash
# Fuzz every parser of demine-formats (issue 15) with cargo-fuzz; not run in CI.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 600)
# Needs: rustup toolchain install nightly; cargo install cargo-fuzz.
# A crash leaves its input in fuzz/artifacts/TARGET/: add it as a regression test in
# crates/demine-formats (a test that reads those bytes and expects an Err, not a panic).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-600}"
for t in kml gpx fgb shp prj profile; do
  echo "== fuzzing $t for ${secs}s"
  cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10
done
