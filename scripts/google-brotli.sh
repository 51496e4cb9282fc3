#!/usr/bin/env bash
# scripts/google-brotli.sh [DEST]
#
# Builds Google's brotli 1.1.0 command-line tool (the reference C
# implementation, which has `-D FILE`: a raw LZ77 dictionary) from the
# source distribution on PyPI (pinned by sha256) into DEST (default
# target/tools/brotli-1.1.0/brotli) and prints its path. The tests decode
# rcollect's `dcb` deltas with it: Debian's brotli 1.0.9 has no dictionary
# option. Needs curl and a C compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${1:-target/tools/brotli-1.1.0/brotli}
SHA=81de08ac11bcb85841e440c13611c00b67d3bf82698314928d0b676362546724
if [[ -x $DEST ]] && "$DEST" --version 2>/dev/null | grep -q '^brotli 1\.1\.0$'; then
  echo "$DEST"; exit 0
fi
for tool in cc curl; do command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }; done
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
# Straight from PyPI's file host: `pip download` would build the package's
# metadata first, which needs setuptools' `wheel` (absent on a fresh machine).
URL=https://files.pythonhosted.org/packages/2f/c2/f9e977608bdf958650638c3f1e28f85a1b075f075ebbe77db8555463787b/Brotli-1.1.0.tar.gz
TAR=$TMP/Brotli-1.1.0.tar.gz
curl -fsSL --retry 3 -m 300 -o "$TAR" "$URL"
[[ $(sha256sum "$TAR" | cut -d' ' -f1) == "$SHA" ]] || { echo "sha256 mismatch: $TAR" >&2; exit 1; }
tar -xzf "$TAR" -C "$TMP"
SRC=$TMP/Brotli-1.1.0/c
mkdir -p "$(dirname "$DEST")"
cc -O2 -I"$SRC/include" "$SRC"/common/*.c "$SRC"/dec/*.c "$SRC"/enc/*.c "$SRC/tools/brotli.c" -lm -o "$DEST.tmp"
mv "$DEST.tmp" "$DEST"
echo "$DEST"
