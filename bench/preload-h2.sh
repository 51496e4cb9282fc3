#!/usr/bin/env bash
# bench/preload-h2.sh CORPUS [--step-ms MS] [--big-cap BYTES]
#
# The request waterfall of bench/preload.sh, served by `rcollect serve` over
# TLS, HTTP/2 and HTTP/1.1, in headless Chromium: a collected page
# (page.html, made here) whose module (page.js) imports the corpus's
# CodeMirror 5 ES-module entry (vendor/codemirror/src/codemirror.js: 62 more
# modules, imported level by level). collect records page.html → page.js →
# codemirror.js → … in the reference graph; serve sends the page's preloads
# as a `103 Early Hints` (HTTP/2) and a `Link` header.
#
# `rcollect serve` cannot hold its responses like examples/waterfall.rs
# does, and this machine's kernel has no netem, so a TCP relay in front of
# it (Python, below; TLS passes through it untouched) delays every byte
# from the server to the browser by --step-ms (default 300): a one-way
# latency, one round trip per discovery level. Bytes to the server are not
# delayed, so the time Chromium sent a request (its NetLog) is when it
# reached the server. Modes, each with a fresh profile:
#   h2-none      HTTP/2, --link-max-bytes 0 (no 103, no Link)
#   h2-capped    HTTP/2, the default cap (link_max_bytes = 3072)
#   h2-full      HTTP/2, --link-max-bytes --big-cap (default 16384: every module)
#   h1-none      HTTP/1.1 (Chromium --disable-http2), no hints
#   h1-full      HTTP/1.1, the Link header with every module
# Two depths per mode, in round trips after the page's request (1: sent as
# soon as the page's response or its 103 arrived):
#   issued   levels of the times Chromium created the requests (URL_REQUEST_START_JOB)
#   sent     levels of the times the requests went on the wire (HTTP/2 HEADERS
#            frames, HTTP/1.1 request lines): when they reached the server
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,29p' "$0"; exit 2; }
CORPUS=$(cd "$1" && pwd); shift
STEP=300 BIG=16384
while (($#)); do case $1 in --step-ms) STEP=$2; shift 2 ;; --big-cap) BIG=$2; shift 2 ;; *) die "unknown option $1" ;; esac; done
CHROMIUM=${RCOLLECT_CHROMIUM:-chromium}
need curl openssl python3 "$CHROMIUM"
build_rcollect
TMP=$(mktemp -d); PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

# The page and its module, collected with the corpus.
mkdir -p "$TMP/page"
cat >"$TMP/page/page.html" <<'HTML'
<!doctype html><html><head><meta charset=utf-8>
<script type=module src="page.js"></script></head>
<body><div id=out>not run</div></body></html>
HTML
cat >"$TMP/page/page.js" <<'JS'
import * as m from "/static/vendor/codemirror/src/codemirror.js";
document.getElementById("out").textContent = "loaded " + Object.keys(m).length;
JS
ROOT=$WORK/preload-h2-root
rm -rf "$ROOT"
"$RCOLLECT_BIN" collectstatic --no-input -q --no-cache --root "$ROOT" --dir "$CORPUS/src/admin" \
  --dir "$CORPUS/src/vendor" --dir "$CORPUS/src/app" --dir "$TMP/page"
PAGE=/static/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/staticfiles.json"))["paths"]["page.html"])' "$ROOT")

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
SPKI=$(openssl x509 -in "$TMP/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)

# The relay: LISTEN -> TARGET, server-to-client bytes delayed by DELAY ms.
cat >"$TMP/relay.py" <<'PY'
import asyncio, socket, sys, time
LISTEN, TARGET, DELAY = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000

async def pump(reader, writer, delay):
    queue = asyncio.Queue()
    async def forward():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except OSError:
            pass
    task = asyncio.create_task(forward())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((time.monotonic() + delay, data))
    except OSError:
        pass
    queue.put_nowait((time.monotonic() + delay, None))
    await task

async def handle(client_r, client_w):
    server_r, server_w = await asyncio.open_connection("127.0.0.1", TARGET)
    for w in (client_w, server_w):
        w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    await asyncio.gather(pump(client_r, server_w, 0), pump(server_r, client_w, DELAY), return_exceptions=True)
    for w in (client_w, server_w):
        w.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN)
    print("relaying", flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
PY

# Levels from a NetLog: (issued, sent) depth and the number of static requests.
cat >"$TMP/levels.py" <<'PY'
import json, sys
log, page, step = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
issued, sent = {}, {}
for e in log["events"]:
    name, p, t = names.get(e["type"]), e.get("params", {}), int(e["time"])
    if name == "URL_REQUEST_START_JOB" and "url" in p:
        path = "/" + p["url"].split("/", 3)[-1]
        issued.setdefault(path, t)
    elif name == "HTTP2_SESSION_SEND_HEADERS":
        path = next((h[7:] for h in p.get("headers", []) if h.startswith(":path: ")), None)
        if path:
            sent.setdefault(path, t)
    elif name == "HTTP_TRANSACTION_SEND_REQUEST_HEADERS" and "line" in p:
        parts = p["line"].split(" ")
        if len(parts) > 1:
            sent.setdefault(parts[1], t)
def depth(times):
    if page not in times:
        return 0, 0
    statics = [t for u, t in times.items() if u.startswith("/static/") and u != page]
    return max(((t - times[page]) // step for t in statics), default=0), len(statics)
(i, n_i), (s, n_s) = depth(issued), depth(sent)
print(f"issued {i} sent {s} requests {n_s}")
PY

run_mode() {  # run_mode NAME FLAGS... ; prints one table row
  local mode=$1 http=$2 cap=$3 port=8601 relay=8602 out chrome_flags=()
  "$RCOLLECT_BIN" serve --root "$ROOT" --addr 127.0.0.1:$port --tls-cert "$TMP/cert.pem" \
    --tls-key "$TMP/key.pem" --link-max-bytes "$cap" >"$TMP/serve-$mode.log" 2>&1 & local spid=$!
  PIDS+=("$spid")
  python3 "$TMP/relay.py" $relay $port "$STEP" >"$TMP/relay-$mode.log" 2>&1 & local rpid=$!
  PIDS+=("$rpid")
  for _ in $(seq 100); do grep -q relaying "$TMP/relay-$mode.log" 2>/dev/null && curl -sk -o /dev/null "https://127.0.0.1:$port/" && break; sleep 0.05; done
  [[ $http == h1 ]] && chrome_flags=(--disable-http2)
  local t0 t1 dom
  t0=$(date +%s.%N)
  dom=$(timeout 180 setsid "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --disable-dev-shm-usage \
    --disable-quic --disable-background-networking --disable-component-update --disable-sync \
    --ignore-certificate-errors-spki-list="$SPKI" --host-resolver-rules="MAP localhost 127.0.0.1" "${chrome_flags[@]}" \
    --user-data-dir="$TMP/profile-$mode" --log-net-log="$TMP/net-$mode.json" \
    --virtual-time-budget=60000 --dump-dom "https://localhost:$relay$PAGE" 2>/dev/null || true)
  t1=$(date +%s.%N)
  kill "$spid" "$rpid" 2>/dev/null || true; wait "$spid" "$rpid" 2>/dev/null || true
  out=$(python3 "$TMP/levels.py" "$TMP/net-$mode.json" "$PAGE" "$STEP")
  printf '| %s | %s | %s | %s | %s | %.1f |\n' "$mode" "$(awk '{print $2}' <<<"$out")" "$(awk '{print $4}' <<<"$out")" \
    "$(awk '{print $6}' <<<"$out")" "$(grep -o '<div id="out">[^<]*</div>' <<<"$dom" | sed 's/<[^>]*>//g' || echo "not run")" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')"
}

printf '\nstep %s ms (server-to-browser delay), page %s\n\n' "$STEP" "$PAGE"
printf '| mode | issued depth | sent depth | static requests | page | chromium s |\n|---|---:|---:|---:|---|---:|\n'
run_mode h2-none h2 0
run_mode h2-capped h2 3072
run_mode h2-full h2 "$BIG"
run_mode h1-none h1 0
run_mode h1-full h1 "$BIG"
