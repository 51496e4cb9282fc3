#!/usr/bin/env bash
# bench/h2.sh STATIC_ROOT [-n RUNS] [-d DURATION] [-c CONNECTIONS] [-m STREAMS] [-w WORKERS]
#
# HTTPS with HTTP/2: `rcollect serve --tls-cert --tls-key` against nginx
# (`listen … ssl http2`, gzip_static + brotli_static when the module is
# installed, immutable caching, 2 workers) on the same certificate (a P-256
# ECDSA one made here with openssl), the same STATIC_ROOT and the same cases
# as bench/serve.sh: small-css (admin/css/rtl.css), medium-js
# (admin/js/vendor/jquery/jquery.js), revalidate (small-css with
# If-None-Match: <the server's ETag>, 304) and missing (404). Load:
# `h2load -t1 -cC -mM -D DURATION -H 'accept-encoding: br, gzip'` (a warm-up
# of 2 s first), runs interleaved round-robin. For each run it also reads
# the server's CPU time (utime+stime from /proc, summed over nginx's master
# and workers) before and after, and divides by the requests that
# were done: CPU microseconds per request. Prints median req/s [range],
# CPU µs/request, the ratios rcollect/nginx, the TLS cipher and h2load's
# own CPU use (at ~100% the client is the limit).
# Needs h2load (Debian: nghttp2-client), openssl, nginx (Debian: nginx,
# libnginx-mod-http-brotli-static), curl, python3.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,19p' "$0"; exit 2; }
ROOT=$(cd "$1" && pwd); shift
RUNS=3 DUR=10s CONNS=32 STREAMS=8 WORKERS=()
while (($#)); do case $1 in -n) RUNS=$2; shift 2 ;; -d) DUR=$2; shift 2 ;; -c) CONNS=$2; shift 2 ;; -m) STREAMS=$2; shift 2 ;; -w) WORKERS=(--workers "$2"); shift 2 ;; *) die "unknown option $1" ;; esac; done
need h2load openssl nginx curl python3
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is required (Debian package 'time')"
build_rcollect
TMP=$(mktemp -d); PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null

url_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/staticfiles.json"))["paths"][sys.argv[2]])' "$ROOT" "$1"; }
SMALL=/static/$(url_of admin/css/rtl.css)
MEDIUM=/static/$(url_of admin/js/vendor/jquery/jquery.js)
MISSING=/static/does/not/exist.9f86d081884c.css

declare -A PORT PID
start() {  # start NAME PORT CMD...
  local name=$1 port=$2; shift 2
  "$@" >"$TMP/$name.log" 2>&1 &
  PID[$name]=$!; PIDS+=("$!"); PORT[$name]=$port
  for _ in $(seq 50); do curl -sk -o /dev/null "https://127.0.0.1:$port/" && return 0; sleep 0.1; done
  die "$name did not start: $(cat "$TMP/$name.log")"
}
start rcollect 8401 "$RCOLLECT_BIN" serve --root "$ROOT" --addr 127.0.0.1:8401 \
  --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" "${WORKERS[@]}"
brotli_mod=""; [[ -f /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ]] && brotli_mod="load_module /usr/lib/nginx/modules/ngx_http_brotli_static_module.so;"
cat >"$TMP/nginx.conf" <<NGX
$brotli_mod
worker_processes 2; daemon off; pid $TMP/nginx.pid; error_log $TMP/nginx.err;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types; access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $TMP; proxy_temp_path $TMP; fastcgi_temp_path $TMP; uwsgi_temp_path $TMP; scgi_temp_path $TMP;
  server {
    listen 127.0.0.1:8403 ssl http2;
    ssl_certificate $TMP/cert.pem; ssl_certificate_key $TMP/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location /static/ {
      alias $ROOT/; gzip_static on; gzip_vary on; $([[ -n $brotli_mod ]] && echo "brotli_static on;")
      location ~ "\\.[0-9a-f]{12}\\.[^/]+\$" { add_header Cache-Control "public, max-age=31536000, immutable"; }
    }
  }
}
NGX
start nginx 8403 nginx -c "$TMP/nginx.conf"
SERVERS=(rcollect nginx)

# CPU ticks (utime+stime) of a server: the process, or nginx's master and workers.
cpu_ticks() {
  local pids=${PID[$1]}
  if [[ $1 == nginx ]]; then pids="$(cat "$TMP/nginx.pid") $(ps -o pid= --ppid "$(cat "$TMP/nginx.pid")")"; fi
  local p t=0
  for p in $pids; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$t"
}
HZ=$(getconf CLK_TCK)

declare -A RPS CPU H2CPU CIPHER
load() {  # load SERVER CASE -> appends results
  local s=$1 c=$2 url hdr=() out etag before after ok other
  case $c in
    small-css | revalidate) url=$SMALL ;;
    medium-js) url=$MEDIUM ;;
    missing) url=$MISSING ;;
  esac
  if [[ $c == revalidate ]]; then
    etag=$(curl -sk --http2 -o /dev/null -D - -H 'Accept-Encoding: br, gzip' "https://127.0.0.1:${PORT[$s]}$url" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
    hdr=(-H "if-none-match: $etag")
  fi
  h2load -t1 -c"$CONNS" -m"$STREAMS" -D 2 -H 'accept-encoding: br, gzip' "${hdr[@]}" "https://127.0.0.1:${PORT[$s]}$url" >/dev/null
  before=$(cpu_ticks "$s")
  out=$({ /usr/bin/time -f 'h2load-cpu %P' h2load -t1 -c"$CONNS" -m"$STREAMS" -D "${DUR%s}" -H 'accept-encoding: br, gzip' "${hdr[@]}" "https://127.0.0.1:${PORT[$s]}$url"; } 2>&1)
  after=$(cpu_ticks "$s")
  # Requests done, and no status other than the case's (4xx for missing).
  ok=$(awk '/^requests:/ {print $6}' <<<"$out")
  other=$(awk -v c="$c" '/^status codes:/ {print (c == "missing") ? $3 + $5 + $9 : $7 + $9}' <<<"$out")
  [[ -n $ok && $ok -gt 0 && $other == 0 ]] || die "$s $c: unexpected statuses: $out"
  RPS[$s,$c]="${RPS[$s,$c]:-} $(awk '/^finished in/ {print $4}' <<<"$out")"
  CPU[$s,$c]="${CPU[$s,$c]:-} $(awk -v t=$((after - before)) -v hz="$HZ" -v n="$ok" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')"
  H2CPU[$s,$c]="${H2CPU[$s,$c]:-} $(awk '$1=="h2load-cpu" {sub(/%/,"",$2); print $2}' <<<"$out")"
  CIPHER[$s]=$(awk '/^Cipher:/ {print $2}' <<<"$out")
}

