#!/usr/bin/env bash
# bench/publish.sh SRC_DIR... 
#
# Times publishing to the S3-compatible server described by the AWS_*
# environment (start one with scripts/s3/swift.sh or scripts/s3/moto.sh and
# source DIR/env; RCOLLECT_TEST_S3_BUCKET names the bucket). Each SRC_DIR is a
# source dir (`--dir`). Runs, into a fresh prefix:
#   first      collect into a fresh staging dir and upload everything
#   no-op      fresh staging dir again (a new CI machine): nothing to upload
#   one-change one more CSS file in the first dir: only it goes up
# and prints wall time, peak RSS, objects uploaded/unchanged/HEAD-checked.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,12p' "$0"; exit 2; }
need python3 /usr/bin/time
[[ -n ${AWS_ENDPOINT_URL:-} && -n ${RCOLLECT_TEST_S3_BUCKET:-} ]] || die "source an env written by scripts/s3/*.sh first"
build_rcollect
DIRS=(); for d in "$@"; do DIRS+=(--dir "$(cd "$d" && pwd)"); done
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
PREFIX="s3://$RCOLLECT_TEST_S3_BUCKET/bench-$(date +%s)"
EXTRA="$(cd "$1" && pwd)/zz-bench-publish-extra.css"
trap 'rm -rf "$TMP" "$EXTRA"' EXIT
run() {  # run LABEL
  (cd "$TMP" && /usr/bin/time -f "%e %M" -o "$TMP/time" "$RCOLLECT_BIN" collectstatic --no-input -q \
    --root "$PREFIX" "${DIRS[@]}" --format json >"$TMP/out.json")
  read -r wall rss <"$TMP/time"
  python3 - "$1" "$wall" "$rss" "$TMP/out.json" <<'PY'
import json, sys
label, wall, rss, path = sys.argv[1:]
p = json.load(open(path))["publish"]
print(f"{label:<11} {float(wall):7.2f} s  rss {int(rss)//1024:4d} MB  objects {p['objects']}  "
      f"uploaded {p['uploaded']} ({p['uploaded_bytes']} bytes)  unchanged {p['unchanged']}  "
      f"HEAD-checked {p['checked']}  manifest {'replaced' if p['manifest_uploaded'] else 'unchanged'}")
PY
}
log "publishing to $PREFIX at $AWS_ENDPOINT_URL"
run first
rm -rf "$TMP/.rcollect-staging"
run no-op
printf '.bench-extra { color: red; }\n' >"$EXTRA"
run one-change
