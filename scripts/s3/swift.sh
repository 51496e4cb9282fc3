#!/usr/bin/env bash
# Start or stop a real S3-compatible store on 127.0.0.1 for the test suite:
# a single-node OpenStack Swift (Debian packages) with the s3api middleware.
#
#   scripts/s3/swift.sh start DIR   install Swift if missing, configure it under
#                                   DIR, start it, create the bucket, write DIR/env
#   scripts/s3/swift.sh stop DIR    kill every server started in DIR
#
# What `start` does:
#  1. If the Swift servers or the s3api middleware are missing, runs (as root)
#     `apt-get install -y --no-install-recommends swift swift-proxy
#     swift-account swift-container swift-object` (one `apt-get update` and a
#     retry if that fails). Skipped when everything is installed.
#  2. Swift reads /etc/swift/swift.conf (hash path salt, storage policies) from
#     that fixed path only. Debian's package ships one (suffix and prefix
#     "changeme", fine for a throwaway store); it is used as it is. Only if the
#     file is missing is one written, with a random swift_hash_path_suffix.
#     Nothing else goes to /etc/swift; everything else lives under DIR:
#       DIR/etc   proxy/account/container/object-server.conf, *.builder, *.ring.gz
#       DIR/srv   the "devices" dir; DIR/srv/d1 is the one device, a plain
#                 directory (mount_check = false); objects survive stop/start
#       DIR/run   one pid file per server      DIR/log  one log file per server
#  3. Picks 4 free ports on 127.0.0.1 and builds the three rings with
#     swift-ring-builder: part power 6, 1 replica, one device 127.0.0.1:PORT/d1
#     (9 runs of swift-ring-builder, ~1 s each on a busy 2-core machine). A
#     later start reuses the ports and rings of DIR/etc/ports if the ports are
#     still free.
#  4. Starts swift-{account,container,object,proxy}-server in the foreground
#     with -v (log lines go to DIR/log/NAME.log), each in its own session;
#     `user` is the invoking user (root here), workers = 1. The proxy pipeline
#     is `catch_errors gatekeeper healthcheck proxy-logging cache
#     listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server`
#     with account_autocreate. tempauth has one user, account `rcollect`, user
#     `test`, so the S3 access key is `rcollect:test` and the secret
#     `rcollect-test-secret`; s3api's location is us-east-1 (SigV4 scope).
#     No replicators, auditors, updaters or expirers run.
#  5. Waits until every server answers /healthcheck, creates the bucket
#     `rcollect-test` with a SigV4-signed S3 PUT (curl --aws-sigv4), and
#     writes DIR/env with `export` lines (AWS_ENDPOINT_URL=http://127.0.0.1:PORT,
#     AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_DEFAULT_REGION,
#     AWS_ALLOW_HTTP=true, RCOLLECT_TEST_S3_BUCKET=rcollect-test), the same as
#     scripts/s3/moto.sh. Use it with `. DIR/env`.
# `start` while the servers of DIR run changes nothing and exits 0. `stop`
# sends SIGTERM (then SIGKILL after 5 s) to each server's process group and
# leaves DIR (config, data, logs) in place.
#
# Known quirks (details and measured behaviour in scripts/s3/README.md):
#  - DIR must be on a filesystem with user xattrs (ext4, xfs; not tmpfs before
#    Linux 6.6): the object server stores metadata in xattrs. Checked at start.
#  - No memcached runs. tempauth refuses to work without the `cache`
#    middleware in the pipeline, but S3 signature checks never touch memcached;
#    its connection errors are silenced (log_level CRITICAL for that filter).
#    Swift's own token auth (/auth/v1.0) would need a real memcached.
#  - The access key contains a colon (tempauth's account:user form), so it
#    cannot be given to `curl --user`; this script passes it via a netrc file.
#  - Container listings are updated synchronously by the object server; if
#    that update times out the listing lags until an updater runs, and none does.
#  - Swift 2.30's s3api answers 501 NotImplemented to conditional PUTs
#    (If-None-Match: *, If-Match, If-(Un)Modified-Since), to x-amz-tagging and
#    to aws-chunked uploads; Last-Modified is the object's timestamp rounded up
#    to the second (it can be later than the response's Date).
#  - With systemd as init, installing the packages starts Debian's own Swift
#    units (ports 6200-6202, 8080, /etc/swift); this script does not use them.
set -euo pipefail

BUCKET=rcollect-test
ACCOUNT=rcollect
S3USER=test
ACCESS_KEY=$ACCOUNT:$S3USER
SECRET_KEY=rcollect-test-secret
REGION=us-east-1
# SHA-256 of an empty body; s3api requires the header, curl does not send it.
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
SERVERS=(account container object proxy)
PY=/usr/bin/python3 # Debian's python, which has the swift package

