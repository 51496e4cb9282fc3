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
# RCOLLECT_BIN may name the binary to time (default: a release build here).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FILES=${1:-50000} RUNS=${2:-5}
need /usr/bin/time
build_rcollect
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
SRC=$T/src; mkdir -p "$SRC"
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
ROOT=$T/root
rc() { "$RCOLLECT_BIN" collectstatic --no-input -q --dir "$SRC" --root "$ROOT" --no-cache; }
log "cold collect"
rc >/dev/null
TIME_OUT=$T/time
declare -a WALL CPU
declare RSS
timed() {
  /usr/bin/time -f '%e %U %S %M' -o "$TIME_OUT" "$@" >/dev/null
  read -r w u s m <"$TIME_OUT"
  WALL+=("$w"); CPU+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')"); RSS=$((m / 1024))
}
row() {  # row NAME
  printf '| %s | %d | %s | %s | %s | %s |\n' "$1" "${#WALL[@]}" "$(median "${WALL[@]}")" "$(spread "${WALL[@]}")" "$(median "${CPU[@]}")" "$RSS"
  WALL=(); CPU=()
}
printf '\n%s files\n\n| case | runs | wall s (median) | range | CPU s (median) | peak RSS MB |\n|---|---:|---:|---|---:|---:|\n' "$FILES"
rc >/dev/null  # one untimed re-run first (page cache warm, as for every timed run)
for ((i = 0; i < RUNS; i++)); do wait_quiet; timed rc; done
row no-op
for ((i = 0; i < RUNS; i++)); do
  f=$(find "$SRC/d007" -name '*.svg' | head -n 1)
  sed -i "s/<title>/<title>edit $i /" "$f"
  wait_quiet; timed rc
done
row one-change
