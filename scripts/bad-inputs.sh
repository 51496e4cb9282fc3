#!/usr/bin/env bash
# scripts/bad-inputs.sh [-w WORKDIR] [--files N] [--css-mb N] [--only CASE[,CASE...]]
#
# The long variants of crates/rcollect/tests/bad_inputs.rs, with timings and peak RSS
# (/usr/bin/time -v), against the release binary:
#   css50       a CSS file of --css-mb MB (default 50) with ~585k references,
#               collected WITH brotli and gzip; every reference must be
#               rewritten and `check --manifest` must pass
#   degenerate  --css-mb MB of CSS/JS that opens and never closes (`url(`,
#               `/*`, `"`, `@import`, `\`), no compression: no quadratic
#               time, no panic; exit 0, or exit 1 naming the file
#   tiny        --files N tiny files (default 100,000) in 1,000 dirs, then a
#               no-op re-run; `check --manifest` must pass
#   deep        nesting to the OS limit (PATH_MAX 4096, ~2,000 levels): a
#               tree whose output paths fit collects; trees whose temp name,
#               hashed output path or source path does not fit fail with
#               exit 1 naming the path
#   longname    file names near NAME_MAX (255 bytes): hashed names (13 bytes
#               longer) that fit collect, the others fail naming the file
# Every run must be free of panics. Prints one line per case; exits 1 if a
# case did not behave as described. Needs ~1 GB of disk in WORKDIR (default
# a temp dir, removed at the end).
set -euo pipefail
ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORKDIR="" FILES=100000 CSS_MB=50 ONLY=""
while (($#)); do
  case $1 in
    -w) WORKDIR=$2; shift 2 ;;
    --files) FILES=$2; shift 2 ;;
    --css-mb) CSS_MB=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for c in python3 /usr/bin/time; do command -v "$c" >/dev/null || { echo "missing $c" >&2; exit 2; }; done
if [[ -z $WORKDIR ]]; then
  WORKDIR=$(mktemp -d)
  trap 'rm -rf "$WORKDIR"' EXIT
fi
mkdir -p "$WORKDIR"; WORKDIR=$(cd "$WORKDIR" && pwd)
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
if [[ -z ${RCOLLECT_BIN:-} ]]; then
  log "building rcollect (release)"
  (cd "$ROOT_DIR" && cargo build --release --locked -p rcollect >&2)
  RCOLLECT_BIN=$ROOT_DIR/target/release/rcollect
fi
want() { [[ -z $ONLY || ,$ONLY, == *,$1,* ]]; }
RESULTS=() FAILED=0

# timed NAME DIR ARGS...: runs rcollect in DIR under /usr/bin/time -v; sets
# RC, SECS, RSS_MB, ERR (stderr file).
timed() {
  local name=$1 dir=$2; shift 2
  ERR=$WORKDIR/$name.err
  set +e
  (cd "$dir" && /usr/bin/time -v -o "$WORKDIR/$name.time" "$RCOLLECT_BIN" "$@" >"$WORKDIR/$name.out" 2>"$ERR")
  RC=$?
  set -e
  SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s }' "$WORKDIR/$name.time")
  RSS_MB=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$WORKDIR/$name.time")
  if grep -q panicked "$ERR"; then
    fail "$name: rcollect panicked: $(grep -m1 panicked "$ERR")"
  fi
}
result() { RESULTS+=("$(printf '%-34s %s' "$1" "$2")"); log "$1: $2"; }
fail() { RESULTS+=("FAIL $*"); log "FAIL $*"; FAILED=1; }
check_manifest() {  # DIR ROOT: `check --manifest` passes
  local out
  if ! out=$(cd "$1" && "$RCOLLECT_BIN" check --manifest --root "$2" --dir src 2>&1); then
    fail "check --manifest in $1: $out"
    return 1
  fi
}
collect_args=(collectstatic --no-input --root out --dir src --no-cache)

if want css50; then
  D=$WORKDIR/css50; rm -rf "$D"; mkdir -p "$D/src/img" "$D/src/css"
  log "css50: generating a ${CSS_MB} MB CSS file"
  python3 - "$D/src" "$CSS_MB" <<'PY'
import sys
src, mb = sys.argv[1], int(sys.argv[2])
open(f"{src}/img/a b.svg", "w").write("<svg/>")
open(f"{src}/img/x.png", "wb").write(b"\x89PNG\r\n\x1a\n")
with open(f"{src}/css/big.css", "w") as f:
    i = 0
    while f.tell() < mb << 20:
        f.write(f".c{i} {{ background: url(\"../img/a%20b.svg\") no-repeat; color: #abc; margin: 0 auto; }}\n"
                f".d{i} {{ background-image: url(../img/x.png); border: 1px solid red; padding: 1px 2px; }}\n")
        i += 1
