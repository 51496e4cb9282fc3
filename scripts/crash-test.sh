#!/usr/bin/env bash
# Crash-safety test for `rcollect collectstatic`.
#
#   scripts/crash-test.sh [PREFIX=]SRC_DIR... [--kills N] [--work DIR] [--no-disk-full] [--keep]
#
# Copies the source dirs into a scratch dir (the originals are never
# modified), builds the release binary and collects once. Then, N times
# (default 30): appends a comment to 3 random CSS/JS files, starts
# `rcollect collectstatic` (alternating --no-cache and a cache dir, every
# fourth run with --clear), sends SIGKILL after a random delay between 0 and
# twice the measured run time, and verifies STATIC_ROOT with
# `rcollect check --manifest`: staticfiles.json parses, every file it names
# exists with its recorded size and SHA-256, every .br/.gz/.zst variant
# decodes to its file. E031 ("out of date with the sources") is expected after
# a kill and ignored. Stops with exit 1 at the first failure.
# Afterwards a complete run must succeed, leave no temp files and be up to date.
#
# The scratch dir is removed afterwards unless --keep is given or a check failed.
#
# Disk full (as root, skipped with a message when the mount fails): a small
# project is collected into a 2 MiB tmpfs, then a larger version of it must
# fail with an error naming a file and a non-zero exit, leaving the old
# manifest valid.
set -euo pipefail

FAILED=0
die() { echo "crash-test: FAIL: $*" >&2; FAILED=1; exit 1; }
log() { echo "crash-test: $*" >&2; }

KILLS=30 WORK="" KEEP=0 DISK_FULL=1 SRCS=()
while (($#)); do
  case $1 in
    --kills) KILLS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-disk-full) DISK_FULL=0; shift ;;
    -h | --help) sed -n '2,23p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) SRCS+=("$1"); shift ;;
  esac