log() { echo "swift.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }

(($# == 2)) || usage
CMD=$1
DIR=$2

pid_alive() { [[ -f $DIR/run/$1.pid ]] && kill -0 "$(cat "$DIR/run/$1.pid")" 2>/dev/null; }

installed() {
  local c
  for c in swift-proxy-server swift-account-server swift-container-server \
    swift-object-server swift-ring-builder; do
    command -v "$c" >/dev/null 2>&1 || return 1
  done
  "$PY" -c 'import swift.common.middleware.s3api, swift.common.middleware.tempauth' 2>/dev/null
}

install_swift() {
  installed && return 0
  ((EUID == 0)) || die "Swift is not installed and this is not root; run: apt-get install -y swift swift-proxy swift-account swift-container swift-object"
  local pkgs=(swift swift-proxy swift-account swift-container swift-object) t0=$SECONDS
  log "installing ${pkgs[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "${pkgs[@]}" >"$DIR/log/apt.log" 2>&1; then
    log "apt-get install failed, running apt-get update and retrying"
    apt-get update -q >>"$DIR/log/apt.log" 2>&1
    apt-get install -y -q --no-install-recommends "${pkgs[@]}" >>"$DIR/log/apt.log" 2>&1 ||
      die "apt-get install failed, see $DIR/log/apt.log"
  fi
  installed || die "packages installed but Swift or s3api still missing"
  log "installed in $((SECONDS - t0)) s"
}

swift_conf() {
  [[ -f /etc/swift/swift.conf ]] && grep -q '^ *swift_hash_path_\(suffix\|prefix\) *= *[^ ]' /etc/swift/swift.conf && return 0
  [[ -f /etc/swift/swift.conf ]] && die "/etc/swift/swift.conf exists but has no swift_hash_path_suffix; fix it or move it away"
  ((EUID == 0)) || die "/etc/swift/swift.conf is missing and this is not root"
  mkdir -p /etc/swift
  cat >/etc/swift/swift.conf <<CONF
# Written by rcollect scripts/s3/swift.sh
[swift-hash]
swift_hash_path_suffix = $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

[storage-policy:0]
name = Policy-0
default = yes
CONF
  log "wrote /etc/swift/swift.conf"
}

check_xattr() {
  "$PY" - "$DIR/srv/d1" <<'PY' || die "$DIR does not support user xattrs (tmpfs?); use a DIR on ext4 or xfs"
import os, sys
p = os.path.join(sys.argv[1], ".xattr-check")
open(p, "w").close()
try:
    os.setxattr(p, "user.swift.check", b"1")
finally:
    os.unlink(p)
PY
}

# Prints 4 ports for account, container, object, proxy: the ones given as
# arguments (the previous start's) if all are still free, else 4 new free ones.
free_ports() {
  "$PY" - "$@" <<'PY'
import socket, sys
def bind(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    return s
try:
    old = [int(p) for p in sys.argv[1:]]
    ss = [bind(p) for p in old] if len(old) == 4 else []
except (ValueError, OSError):
    ss = []
if not ss:
    ss = [bind(0) for _ in range(4)]
print(" ".join(str(s.getsockname()[1]) for s in ss))
PY
}

write_configs() {
  local name port user
  user=$(id -un)
  for name in account container object; do
    port=${PORTS[$name]}
    cat >"$DIR/etc/$name-server.conf" <<CONF
# Written by rcollect scripts/s3/swift.sh; rewritten at every start.
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
workers = 1
user = $user
swift_dir = $DIR/etc
devices = $DIR/srv
mount_check = false
disable_fallocate = true
log_name = $name-server
log_level = INFO

[pipeline:main]
pipeline = healthcheck $name-server

[app:$name-server]
use = egg:swift#$name
CONF
  done
  cat >>"$DIR/etc/object-server.conf" <<'CONF'
# Headers kept with an object besides X-Object-Meta-*; the default list,
# spelled out because s3api maps Cache-Control, Content-Encoding, etc. to them.
allowed_headers = Content-Disposition, Content-Encoding, X-Delete-At, X-Object-Manifest, X-Static-Large-Object, Cache-Control, Content-Language, Expires, X-Robots-Tag
CONF
  for name in account container object; do
    printf '\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n' >>"$DIR/etc/$name-server.conf"
  done
  cat >"$DIR/etc/proxy-server.conf" <<CONF
# Written by rcollect scripts/s3/swift.sh; rewritten at every start.
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${PORTS[proxy]}
workers = 1
user = $user
swift_dir = $DIR/etc
log_name = proxy-server
log_level = INFO

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
location = $REGION
s3_acl = false
dns_compliant_bucket_names = true

[filter:tempauth]
use = egg:swift#tempauth
user_${ACCOUNT}_${S3USER} = $SECRET_KEY .admin

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
# tempauth insists on a memcache client but s3api auth never uses the cache;
# no memcached runs, so silence the connection errors.
set log_level = CRITICAL

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo
CONF
}

build_rings() {
  local name
  for name in account container object; do
    rm -f "$DIR/etc/$name.builder" "$DIR/etc/$name.ring.gz"
    swift-ring-builder "$DIR/etc/$name.builder" create 6 1 1 >/dev/null
    swift-ring-builder "$DIR/etc/$name.builder" add \
      --region 1 --zone 1 --ip 127.0.0.1 --port "${PORTS[$name]}" --device d1 --weight 100 >/dev/null
    swift-ring-builder "$DIR/etc/$name.builder" rebalance >/dev/null
  done
}

# Stops every server of DIR that is running; used by `stop` and on a failed start.
stop_all() {
  local name pid i any=0
  for name in proxy object container account; do
    pid_alive "$name" || { rm -f "$DIR/run/$name.pid"; continue; }
    pid=$(cat "$DIR/run/$name.pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/run/$name.pid"
    log "stopped $name-server (pid $pid)"
    any=1
  done
  ((any)) || log "not running"
}

start() {
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  mkdir -p "$DIR/etc" "$DIR/srv/d1" "$DIR/run" "$DIR/log"
  local name up=0
  for name in "${SERVERS[@]}"; do pid_alive "$name" && up=$((up + 1)); done
  if ((up == ${#SERVERS[@]})) && [[ -f $DIR/env ]]; then
    log "already running, env in $DIR/env"
    return 0
  fi
  ((up == 0)) || { log "some servers of $DIR are running, restarting all"; stop_all; }

  local t0=$SECONDS
  install_swift
  swift_conf
  check_xattr
  local t1=$SECONDS
  local old="" new
  [[ -f $DIR/etc/ports ]] && old=$(cat "$DIR/etc/ports")
  # shellcheck disable=SC2086 # $old is a list of ports
  new=$(free_ports $old)
  declare -gA PORTS
  read -r 'PORTS[account]' 'PORTS[container]' 'PORTS[object]' 'PORTS[proxy]' <<<"$new"
  write_configs
  if [[ $new == "$old" && -f $DIR/etc/account.ring.gz && -f $DIR/etc/container.ring.gz &&
    -f $DIR/etc/object.ring.gz ]]; then
    log "reusing the rings and ports $new"
  else
    build_rings
    echo "$new" >"$DIR/etc/ports"
  fi

  START_OK=0
  trap '((START_OK)) || { log "start failed, stopping what was started"; stop_all; }' EXIT
  for name in "${SERVERS[@]}"; do
    setsid "swift-$name-server" "$DIR/etc/$name-server.conf" -v \
      >"$DIR/log/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/run/$name.pid"
  done

  local i port ok
  for ((i = 0; i < 300; i++)); do
    ok=0
    for name in "${SERVERS[@]}"; do
      pid_alive "$name" || die "$name-server exited, see $DIR/log/$name.log: $(tail -n 5 "$DIR/log/$name.log")"
      port=${PORTS[$name]}
      curl -fsS -o /dev/null "http://127.0.0.1:$port/healthcheck" 2>/dev/null && ok=$((ok + 1))
    done
    ((ok == ${#SERVERS[@]})) && break
    sleep 0.1
  done
  ((ok == ${#SERVERS[@]})) || die "servers did not answer /healthcheck within 30 s, see $DIR/log"

  local endpoint=http://127.0.0.1:${PORTS[proxy]} netrc=$DIR/run/netrc code
  (umask 077 && printf 'machine 127.0.0.1 login %s password %s\n' "$ACCESS_KEY" "$SECRET_KEY" >"$netrc")
  # 200 when created, 409 BucketAlreadyOwnedByYou when DIR already holds it.
  for ((i = 0; i < 20; i++)); do
    code=$(curl -sS -o "$DIR/log/create-bucket.xml" -w '%{http_code}' -X PUT \
      --aws-sigv4 "aws:amz:$REGION:s3" \
      -H "x-amz-content-sha256: $EMPTY_SHA256" --netrc-file "$netrc" "$endpoint/$BUCKET") || code=000
    [[ $code == 200 || $code == 409 ]] && break
    sleep 0.5
  done
  [[ $code == 200 || $code == 409 ]] ||
    die "creating bucket $BUCKET: HTTP $code $(cat "$DIR/log/create-bucket.xml" 2>/dev/null)"
  START_OK=1

  write_env "$DIR" "$endpoint"
  log "Swift s3api on $endpoint (install/check $((t1 - t0)) s, configure+start $((SECONDS - t1)) s), env in $DIR/env"
}

case $CMD in
  start) start ;;
  stop) [[ -d $DIR ]] && DIR=$(cd "$DIR" && pwd); stop_all ;;
  *) usage ;;
esac
