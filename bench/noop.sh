#!/usr/bin/env bash
# bench/noop.sh [FILES] [RUNS]
#
# The no-op re-collect on a large synthetic tree (BENCHMARKS.md, "No-op
# re-collect"): FILES source files (default 50,000) in 500 directories of a
# temp dir: a third CSS files that url() an SVG next to them and @import
# another stylesheet, a third ES modules that import another module, a
# third SVGs. One cold `collectstatic --no-cache` (untimed), then RUNS
# (default 5) timed no-op re-runs, then RUNS runs that each change one SVG
# (so one SVG and the stylesheet that uses it are new). Prints a markdown
# table: median wall seconds [range], median user+sys CPU seconds, peak RSS.
# RCOLLECT_BIN may name the binary to time (default: a release build here);
# RCOLLECT_BASE another one (an older build) timed in the same run,
# interleaved. NOOP_DIR keeps the tree and STATIC_ROOT there for another run.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FILES=${1:-50000} RUNS=${2:-5}
need /usr/bin/time
build_rcollect
if [[ -n ${NOOP_DIR:-} ]]; then T=$NOOP_DIR; mkdir -p "$T"; else T=$(mktemp -d); trap 'rm -rf "$T"' EXIT; fi
SRC=$T/src ROOT=$T/root
if [[ ! -f $T/.made-$FILES ]]; then
rm -rf "$SRC" "$ROOT"; mkdir -p "$SRC"
log "making $FILES files in $SRC"
python3 - "$SRC" "$FILES" <<'PY'
import os, sys
src, n = sys.argv[1], int(sys.argv[2])
dirs = 500
per = max(1, n // 3)
for i in range(per):
    d = os.path.join(src, f"d{i % dirs:03d}")
    os.makedirs(d, exist_ok=True)
    j = (i + dirs) % per  # another file in the same directory
    with open(os.path.join(d, f"i{i}.svg"), "w") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg"><title>{i}</title><rect width="{i % 97}" height="3"/></svg>\n')
    with open(os.path.join(d, f"s{i}.css"), "w") as f:
        imp = f'@import "s{j}.css";\n' if j > i else ""
        f.write(f'{imp}.c{i} {{ background: url(i{i}.svg) no-repeat; color: #{i % 4096:03x}; padding: {i % 13}px }}\n')
    with open(os.path.join(d, f"m{i}.js"), "w") as f:
        imp = f'import {{ v{j} }} from "./m{j}.js";\n' if j > i else ""
        f.write(f'{imp}export const v{i} = {i};\nexport function f{i}(x) {{ return x * {i % 89} + v{i}; }}\n')
PY
# Settle the sources (the stat cache does not keep files changed within 2 s
# of a run's start).
sleep 3
log "cold collect"
"$RCOLLECT_BIN" collectstatic --no-input -q --dir "$SRC" --root "$ROOT" --no-cache >/dev/null
touch "$T/.made-$FILES"
fi
rc() { "$RCOLLECT_BIN" collectstatic --no-input -q --dir "$SRC" --root "$ROOT" --no-cache; }
BASE=${RCOLLECT_BASE:-}
TIME_OUT=$T/time
declare -A WALL CPU RSS
timed() {  # timed KEY BINARY
  /usr/bin/time -f '%e %U %S %M' -o "$TIME_OUT" "$2" collectstatic --no-input -q --dir "$SRC" --root "$ROOT" --no-cache >/dev/null
  read -r w u s m <"$TIME_OUT"
  WALL[$1]="${WALL[$1]:-} $w"; CPU[$1]="${CPU[$1]:-} $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')"; RSS[$1]=$((m / 1024))
}
rc >/dev/null  # one untimed re-run first (page cache warm, as for every timed run)
bins=("$RCOLLECT_BIN"); [[ -n $BASE ]] && bins+=("$BASE")
name() { [[ $1 == "$RCOLLECT_BIN" ]] && echo rcollect || echo base; }
for ((i = 0; i < RUNS; i++)); do
  for b in "${bins[@]}"; do wait_quiet; timed "no-op $(name "$b")" "$b"; done
done
for ((i = 0; i < RUNS; i++)); do
  for b in "${bins[@]}"; do
    f=$(find "$SRC/d007" -name '*.svg' | sort | head -n 1)
    sed -i "s/<title>/<title>edit $i $(name "$b") /" "$f"
    wait_quiet; timed "one-change $(name "$b")" "$b"
  done
done
printf '\n%s files\n\n| case | runs | wall s (median) | range | CPU s (median) | peak RSS MB |\n|---|---:|---:|---|---:|---:|\n' "$FILES"
for k in "no-op rcollect" "no-op base" "one-change rcollect" "one-change base"; do
  [[ -n ${WALL[$k]:-} ]] || continue
  # shellcheck disable=SC2086
  printf '| %s | %d | %s | %s | %s | %s |\n' "$k" "$RUNS" "$(median ${WALL[$k]})" "$(spread ${WALL[$k]})" "$(median ${CPU[$k]})" "${RSS[$k]}"
done