done
((${#SRCS[@]})) || { sed -n '2,23p' "$0"; exit 2; }
[[ $KILLS =~ ^[0-9]+$ ]] || { echo "--kills takes a number" >&2; exit 2; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z $WORK ]]; then
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/rcollect-crash.XXXXXX")
else
  mkdir -p "$WORK"; WORK=$(cd "$WORK" && pwd)
fi
MNT=$WORK/diskfull/root
cleanup() {
  mountpoint -q "$MNT" 2>/dev/null && umount "$MNT"
  if ((KEEP || FAILED)); then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

log "building the release binary"
(cd "$REPO" && cargo build --release --locked -p rcollect -q)
BIN=$REPO/target/release/rcollect

now_ms() { date +%s%3N; }

# Verifies STATIC_ROOT $1 against its manifest; $2.. are --dir args.
# Set ALLOW_STALE=0 to also refuse E031.
verify() {
  local root=$1 out rc=0; shift
  out=$("$BIN" check --manifest --root "$root" "$@" 2>&1) || rc=$?
  local errors
  if [[ ${ALLOW_STALE:-1} == 1 ]]; then
    errors=$(grep -E '^error\[' <<<"$out" | grep -v '^error\[E031\]' || true)
  else
    errors=$(grep -E '^error\[' <<<"$out" || true)
  fi
  if [[ -n $errors ]] || ((rc != 0 && rc != 1)) || { ((rc == 1)) && ! grep -q '^error\[' <<<"$out"; }; then
    echo "$out" >&2
    return 1
  fi
}

# --- kill test -------------------------------------------------------------
SRC=$WORK/src ROOT=$WORK/root CACHE=$WORK/cache
mkdir -p "$SRC"
DIRS=()
for arg in "${SRCS[@]}"; do
  prefix="" d=$arg
  if [[ $arg == *=* ]]; then prefix="${arg%%=*}=" d=${arg#*=}; fi
  [[ -d $d ]] || die "not a directory: $d"
  name=$(basename "$(cd "$d" && pwd)")
  [[ -e $SRC/$name ]] && die "two source dirs named $name"
  cp -a "$d" "$SRC/$name"
  DIRS+=(--dir "$prefix$SRC/$name")
done
mapfile -t EDITABLE < <(find "$SRC" -type f \( -name '*.css' -o -name '*.js' \) | sort)
((${#EDITABLE[@]})) || die "no CSS/JS files under ${SRCS[*]}"
log "$(find "$SRC" -type f | wc -l) source files ($(du -sh "$SRC" | cut -f1)), ${#EDITABLE[@]} CSS/JS; work dir $WORK"

collect() { "$BIN" collectstatic --root "$ROOT" "${DIRS[@]}" --no-input -q "$@"; }

touch_sources() {
  local i f
  for i in 1 2 3; do
    f=${EDITABLE[RANDOM % ${#EDITABLE[@]}]}
    printf '\n/* crash-test %s %s */\n' "$ROUND" "$RANDOM" >>"$f"
  done
}

log "first collect (cold, with cache dir)"
t0=$(now_ms); collect --cache-dir "$CACHE" || die "first collect failed"
log "first collect: $(($(now_ms) - t0)) ms"
verify "$ROOT" "${DIRS[@]}" || die "invalid STATIC_ROOT after the first collect"

# Typical run time: a complete run after an edit.
ROUND=0; touch_sources
t0=$(now_ms); collect --no-cache || die "second collect failed"
TYPICAL=$(($(now_ms) - t0))
ROUND=0; touch_sources
t0=$(now_ms); collect --cache-dir "$CACHE" || die "third collect failed"
TYPICAL=$(( (TYPICAL + $(now_ms) - t0) / 2 + 1 ))
# Work left by a killed run adds to the next one, so draw delays from up to
# twice the typical time: some kills then land around the manifest rename.
SPAN=$((2 * TYPICAL))
log "typical incremental run: $TYPICAL ms; kill delays are drawn from 0..$SPAN ms"

killed=0 finished=0 replaced=0
manifest_sum() { sha256sum "$ROOT/staticfiles.json" | cut -d' ' -f1; }
for ((ROUND = 1; ROUND <= KILLS; ROUND++)); do
  touch_sources
  args=()
  if ((ROUND % 2)); then args+=(--no-cache); else args+=(--cache-dir "$CACHE"); fi
  ((ROUND % 4 == 0)) && args+=(--clear)
  delay=$(( (RANDOM * 32768 + RANDOM) % (SPAN + 1) ))
  before=$(manifest_sum)
  # The binary itself in the background (not the shell function, which
  # would run in a subshell): the signal must reach rcollect, and the check
  # must not race with a collect that is still running.
  "$BIN" collectstatic --root "$ROOT" "${DIRS[@]}" --no-input -q "${args[@]}" >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  if kill -KILL "$pid" 2>/dev/null; then state=killed; else state=finished; fi
  wait "$pid" 2>/dev/null || true
  [[ $state == killed ]] && killed=$((killed + 1)) || finished=$((finished + 1))
  [[ $(manifest_sum) == "$before" ]] || { replaced=$((replaced + 1)); state+=", new manifest"; }
  verify "$ROOT" "${DIRS[@]}" || die "round $ROUND (${args[*]}, SIGKILL after $delay ms, $state): STATIC_ROOT does not match its manifest"
  log "round $ROUND/$KILLS: ${args[*]}, SIGKILL at $delay ms ($state): manifest valid"
done

log "complete run after the kills"
collect --cache-dir "$CACHE" || die "the collect after the kills failed"
ALLOW_STALE=0 verify "$ROOT" "${DIRS[@]}" || die "STATIC_ROOT invalid or stale after a complete run"
leftover=$(find "$ROOT" -name '*.rcollect-tmp' | head -n 3)
[[ -z $leftover ]] || die "temp files left after a complete run: $leftover"
log "kill test passed: $KILLS rounds ($killed killed mid-run, $finished finished before the signal; $replaced replaced the manifest), manifest valid after each"

# --- disk full ---------------------------------------------------------------
disk_full() {
  local dir=$WORK/diskfull src=$WORK/diskfull/src
  mkdir -p "$src/css" "$src/js" "$MNT"
  if ! mount -t tmpfs -o size=2m tmpfs "$MNT" 2>/dev/null; then
    log "disk-full test SKIPPED: cannot mount a tmpfs (needs root)"
    return 0
  fi
  local i
  for i in $(seq 1 10); do
    printf '.c%d { background: url(../img/a.png); margin: %dpx; }\n' "$i" "$i" >"$src/css/c$i.css"
  done
  mkdir -p "$src/img"; head -c 2000 /dev/urandom >"$src/img/a.png"
  local dfdirs=(--root "$MNT" --dir "$src")
  "$BIN" collectstatic "${dfdirs[@]}" --no-cache --no-input -q || die "disk full: the small collect failed"
  verify "$MNT" --dir "$src" || die "disk full: invalid STATIC_ROOT after the small collect"
  local before; before=$(sha256sum "$MNT/staticfiles.json")
  # The larger version: ~4 MB of text that compresses to about half.
  for i in $(seq 1 40); do
    head -c 75000 /dev/urandom | od -An -tx1 | tr -d ' \n' | fold -w 100 |
      sed 's|.*|/* & */|' >"$src/js/big$i.js"
  done
  local out rc=0
  out=$("$BIN" collectstatic "${dfdirs[@]}" --no-cache --no-input -q 2>&1) || rc=$?
  ((rc != 0)) || die "disk full: the larger collect succeeded on a 2 MiB disk"
  echo "$out" | sed 's/^/  | /' >&2
  grep -qiE 'space|ENOSPC' <<<"$out" || die "disk full: the error does not say the disk is full"
  grep -qE "$MNT/|js/big|css/c" <<<"$out" || die "disk full: the error names no file"
  verify "$MNT" --dir "$src" || die "disk full: the old manifest is not valid any more"
  [[ $(sha256sum "$MNT/staticfiles.json") == "$before" ]] || die "disk full: staticfiles.json changed"
  log "disk-full test passed: exit $rc, error names a file, old manifest unchanged and valid"
}
((DISK_FULL)) && disk_full
log "PASS"
