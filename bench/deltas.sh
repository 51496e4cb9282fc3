#!/usr/bin/env bash
# bench/deltas.sh [-n RUNS]
#
# What a returning visitor downloads after a deploy, with RFC 9842 deltas
# (dcb, dcz) against what brotli alone gives, on real bundles from the
# registry (pinned by sha256):
#   jquery      dist/jquery.js                 3.7.1 (minor upgrade from 3.6.4)
#   bootstrap   dist/css/bootstrap.css,
#               dist/js/bootstrap.bundle.js    5.3.8 (minor upgrade from 5.2.3)
#   codemirror  lib/codemirror.js              5.65.18 (minor upgrade from 5.64.0)
# Two changes, each collected after the version before it into the same
# STATIC_ROOT (`rcollect collectstatic --no-cache`):
#   one-line    a comment line inserted in the middle of each file
#   minor       the previous minor version, then the current one
# Per file: the new version's br size and its dcb/dcz sizes (header
# included). Time: the second collect with `[compress] deltas = 2`
# against the same collect with `dictionaries = 0` (median of RUNS, each
# from a fresh STATIC_ROOT), and the brotli CLI time (-q 11 -w 22) of the
# changed files, the cost the extra time is compared with.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS=3
while (($#)); do case $1 in -n) RUNS=$2; shift 2 ;; *) die "unknown option $1" ;; esac; done
need npm tar brotli python3 sha256sum
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is required (Debian package 'time')"
build_rcollect
DL=$WORK/downloads; mkdir -p "$DL"
OUT=$WORK/deltas; rm -rf "$OUT"; mkdir -p "$OUT"
TIME_OUT=$(mktemp); trap 'rm -f "$TIME_OUT"' EXIT

# name@version sha256
PACKAGES=(
  "jquery@3.7.1 68a9f787516da47c680e09c187bcbac4536b6f85d90eb882844e12919e583f53"
  "jquery@3.6.4 5da5b59c2862bc7b860249d509397d452cf0d4a098d9a01b09d8e78e145efd86"
  "bootstrap@5.3.8 8b02d4a7482e0f0a2b1da58f1c9c86830e96cc2f77f094f89e4681b19886bc38"
  "bootstrap@5.2.3 60afd8571df30c32c5dd89146c000bc82c28885015d55bfc0b0fe56c03b41a9d"
  "codemirror@5.65.18 775b7a711166c3f39899e56179a7fc8b5b755c3a043ee973c54ae5838023400f"
  "codemirror@5.64.0 64ae07cd9b726c3b234c166850c18a9aa9843f526b12251419ef695fca0a53ba"
)
# logical path <- package-relative path, per package name
FILES=(
  "jquery jquery/jquery.js dist/jquery.js"
  "bootstrap bootstrap/bootstrap.css dist/css/bootstrap.css"
  "bootstrap bootstrap/bootstrap.bundle.js dist/js/bootstrap.bundle.js"
  "codemirror codemirror/codemirror.js lib/codemirror.js"
)
for entry in "${PACKAGES[@]}"; do
  read -r spec sha <<<"$entry"
  d=$DL/npm-$spec; mkdir -p "$d"
  tgz=$(ls "$d"/*.tgz 2>/dev/null | head -1 || true)
  [[ -n $tgz ]] || { (cd "$d" && npm pack -s "$spec" >/dev/null); tgz=$(ls "$d"/*.tgz | head -1); }
  [[ $(sha256sum "$tgz" | cut -d' ' -f1) == "$sha" ]] || die "sha256 mismatch: $tgz"
  mkdir -p "$OUT/pkg/$spec"; tar -xzf "$tgz" -C "$OUT/pkg/$spec"
done
ver() { case $1 in jquery) echo "$2" | sed 's/new/3.7.1/;s/old/3.6.4/' ;; bootstrap) echo "$2" | sed 's/new/5.3.8/;s/old/5.2.3/' ;; codemirror) echo "$2" | sed 's/new/5.65.18/;s/old/5.64.0/' ;; esac; }
place() {  # place SRC_DIR old|new|edited
  local src=$1 which=$2 pkg logical rel v
  for f in "${FILES[@]}"; do
    read -r pkg logical rel <<<"$f"
    v=$(ver "$pkg" "${which/edited/new}")
    mkdir -p "$(dirname "$src/$logical")"
    cp "$OUT/pkg/$pkg@$v/package/$rel" "$src/$logical"
    if [[ $which == edited ]]; then
      n=$(wc -l <"$src/$logical")
      sed -i "$((n / 2))a /* one more line: rcollect bench */" "$src/$logical"
    fi
  done
}
collect_pair() {  # collect_pair DIR FIRST SECOND DICTIONARIES -> prints the second collect's wall seconds
  local dir=$1 first=$2 second=$3 n=$4
  rm -rf "$dir"; mkdir -p "$dir/src"
  printf 'static_root = "root"\ndirs = ["src"]\nmissing_references = "warn"   # the bundles name source maps we leave out\n[compress]\ndeltas = %s\n' "$n" >"$dir/rcollect.toml"
  place "$dir/src" "$first"
  (cd "$dir" && "$RCOLLECT_BIN" collectstatic --no-input -q --no-cache) || die "collect failed in $dir"
  sleep 0.01
  place "$dir/src" "$second"
  wait_quiet
  (cd "$dir" && /usr/bin/time -f '%e' -o "$TIME_OUT" "$RCOLLECT_BIN" collectstatic --no-input -q --no-cache) || die "collect failed in $dir"
  cat "$TIME_OUT"
}
declare -A WITH WITHOUT BR
for change in one-line minor; do
  case $change in one-line) first=new second=edited ;; minor) first=old second=new ;; esac
  for ((r = 1; r <= RUNS; r++)); do
    log "$change run $r/$RUNS"
    WITHOUT[$change]="${WITHOUT[$change]:-} $(collect_pair "$OUT/$change-0" "$first" "$second" 0)"
    WITH[$change]="${WITH[$change]:-} $(collect_pair "$OUT/$change-2" "$first" "$second" 2)"
    # The brotli floor for the changed files.
    rm -rf "$OUT/floor"; mkdir -p "$OUT/floor"; place "$OUT/floor" "$second"
    wait_quiet
    /usr/bin/time -f '%e' -o "$TIME_OUT" bash -c 'cd "$1" && find . -type f -print0 | xargs -0 -P "$(nproc)" -n 1 brotli -q 11 -w 22 -f -k' _ "$OUT/floor"
    BR[$change]="${BR[$change]:-} $(cat "$TIME_OUT")"
  done
