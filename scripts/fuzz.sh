#!/usr/bin/env bash
# Fuzz every parser of demine-formats (issue 15) and the history reader with cargo-fuzz and AddressSanitizer; not run
# in CI.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]   (default 600 s; kml gpx fgb shp prj profile geoparquet history)
# Works on the stable toolchain as written (tested with Rust 1.95, no nightly installed):
# RUSTC_BOOTSTRAP=1 lets stable rustc accept the -Z flags cargo-fuzz passes (sanitizer,
# coverage instrumentation). Needs `cargo install cargo-fuzz --locked`. Set FUZZ_SANITIZER=none
# where AddressSanitizer is unavailable.
# Builds go to $CARGO_TARGET_DIR (default fuzz/target); corpora to fuzz/corpus/TARGET, so a
# second run resumes where the first stopped; crashes to fuzz/artifacts/TARGET/ (all ignored by
# git). A crash: add its bytes as a regression test in crates/demine-formats (a test that reads
# them and expects an Err, not a panic), fix the parser, run again.
# While the file /work/QUIET exists (someone is measuring) the next target waits.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
secs="${1:-600}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(kml gpx fgb shp prj profile geoparquet history)
for t in "${targets[@]}"; do
  while [ -e /work/QUIET ]; do sleep 15; done
  mkdir -p "corpus/$t"
  echo "== fuzzing $t for ${secs}s"
  cargo fuzz run -s "${FUZZ_SANITIZER:-address}" "$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
done
