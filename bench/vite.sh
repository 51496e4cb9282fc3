#!/usr/bin/env bash
# bench/vite.sh
#
# What a returning visitor downloads after a one-line change in a real Vite
# frontend: bench/vite-app (CodeMirror 6; Vite 8 pinned by its
# package-lock.json). scripts/bundlers.sh builds v1 and v2; v2 changes one
# line of app code (`return "v1"` -> `"v2"`) that lands in the ~510 kB entry
# chunk, and both JS chunks get new Vite names (each names the other). The
# same is measured on fixtures/bundlers (small chunks, a shared chunk and
# the preload list of Vite's dynamic imports; v2 changes the shared chunk).
# Three scenarios per app, each with a fresh Chromium profile:
#   deltas      rcollect, default config: the Vite build collected as it is
#               (`.vite/manifest.json` detected), the page's tags by
#               vite_entry() (examples/vite_tags.rs); the changed chunks go
#               out as dcb/dcz deltas against their v1
#   br          the same with `[serve] dictionaries = false`: plain br
#   whitenoise  what a Vite build cost before rcollect knew bundlers: a copy
#               of dist/vite without `.vite/`, hashed again and rewritten
#               like any static file (main-XXXX.<12 hex>.js), the page's
#               tags written by hand from staticfiles.json `paths`
# Each scenario: collect v1, the visitor loads the v1 page and waits 2 s (for
# Chromium to store the dictionaries it was offered) and leaves; v2 is
# collected into the same STATIC_ROOT and the server restarted; the same
# profile (v1's files in its HTTP cache) loads the v2 page. The page is
# `rcollect serve`'s `root_dir` index.html (`[serve] index`, `max_age = 0`,
# so the returning visitor revalidates it and gets v2; this also applies to
# unhashed names under /static/, which the default 60 s would have let
# expire anyway). A relay in front of the server (bench/relay.py) logs each
# response as it passed on the socket (head bytes, body bytes,
# Content-Encoding); the page dumps Chromium's resource timing into the DOM
# (--dump-dom). Requests "to the server" are those the relay saw, i.e. all
# not served from Chromium's cache. Reported per app: the v2 load's requests
# and bytes (bodies, heads, the page), the bytes sent for each changed file
# against its br variant, files fetched more than once or under two URLs,
# and whether the page ran (its report names v2). Bytes do not depend on the
# machine's speed; one run is enough (the builds are reproducible).
# Run it under `nice -n 10` on a shared machine (it builds rcollect).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -eq 0 ]] || { sed -n '2,37p' "$0"; exit 2; }
CHROMIUM=${RCOLLECT_CHROMIUM:-chromium}
need python3 node npm "$CHROMIUM"
build_rcollect
(cd "$BENCH_ROOT_DIR" && cargo build --release --locked -p tower-rcollect --example vite_tags >&2)
TAGS_BIN=$BENCH_ROOT_DIR/target/release/examples/vite_tags
APP=$BENCH_ROOT_DIR/bench/vite-app
log "building bench/vite-app and fixtures/bundlers, v1 and v2 (scripts/bundlers.sh)"
"$BENCH_ROOT_DIR/scripts/bundlers.sh" --project "$APP" >/dev/null
"$BENCH_ROOT_DIR/scripts/bundlers.sh" >/dev/null
V1=$APP/dist/vite V2=$APP/build/v2/dist/vite FIX=$BENCH_ROOT_DIR/fixtures/bundlers
OUT=$WORK/vite; rm -rf "$OUT"; mkdir -p "$OUT"

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
}
trap cleanup EXIT

# Three free ports: relay (the origin the browser sees), server, /wait.
read -r RELAY_PORT SERVER_PORT WAIT_PORT < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)

# The relay (bench/relay.py) counts the bytes of each response as sent and
# answers GET /wait after 2 s (the v1 page waits on it so that Chromium has
# time to store its dictionaries).

