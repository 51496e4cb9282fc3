#!/usr/bin/env bash
# bench/embed.sh CORPUS [-n RUNS] [-d DURATION] [-a APPS]
#
# One binary, three ways: the same axum app shape (assets under /static/,
# TCP_NODELAY, `axum::serve`) built over the same corpus (bench/corpus.sh
# small; its three source dirs merged into bench/embed/APP/assets):
#   rcollect      bench/embed/rcollect-app: rcollect-build in build.rs (collect into
#                 OUT_DIR, compression cache in bench/embed/rcollect-app/compress-cache),
#                 StaticFiles::embedded at run time; served at the hashed names
#   rcollect-br   the same app built with RCOLLECT_EMBED_BR_ONLY=1: files that have a br
#                 variant embedded as br only, identity decoded from br for clients without br
#   memory-serve  bench/embed/memory-serve-app: memory-serve 2.4 (brotli q11 in
#                 build.rs, gzip at start-up), hashed routes on, served at the plain names
#   rust-embed    bench/embed/rust-embed-app: rust-embed 8 + axum-embed 0.1, which serves
#                 .br/.gz siblings: written first with the CLIs (brotli -q 11, gzip -9 -n,
#                 timed apart), served at the plain names
# Every app uses the same release profile (thin LTO, one codegen unit, cargo's
# default build-override). Per app, RUNS times, interleaved: (a) clean build from
# an empty target dir (rcollect: and an empty compression cache), (a') app-only
# clean build (`cargo clean -p APP`; dependencies and rcollect's cache stay),
# (b) no-op rebuild, (c) rebuild after appending one line to admin/css/base.css
# and after reverting it (with a check that the new binary serves the edit),
# (e) start-up (launch to the first 200 on the small CSS, 10 ms polling) and
# VmRSS then, (f) wrk -t1 -c32 -d DURATION with `Accept-Encoding: br, gzip` on
# small-css (admin/css/rtl.css), medium-js (jquery.js), revalidate (304 with the
# server's ETag) and missing (404), req/s and server CPU per request (the
# server's utime+stime over the run / requests), and medium-js-identity (jquery.js
# without Accept-Encoding: a client without br). Once per app: (d) binary size
# minus the same app built over an empty assets dir.
# Prints a markdown report; raw lines in $WORK/embed/raw.txt.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,29p' "$0"; exit 2; }
CORPUS=$(cd "$1" && pwd); shift
RUNS=1 DUR=5s APPS=rcollect,rcollect-br,memory-serve,rust-embed
while (($#)); do case $1 in -n) RUNS=$2; shift 2 ;; -d) DUR=$2; shift 2 ;; -a) APPS=$2; shift 2 ;; *) die "unknown option $1" ;; esac; done
need cargo curl wrk brotli gzip python3
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is required (Debian package 'time')"
[[ -d $CORPUS/src/admin ]] || die "$CORPUS is not a corpus (bench/corpus.sh $CORPUS small)"
IFS=, read -r -a APP_LIST <<<"$APPS"
HERE=$BENCH_ROOT_DIR/bench/embed
OUTW=$WORK/embed; mkdir -p "$OUTW"; RAW=$OUTW/raw.txt; : >"$RAW"
EDIT=admin/css/base.css SMALL=admin/css/rtl.css MEDIUM=admin/js/vendor/jquery/jquery.js
MISSING=/static/does/not/exist.9f86d081884c.css
TIME_OUT=$(mktemp); SERVER=
cleanup() {
  if [[ -n $SERVER ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -f "$TIME_OUT"
}
trap cleanup EXIT
emit() { echo "$*" | tee -a "$RAW" >&2; }
pkg_of() { echo "${1%-br}"; }  # rcollect-br is the rcollect app, built br-only
dir_of() { echo "$HERE/$(pkg_of "$1")-app"; }
target_of() { echo "$OUTW/target-$1"; }
bin_of() { echo "$(target_of "$1")/release/$(pkg_of "$1")-app"; }
br_only_of() { [[ $1 == rcollect-br ]] && echo 1 || echo 0; }
CLK=$(getconf CLK_TCK)

# --- assets: the corpus's dirs merged; rust-embed gets .br/.gz siblings ------------
SKIP='jpg|jpeg|png|gif|webp|avif|zip|gz|tgz|bz2|tbz|xz|br|zst|7z|rar|swf|flv|woff|woff2|3gp|3gpp|asf|avi|m4v|mov|mp4|mpeg|mpg|webm|wmv|mkv|mp3|ogg|oga|opus|m4a|aac|flac|pdf'
precompress() {  # precompress DIR FILE... (whitenoise's rule: keep a variant only if < 95 %)
  local d=$1 f s v; shift
  for f in "$@"; do
    s=$(stat -c %s "$d/$f")
    brotli -q 11 -w 22 -f -k -- "$d/$f"; gzip -9 -n -k -f -- "$d/$f"
    for v in "$d/$f.br" "$d/$f.gz"; do (($(stat -c %s "$v") * 100 < s * 95)) || rm -f "$v"; done
  done
}
export -f precompress
for a in "${APP_LIST[@]}"; do
  d=$(dir_of "$a"); [[ -f $d/Cargo.toml ]] || die "unknown app $a"
  [[ -d $d/assets && $a == rcollect-br ]] && continue  # shares rcollect's copy
  rm -rf "$d/assets" "$d/assets.full"; mkdir -p "$d/assets"
  cp -a "$CORPUS/src/admin/." "$CORPUS/src/vendor/." "$CORPUS/src/app/." "$d/assets/"
  if [[ $a == rust-embed ]]; then
    wait_quiet
    t0=$(date +%s.%N)
    (cd "$d/assets" && find . -type f -regextype posix-extended ! -iregex ".*\\.($SKIP)\$" -printf '%P\0' |
      xargs -0 -P "$(nproc)" -n 16 bash -c 'precompress . "$@"' _)
    emit "app=$a step=precompress wall_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')"
  fi
  (cd "$d" && cargo fetch --locked --quiet)
done
corpus_files=$(find "$(dir_of "${APP_LIST[0]}")/assets" -type f ! -name '*.br' ! -name '*.gz' | wc -l)
corpus_bytes=$(find "$(dir_of "${APP_LIST[0]}")/assets" -type f ! -name '*.br' ! -name '*.gz' -printf '%s\n' | awk '{s+=$1} END {print s}')

build() {  # build APP STEP -> emits wall and CPU seconds
  local a=$1 step=$2 d; d=$(dir_of "$a")
  wait_quiet
  log "$a: $step"
  (cd "$d" && RCOLLECT_EMBED_BR_ONLY=$(br_only_of "$a") /usr/bin/time -f '%e %U %S' -o "$TIME_OUT" cargo build --release --locked --target-dir "$(target_of "$a")" \
    >"$OUTW/$a-$step.log" 2>&1) || die "$a $step failed: $(tail -20 "$OUTW/$a-$step.log")"
  emit "app=$a step=$step $(awk '{printf "wall_s=%.2f cpu_s=%.1f", $1, $2 + $3}' "$TIME_OUT")"
}
url() {  # url APP LOGICAL
  if [[ $1 == rcollect* ]]; then "$(bin_of "$1")" --url "$2"; else echo "/static/$2"; fi
}
start() {  # start APP PORT -> SERVER; emits start-up time and RSS
  local a=$1 port=$2 t0 u; u=$(url "$a" "$SMALL")
  t0=$(date +%s.%N)
  "$(bin_of "$a")" --addr "127.0.0.1:$port" 2>"$OUTW/$a.serve.log" & SERVER=$!
  for _ in $(seq 1000); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$u") == 200 ]] && break
    sleep 0.01
  done
  emit "app=$a step=startup first_200_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.3f", b-a}') vmrss_mb=$(awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$SERVER/status")"
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
serve_cases() {  # serve_cases APP PORT
  local a=$1 port=$2 c u hdr out t0 t1 n etag
  for c in small-css medium-js revalidate missing medium-js-identity; do
    hdr=(-H 'Accept-Encoding: br, gzip')
    case $c in
      small-css | revalidate) u=$(url "$a" "$SMALL") ;;
      medium-js) u=$(url "$a" "$MEDIUM") ;;
      medium-js-identity) u=$(url "$a" "$MEDIUM"); hdr=(-H 'Accept-Encoding: identity') ;;
      missing) u=$MISSING ;;
    esac
    if [[ $c == revalidate ]]; then
      etag=$(curl -sI "${hdr[@]}" "http://127.0.0.1:$port$u" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
      hdr+=(-H "If-None-Match: $etag")
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "http://127.0.0.1:$port$u")
    wrk -t1 -c32 -d1s "${hdr[@]}" "http://127.0.0.1:$port$u" >/dev/null
    wait_quiet
    t0=$(cpu_ticks "$SERVER")
    out=$(wrk -t1 -c32 -d"$DUR" "${hdr[@]}" "http://127.0.0.1:$port$u")
    t1=$(cpu_ticks "$SERVER")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    emit "app=$a step=serve case=$c status=$code rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out") cpu_us=$(awk -v t=$((t1 - t0)) -v n="$n" -v k="$CLK" 'BEGIN{printf "%.1f", t * 1e6 / k / n}')"
  done
}
check_served() {  # check_served APP PORT STEP MARK: the served EDIT holds MARK after the edit, not after the revert
  local a=$1 port=$2 step=$3 mark=$4 ok=ok has=0
  curl -s "http://127.0.0.1:$port$(url "$a" "$EDIT")" -o "$OUTW/served.css"
  grep -qF "$mark" "$OUTW/served.css" && has=1
  [[ $step == edit_build && $has == 1 || $step == revert_build && $has == 0 ]] || ok=WRONG
  [[ -s $OUTW/served.css ]] || ok=EMPTY
  emit "app=$a step=$step-served content=$ok"
}

