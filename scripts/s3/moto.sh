#!/usr/bin/env bash
# Start or stop a moto S3 mock server on 127.0.0.1 for the test suite.
#
#   scripts/s3/moto.sh start DIR    install moto[server] if missing, start it,
#                                   create the bucket, write DIR/env
#   scripts/s3/moto.sh stop DIR     kill the server started in DIR
#
# `start` uses `moto_server` if it is on PATH, else `python3 -m moto.server`;
# when neither works it runs `python3 -m pip install --quiet 'moto[server]==5.2.1'`
# (override the pin with MOTO_PIP_SPEC). The server listens on a free port on
# 127.0.0.1 (pass MOTO_PORT to choose one), its pid goes to DIR/moto.pid and
# its output to DIR/moto.log. Once it answers, the bucket `rcollect-test` is
# created and DIR/env is written with `export` lines for
# AmazonS3Builder::from_env (object_store) and boto3:
#
#   AWS_ENDPOINT_URL=http://127.0.0.1:PORT  AWS_ACCESS_KEY_ID  AWS_SECRET_ACCESS_KEY
#   AWS_REGION=us-east-1  AWS_DEFAULT_REGION=us-east-1  AWS_ALLOW_HTTP=true
#   RCOLLECT_TEST_S3_BUCKET=rcollect-test
#
# Use it with `. DIR/env`. `start` on a DIR whose server is still running
# changes nothing and exits 0; `stop` on a DIR without a running server is a
# no-op.
#
# Quirks: moto accepts any credentials and any signature (it does not verify
# SigV4) and keeps everything in memory (a restart loses all objects). Its
# Werkzeug server silently drops request headers containing "_", so user
# metadata like x-amz-meta-foo_bar is lost. HEAD/GET echo the PUT's
# x-amz-content-sha256. See scripts/s3/README.md for the headers it returns.
set -euo pipefail

BUCKET=rcollect-test
ACCESS_KEY=rcollect-test-key
SECRET_KEY=rcollect-test-secret
REGION=us-east-1
# SHA-256 of an empty body; s3api requires the header, curl does not send it.
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
PY=${PYTHON:-python3}

log() { echo "moto.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }

(($# == 2)) || usage
CMD=$1
DIR=$2

running() { [[ -f $DIR/moto.pid ]] && kill -0 "$(cat "$DIR/moto.pid")" 2>/dev/null; }

# Prints the command that runs the moto server, installing moto when needed.
moto_cmd() {
  if command -v moto_server >/dev/null 2>&1 && moto_server --help >/dev/null 2>&1; then
    echo moto_server
  elif "$PY" -c 'import moto.server, flask, flask_cors' 2>/dev/null; then
    echo "$PY -m moto.server"
  else
    log "moto[server] not found, installing it with pip"
    "$PY" -m pip install --quiet "${MOTO_PIP_SPEC:-moto[server]==5.2.1}" >&2
    echo "$PY -m moto.server"
  fi
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  if running; then
    log "already running (pid $(cat "$DIR/moto.pid")), env in $DIR/env"
    return 0
  fi
  local cmd port endpoint pid i
  cmd=$(moto_cmd)
  port=${MOTO_PORT:-$(free_port)}
  endpoint=http://127.0.0.1:$port
  # setsid: own process group, so `stop` can kill the server and any children.
  # shellcheck disable=SC2086 # $cmd is "moto_server" or "python3 -m moto.server"
  setsid $cmd -H 127.0.0.1 -p "$port" >"$DIR/moto.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$DIR/moto.pid"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || die "moto exited early, see $DIR/moto.log: $(tail -n 5 "$DIR/moto.log")"
    curl -fsS -o /dev/null "$endpoint/moto-api/" 2>/dev/null && break
    sleep 0.1
  done
  ((i < 100)) || die "moto did not answer on $endpoint within 10 s, see $DIR/moto.log"
  # moto does not check signatures, but sign anyway so this is a real S3 call.
  curl -fsS -o /dev/null -X PUT --aws-sigv4 "aws:amz:$REGION:s3" \
    -H "x-amz-content-sha256: $EMPTY_SHA256" \
    --user "$ACCESS_KEY:$SECRET_KEY" "$endpoint/$BUCKET" ||
    die "creating bucket $BUCKET failed"
  write_env "$DIR" "$endpoint"
  log "moto listening on $endpoint (pid $pid), env in $DIR/env"
}

stop() {
  if running; then
    local pid i
    pid=$(cat "$DIR/moto.pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
    log "stopped pid $pid"
  else
    log "not running"
  fi
  rm -f "$DIR/moto.pid"
}

case $CMD in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