# The page: the entry's tags, a script that waits for the app (it sets
# <body data-ok>), then (v1 only) for /wait, and dumps resource timing.
write_page() {  # write_page DIR TAGS_FILE WAIT(0|1)
  local dir=$1 tags=$2 wait=$3 then=""
  ((wait)) && then="await fetch('http://127.0.0.1:$WAIT_PORT/wait', {mode: 'no-cors'});"
  mkdir -p "$dir/www"
  {
    printf '<!doctype html><html><head><meta charset=utf-8><link rel=icon href="data:,">\n'
    cat "$tags"
    cat <<JS
<script type=module>
const wait = () => document.body.dataset.ok ? Promise.resolve() : new Promise(r => setTimeout(() => wait().then(r), 20));
await wait();
$then
const seen = performance.getEntriesByType('resource').map(e => ({path: new URL(e.name).pathname, transfer: e.transferSize,
  encoded: e.encodedBodySize, decoded: e.decodedBodySize, status: e.responseStatus, delivery: e.deliveryType}));
const nav = performance.getEntriesByType('navigation')[0];
seen.unshift({path: '/', transfer: nav.transferSize, encoded: nav.encodedBodySize, decoded: nav.decodedBodySize,
  status: nav.responseStatus, delivery: nav.deliveryType});
const pre = document.createElement('pre'); pre.id = 'resources';
pre.textContent = JSON.stringify(seen); document.body.append(pre);
</script></head><body><div id="out">not run</div></body></html>
JS
  } >"$dir/www/index.html"
}

# The page's tags. deltas/br: vite_entry(). whitenoise: by hand from
# `paths` (Vite's manifest is not there); no integrity, as Django's
# {% static %} writes them.
tags_of() {  # tags_of SCENARIO DIR > tags
  local scenario=$1 dir=$2
  if [[ $scenario == whitenoise ]]; then
    python3 - "$dir/root/staticfiles.json" "$dir/src" <<'PY'
import json, os, sys
paths = json.load(open(sys.argv[1]))["paths"]
assets = sorted(os.listdir(os.path.join(sys.argv[2], "assets")))
css = [a for a in assets if a.startswith("main-") and a.endswith(".css")]
js = [a for a in assets if a.startswith("main-") and a.endswith(".js")]
assert len(css) == 1 and len(js) == 1, (css, js)
print(f'<link rel="stylesheet" href="/static/{paths["assets/" + css[0]]}">')
print(f'<script type="module" src="/static/{paths["assets/" + js[0]]}"></script>')
PY
  else
    "$TAGS_BIN" "$dir/root" src/main.ts
  fi
}

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
}

# Serve DIR (its rcollect.toml) behind the relay, run one visit, stop both.
serve_visit() {  # serve_visit DIR PROFILE TAG
  local dir=$1 profile=$2 tag=$3 spid rpid i
  (cd "$dir" && exec "$RCOLLECT_BIN" serve --addr "127.0.0.1:$SERVER_PORT") >"$dir/serve-$tag.log" 2>&1 & spid=$!
  PIDS+=("$spid")
  python3 "$BENCH_ROOT_DIR/bench/relay.py" "$RELAY_PORT" "$SERVER_PORT" "$WAIT_PORT" "$dir/relay-$tag.jsonl" >"$dir/relay-$tag.out" 2>&1 & rpid=$!
  PIDS+=("$rpid")
  for ((i = 0; i < 100; i++)); do
    grep -q relaying "$dir/relay-$tag.out" 2>/dev/null && grep -q serving "$dir/serve-$tag.log" 2>/dev/null && break
    sleep 0.1
  done
  ((i < 100)) || die "server or relay did not start ($dir)"
  visit "$profile" "http://127.0.0.1:$RELAY_PORT/" "$dir/dom-$tag.html"
  kill "$spid" "$rpid" 2>/dev/null || true
  wait "$spid" "$rpid" 2>/dev/null || true
  PIDS=()
}

place() {  # place SRC_DIR DIST SCENARIO: the build as a deploy puts it in the source dir
  rm -rf "$1"; cp -R "$2" "$1"
  [[ $3 == whitenoise ]] && rm -rf "$1/.vite"
  return 0
}

