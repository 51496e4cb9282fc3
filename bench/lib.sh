# shellcheck shell=bash
# Helpers shared by bench/*.sh (sourced).
BENCH_ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${RCOLLECT_BENCH_WORK:-$HOME/.cache/rcollect-own-bench}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
need() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 || die "missing command '$c'"; done; }

# Median of the arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"; exit}; m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.3f\n", m}'; }
# "min-max" of the arguments.
spread() { printf '%s\n' "$@" | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.3f-%.3f\n", lo, hi}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "nan"; else printf "%.2f\n", a / b }'; }

# Wait (up to 5 min) until the machine is nearly idle, so runs are comparable
# (BENCH_WAIT_QUIET=0 skips the wait).
wait_quiet() {
  [[ ${BENCH_WAIT_QUIET:-1} == 1 ]] || return 0
  local i a b
  for ((i = 0; i < 75; i++)); do
    a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a,x," "); split(b,y," "); t=y[2]-x[2]; exit !(t > 0 && 100*(y[1]-x[1])/t <= 10) }' && return 0
    sleep 3
  done
  log "warning: machine still busy; measuring anyway"
}

# rcollect binaries (built once, release).
build_rcollect() {
  if [[ -z ${RCOLLECT_BIN:-} ]]; then
    # Two builds: with `--example`, cargo builds only the named example, not the binary.
    (cd "$BENCH_ROOT_DIR" && cargo build --release --locked -p rcollect >&2 &&
      cargo build --release --locked -p tower-rcollect --example hyper_floor >&2)
    RCOLLECT_BIN=$BENCH_ROOT_DIR/target/release/rcollect
    HYPER_FLOOR_BIN=$BENCH_ROOT_DIR/target/release/examples/hyper_floor
  fi
}
