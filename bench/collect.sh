#!/usr/bin/env bash
# bench/collect.sh CORPUS [-n RUNS]
#
# Times `rcollect collectstatic` on a corpus built by bench/corpus.sh, side by
# side with the compression floor (the `brotli -q 11 -w 22` and `gzip -9 -n`
# CLIs over every compressible source file once, largest first, on all cores):
#   floor        the compression floor (xargs -P <cpus>)
#   cold         empty STATIC_ROOT, no cache (--no-cache)
#   no-op        re-run over an up-to-date STATIC_ROOT
#   one-change   one CSS file that another imports is edited, then re-run
#   warm-cache   empty STATIC_ROOT with a warm compression cache (a CI job that restores it)
# Prints a markdown table: median wall seconds [range], peak RSS, and the ratio
# to the floor. With DJANGO=1 it also times Django 5.2 + whitenoise 6.12
# collectstatic (cold and warm) from a pinned venv in $WORK/venv.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,15p' "$0"; exit 2; }
CORPUS=$(cd "$1" && pwd); shift
RUNS=3
while (($#)); do case $1 in -n) RUNS=$2; shift 2 ;; *) die "unknown option $1" ;; esac; done
need brotli gzip xargs /usr/bin/time
build_rcollect
SRC=$CORPUS/src
DIRS=(--dir "$SRC/admin" --dir "$SRC/vendor" --dir "$SRC/app")
OUT=$CORPUS/bench-out; mkdir -p "$OUT"
TIME_OUT=$(mktemp); trap 'rm -f "$TIME_OUT"' EXIT

# timed CMD... -> prints "wall_s maxrss_mb"
timed() {
  /usr/bin/time -f '%e %M' -o "$TIME_OUT" "$@" >/dev/null 2>"$OUT/last.err" || { cat "$OUT/last.err" >&2; die "failed: $*"; }
  awk '{ printf "%.3f %.1f\n", $1, $2 / 1024 }' "$TIME_OUT"
}

declare -A WALL RSS
record() {  # record NAME wall rss
  WALL[$1]="${WALL[$1]:-} $2"; RSS[$1]=$3
}

# --- floor: prepare an untimed scratch copy of the compressible files
SKIP='jpg|jpeg|png|gif|webp|avif|zip|gz|tgz|bz2|tbz|xz|br|zst|7z|rar|swf|flv|woff|woff2|3gp|3gpp|asf|avi|m4v|mov|mp4|mpeg|mpg|webm|wmv|mkv|mp3|ogg|oga|opus|m4a|aac|flac|pdf'
FLOOR=$OUT/floor; rm -rf "$FLOOR"; mkdir -p "$FLOOR/tree"
(cd "$SRC" && find . -type f -regextype posix-extended ! -iregex ".*\\.($SKIP)\$" -printf '%s %P\n') | sort -k1,1nr | cut -d' ' -f2- >"$FLOOR/list"
(cd "$SRC" && tar --verbatim-files-from -T "$FLOOR/list" -cf -) | tar -xf - -C "$FLOOR/tree"
floor_once() {
  find "$FLOOR/tree" \( -name '*.br' -o -name '*.gz' \) -delete
  # shellcheck disable=SC2016
  timed bash -c 'cd "$1" && xargs -d "\n" -P "$2" -n 8 brotli -q 11 -w 22 -f -k -- <"$3" && xargs -d "\n" -P "$2" -n 8 gzip -9 -n -k -f -- <"$3"' _ "$FLOOR/tree" "$(nproc)" "$FLOOR/list"
}

rc() { timed "$RCOLLECT_BIN" collectstatic --no-input -q "${DIRS[@]}" "$@"; }
EDIT=$SRC/app/app/css/components/buttons.css
for ((i = 1; i <= RUNS; i++)); do
  log "round $i/$RUNS"
  wait_quiet; read -r w r < <(floor_once); record floor "$w" "$r"
  rm -rf "$OUT/root"; wait_quiet; read -r w r < <(rc --root "$OUT/root" --no-cache); record cold "$w" "$r"
  wait_quiet; read -r w r < <(rc --root "$OUT/root" --no-cache); record no-op "$w" "$r"
  cp "$EDIT" "$OUT/edit.bak"; echo "/* edit $i */" >>"$EDIT"
  wait_quiet; read -r w r < <(rc --root "$OUT/root" --no-cache); record one-change "$w" "$r"
  cp "$OUT/edit.bak" "$EDIT"; touch -d '2000-01-01T00:00:00Z' "$EDIT"
  rm -rf "$OUT/cache"; rc --root "$OUT/prime" --cache-dir "$OUT/cache" >/dev/null; rm -rf "$OUT/prime"
  rm -rf "$OUT/root2"; wait_quiet; read -r w r < <(rc --root "$OUT/root2" --cache-dir "$OUT/cache"); record warm-cache "$w" "$r"
  if [[ ${DJANGO:-0} == 1 ]]; then
    "$(dirname "${BASH_SOURCE[0]}")/django.sh" "$CORPUS" >"$OUT/django.txt"
    read -r dc dw < "$OUT/django.txt"; record django-cold "$dc" 0; record django-warm "$dw" 0
  fi
done

floor=$(median ${WALL[floor]})
printf '\n| case | runs | wall s (median) | range | peak RSS MB | vs floor |\n|---|---:|---:|---|---:|---:|\n'
for k in floor cold no-op one-change warm-cache django-cold django-warm; do
  [[ -n ${WALL[$k]:-} ]] || continue
  # shellcheck disable=SC2086
  m=$(median ${WALL[$k]}); s=$(spread ${WALL[$k]})
  printf '| %s | %d | %s | %s | %s | %s |\n' "$k" "$RUNS" "$m" "$s" "${RSS[$k]}" "$(ratio "$m" "$floor")"
done
