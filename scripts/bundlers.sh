#!/usr/bin/env bash
# scripts/bundlers.sh [--project DIR] [--install-only] [--variant NAME --into DIR]
#
# Installs the real bundlers (Vite, esbuild: the exact versions of the
# project's package-lock.json, with `npm ci`) and builds a frontend with them,
# for the bundler tests and benchmarks. The project (default
# fixtures/bundlers) is an npm project with a vite.config.js and, optionally,
# an esbuild.config.mjs. Each build writes, in the directory it runs in:
#   dist/vite/                 Vite's output (dist/vite/.vite/manifest.json)
#   dist/esbuild/              esbuild's output      (if esbuild.config.mjs)
#   dist/esbuild-meta.json     esbuild's metafile, its paths relative to
#                              the directory the build ran in
#
# Without --variant: builds the sources as they are in the project itself
# (<project>/dist), then variant v2 in <project>/build/v2 (see below).
#
# --variant NAME --into DIR: copies the project's sources into DIR (which
# must not exist or be empty), changes the one line marked `// variant` (its
# `v1` becomes NAME; variant v1 is the sources unchanged), and builds there:
# DIR/dist/... as above. DIR/node_modules is a symlink to the project's
# node_modules (Node and Vite resolve through it), so a build into a temp
# dir reinstalls nothing. Builds into different DIRs may run at once.
#
# The install is skipped while node_modules matches package-lock.json (a
# stamp holds the lockfile's sha256); concurrent runs install once (flock).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROJECT=$ROOT/fixtures/bundlers
VARIANT=
INTO=
INSTALL_ONLY=0
while (($#)); do
  case $1 in
    --project) PROJECT=$(cd "$2" && pwd); shift 2 ;;
    --variant) VARIANT=$2; shift 2 ;;
    --into) INTO=$2; shift 2 ;;
    --install-only) INSTALL_ONLY=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bundlers.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -n $VARIANT || -n $INTO ]]; then
  [[ -n $VARIANT && -n $INTO ]] || { echo "bundlers.sh: --variant and --into go together" >&2; exit 2; }
  [[ $VARIANT =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "bundlers.sh: variant '$VARIANT': letters, digits, '.', '_', '-' only" >&2; exit 2; }
fi

for c in node npm; do
  command -v "$c" >/dev/null 2>&1 || {
    echo "bundlers.sh: '$c' is not installed: the bundler fixtures need Node.js (>= 20.19) and npm (>= 11) to install Vite and esbuild from the npm registry" >&2
    exit 1
  }
done
[[ -f $PROJECT/package-lock.json ]] || { echo "bundlers.sh: no package-lock.json in $PROJECT" >&2; exit 1; }

# npm ci, unless node_modules was installed from this very lockfile.
install() {
  local stamp=$PROJECT/node_modules/.rcollect-lock-sha256 want
  want=$(sha256sum "$PROJECT/package-lock.json" | cut -d' ' -f1)
  exec 9>"$PROJECT/.install.lock"
  flock 9
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    echo "bundlers.sh: npm ci in $PROJECT" >&2
    (cd "$PROJECT" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$want" >"$stamp"
  fi
  flock -u 9
  exec 9>&-
}

# Builds in $1 (a copy of the project, or the project itself).
build_in() {
  local dir=$1
  (
    cd "$dir"
    ./node_modules/.bin/vite build --logLevel warn >&2
    if [[ -f esbuild.config.mjs ]]; then node esbuild.config.mjs >&2; fi
  )
  echo "$dir/dist/vite"
  if [[ -f $dir/esbuild.config.mjs ]]; then
    echo "$dir/dist/esbuild"
    echo "$dir/dist/esbuild-meta.json"
  fi
}

# Copies the project's sources into $2 with variant $1, and builds there.
build_variant() {
  local name=$1 dir=$2 marked
  if [[ -e $dir ]] && [[ -n $(ls -A "$dir") ]]; then
    echo "bundlers.sh: $dir exists and is not empty" >&2
    exit 1
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # Everything but what is installed, built or committed as output.
  (cd "$PROJECT" && find . -mindepth 1 -maxdepth 1 \
    ! -name node_modules ! -name dist ! -name build ! -name trunk ! -name .install.lock \
    -exec cp -R {} "$dir/" \;)
  ln -s "$PROJECT/node_modules" "$dir/node_modules"
  if [[ $name != v1 ]]; then
    marked=$(grep -rl -- '// variant$' "$dir/src" || true)
    [[ $(printf '%s' "$marked" | grep -c .) == 1 ]] ||
      { echo "bundlers.sh: expected one source file with a line ending in '// variant' in $PROJECT/src, found: ${marked:-none}" >&2; exit 1; }
    sed -i "/\/\/ variant\$/ s/\bv1\b/$name/" "$marked"
    grep -q "\b$name\b.*// variant\$" "$marked" ||
      { echo "bundlers.sh: the line marked '// variant' in $marked has no 'v1' to change" >&2; exit 1; }
  fi
  build_in "$dir"
}

install
((INSTALL_ONLY)) && { echo "$PROJECT/node_modules"; exit 0; }
if [[ -n $VARIANT ]]; then
  build_variant "$VARIANT" "$INTO"
else
  build_in "$PROJECT"
  rm -rf "$PROJECT/build/v2"
  build_variant v2 "$PROJECT/build/v2"
fi