for ((r = 1; r <= RUNS; r++)); do
  for a in "${APP_LIST[@]}"; do
    d=$(dir_of "$a"); port=$((8400 + r))
    rm -rf "$(target_of "$a")" "$d/compress-cache"
    build "$a" full_build
    (cd "$d" && cargo clean --release -p "$(pkg_of "$a")-app" --target-dir "$(target_of "$a")" -q)
    build "$a" app_build
    build "$a" noop_build
    cp "$d/assets/$EDIT" "$OUTW/edit.orig"
    mark="/* one more line, run $r */"; echo "$mark" >>"$d/assets/$EDIT"
    [[ $a == rust-embed ]] && precompress "$d/assets" "$EDIT"
    build "$a" edit_build
    start "$a" "$port"; check_served "$a" "$port" edit_build "$mark"; stop
    cp "$OUTW/edit.orig" "$d/assets/$EDIT"
    [[ $a == rust-embed ]] && precompress "$d/assets" "$EDIT"
    build "$a" revert_build
    start "$a" "$port"; check_served "$a" "$port" revert_build "$mark"
    serve_cases "$a" "$port"; stop
  done
done
for a in "${APP_LIST[@]}"; do
  d=$(dir_of "$a"); full=$(stat -c %s "$(bin_of "$a")")
  mv "$d/assets" "$d/assets.full"; mkdir "$d/assets"
  build "$a" empty_build
  empty=$(stat -c %s "$(bin_of "$a")")
  rm -rf "$d/assets"; mv "$d/assets.full" "$d/assets"
  emit "app=$a step=size binary_mb=$(awk -v b="$full" 'BEGIN{printf "%.2f", b/1e6}') empty_mb=$(awk -v b="$empty" 'BEGIN{printf "%.2f", b/1e6}') growth_mb=$(awk -v a="$full" -v b="$empty" 'BEGIN{printf "%.2f", (a-b)/1e6}')"
