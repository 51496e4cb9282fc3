#!/usr/bin/env bash
# bench/importmap.sh CORPUS [-n RUNS]
#
# Import-map linking (`[js] linking = "importmap"`) against rewriting (the
# default), on the corpus's CodeMirror 5 ES-module sources
# (vendor/codemirror/src: codemirror.js and the modules it imports), after a
# one-line edit of a leaf module (a comment appended to
# vendor/codemirror/src/util/misc.js). CORPUS is built by bench/corpus.sh.
# Two STATIC_ROOTs per mode:
#   corpus      the whole corpus (admin, vendor, app): the map holds every
#               JS file collected (~860), as a site's map would
#   codemirror  vendor/codemirror/src alone (without src/addon): the map
#               holds the page's graph and nothing else
# For each, collect v1, then v2 (a copy of the sources with the edit) into
# the same STATIC_ROOT, and report the files under vendor/codemirror/src
# whose hashed name changed.
# A returning visitor in headless Chromium: one profile, two launches. The
# page (examples/returning_visitor.rs, `no-cache`, br-encoded at quality 5)
# imports the entry by its hashed URL and runs an editor; with importmap
# linking its <head> starts with `files.importmap()`. Visit 1: the v1 page
# (then the page waits 2 s on the relay so that Chromium stores the
# dictionaries it was offered); v2 is collected, the server restarted;
# visit 2: the v2 page with the HTTP cache warm. A relay in front of the
# server (bench/relay.py) counts each response's head and body bytes as they
# went on the socket. Each visit twice, on two profiles: `[serve]
# dictionaries` on (the default: RFC 9842 deltas, dcb/dcz) and off (br).
# The map per page: its JSON as the page inlines it, and that brotli'd
# (q 11 and q 5). Collect time (corpus STATIC_ROOT, median of RUNS,
# default 3, modes interleaved; 0: not measured): cold (fresh STATIC_ROOT,
# --no-cache) and after the edit (v2 into v1's STATIC_ROOT with v1's cache).
# Logs, pages, maps and manifests are kept in $WORK/importmap.
# Run it under `nice -n 10` on a shared machine (it builds rcollect).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,30p' "$0"; exit 2; }
CORPUS=$(cd "$1" && pwd); shift
RUNS=3
while (($#)); do case $1 in -n) RUNS=$2; shift 2 ;; *) die "unknown option $1" ;; esac; done
CHROMIUM=${RCOLLECT_CHROMIUM:-chromium}
need python3 brotli curl pgrep setsid timeout "$CHROMIUM"
build_rcollect
(cd "$BENCH_ROOT_DIR" && cargo build --release --locked -p tower-rcollect --example returning_visitor >&2)
BIN=$BENCH_ROOT_DIR/target/release/examples/returning_visitor
ENTRY=vendor/codemirror/src/codemirror.js LEAF=vendor/codemirror/src/util/misc.js
[[ -f $CORPUS/src/vendor/$ENTRY ]] || die "no $ENTRY in $CORPUS/src/vendor (bench/corpus.sh builds it)"
OUT=$WORK/importmap; rm -rf "$OUT"; mkdir -p "$OUT"
TMP=$(mktemp -d)

# Process ids (groups for Chromium) this script started; stopped on exit.
PIDS=() GROUPS_=()
stop_group() {  # stop_group PGID: TERM, then KILL what is left of the group
  local g=$1 i
  kill -TERM -- "-$g" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do pgrep -g "$g" >/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$g" 2>/dev/null || true
}
cleanup() {
  local p
  for p in "${GROUPS_[@]}"; do stop_group "$p"; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# Sources: v1 and v2 (one comment line appended to the leaf), for each scope.
mkdir -p "$TMP/cm-v1/vendor/codemirror"
cp -a "$CORPUS/src/vendor/vendor/codemirror/src" "$TMP/cm-v1/vendor/codemirror/src"
# src/addon/runmode (not in the page's graph) imports from outside src/.
rm -rf "$TMP/cm-v1/vendor/codemirror/src/addon"
cp -a "$TMP/cm-v1" "$TMP/cm-v2"
cp -a "$CORPUS/src/vendor" "$TMP/vendor-v2"
printf '// one more line\n' | tee -a "$TMP/cm-v2/$LEAF" >>"$TMP/vendor-v2/$LEAF"
for mode in rewrite importmap; do printf '[js]\nlinking = "%s"\n' "$mode" >"$TMP/$mode.toml"; done

collect() {  # collect SCOPE MODE VERSION ROOT [FLAGS...]
  local dirs
  if [[ $1 == codemirror ]]; then
    dirs=(--dir "$TMP/cm-$3")
  else
    local vendor=$CORPUS/src/vendor
    [[ $3 == v2 ]] && vendor=$TMP/vendor-v2
    dirs=(--dir "$CORPUS/src/admin" --dir "$vendor" --dir "$CORPUS/src/app")
  fi
  "$RCOLLECT_BIN" collectstatic --config "$TMP/$2.toml" --no-input -q --root "$4" "${dirs[@]}" "${@:5}"
}

# Three free ports: the relay (the origin Chromium sees, the same for every
# visit: its HTTP cache and dictionaries are keyed by it), the server, /wait.
read -r RELAY_PORT SERVER_PORT WAIT_PORT < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)

# One Chromium visit with PROFILE; the DOM goes to OUT_FILE. Chromium runs
# in its own session (setsid: its pid is its process group), is stopped
# whole afterwards, and killed if it takes over 120 s.
visit() {  # visit PROFILE URL OUT_FILE
  local profile=$1 url=$2 out=$3 pid
  setsid timeout -k 5 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --disable-dev-shm-usage \
    --disable-quic --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --virtual-time-budget=30000 --dump-dom "$url" >"$out" 2>"$out.err" &
  pid=$!
  GROUPS_+=("$pid")
  wait "$pid" || log "warning: chromium exited with $? ($out.err)"
  stop_group "$pid"
  GROUPS_=()
  grep -q '<div id="out">CodeMirror 5' "$out" ||
    die "the page did not run ($out): $(grep -o '<div id="out">[^<]*</div>' "$out" || echo 'no output')"
}

# Serve ROOT behind the relay, run one visit, stop both.
serve_visit() {  # serve_visit ROOT PROFILE TAG FLAGS...
  local root=$1 profile=$2 tag=$3 spid rpid i
  "$BIN" --root "$root" --entry "$ENTRY" --addr "127.0.0.1:$SERVER_PORT" "${@:4}" >"$OUT/serve-$tag.log" 2>&1 & spid=$!
  PIDS+=("$spid")
  python3 "$BENCH_ROOT_DIR/bench/relay.py" "$RELAY_PORT" "$SERVER_PORT" "$WAIT_PORT" "$OUT/relay-$tag.jsonl" >"$OUT/relay-$tag.out" 2>&1 & rpid=$!
  PIDS+=("$rpid")
  for ((i = 0; i < 100; i++)); do
    grep -q relaying "$OUT/relay-$tag.out" 2>/dev/null && grep -q listening "$OUT/serve-$tag.log" 2>/dev/null && break
    sleep 0.1
  done
  ((i < 100)) || die "server or relay did not start ($tag: $(cat "$OUT/serve-$tag.log"))"
  visit "$profile" "http://127.0.0.1:$RELAY_PORT/page" "$OUT/dom-$tag.html"
  if [[ $tag == *-2 ]]; then  # straight from the server, past the relay's count
    curl -sf "http://127.0.0.1:$SERVER_PORT/map" >"$OUT/map-${tag%-*-2}.json"
    curl -sf "http://127.0.0.1:$SERVER_PORT/page" >"$OUT/page-${tag%-2}.html"
  fi
  kill "$spid" "$rpid" 2>/dev/null || true
  wait "$spid" "$rpid" 2>/dev/null || true
  PIDS=()
}

for scope in corpus codemirror; do
  for mode in rewrite importmap; do
    root=$OUT/root-$scope-$mode
    mflag=(); [[ $mode == importmap ]] && mflag=(--importmap)
    log "$scope $mode: collect v1"
    collect "$scope" "$mode" v1 "$root" --no-cache
    cp "$root/staticfiles.json" "$OUT/manifest-$scope-$mode-v1.json"
    for dict in on off; do
      dflag=(); [[ $dict == off ]] && dflag=(--no-dictionaries)
      log "$scope $mode, dictionaries $dict: first visit"
      serve_visit "$root" "$TMP/profile-$scope-$mode-$dict" "$scope-$mode-$dict-1" "${mflag[@]}" "${dflag[@]}" \
        --wait "http://127.0.0.1:$WAIT_PORT/wait"
    done
    log "$scope $mode: collect v2"
    collect "$scope" "$mode" v2 "$root" --no-cache
    cp "$root/staticfiles.json" "$OUT/manifest-$scope-$mode-v2.json"
    for dict in on off; do
      dflag=(); [[ $dict == off ]] && dflag=(--no-dictionaries)
      log "$scope $mode, dictionaries $dict: second visit"
      serve_visit "$root" "$TMP/profile-$scope-$mode-$dict" "$scope-$mode-$dict-2" "${mflag[@]}" "${dflag[@]}"
    done
  done
done

# Collect time on the corpus, the modes interleaved: cold, then after the
# edit (v1's STATIC_ROOT and cache restored, untimed, before each run).
: >"$OUT/times.txt"
if ((RUNS > 0)); then
  for mode in rewrite importmap; do
    rm -rf "$TMP/v1-$mode"
    collect corpus "$mode" v1 "$TMP/v1-$mode/root" --cache-dir "$TMP/v1-$mode/cache"
  done
  wait_quiet
  seconds() { local t0 t1; t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}'; }
  declare -A T
  for ((r = 1; r <= RUNS; r++)); do
    for mode in rewrite importmap; do
      rm -rf "$TMP/t"
      t=$(seconds collect corpus "$mode" v1 "$TMP/t/root" --no-cache)
      T[$mode-cold]+="$t "
      rm -rf "$TMP/t"; cp -a "$TMP/v1-$mode" "$TMP/t"
      u=$(seconds collect corpus "$mode" v2 "$TMP/t/root" --cache-dir "$TMP/t/cache")
      T[$mode-edit]+="$u "
      log "run $r, $mode: cold $t s, after the edit $u s"
    done
  done
  for k in rewrite-cold importmap-cold rewrite-edit importmap-edit; do
    # shellcheck disable=SC2086
    printf '%s %s %s\n' "$k" "$(median ${T[$k]})" "$(spread ${T[$k]})" >>"$OUT/times.txt"
  done
fi

python3 - "$OUT" "$LEAF" <<'PY'
import json, subprocess, sys
out, leaf = sys.argv[1], sys.argv[2]
cm = "vendor/codemirror/src/"
times = {l.split()[0]: l.split()[1:] for l in open(f"{out}/times.txt")}
problems = []

def relay(tag):
    return [json.loads(l) for l in open(f"{out}/relay-{tag}.jsonl") if l.strip()]

def br(data, q):
    return len(subprocess.run(["brotli", "-c", "-q", str(q)], input=data, capture_output=True, check=True).stdout)

def fmt(n):
    return f"{n:,}"

res = {}
for scope in ("corpus", "codemirror"):
    for mode in ("rewrite", "importmap"):
        v1, v2 = (json.load(open(f"{out}/manifest-{scope}-{mode}-{v}.json")) for v in ("v1", "v2"))
        hashed = {"/static/" + h for m in (v1, v2) for h in m["files"]}
        renamed = sorted(l for l, h in v2["paths"].items() if l.startswith(cm) and v1["paths"].get(l) != h)
        modules = [l for l in v1["paths"] if l.startswith(cm) and l.endswith(".js")]
        leaf_meta = v2["files"][v2["paths"][leaf]]
        leaf_br = leaf_meta.get("variants", {}).get("br", leaf_meta["size"])
        mapj = open(f"{out}/map-{scope}-{mode}.json", "rb").read()
        inlined = mode == "importmap"
        r = dict(renamed=renamed, modules=len(modules), leaf_br=leaf_br, leaf=v2["paths"][leaf],
                 map_raw=len(mapj) if inlined else 0, map_br=br(mapj, 11) if inlined else 0,
                 map_br5=br(mapj, 5) if inlined else 0,
                 map_entries=len(json.loads(mapj)["imports"]) if inlined else 0)
        logical1 = {"/static/" + h: l for l, h in v1["paths"].items()}
        for dict_ in ("on", "off"):
            for visit in (1, 2):
                tag = f"{scope}-{mode}-{dict_}-{visit}"
                log = relay(tag)
                page = [x for x in log if x.get("path", "").startswith("/page")]
                statics = [x for x in log if x.get("path", "").startswith("/static/")]
                other = [x for x in log if "path" in x and x not in page and x not in statics]
                for x in statics:
                    if x["path"] not in hashed:
                        problems.append(f"{tag}: an unhashed URL {x['path']}")
                    if x["status"] != 200:
                        problems.append(f"{tag}: {x['path']} answered {x['status']}")
                if any(x.get("incomplete") for x in log):
                    problems.append(f"{tag}: a response was cut short (relay log)")
                if len(page) != 1:
                    problems.append(f"{tag}: {len(page)} page requests")
                if visit == 2:
                    src = open(f"{out}/page-{scope}-{mode}-{dict_}.html").read()
                    if inlined != (f'<script type="importmap">{mapj.decode()}</script>' in src):
                        problems.append(f"{tag}: the page {'lacks' if inlined else 'holds'} the map")
                encs = {}
                for x in statics:
                    encs[x["encoding"] or "identity"] = encs.get(x["encoding"] or "identity", 0) + 1
                r[(dict_, visit)] = dict(
                    requests=len(statics), body=sum(x["body"] for x in statics), head=sum(x["head"] for x in statics),
                    page_body=sum(x["body"] for x in page), page_head=sum(x["head"] for x in page),
                    page_enc="+".join(x["encoding"] or "identity" for x in page), encs=encs,
                    with_dict=sum(x["available_dictionary"] for x in statics),
                    graph={logical1[x["path"]] for x in statics if x["path"] in logical1},
                    paths=[x["path"] for x in statics], other=len(other))
        res[scope, mode] = r

print()
for scope in ("corpus", "codemirror"):
    rw, im = res[scope, "rewrite"], res[scope, "importmap"]
    graph = im[("on", 1)]["graph"]
    budget = 1.1 * (im["leaf_br"] + im["map_br"])
    print(f"## STATIC_ROOT: {scope}; leaf {leaf} -> {im['leaf']} ({fmt(im['leaf_br'])} B br); "
          f"the page loads {len(graph)} modules; map: {im['map_entries']} entries")
    print()
    print("| | rewrite | importmap | goal (importmap) |\n|---|---:|---:|---|")
    print(f"| files renamed under `{cm}` (of {im['modules']} .js) | {len(rw['renamed'])} | {len(im['renamed'])} | 1 |")
    print(f"| first visit: static requests | {rw[('on', 1)]['requests']} | {im[('on', 1)]['requests']} | |")
    print(f"| first visit: page bytes (head + body, br) | {fmt(rw[('on', 1)]['page_head'] + rw[('on', 1)]['page_body'])} "
          f"| {fmt(im[('on', 1)]['page_head'] + im[('on', 1)]['page_body'])} | |")
    for dict_, label in (("on", "dictionaries on"), ("off", "dictionaries off")):
        a, b = rw[(dict_, 2)], im[(dict_, 2)]
        enc = lambda e: ", ".join(f"{n} {k}" for k, n in sorted(e.items())) or "none"
        print(f"| second visit, {label}: static requests (+ the page) | {a['requests']} | {b['requests']} | 1 |")
        print(f"| … static bodies ({enc(a['encs'])} / {enc(b['encs'])}) | {fmt(a['body'])} | {fmt(b['body'])} | |")
        print(f"| … page body (br) | {fmt(a['page_body'])} | {fmt(b['page_body'])} | |")
        ta, tb = a["body"] + a["page_body"], b["body"] + b["page_body"]
        print(f"| … **bodies, page included** | **{fmt(ta)}** | **{fmt(tb)}** | ≤ {fmt(round(budget))} |")
        print(f"| … / (leaf br + map br) | {ta / (im['leaf_br'] + im['map_br']):.2f} | {tb / (im['leaf_br'] + im['map_br']):.2f} | ≤ 1.1 |")
        print(f"| … heads (statics + page) | {fmt(a['head'] + a['page_head'])} | {fmt(b['head'] + b['page_head'])} | |")
        print(f"| … all bytes on the wire | {fmt(ta + a['head'] + a['page_head'])} | {fmt(tb + b['head'] + b['page_head'])} | |")
    print(f"| map per page: JSON / br q 11 / br q 5 (B) | — | {fmt(im['map_raw'])} / {fmt(im['map_br'])} / {fmt(im['map_br5'])} | |")
    print()
    for mode in ("rewrite", "importmap"):
        r = res[scope, mode]
        p = r[("on", 2)]["paths"]
        print(f"{scope} {mode}: second visit (dictionaries on) fetched {' '.join(p[:3])}{' …' if len(p) > 3 else ''}; "
              f"with Available-Dictionary: {r[('on', 2)]['with_dict']}; other requests: {r[('on', 2)]['other']}")
    print(f"{scope} importmap renamed: {' '.join(im['renamed'])}")
    print()
if times:
    print("collect, corpus STATIC_ROOT, median (min-max) s\n")
    print("| | rewrite | importmap |\n|---|---:|---:|")
    for k, label in (("cold", "cold (fresh STATIC_ROOT, --no-cache)"), ("edit", "after the edit (v2 into v1's root, v1's cache)")):
        print(f"| {label} | {times['rewrite-' + k][0]} ({times['rewrite-' + k][1]}) | {times['importmap-' + k][0]} ({times['importmap-' + k][1]}) |")
    print()
for p in problems:
    print("PROBLEM:", p)
print(f"logs: {out}/relay-<scope>-<mode>-<on|off>-<visit>.jsonl, dom-*.html, map-*.json, manifest-*.json")
PY
