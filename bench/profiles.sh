#!/usr/bin/env bash
# bench/profiles.sh CORPUS [-v VARIANTS] [-n COLLECT_RUNS] [-s SERVE_RUNS] [-d SERVE_DURATION] [-b]
#
# What each release-profile setting costs at build time and buys at run time.
# For each variant (default: all, comma list with -v)
#   fat    lto = "fat",  codegen-units = 1   ([profile.dist]; [profile.release] before)
#   thin   lto = "thin", codegen-units = 16
#   off    lto = false,  codegen-units = 16  (thin-local LTO, cargo's default)
#   thin1  lto = "thin", codegen-units = 1   (the committed [profile.release])
# it runs `cargo install --locked --path crates/rcollect` with
# `--config profile.release.{lto,codegen-units}` overrides into an EMPTY
# CARGO_TARGET_DIR (a first build of the whole dependency graph, like a first
# `cargo install`), one build at a time, after `cargo fetch` (downloads are not
# timed), recording wall and user+sys CPU seconds (/usr/bin/time), the binary
# size and the CPU the rest of the machine used meanwhile (from /proc/stat: a
# contention check; `--timings` reports go to the logs). Then, with each
# binary (RCOLLECT_BIN), it runs the cold collect of bench/collect.sh on CORPUS (from bench/corpus.sh; use the small one) and
# bench/serve.sh (small-css and medium-js) on a STATIC_ROOT collected from
# CORPUS. serve.sh also needs HYPER_FLOOR_BIN: hyper_floor is built once, with
# the first variant's settings, after that variant's timed build.
# Prints a markdown table with ratios to `fat` (or the first variant). -b: the
# builds only (e.g. to repeat them when the machine is quiet; CORPUS unused).
# Target dirs are $PROFILES_TARGET_PREFIX<variant> (default: a temp dir,
# removed at exit); an existing one is deleted first. Logs (builds, `uptime`
# before each build, the bench scripts' full output) go to $WORK/profiles-<time>.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,27p' "$0"; exit 2; }
CORPUS=$(cd "$1" && pwd); shift
VARIANTS=fat,thin,off,thin1 CRUNS=3 SRUNS=3 SDUR=5s BUILDS_ONLY=0
while (($#)); do
  case $1 in
    -v) VARIANTS=$2; shift 2 ;;
    -n) CRUNS=$2; shift 2 ;;
    -s) SRUNS=$2; shift 2 ;;
    -d) SDUR=$2; shift 2 ;;
    -b) BUILDS_ONLY=1; shift ;;
    *) die "unknown option $1" ;;
  esac
done
need cargo /usr/bin/time
((BUILDS_ONLY)) || [[ -d $CORPUS/src/admin ]] || die "$CORPUS is not a corpus from bench/corpus.sh"
BENCH=$(dirname "${BASH_SOURCE[0]}")
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
PREFIX=${PROFILES_TARGET_PREFIX:-$TMP/target-}
LOGS=$WORK/profiles-$(date +%Y%m%d-%H%M%S); mkdir -p "$LOGS"
IFS=, read -r -a VS <<<"$VARIANTS"

settings() {  # settings VARIANT -> "LTO CGU"
  case $1 in
    fat) echo '"fat" 1' ;;
    thin) echo '"thin" 16' ;;
    off) echo 'false 16' ;;
    thin1) echo '"thin" 1' ;;
    *) die "unknown variant $1" ;;
  esac
}
for v in "${VS[@]}"; do settings "$v" >/dev/null; done

{ cargo --version; rustc --version; echo "nproc $(nproc)"; git -C "$BENCH_ROOT_DIR" rev-parse HEAD; } | tee "$LOGS/env.txt" >&2
(cd "$BENCH_ROOT_DIR" && cargo fetch --locked >&2)