CASES=(small-css medium-js revalidate missing)
for s in "${SERVERS[@]}"; do
  for c in "${CASES[@]}"; do
    u=$SMALL; [[ $c == medium-js ]] && u=$MEDIUM; [[ $c == missing ]] && u=$MISSING
    code=$(curl -sk --http2 -o /dev/null -w '%{http_version} %{http_code}' -H 'Accept-Encoding: br, gzip' "https://127.0.0.1:${PORT[$s]}$u")
    log "$s $c: HTTP/$code"
  done
done
for ((i = 1; i <= RUNS; i++)); do
  for c in "${CASES[@]}"; do
    for s in "${SERVERS[@]}"; do wait_quiet; log "run $i/$RUNS $c $s"; load "$s" "$c"; done
  done
done

printf '\nh2load -t1 -c%s -m%s -D %s over TLS (%s / %s), accept-encoding: br, gzip; %s runs interleaved; median [range]\n\n' \
  "$CONNS" "$STREAMS" "$DUR" "${CIPHER[rcollect]:-?}" "${CIPHER[nginx]:-?}" "$RUNS"
printf '| case | server | req/s | range | server CPU µs/req | h2load CPU %% | req/s vs nginx | CPU/req vs nginx |\n|---|---|---:|---|---:|---:|---:|---:|\n'
for c in "${CASES[@]}"; do
  # shellcheck disable=SC2086
  nrps=$(median ${RPS[nginx,$c]}); ncpu=$(median ${CPU[nginx,$c]})
  for s in "${SERVERS[@]}"; do
    # shellcheck disable=SC2086
    m=$(median ${RPS[$s,$c]}); cpu=$(median ${CPU[$s,$c]})
    # shellcheck disable=SC2086
    printf '| %s | %s | %.0f | %s | %s | %s | %s | %s |\n' "$c" "$s" "$m" "$(spread ${RPS[$s,$c]})" "$cpu" "$(median ${H2CPU[$s,$c]})" "$(ratio "$m" "$nrps")" "$(ratio "$cpu" "$ncpu")"
  done
done
