#!/usr/bin/env bash
# bench/serve.sh STATIC_ROOT [-n RUNS] [-d DURATION] [-c CONNECTIONS] [-w WORKERS]
#
# Serves a STATIC_ROOT collected by rcollect from several servers on 127.0.0.1
# and loads each with `wrk -t1 -c32 -H 'Accept-Encoding: br, gzip'`, runs
# interleaved round-robin:
#   rcollect     `rcollect serve --root STATIC_ROOT` (the tower middleware)
#   hyper-floor  crates/tower-rcollect/examples/hyper_floor.rs: bare hyper answering from prepared
#                in-memory responses with the same headers (the floor)
#   nginx        if installed: gzip_static + brotli_static (if the module is
#                installed), immutable caching, 2 workers, tcp_nopush on
# Cases: small-css (admin/css/rtl.css), medium-js (admin/js/vendor/jquery/jquery.js),
# revalidate (small-css with If-None-Match: <the server's ETag>, 304) and
# missing (404). Prints median req/s [range], p50/p99 latency, the ratio to
# the floor and the load generator's own CPU use (wrk at ~100% means the
# client, not the server, is the limit), plus each server's RSS at the end.
# -w sets `--workers` of rcollect and the floor (default: their default, the
# number of CPUs).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,16p' "$0"; exit 2; }
ROOT=$(cd "$1" && pwd); shift
RUNS=3 DUR=10s CONNS=32 WORKERS=()
while (($#)); do case $1 in -n) RUNS=$2; shift 2 ;; -d) DUR=$2; shift 2 ;; -c) CONNS=$2; shift 2 ;; -w) WORKERS=(--workers "$2"); shift 2 ;; *) die "unknown option $1" ;; esac; done
need wrk curl python3
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is required (Debian package 'time')"
build_rcollect
TMP=$(mktemp -d); PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

url_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/staticfiles.json"))["paths"][sys.argv[2]])' "$ROOT" "$1"; }
SMALL=/static/$(url_of admin/css/rtl.css)
MEDIUM=/static/$(url_of admin/js/vendor/jquery/jquery.js)
MISSING=/static/does/not/exist.9f86d081884c.css

declare -A PORT PID
start() {  # start NAME PORT CMD...
  local name=$1 port=$2; shift 2
  "$@" >"$TMP/$name.log" 2>&1 &
  PID[$name]=$!; PIDS+=("$!"); PORT[$name]=$port
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0; sleep 0.1; done
  die "$name did not start: $(cat "$TMP/$name.log")"
}
SERVERS=(rcollect hyper-floor)
start rcollect 8301 "$RCOLLECT_BIN" serve --root "$ROOT" --addr 127.0.0.1:8301 "${WORKERS[@]}"
start hyper-floor 8302 "$HYPER_FLOOR_BIN" --root "$ROOT" --addr 127.0.0.1:8302 "${WORKERS[@]}"
if command -v nginx >/dev/null; then
  brotli_mod=""; [[ -f /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ]] && brotli_mod="load_module /usr/lib/nginx/modules/ngx_http_brotli_static_module.so;"
  cat >"$TMP/nginx.conf" <<NGX
$brotli_mod
worker_processes 2; daemon off; pid $TMP/nginx.pid; error_log $TMP/nginx.err;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types; access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $TMP; proxy_temp_path $TMP; fastcgi_temp_path $TMP; uwsgi_temp_path $TMP; scgi_temp_path $TMP;
  server {
    listen 127.0.0.1:8303;
    location /static/ {
      alias $ROOT/; gzip_static on; gzip_vary on; $([[ -n $brotli_mod ]] && echo "brotli_static on;")
      location ~ "\\.[0-9a-f]{12}\\.[^/]+\$" { add_header Cache-Control "public, max-age=31536000, immutable"; }
    }
  }
}
NGX
  start nginx 8303 nginx -c "$TMP/nginx.conf"
  SERVERS+=(nginx)
fi

declare -A RPS P50 P99 WRKCPU
load() {  # load SERVER CASE -> appends results
  local s=$1 c=$2 url hdr=() out etag
  case $c in
    small-css | revalidate) url=$SMALL ;;
    medium-js) url=$MEDIUM ;;
    missing) url=$MISSING ;;
  esac
  if [[ $c == revalidate ]]; then
    etag=$(curl -sI -H 'Accept-Encoding: br, gzip' "http://127.0.0.1:${PORT[$s]}$url" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
    hdr=(-H "If-None-Match: $etag")
  fi
  wrk -t1 -c"$CONNS" -d2s -H 'Accept-Encoding: br, gzip' "${hdr[@]}" "http://127.0.0.1:${PORT[$s]}$url" >/dev/null
  out=$({ /usr/bin/time -f 'wrk-cpu %P' wrk -t1 -c"$CONNS" -d"$DUR" --latency -H 'Accept-Encoding: br, gzip' "${hdr[@]}" "http://127.0.0.1:${PORT[$s]}$url"; } 2>&1)
  WRKCPU[$s,$c]="${WRKCPU[$s,$c]:-} $(awk '$1=="wrk-cpu" {sub(/%/,"",$2); print $2}' <<<"$out")"
  RPS[$s,$c]="${RPS[$s,$c]:-} $(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  P50[$s,$c]="${P50[$s,$c]:-} $(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)"
  P99[$s,$c]="${P99[$s,$c]:-} $(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)"
}
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v*=1000 }; printf "%.3f\n", v }'; }