declare -A WALL CPU SIZE COLD SMALL MEDIUM LOAD OTHER
# Busy CPU ticks of the whole machine (user nice system irq softirq steal).
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
# --- builds, strictly one at a time
for v in "${VS[@]}"; do
  read -r lto cgu < <(settings "$v")
  CFG=(--config "profile.release.lto=$lto" --config "profile.release.codegen-units=$cgu")
  target=$PREFIX$v; rm -rf "$target" "$TMP/$v"
  wait_quiet
  LOAD[$v]=$(uptime | sed 's/.*load average: //')
  log "build $v (lto=$lto codegen-units=$cgu), load before: ${LOAD[$v]}"
  uptime >"$LOGS/$v.uptime"
  busy0=$(busy_ticks)
  (cd "$BENCH_ROOT_DIR" && CARGO_TARGET_DIR=$target /usr/bin/time -f '%e %U %S' -o "$TMP/$v.time" \
    cargo install -v --timings --locked --path crates/rcollect --root "$TMP/$v" "${CFG[@]}") >"$LOGS/$v.build.log" 2>&1 \
    || { tail -n 30 "$LOGS/$v.build.log" >&2; die "build $v failed"; }
  busy1=$(busy_ticks)
  cp "$target"/cargo-timings/cargo-timing.html "$LOGS/$v.timings.html" 2>/dev/null || true
  # The overrides must reach rustc: the bin's rustc line carries the settings.
  grep -E "Running .*--crate-name rcollect .*src/main.rs" "$LOGS/$v.build.log" | grep -Eo -- '-C (lto|codegen-units)[^ ]*' | tr '\n' ' ' >"$LOGS/$v.rustc-flags" || true
  log "  rustc flags of the bin: $(cat "$LOGS/$v.rustc-flags")"
  read -r w u s <"$TMP/$v.time"
  WALL[$v]=$w; CPU[$v]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.1f", u + s }')
  # CPU seconds the rest of the machine used meanwhile (contention).
  OTHER[$v]=$(awk -v a="$busy0" -v b="$busy1" -v hz="$(getconf CLK_TCK)" -v c="${CPU[$v]}" 'BEGIN { printf "%.0f", (b - a) / hz - c }')
  SIZE[$v]=$(stat -c %s "$TMP/$v/bin/rcollect" | awk '{ printf "%.2f", $1 / 1048576 }')
  log "  $v: wall ${WALL[$v]} s, CPU ${CPU[$v]} s, binary ${SIZE[$v]} MB, others' CPU meanwhile ${OTHER[$v]} s"
  if ((!BUILDS_ONLY)) && [[ -z ${HYPER_FLOOR_BIN:-} ]]; then
    log "building hyper_floor (the serve floor, untimed) with the $v settings"
    (cd "$BENCH_ROOT_DIR" && CARGO_TARGET_DIR=$target cargo build --release --locked -p tower-rcollect --example hyper_floor "${CFG[@]}") >"$LOGS/hyper_floor.build.log" 2>&1 \
      || { tail -n 30 "$LOGS/hyper_floor.build.log" >&2; die "hyper_floor build failed"; }
    cp "$target/release/examples/hyper_floor" "$TMP/hyper_floor"
    HYPER_FLOOR_BIN=$TMP/hyper_floor
  fi
done
export HYPER_FLOOR_BIN
((BUILDS_ONLY)) && VS_BENCH=() || VS_BENCH=("${VS[@]}")

# --- benchmarks, with each binary
SRC=$CORPUS/src
for v in ${VS_BENCH[@]+"${VS_BENCH[@]}"}; do
  export RCOLLECT_BIN=$TMP/$v/bin/rcollect
  log "collect $v"
  "$BENCH/collect.sh" "$CORPUS" -n "$CRUNS" >"$LOGS/$v.collect.md" 2>"$LOGS/$v.collect.err" \
    || { tail -n 20 "$LOGS/$v.collect.err" >&2; die "collect.sh failed for $v"; }
  COLD[$v]=$(awk -F'|' '$2 ~ /^ *cold *$/ { gsub(/ /, "", $4); print $4 }' "$LOGS/$v.collect.md")
  log "serve $v"
  root=$TMP/root-$v; rm -rf "$root"
  "$RCOLLECT_BIN" collectstatic --no-input -q --no-cache --dir "$SRC/admin" --dir "$SRC/vendor" --dir "$SRC/app" --root "$root" >/dev/null
  "$BENCH/serve.sh" "$root" -n "$SRUNS" -d "$SDUR" >"$LOGS/$v.serve.md" 2>"$LOGS/$v.serve.err" \
    || { tail -n 20 "$LOGS/$v.serve.err" >&2; die "serve.sh failed for $v"; }
  SMALL[$v]=$(awk -F'|' '$2 ~ /^ *rcollect *$/ && $3 ~ /^ *small-css *$/ { gsub(/ /, "", $4); print $4 }' "$LOGS/$v.serve.md")
  MEDIUM[$v]=$(awk -F'|' '$2 ~ /^ *rcollect *$/ && $3 ~ /^ *medium-js *$/ { gsub(/ /, "", $4); print $4 }' "$LOGS/$v.serve.md")
  rm -rf "$root"
done

base=fat; [[ -n ${WALL[fat]:-} ]] || base=${VS[0]}
cell() { if [[ -z $1 ]]; then printf -- -; else printf '%s (%s)' "$1" "$(ratio "$1" "$2")"; fi; }
printf '\n%s, nproc %s; collect: bench/collect.sh -n %s (cold, median); serve: bench/serve.sh -n %s -d %s (rcollect, median req/s); (ratio to %s)\n\n' \
  "$(cargo --version)" "$(nproc)" "$CRUNS" "$SRUNS" "$SDUR" "$base"
printf '| variant | build wall s | build CPU s | binary MB | cold collect s | serve small-css req/s | serve medium-js req/s | load before build | others CPU s during build |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---|---:|\n'
for v in "${VS[@]}"; do
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$v" \
    "$(cell "${WALL[$v]}" "${WALL[$base]}")" "$(cell "${CPU[$v]}" "${CPU[$base]}")" "$(cell "${SIZE[$v]}" "${SIZE[$base]}")" \
    "$(cell "${COLD[$v]:-}" "${COLD[$base]:-}")" "$(cell "${SMALL[$v]:-}" "${SMALL[$base]:-}")" "$(cell "${MEDIUM[$v]:-}" "${MEDIUM[$base]:-}")" "${LOAD[$v]}" "${OTHER[$v]}"
done
printf '\nlogs: %s\n' "$LOGS"