done

printf '\n| change | file | br bytes | dcb bytes | dcz bytes | best delta / br |\n|---|---|---:|---:|---:|---:|\n'
for change in one-line minor; do
  python3 - "$OUT/$change-2/root/staticfiles.json" "$change" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for logical, hashed in sorted(m["paths"].items()):
    f = m["files"][hashed]
    br = f.get("variants", {}).get("br")
    deltas = list(f.get("deltas", {}).values())
    enc = deltas[0]["encodings"] if deltas else {}
    dcb, dcz = enc.get("dcb"), enc.get("dcz")
    best = min([x for x in (dcb, dcz) if x is not None], default=None)
    pct = f"{100 * best / br:.2f} %" if best is not None and br else "—"
    print(f"| {sys.argv[2]} | {logical} | {br} | {dcb if dcb is not None else '—'} | {dcz if dcz is not None else '—'} | {pct} |")
PY
done
printf '\nsecond collect, --no-cache, median of %s runs (s)\n\n| change | dictionaries = 0 | dictionaries = 2 | extra | brotli CLI on the changed files | extra / brotli |\n|---|---:|---:|---:|---:|---:|\n' "$RUNS"
for change in one-line minor; do
  # shellcheck disable=SC2086
  w0=$(median ${WITHOUT[$change]}) w2=$(median ${WITH[$change]}) b=$(median ${BR[$change]})
  extra=$(awk -v a="$w2" -v b="$w0" 'BEGIN { printf "%.3f", a - b }')
  printf '| %s | %s | %s | %s | %s | %s |\n' "$change" "$w0" "$w2" "$extra" "$b" "$(ratio "$extra" "$b")"
done