CASES=(small-css medium-js revalidate missing)
for s in "${SERVERS[@]}"; do
  for c in "${CASES[@]}"; do
    u=$SMALL; [[ $c == medium-js ]] && u=$MEDIUM; [[ $c == missing ]] && u=$MISSING
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: br, gzip' "http://127.0.0.1:${PORT[$s]}$u")
    log "$s $c: HTTP $code"
  done
done
for ((i = 1; i <= RUNS; i++)); do
  for c in "${CASES[@]}"; do
    for s in "${SERVERS[@]}"; do wait_quiet; log "run $i/$RUNS $c $s"; load "$s" "$c"; done
  done
done

printf '\nwrk -t1 -c%s -d%s, Accept-Encoding: br, gzip; %s runs interleaved; median [range]\n\n' "$CONNS" "$DUR" "$RUNS"
printf '| server | case | req/s | range | p50 ms | p99 ms | vs floor | wrk CPU %% |\n|---|---|---:|---|---:|---:|---:|---:|\n'
for c in "${CASES[@]}"; do
  # shellcheck disable=SC2086
  floor=$(median ${RPS[hyper-floor,$c]})
  for s in "${SERVERS[@]}"; do
    # shellcheck disable=SC2086
    m=$(median ${RPS[$s,$c]})
    # shellcheck disable=SC2086
    printf '| %s | %s | %.0f | %s | %s | %s | %s | %s |\n' "$s" "$c" "$m" "$(spread ${RPS[$s,$c]})" "$(median ${P50[$s,$c]})" "$(median ${P99[$s,$c]})" "$(ratio "$m" "$floor")" "$(median ${WRKCPU[$s,$c]})"
  done
done
printf '\n| server | RSS MB |\n|---|---:|\n'
for s in "${SERVERS[@]}"; do
  rss=0
  if [[ $s == nginx ]]; then
    rss=$(ps -o rss= --ppid "$(cat "$TMP/nginx.pid" 2>/dev/null || echo 1)" | awk -v m="$(ps -o rss= -p "$(cat "$TMP/nginx.pid" 2>/dev/null || echo 1)")" '{s+=$1} END {printf "%.1f", (s+m)/1024}')
  else
    rss=$(awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/${PID[$s]}/status")
  fi
  printf '| %s | %s |\n' "$s" "$rss"
done