PY
  log "css50: collecting with brotli and gzip"
  timed css50 "$D" "${collect_args[@]}"
  if ((RC != 0)); then
    fail "css50: exit $RC: $(head -c 500 "$ERR")"
  elif python3 - "$D" <<'PY'
import json, sys
d = sys.argv[1]
m = json.load(open(f"{d}/out/staticfiles.json"))
p = m["paths"]
svg = p["img/a b.svg"].rsplit("/", 1)[1].replace(" ", "%20")
png = p["img/x.png"].rsplit("/", 1)[1]
src = open(f"{d}/src/css/big.css").read()
want = src.replace("a%20b.svg", svg).replace("x.png)", png + ")")
got = open(f"{d}/out/" + p["css/big.css"]).read()
sys.exit(0 if got == want else 1)
PY
  then
    check_manifest "$D" out || true
    m=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); h=m["paths"]["css/big.css"]; f=m["files"][h]; print(f["size"], " ".join(f"{k}={v}" for k,v in sorted(f["variants"].items())))' "$D/out/staticfiles.json")
    result "css50 (${CSS_MB} MB CSS, br+gzip)" "ok: ${SECS} s, peak RSS ${RSS_MB} MB; output bytes and variants: $m"
  else
    fail "css50: the rewritten CSS is not the source with every reference rewritten"
  fi
fi

if want degenerate; then
  for kind in url-open url-quote comment string import backslash; do
    D=$WORKDIR/degenerate-$kind; rm -rf "$D"; mkdir -p "$D/src"
    python3 - "$D/src" "$CSS_MB" "$kind" <<'PY'
import sys
src, mb, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n = mb << 20
unit = {"url-open": b"url(", "url-quote": b'url("', "import": b"@import ", "backslash": b"\\"}
if kind == "comment":
    data = b"/*" + b"a" * n
elif kind == "string":
    data = b'"' + b"a" * n
else:
    data = unit[kind] * (n // len(unit[kind]))
open(f"{src}/a.css", "wb").write(data)
open(f"{src}/a.js", "wb").write(data)
PY
    printf '[compress]\ngzip = false\nbrotli = false\n' >"$D/rcollect.toml"
    timed "degenerate-$kind" "$D" "${collect_args[@]}"
    lines=$(wc -l <"$ERR")
    case $RC in
      0) result "degenerate $kind (${CSS_MB} MB CSS+JS)" "ok: exit 0, ${SECS} s, peak RSS ${RSS_MB} MB" ;;
      1) if grep -q 'a\.css\|a\.js' "$ERR"; then
           result "degenerate $kind (${CSS_MB} MB CSS+JS)" "exit 1 naming the file, ${SECS} s, peak RSS ${RSS_MB} MB, $lines lines of errors ($(wc -c <"$ERR") bytes)"
         else fail "degenerate $kind: exit 1 without naming the file: $(head -c 300 "$ERR")"; fi ;;
      *) fail "degenerate $kind: exit $RC: $(head -c 300 "$ERR")" ;;
    esac
  done
fi

if want tiny; then
  D=$WORKDIR/tiny; rm -rf "$D"; mkdir -p "$D/src"
  log "tiny: creating $FILES files"
  start=$(date +%s.%N)
  python3 - "$D/src" "$FILES" <<'PY'
import os, sys
src, n = sys.argv[1], int(sys.argv[2])
for d in range(1000):
    os.mkdir(f"{src}/d{d:03}")
for i in range(n):
    with open(f"{src}/d{i % 1000:03}/f{i}.txt", "w") as f:
        f.write(str(i))
PY
  made=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  log "tiny: created in $made s; collecting"
  timed tiny "$D" "${collect_args[@]}"
  if ((RC != 0)); then
    fail "tiny: exit $RC: $(head -c 500 "$ERR")"
  else
    first="${SECS} s, peak RSS ${RSS_MB} MB"
    n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["paths"]))' "$D/out/staticfiles.json")
    [[ $n == "$FILES" ]] || fail "tiny: the manifest names $n files, not $FILES"
    timed tiny-rerun "$D" "${collect_args[@]}"
    ((RC == 0)) || fail "tiny: re-run exit $RC"
    rerun="${SECS} s, peak RSS ${RSS_MB} MB"
    timed tiny-check "$D" check --manifest --root out --dir src
    ((RC == 0)) || fail "tiny: check --manifest: $(head -c 500 "$WORKDIR/tiny-check.out")"
    result "tiny ($FILES files)" "ok: created in $made s; collect $first; no-op re-run $rerun; check --manifest ${SECS} s"
  fi