done

# --- report -------------------------------------------------------------------------
python3 - "$RAW" "$corpus_files" "$corpus_bytes" "$RUNS" "$DUR" "${APP_LIST[@]}" <<'PY'
import statistics, sys
raw, files, nbytes, runs, dur, apps = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6:]
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(raw) if line.strip()]
def vals(app, step, key, case=None):
    return [float(r[key]) for r in rows if r["app"] == app and r["step"] == step and key in r and (case is None or r.get("case") == case)]
def med(app, step, key, case=None, fmt="%.2f"):
    v = vals(app, step, key, case)
    return (fmt % statistics.median(v)) if v else "—"
def text(app, step, key):
    v = [r[key] for r in rows if r["app"] == app and r["step"] == step and key in r]
    return "/".join(v) if v else "—"
print(f"corpus: {files} files, {nbytes/1e6:.2f} MB; {runs} run(s) per app, interleaved; wrk -t1 -c32 -d{dur}; median of runs\n")
print("| | " + " | ".join(apps) + " |")
print("|---|" + "---:|" * len(apps))
lines = [
    ("rust-embed: precompress the copy (CLIs), s", lambda a: med(a, "precompress", "wall_s", fmt="%.1f")),
    ("(a) clean build, empty target dir, s", lambda a: med(a, "full_build", "wall_s", fmt="%.1f")),
    ("(a') app-only clean build (`cargo clean -p`), s", lambda a: med(a, "app_build", "wall_s", fmt="%.1f")),
    ("(b) no-op rebuild, s", lambda a: med(a, "noop_build", "wall_s")),
    ("(c) rebuild after a one-line CSS change, s", lambda a: med(a, "edit_build", "wall_s")),
    ("(c) rebuild after reverting it, s", lambda a: med(a, "revert_build", "wall_s")),
    ("(c) new content served after edit / revert", lambda a: text(a, "edit_build-served", "content") + " / " + text(a, "revert_build-served", "content")),
    ("(d) binary MB (app over empty assets)", lambda a: med(a, "size", "binary_mb") + " (" + med(a, "size", "empty_mb") + ")"),
    ("(d) binary growth from the assets, MB", lambda a: med(a, "size", "growth_mb")),
    ("(e) start-up to first 200, s", lambda a: med(a, "startup", "first_200_s", fmt="%.3f")),
    ("(e) VmRSS after start, MB", lambda a: med(a, "startup", "vmrss_mb", fmt="%.1f")),
]
for case in ("small-css", "medium-js", "revalidate", "missing", "medium-js-identity"):
    lines.append((f"(f) {case}: HTTP status", lambda a, c=case: "/".join(sorted({r["status"] for r in rows if r["app"] == a and r.get("case") == c})) or "—"))
    lines.append((f"(f) {case}: req/s", lambda a, c=case: med(a, "serve", "rps", c, "%.0f")))
    lines.append((f"(f) {case}: server CPU µs/request", lambda a, c=case: med(a, "serve", "cpu_us", c, "%.1f")))
for label, f in lines:
    print(f"| {label} | " + " | ".join(f(a) for a in apps) + " |")
PY
