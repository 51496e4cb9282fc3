#!/usr/bin/env bash
# Dev-mode request latency on a 20,000-file source tree (BENCHMARKS.md,
# "Dev mode"). Usage: bench/dev.sh [FILES] [REQUESTS] [RUNS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
files=${1:-20000} requests=${2:-20000} runs=${3:-3}
(cd "$BENCH_ROOT_DIR" && cargo build --release --locked -p tower-rcollect --example dev_latency >&2)
for ((r = 1; r <= runs; r++)); do
  wait_quiet
  "$BENCH_ROOT_DIR/target/release/examples/dev_latency" "$files" "$requests"
done