# app name, its v1 and v2 builds, the v2 page's report starts with
for app in "vite-app $V1 $V2 release v2:" "fixture $FIX/dist/vite $FIX/build/v2/dist/vite shared=v2 "; do
  read -r name v1 v2 _ <<<"$app"
  for scenario in deltas br whitenoise; do
    dir=$OUT/$name/$scenario
    mkdir -p "$dir"
    {
      printf 'static_root = "root"\ndirs = ["src"]\nroot_dir = "www"\n\n[serve]\nindex = true\n'
      printf '# the page (www/index.html) is revalidated: the returning visitor gets v2\nmax_age = 0\n'
      [[ $scenario == br ]] && printf 'dictionaries = false\n'
    } >"$dir/rcollect.toml"
    log "$name $scenario: v1"
    place "$dir/src" "$v1" "$scenario"
    (cd "$dir" && "$RCOLLECT_BIN" collectstatic --no-input -q --no-cache) || die "collect v1 failed ($dir)"
    cp "$dir/root/staticfiles.json" "$dir/staticfiles-v1.json"
    tags_of "$scenario" "$dir" >"$dir/tags-v1.html"
    write_page "$dir" "$dir/tags-v1.html" 1
    serve_visit "$dir" "$dir/profile" v1
    log "$name $scenario: v2 (returning visitor)"
    sleep 0.05
    place "$dir/src" "$v2" "$scenario"
    (cd "$dir" && "$RCOLLECT_BIN" collectstatic --no-input -q --no-cache) || die "collect v2 failed ($dir)"
    tags_of "$scenario" "$dir" >"$dir/tags-v2.html"
    write_page "$dir" "$dir/tags-v2.html" 0
    serve_visit "$dir" "$dir/profile" v2
  done
done

python3 - "$OUT" <<'PY'
import html, json, os, re, sys
out = sys.argv[1]
apps = {"vite-app": ("release v1:", "release v2:"), "fixture": ("shared=v1 ", "shared=v2 ")}
scenarios = ["deltas", "br", "whitenoise"]

def relay(d, tag):
    return [json.loads(l) for l in open(os.path.join(d, f"relay-{tag}.jsonl")) if l.strip()]

def dom(d, tag):
    text = open(os.path.join(d, f"dom-{tag}.html")).read()
    ran = re.search(r'<div id="out">([^<]*)</div>', text)
    ok = re.search(r'<body[^>]*data-ok="1"', text) is not None
    res = re.search(r'<pre id="resources">(.*?)</pre>', text, re.S)
    return (ran.group(1) if ran else "not run"), ok, (json.loads(html.unescape(res.group(1))) if res else [])

def logical_of(manifest):
    """URL path -> logical path (hashed names and the unhashed copies)."""
    m = {}
    for logical, hashed in manifest["paths"].items():
        m["/static/" + hashed] = logical
        m["/static/" + logical] = logical
    return m

def row(cells):
    print("| " + " | ".join(str(c) for c in cells) + " |")

