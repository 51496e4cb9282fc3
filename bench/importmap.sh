#!/usr/bin/env bash
# bench/importmap.sh CORPUS [-n RUNS]
#
# Import-map linking against today's rewriting (`[js] linking`), on the
# corpus's CodeMirror 5 ES-module graph (vendor/codemirror/src/codemirror.js
# and the 62 modules it imports), after a one-line edit of a leaf module
# (a comment appended to vendor/codemirror/src/util/misc.js). For each mode:
#   renamed   collect v1, then v2 (the edited copy of the sources) into the
#             same STATIC_ROOT (v1's manifest stays in its history, served):
#             the page's modules (the 63 of the first visit) and the files
#             under vendor/codemirror/src whose hashed name changed
#   visitor   headless Chromium, one persistent profile, two launches: the
#             page of v1 (served by examples/returning_visitor.rs from the
#             v1 STATIC_ROOT), then, after the v2 collect and a server
#             restart, the page of v2. The page is `no-cache`, the hashed
#             files immutable. Counted at the server: the static requests of
#             the second visit and their body bytes as sent, once with
#             `[serve] dictionaries` on (the default: RFC 9842 deltas, dcb/dcz)
#             and once, on a second profile, with it off (br alone)
#   map       the inline import map of the page (`files.importmap()`): its
#             JSON and that JSON brotli'd (q 11), sent inside every HTML page
#   collect   cold collect of the corpus (fresh STATIC_ROOT, --no-cache),
#             median of RUNS (default 3; 0: not measured), the modes interleaved
# The page creates a CodeMirror editor and writes its version into the DOM;
# every visit is checked. Server logs, maps, pages and manifests are kept in
# $WORK/importmap-out.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,26p' "$0"; exit 2; }
CORPUS=$(cd "$1" && pwd); shift
RUNS=3
while (($#)); do case $1 in -n) RUNS=$2; shift 2 ;; *) die "unknown option $1" ;; esac; done
CHROMIUM=${RCOLLECT_CHROMIUM:-chromium}
need curl python3 brotli pgrep "$CHROMIUM"
build_rcollect
(cd "$BENCH_ROOT_DIR" && cargo build --release --locked -p tower-rcollect --example returning_visitor >&2)
BIN=$BENCH_ROOT_DIR/target/release/examples/returning_visitor
CM=vendor/codemirror/src ENTRY=vendor/codemirror/src/codemirror.js LEAF=vendor/codemirror/src/util/misc.js
[[ -f $CORPUS/src/vendor/$ENTRY ]] || die "no $ENTRY in $CORPUS (bench/corpus.sh builds it)"

TMP=$(mktemp -d) SPID= CPID= OUT=$WORK/importmap-out
rm -rf "$OUT"; mkdir -p "$OUT"
cleanup() {
  [[ -n $SPID ]] && kill "$SPID" 2>/dev/null
  [[ -n $CPID ]] && kill -KILL -- "-$CPID" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# v2: a copy of the vendor sources, one comment line appended to the leaf.
cp -a "$CORPUS/src/vendor" "$TMP/vendor-v2"
printf '// one more line\n' >>"$TMP/vendor-v2/$LEAF"
for mode in rewrite importmap; do printf '[js]\nlinking = "%s"\n' "$mode" >"$TMP/$mode.toml"; done

collect() { # collect MODE ROOT VENDOR_DIR [FLAGS...]
  "$RCOLLECT_BIN" collectstatic --config "$TMP/$1.toml" --no-input -q --root "$2" \
    --dir "$CORPUS/src/admin" --dir "$3" --dir "$CORPUS/src/app" "${@:4}"
}
# One origin for every visit: Chromium's HTTP cache and its dictionaries are
# keyed by it, port included.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
serve() { # serve ROOT FLAGS...: sets SPID and URL
  "$BIN" --root "$1" --entry "$ENTRY" --addr "127.0.0.1:$PORT" "${@:2}" >"$TMP/addr" 2>"$TMP/serve.err" & SPID=$!
  URL=
  for _ in $(seq 200); do
    URL=$(sed -n 's/^listening on \(http:[^ ]*\)/\1/p' "$TMP/addr" 2>/dev/null)
    [[ -n $URL ]] && return 0
    kill -0 "$SPID" 2>/dev/null || die "server: $(cat "$TMP/serve.err")"
    sleep 0.05
  done
  die "server did not start"
}
stop_server() { kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; SPID=; }
visit() { # visit PROFILE URL DOM_OUT: one Chromium launch, its process group stopped after
  setsid "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --disable-dev-shm-usage \
    --disable-quic --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$1" --virtual-time-budget=30000 --dump-dom "$2" >"$3" 2>/dev/null & CPID=$!
  local i
  for ((i = 0; i < 1200; i++)); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$CPID" 2>/dev/null || true
  wait "$CPID" 2>/dev/null || true
  kill -TERM -- "-$CPID" 2>/dev/null || true  # helpers left behind (normally none)
  for ((i = 0; i < 50; i++)); do pgrep -g "$CPID" >/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$CPID" 2>/dev/null || true
  CPID=
  grep -q '<div id="out">CodeMirror 5' "$3" || die "the page did not run ($2, $1): $(grep -o '<div id="out">[^<]*</div>' "$3" || echo 'no output')"
}

for mode in rewrite importmap; do
  root=$WORK/importmap-$mode-root
  rm -rf "$root"
  mflag=(); [[ $mode == importmap ]] && mflag=(--importmap)
  log "$mode: collect v1"
  collect "$mode" "$root" "$CORPUS/src/vendor" --cache-dir "$TMP/cache"
  cp "$root/staticfiles.json" "$OUT/$mode-v1.json"
  for dict in on off; do
    dflag=(); [[ $dict == off ]] && dflag=(--no-dictionaries)
    serve "$root" "${mflag[@]}" "${dflag[@]}"
    log "$mode, dictionaries $dict: first visit"
    visit "$TMP/profile-$mode-$dict" "${URL}page" "$OUT/dom-$mode-$dict-1.html"
    curl -sf "${URL}report" >"$OUT/report-$mode-$dict-1.txt"
    stop_server
  done
  log "$mode: collect v2"
  collect "$mode" "$root" "$TMP/vendor-v2" --cache-dir "$TMP/cache"
  cp "$root/staticfiles.json" "$OUT/$mode-v2.json"
  for dict in on off; do
    dflag=(); [[ $dict == off ]] && dflag=(--no-dictionaries)
    serve "$root" "${mflag[@]}" "${dflag[@]}"
    log "$mode, dictionaries $dict: second visit"
    visit "$TMP/profile-$mode-$dict" "${URL}page" "$OUT/dom-$mode-$dict-2.html"
    curl -sf "${URL}report" >"$OUT/report-$mode-$dict-2.txt"
    curl -sf "${URL}map" >"$OUT/map-$mode.json"
    curl -sf "${URL}page" >"$OUT/page-$mode.html"
    stop_server
  done
  brotli -q 11 -c "$OUT/map-$mode.json" | wc -c >"$OUT/map-$mode.br"
done

# The part of the map this page's graph needs (the modules of the first
# visit), for comparison: the map covers every module in STATIC_ROOT.
python3 - "$OUT" <<'PY'
import json, sys
tmp = sys.argv[1]
m = json.load(open(f"{tmp}/map-importmap.json"))
seen = {l.split()[0] for l in open(f"{tmp}/report-importmap-on-2.txt")} | {l.split()[0] for l in open(f"{tmp}/report-importmap-on-1.txt")}
graph = {k: v for k, v in m["imports"].items() if v in seen}
sub = {"imports": graph, "integrity": {v: m["integrity"][v] for v in graph.values()}}
open(f"{tmp}/map-graph.json", "w").write(json.dumps(sub, separators=(",", ":")))
PY
brotli -q 11 -c "$OUT/map-graph.json" | wc -c >"$OUT/map-graph.br"

# Cold collect time, interleaved.
if ((RUNS > 0)); then wait_quiet; fi
declare -A T
for ((r = 1; r <= RUNS; r++)); do
  for mode in rewrite importmap; do
    rm -rf "$TMP/time-root"
    t0=$(date +%s.%N)
    collect "$mode" "$TMP/time-root" "$CORPUS/src/vendor" --no-cache
    t1=$(date +%s.%N)
    T[$mode]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') "
    log "$mode: cold collect $r: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f s", b-a}')"
  done
done
for mode in rewrite importmap; do
  # shellcheck disable=SC2086
  if ((RUNS > 0)); then printf '%s %s %s\n' "$mode" "$(median ${T[$mode]})" "$(spread ${T[$mode]})"; else echo "$mode - -"; fi >>"$OUT/times.txt"
done

python3 - "$OUT" "$CM/" "$LEAF" <<'PY'
import json, sys
tmp, cm, leaf = sys.argv[1], sys.argv[2], sys.argv[3]
times = {l.split()[0]: l.split()[1:] for l in open(f"{tmp}/times.txt")}

def report(name):
    rows = []
    for line in open(f"{tmp}/report-{name}.txt"):
        path, status, enc, size, dictionary = line.split()
        rows.append((path, int(status), enc, int(size), dictionary == "1"))
    return rows

def statics(rows):
    return [r for r in rows if r[0].startswith("/static/")]

problems, out = [], []
res = {}
for mode in ("rewrite", "importmap"):
    v1, v2 = (json.load(open(f"{tmp}/{mode}-v{i}.json")) for i in (1, 2))
    hashed = {"/static/" + h for m in (v1, v2) for h in m["files"]}
    renamed = sorted(l for l, h in v2["paths"].items() if l.startswith(cm) and v1["paths"].get(l) != h)
    modules = [l for l in v1["paths"] if l.startswith(cm) and l.endswith(".js")]
    leaf_hashed = v2["paths"][leaf]
    leaf_meta = v2["files"][leaf_hashed]
    leaf_br = leaf_meta.get("variants", {}).get("br", leaf_meta["size"])
    map_raw = map_br = 0
    if mode == "importmap":
        map_raw = len(open(f"{tmp}/map-importmap.json", "rb").read())
        map_br = int(open(f"{tmp}/map-importmap.br").read())
        page = open(f"{tmp}/page-importmap.html").read()
        if json.load(open(f"{tmp}/map-importmap.json")) is None or open(f"{tmp}/map-importmap.json").read() not in page:
            problems.append("importmap: the page does not inline /map")
    first = statics(report(f"{mode}-on-1"))
    logical1 = {"/static/" + h: l for l, h in v1["paths"].items()}
    graph = {logical1[r[0]] for r in first if r[0] in logical1}
    for r in first:
        if r[0] not in hashed:
            problems.append(f"{mode}: first visit fetched an unhashed URL {r[0]}")
        if r[1] != 200:
            problems.append(f"{mode}: first visit {r[0]} answered {r[1]}")
    res[mode] = dict(renamed=renamed, modules=len(modules), graph=len(graph),
                     renamed_graph=sorted(graph & set(renamed)), first=len(first), leaf_br=leaf_br,
                     leaf=leaf_hashed, map_raw=map_raw, map_br=map_br)
    for dict_ in ("on", "off"):
        second = statics(report(f"{mode}-{dict_}-2"))
        for r in second:
            if r[0] not in hashed:
                problems.append(f"{mode}: second visit fetched an unhashed URL {r[0]}")
        encs = {}
        for r in second:
            encs[r[2]] = encs.get(r[2], 0) + 1
        # What br alone would have cost for the same files (manifest br sizes).
        br_alone = 0
        for r in second:
            meta = v2["files"].get(r[0][len("/static/"):])
            if meta:
                br_alone += meta.get("variants", {}).get("br", meta["size"])
        res[mode][dict_] = dict(requests=len(second), bytes=sum(r[3] for r in second), encs=encs,
                                br_alone=br_alone, paths=[r[0] for r in second],
                                with_dict=sum(r[4] for r in second))

rw, im = res["rewrite"], res["importmap"]
budget = 1.1 * (im["leaf_br"] + im["map_br"])
print(f"\nleaf {leaf}: v2 {im['leaf']}, br {im['leaf_br']} B; modules under {cm}: {im['modules']}")
print(f"budget (goal 2): 1.1 x ({im['leaf_br']} + {im['map_br']}) = {budget:.0f} B\n")
print("| | rewrite | importmap | goal |\n|---|---:|---:|---|")
print(f"| modules of the page renamed by the edit (of {im['graph']}) | {len(rw['renamed_graph'])} | {len(im['renamed_graph'])} | 1 |")
print(f"| files renamed under {cm} (of {im['modules']}) | {len(rw['renamed'])} | {len(im['renamed'])} | |")
print(f"| first visit: static requests | {rw['first']} | {im['first']} | |")
for dict_, label in (("on", "dictionaries on (default)"), ("off", "dictionaries off")):
    a, b = rw[dict_], im[dict_]
    enc = lambda e: ", ".join(f"{n} {k}" for k, n in sorted(e.items()))
    print(f"| second visit, {label}: static requests | {a['requests']} | {b['requests']} | 1 |")
    print(f"| second visit, {label}: body bytes ({enc(a['encs'])} / {enc(b['encs'])}) | {a['bytes']} | {b['bytes']} | |")
    ta, tb = a["bytes"] + rw["map_br"], b["bytes"] + im["map_br"]
    print(f"| second visit, {label}: + map (br) | {ta} | {tb} | ≤ {budget:.0f} |")
    print(f"| ... / (leaf br + map br) | {ta / (im['leaf_br'] + im['map_br']):.2f} | {tb / (im['leaf_br'] + im['map_br']):.2f} | ≤ 1.1 |")
print(f"| second visit: br alone for the same files (manifest) | {rw['on']['br_alone']} | {im['on']['br_alone']} | |")
print(f"| import map per page: JSON / br (q 11) | - | {im['map_raw']} / {im['map_br']} | |")
graph_raw = len(open(f"{tmp}/map-graph.json", "rb").read())
graph_br = int(open(f"{tmp}/map-graph.br").read())
nmap = len(json.load(open(f"{tmp}/map-importmap.json"))["imports"])
ngraph = len(json.load(open(f"{tmp}/map-graph.json"))["imports"])
print(f"| the map's part for this graph ({ngraph} of {nmap} modules): JSON / br | - | {graph_raw} / {graph_br} | |")
print(f"| cold collect, --no-cache, median (min-max) s | {times['rewrite'][0]} ({times['rewrite'][1]}) | {times['importmap'][0]} ({times['importmap'][1]}) | |")
print()
for mode in ("rewrite", "importmap"):
    print(f"{mode}: second visit fetched (dictionaries on): {' '.join(res[mode]['on']['paths'][:5])}{' ...' if len(res[mode]['on']['paths']) > 5 else ''}"
          f"; requests carrying Available-Dictionary: {res[mode]['on']['with_dict']}")
print("importmap renamed:", " ".join(im["renamed"]))
for p in problems:
    print("PROBLEM:", p)
PY
echo "STATIC_ROOTs: $WORK/importmap-rewrite-root, $WORK/importmap-importmap-root"
