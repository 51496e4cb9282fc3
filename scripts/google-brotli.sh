#!/usr/bin/env bash
# scripts/google-brotli.sh [DEST]
#
# Builds Google's brotli 1.1.0 command-line tool (the reference C
# implementation, which has `-D FILE`: a raw LZ77 dictionary) from the
# source distribution on PyPI (pinned by sha256) into DEST (default
# target/tools/brotli-1.1.0/brotli) and prints its path. The tests decode
# rcollect's `dcb` deltas with it: Debian's brotli 1.0.9 has no dictionary
# option. Needs python3 (pip) and a C compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${1:-target/tools/brotli-1.1.0/brotli}
SHA=81de08ac11bcb85841e440c13611c00b67d3bf82698314928d0b676362546724
if [[ -x $DEST ]] && "$DEST" --version 2>/dev/null | grep -q '^brotli 1\.1\.0$'; then
  echo "$DEST"; exit 0
fi
command -v cc >/dev/null || { echo "a C compiler (cc) is required" >&2; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
python3 -m pip download -q --no-binary :all: --no-deps --no-build-isolation -d "$TMP" Brotli==1.1.0 >&2
TAR=$(ls "$TMP"/[Bb]rotli-1.1.0.tar.gz)
[[ $(sha256sum "$TAR" | cut -d' ' -f1) == "$SHA" ]] || { echo "sha256 mismatch: $TAR" >&2; exit 1; }
tar -xzf "$TAR" -C "$TMP"
SRC=$TMP/Brotli-1.1.0/c
mkdir -p "$(dirname "$DEST")"
cc -O2 -I"$SRC/include" "$SRC"/common/*.c "$SRC"/dec/*.c "$SRC"/enc/*.c "$SRC/tools/brotli.c" -lm -o "$DEST.tmp"
mv "$DEST.tmp" "$DEST"
echo "$DEST"