notes = []
for app, (want1, want2) in apps.items():
    rows, chunk_rows = [], []
    for s in scenarios:
        d = os.path.join(out, app, s)
        v2m = json.load(open(os.path.join(d, "root", "staticfiles.json")))
        v1m = json.load(open(os.path.join(d, "staticfiles-v1.json")))
        lg = logical_of(v1m) | logical_of(v2m)
        ran1, ok1, _ = dom(d, "v1")
        ran2, ok2, res2 = dom(d, "v2")
        r1, r2 = relay(d, "v1"), relay(d, "v2")
        v1_statics = [r for r in r1 if r.get("path", "").startswith("/static/")]
        for tag, log in (("v1", r1), ("v2", r2)):
            seen = {}
            for r in log:
                if r.get("path", "").startswith("/static/"):
                    seen.setdefault(lg.get(r["path"], r["path"]), []).append(r["path"])
            for logical, urls in sorted(seen.items()):
                if len(urls) > 1:
                    notes.append(f"{app} {s} {tag}: {logical} fetched {len(urls)} times: {', '.join(urls)}")
            odd = [f'{r["path"]} {r["status"]}' for r in log if "status" in r and r["status"] not in (200, 304)]
            if odd:
                notes.append(f"{app} {s} {tag}: " + ", ".join(odd))
            if any(r.get("incomplete") for r in log):
                notes.append(f"{app} {s} {tag}: a response was cut short (relay log)")
        entry = next((r for r in v1_statics if r["path"].endswith(".js")), None)
        if entry:
            notes.append(f'{app} {s}: v1\'s {entry["path"]} offered as a dictionary: {entry["dictionary"] or "no"}')
        v1_urls = {r["path"] for r in r1}
        statics = [r for r in r2 if r.get("path", "").startswith("/static/")]
        page = [r for r in r2 if r.get("path") == "/"]
        other = [r for r in r2 if "path" in r and not r["path"].startswith("/static/") and r["path"] != "/"]
        body = sum(r["body"] for r in statics)
        heads = sum(r["head"] for r in statics)
        page_bytes = sum(r["head"] + r["body"] for r in page)
        timing = sum(e["transfer"] for e in res2 if e["path"].startswith("/static/"))
        cached = [e for e in res2 if e["path"].startswith("/static/") and e["transfer"] == 0]
        changed = {}
        for r in statics:
            if r["path"] not in v1_urls:
                changed.setdefault(lg.get(r["path"], r["path"]), []).append(r)
        ran = ("v2 ran" if ran2.startswith(want2) and ok2 else f"NOT RUN: {ran2!r}")
        if not (ran1.startswith(want1) and ok1):
            notes.append(f"{app} {s} v1: the page did not run: {ran1!r}")
        rows.append((s, ran, len(statics), f"{len(changed)} / {sum(len(v) for v in changed.values())}",
                     len(cached), body, heads, page_bytes, body + heads + page_bytes, timing,
                     sum(r["body"] for r in v1_statics)))
        for logical, reqs in sorted(changed.items()):
            name = v2m["paths"].get(logical, logical)
            f = v2m["files"].get(name, {})
            br = f.get("variants", {}).get("br")
            enc = next(iter(f.get("deltas", {}).values()), {}).get("encodings", {})
            sent = sum(r["body"] for r in reqs)
            chunk_rows.append((s, name, br if br is not None else "—", enc.get("dcb", "—"), enc.get("dcz", "—"),
                               "+".join(r["encoding"] or "identity" for r in reqs), sent,
                               f"{100 * sent / br:.3f} %" if br else "—", len(reqs),
                               "yes" if all(r["available_dictionary"] for r in reqs) else "no"))
    print(f"\n{app}: the returning visitor's v2 load (bytes as the relay passed them on)\n")
    print("| scenario | page | static requests | changed files / their requests | static from cache | static body bytes | static head bytes | page `/` bytes | total bytes | resource timing transferSize (static) | v1 visit: static body bytes |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        row(r)
    by = {r[0]: r for r in rows}
    if by["br"][5]:
        print(f"\nstatic body bytes, deltas / br: {100 * by['deltas'][5] / by['br'][5]:.3f} %; "
              f"with heads and the page: {100 * by['deltas'][8] / by['br'][8]:.2f} %; "
              f"whitenoise / br: {100 * by['whitenoise'][5] / by['br'][5]:.1f} %")
    print(f"\n{app}: per changed file (v2 names)\n")
    print("| scenario | file | br bytes | dcb | dcz | sent as | sent bytes | sent / br | requests | Available-Dictionary |")
    print("|---|---|---:|---:|---:|---|---:|---:|---:|---|")
    for r in chunk_rows:
        row(r)
print()
for n in notes:
    print("note:", n)
print(f"\nlogs: {out}/<app>/<scenario>/relay-v1.jsonl, relay-v2.jsonl, dom-v1.html, dom-v2.html")
PY
