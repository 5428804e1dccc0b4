#!/usr/bin/env sh
# Import benchmark (issue #6): 100,000-row CSV imported through the application's import code
# path into a scratch database (custodian_bench_import, dropped and re-created), timed.
# Usage: scripts/bench_import.sh [--release] [extra args, e.g. --rows 100000 --again]
# Debug builds are several times slower than release; say which one a number comes from.
set -eu
cd "$(dirname "$0")/.."
PROFILE=""
if [ "${1:-}" = "--release" ]; then PROFILE="--release"; shift; fi
exec cargo run $PROFILE --bin bench_import -- --rows 100000 "$@"
