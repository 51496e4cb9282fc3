#!/usr/bin/env bash
# bench/install.sh REV [REV ...] [-- EXTRA_CARGO_INSTALL_ARGS]
#
# What a first `cargo install --locked --path crates/rcollect` costs at each
# git revision (issue 24: install time and binary size): for each REV, a
# detached worktree of it, `cargo fetch` (downloads are not timed), then the
# install into an EMPTY target dir (every dependency compiled, as on a user's
# first install), one build at a time, with /usr/bin/time: wall seconds,
# user+sys CPU seconds, the installed binary's size and its size after
# `strip`, the number of crates compiled, and the CPU the rest of the machine
# used meanwhile (/proc/stat: a contention check; wall times of builds that
# overlapped other work are inflated, CPU seconds much less).
# Prints a markdown table with ratios to the first REV. Logs and `--timings`
# reports go to $WORK/install-<time>.
#   bench/install.sh 6f1c2d0 HEAD
#   bench/install.sh HEAD -- --features s3     # the CLI with S3 support
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,17p' "$0"; exit 2; }
REVS=()
while (($#)) && [[ $1 != -- ]]; do REVS+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
EXTRA=("$@")
need git cargo strip /usr/bin/time
LOGS=$WORK/install-$(date +%Y%m%d-%H%M%S); mkdir -p "$LOGS"
TMP=$(mktemp -d); trap 'for w in "$TMP"/tree-*; do git -C "$BENCH_ROOT_DIR" worktree remove --force "$w" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT

busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
rows=() first_cpu= first_wall=
for rev in "${REVS[@]}"; do
  sha=$(git -C "$BENCH_ROOT_DIR" rev-parse --short "$rev")
  tree=$TMP/tree-$sha
  git -C "$BENCH_ROOT_DIR" worktree add --detach "$tree" "$sha" >/dev/null 2>&1
  (cd "$tree" && cargo fetch --locked >/dev/null 2>&1)
  wait_quiet
  log "installing $rev ($sha) ${EXTRA[*]}"
  target=$TMP/target-$sha root=$TMP/root-$sha
  before=$(busy)
  (cd "$tree" && /usr/bin/time -f '%e %U %S' -o "$TMP/time" \
    cargo install --locked --offline --path crates/rcollect --root "$root" \
    --target-dir "$target" --timings "${EXTRA[@]}" >"$LOGS/$sha.log" 2>&1) ||
    die "install of $rev failed: $LOGS/$sha.log"
  after=$(busy)
  read -r wall user sys <"$TMP/time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", u + s }')
  # Other work during the build: all busy CPU time (ticks of 10 ms) minus the build's.
  other=$(awk -v a="$before" -v b="$after" -v c="$cpu" 'BEGIN { o = (b - a) / 100 - c; printf "%.0f", o < 0 ? 0 : o }')
  crates=$(grep -c '^ *Compiling ' "$LOGS/$sha.log" || true)
  bin=$root/bin/rcollect
  size=$(stat -c %s "$bin")
  cp "$bin" "$TMP/stripped" && strip "$TMP/stripped"
  stripped=$(stat -c %s "$TMP/stripped")
  cp "$target"/cargo-timings/cargo-timing.html "$LOGS/$sha-timings.html" 2>/dev/null || true
  rm -rf "$target"
  [[ -n $first_cpu ]] || { first_cpu=$cpu first_wall=$wall; }
  rows+=("| $rev ($sha) | $crates | $wall ($(ratio "$wall" "$first_wall")) | $cpu ($(ratio "$cpu" "$first_cpu")) | $other | $(awk -v b="$size" 'BEGIN { printf "%.2f", b / 1e6 }') | $(awk -v b="$stripped" 'BEGIN { printf "%.2f", b / 1e6 }') |")
  log "$rev: ${wall}s wall, ${cpu} CPU-s, $crates crates, binary $size bytes ($stripped stripped), others used ${other} CPU-s"
done
echo "| revision | crates compiled | first install, wall s | CPU s | other CPU-s meanwhile | binary MB | stripped MB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo "logs: $LOGS" >&2
