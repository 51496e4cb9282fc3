#!/usr/bin/env bash
# bench/preload.sh CORPUS [--entry LOGICAL] [--step-ms MS]
#
# Request waterfall depth of a page that imports the corpus's CodeMirror 5
# ES-module entry (vendor/codemirror/src/codemirror.js: 67 modules, imported
# level by level), in headless Chromium, without and with the `Link`
# preload header from the manifest's reference graph. The page is served by
# crates/tower-rcollect/examples/waterfall.rs, which delays every static
# response by --step-ms (default 300) so that each discovery level arrives
# one step after the one before. Two depths per mode:
#   issued   levels of the times Chromium created the requests (its NetLog,
#            URL_REQUEST_START_JOB): the discovery waterfall, what preload removes
#   arrived  levels of the times the requests reached the server: over HTTP/1.1
#            Chromium opens 6 connections per host, so 63 files each held for one
#            step need ~11 steps whatever the discovery (HTTP/2 would not)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,10p' "$0"; exit 2; }
CORPUS=$(cd "$1" && pwd); shift
ENTRY=vendor/codemirror/src/codemirror.js STEP=300
while (($#)); do case $1 in --entry) ENTRY=$2; shift 2 ;; --step-ms) STEP=$2; shift 2 ;; *) die "unknown option $1" ;; esac; done
CHROMIUM=${RCOLLECT_CHROMIUM:-chromium}
need curl "$CHROMIUM"
build_rcollect
(cd "$BENCH_ROOT_DIR" && cargo build --release --locked -p tower-rcollect --example waterfall >&2)
BIN=$BENCH_ROOT_DIR/target/release/examples/waterfall
ROOT=$WORK/preload-root
rm -rf "$ROOT"
"$RCOLLECT_BIN" collectstatic --no-input -q --root "$ROOT" --dir "$CORPUS/src/admin" --dir "$CORPUS/src/vendor" --dir "$CORPUS/src/app"
TMP=$(mktemp -d); PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
for mode in none preload; do
  flag=(); [[ $mode == preload ]] && flag=(--preload)
  "$BIN" --root "$ROOT" --entry "$ENTRY" --step-ms "$STEP" "${flag[@]}" >"$TMP/addr" 2>"$TMP/err" & PID=$!
  for _ in $(seq 100); do grep -q listening "$TMP/addr" 2>/dev/null && break; sleep 0.05; done
  url=$(sed -n 's/^listening on \(http:[^ ]*\)/\1/p' "$TMP/addr")
  t0=$(date +%s.%N)
  dom=$(timeout 120 setsid "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --disable-dev-shm-usage --disable-quic --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$TMP/profile-$mode" --log-net-log="$TMP/net-$mode.json" \
    --virtual-time-budget=60000 --dump-dom "${url}page" 2>/dev/null || true)
  t1=$(date +%s.%N)
  report=$(curl -s "${url}report")
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
  ran=$(grep -o '<div id="out">[^<]*</div>' <<<"$dom" || echo "not run")
  issued=$(python3 - "$TMP/net-$mode.json" "$STEP" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = {v: k for k, v in d["constants"]["logEventTypes"].items()}
first = {}
for e in d["events"]:
    if names.get(e["type"]) == "URL_REQUEST_START_JOB":
        url = e.get("params", {}).get("url", "")
        first.setdefault(url, int(e["time"]))
page = [t for u, t in first.items() if u.endswith("/page")]
statics = [t for u, t in first.items() if "/static/" in u]
if not page or not statics:
    print("issued_requests=0 issued_depth=0")
else:
    step = int(sys.argv[2])
    depth = max((t - page[0]) // step + 1 for t in statics)
    print(f"issued_requests={len(statics)} issued_depth={depth}")
PY
)
  printf '%s: %s; arrived: %s; page: %s; chromium %.1f s\n' "$mode" "$issued" "$(head -1 <<<"$report")" "$ran" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')"
  echo "$report" >"$WORK/preload-$mode.log"
done
echo "request logs: $WORK/preload-none.log, $WORK/preload-preload.log"