fi

if want deep; then
  # Source and output roots of the same length, so the hashed name (13 bytes
  # longer) and the temp name (up to ~30 bytes longer) are what tip the
  # output path over PATH_MAX.
  D=$WORKDIR/deep; rm -rf "$D"; mkdir -p "$D"
  base=$D/src
  # levels of "d/" such that base/d/.../leaf.svg is about L bytes long
  depth_for() { echo $((($1 - ${#base} - 1 - 8) / 2)); }  # 8 = "leaf.svg"
  for case in fits temp-too-long output-too-long source-too-long; do
    case $case in
      fits) len=$((4095 - 13 - 40)) ;;          # hashed output and its temp name fit
      temp-too-long) len=$((4095 - 13 - 6)) ;;  # hashed output fits, its temp name does not
      output-too-long) len=$((4095 - 6)) ;;     # source fits, leaf.<12 hex>.svg does not
      source-too-long) len=4200 ;;
    esac
    levels=$(depth_for "$len")
    rm -rf "$D/src" "$D/out"; mkdir -p "$D/src"
    python3 - "$D/src" "$levels" <<'PY'
import os, sys
src, levels = sys.argv[1], int(sys.argv[2])
os.chdir(src)
open("top.css", "w").write("a{background:url(%s/leaf.svg)}" % "/".join(["d"] * levels))
for _ in range(levels):
    os.mkdir("d"); os.chdir("d")
open("leaf.svg", "w").write("<svg/>")
open("up.css", "w").write("a{background:url(%s/top.css)}" % "/".join([".."] * levels))
PY
    timed "deep-$case" "$D" "${collect_args[@]}"
    srclen=$((${#base} + 1 + 2 * levels + 8))
    what="$levels levels, source path $srclen bytes, hashed output path $((srclen + 13)) bytes"
    short_err=$(sed -E 's#(d/){8,}#d/…/#g' "$ERR" | head -c 400)
    case $case in
      fits)
        if ((RC == 0)); then
          check_manifest "$D" out && result "deep: $case" "ok: $what, collected in ${SECS} s"
        else fail "deep $case: exit $RC: $short_err"; fi ;;
      *)
        if ((RC == 1)) && grep -q 'File name too long' "$ERR" && grep -q 'leaf\|/d:' "$ERR"; then
          result "deep: $case" "exit 1: $what: $short_err"
        else fail "deep $case: exit $RC: $short_err"; fi ;;
    esac
  done
fi

if want longname; then
  # NAME_MAX is 255 bytes; a hashed name is 13 bytes longer than its source
  # name, a variant 3 (.br, .gz) or 4 (.zst) more.
  for spec in 255:svg:fail 242:png:ok 238:svg:ok 242:svg:fail; do
    IFS=: read -r n ext expect <<<"$spec"
    D=$WORKDIR/longname-$n-$ext; rm -rf "$D"; mkdir -p "$D/src"
    name=$(printf 'n%.0s' $(seq $((n - 1 - ${#ext}))))
    # compressible, so that variants are written
    printf '<svg>%s</svg>' "$(printf '<g/>%.0s' $(seq 500))" >"$D/src/$name.$ext"
    printf 'a{background:url(%s.%s)}' "$name" "$ext" >"$D/src/a.css"
    timed "longname-$n-$ext" "$D" "${collect_args[@]}"
    short_err=$(sed -E 's#n{20,}#n…n#g' "$ERR" | head -c 400)
    label="longname: $n-byte .$ext name"
    if [[ $expect == fail ]]; then
      if ((RC == 1)) && grep -q "$name" "$ERR"; then
        result "$label" "exit 1 naming the file: $short_err"
      else fail "$label: exit $RC: $short_err"; fi
    else
      if ((RC == 0)); then
        check_manifest "$D" out && result "$label" "ok: collected, hashed name $((n + 13)) bytes"
      else fail "$label: exit $RC: $short_err"; fi
    fi
  done
fi

printf '\n== scripts/bad-inputs.sh (%s, %s)\n' "$("$RCOLLECT_BIN" --version 2>/dev/null || echo rcollect)" "$(nproc) cores"
printf '%s\n' "${RESULTS[@]}"
exit "$FAILED"
