#!/usr/bin/env bash
# bench/corpus.sh DEST [small|large]
#
# Builds the benchmark corpus from registry packages pinned by version and
# sha256 (the same packages and layout as our internal peer harness, so the
# tree digest printed at the end identifies the corpus):
#   DEST/src/admin   Django's admin static files (from the Django wheel on PyPI)
#   DEST/src/vendor  npm packages (`npm pack NAME@VERSION`) under vendor/<name>
#   DEST/src/app     a small synthetic app (cross-dir @import, url() with
#                    ?query#fragment, /static/ refs, data: and external URLs, a source map)
# Downloads are cached in $WORK/downloads. small: ~1.4k files / 21 MB;
# large: ~11.7k files / 186 MB.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,12p' "$0"; exit 2; }
DEST=$1 SIZE=${2:-small}
[[ $SIZE == small || $SIZE == large ]] || die "size must be small or large"
need npm tar python3 sha256sum
DL=$WORK/downloads; mkdir -p "$DL" "$DEST"; DEST=$(cd "$DEST" && pwd)

# sizes spec dir keep(- = whole package, else comma list of top-level entries) sha256
PACKAGES=(
  "small,large bootstrap@5.3.8 bootstrap - 8b02d4a7482e0f0a2b1da58f1c9c86830e96cc2f77f094f89e4681b19886bc38"
  "small,large jquery@3.7.1 jquery - 68a9f787516da47c680e09c187bcbac4536b6f85d90eb882844e12919e583f53"
  "small,large codemirror@5.65.18 codemirror - 775b7a711166c3f39899e56179a7fc8b5b755c3a043ee973c54ae5838023400f"
  "small,large select2@4.1.0 select2 - d7bfef80ad52fc9585ac04621dc4df11d6eb60c2bbc3986085dd94795eb8e4a6"
  "small,large @popperjs/core@2.11.8 popperjs-core - 8e09bdfa912035668e62cea61321bce27cbd011b85672055db25d271bd63af49"
  "small,large htmx.org@2.0.4 htmx - a34988d1b9f005a458d593aa8d7486537cb878b8ac3b82703db1268983123ecc"
  "small @fortawesome/fontawesome-free@7.3.1 fontawesome-free css,scss,webfonts,LICENSE.txt,README.md,package.json ca4e32843bd81711894385c2466fb19c55cfd32ef3c58830b2d1df7bd42e6571"
  "large @fortawesome/fontawesome-free@7.3.1 fontawesome-free - ca4e32843bd81711894385c2466fb19c55cfd32ef3c58830b2d1df7bd42e6571"
  "small bootstrap-icons@1.13.2 bootstrap-icons font,bootstrap-icons.svg,LICENSE,README.md,package.json 7b5960145e1ab14a49a117f96a9e5a54a94fdf07f21e302d9e4f88d73dd19f9c"
  "large bootstrap-icons@1.13.2 bootstrap-icons - 7b5960145e1ab14a49a117f96a9e5a54a94fdf07f21e302d9e4f88d73dd19f9c"
  "large monaco-editor@0.57.0 monaco-editor - 3ea1712fbacd3290cf4751007e3a5b57cc279767607812d4c3e57925fb0b05c2"
  "large pdfjs-dist@6.5.438 pdfjs-dist - 7461aefcd27c4ef0dd76f9ca5760f09466eb6b3f934432670c12132e7b3d6faa"
)
DJANGO=5.2.19 DJANGO_SHA=5965d974a5218a2b68a11dd1276434707f23886525c23f0598eccedaf4f4ca00

check() { [[ $(sha256sum "$2" | cut -d' ' -f1) == "$1" ]] || die "sha256 mismatch: $2"; }

SRC=$DEST/src; rm -rf "$SRC"; mkdir -p "$SRC/admin" "$SRC/vendor/vendor" "$SRC/app/app"
whl=$DL/django-$DJANGO-py3-none-any.whl
[[ -f $whl ]] || python3 -m pip download -q --no-deps --only-binary=:all: --dest "$DL" "django==$DJANGO" >&2
check "$DJANGO_SHA" "$whl"
python3 - "$whl" "$SRC/admin" <<'PY'
import os, sys, zipfile
prefix = "django/contrib/admin/static/"
with zipfile.ZipFile(sys.argv[1]) as z:
    for i in z.infolist():
        if i.filename.startswith(prefix) and not i.is_dir():
            out = os.path.join(sys.argv[2], i.filename[len(prefix):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(i) as s, open(out, "wb") as d:
                d.write(s.read())
PY
for row in "${PACKAGES[@]}"; do
  read -r sizes spec dir keep sha <<<"$row"
  [[ ",$sizes," == *",$SIZE,"* ]] || continue
  cache=$DL/npm-${spec//\//_}; mkdir -p "$cache"
  tgz=$(find "$cache" -name '*.tgz' | head -n1)
  if [[ -z $tgz ]]; then (cd "$cache" && npm pack --loglevel=error "$spec" >/dev/null); tgz=$(find "$cache" -name '*.tgz' | head -n1); fi
  check "$sha" "$tgz"
  out=$SRC/vendor/vendor/$dir; mkdir -p "$out"
  if [[ $keep == - ]]; then
    tar -xzf "$tgz" --no-same-owner --strip-components=1 -C "$out"
  else
    tmp=$(mktemp -d); tar -xzf "$tgz" --no-same-owner --strip-components=1 -C "$tmp"
    IFS=, read -r -a entries <<<"$keep"; for e in "${entries[@]}"; do mv "$tmp/$e" "$out/"; done; rm -rf "$tmp"
  fi
done
# Their sourceMappingURL points into min-maps/, which the package does not ship.
rm -f "$SRC"/vendor/vendor/monaco-editor/{dev,min}/vs/loader.js

A=$SRC/app/app; mkdir -p "$A/css/components" "$A/img" "$A/js"
for n in logo bg icon; do
  printf '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16"><title>%s</title><rect width="16" height="16" rx="3" fill="#2b6cb0"/></svg>\n' "$n" >"$A/img/$n.svg"
done
cat >"$A/css/site.css" <<'CSS'
/* Entry stylesheet: pulls vendor CSS from another source dir. */
@import url("../../vendor/bootstrap/dist/css/bootstrap.min.css");
@import "../../vendor/fontawesome-free/css/all.min.css";
@import url("components/buttons.css");
@import 'components/layout.css';

body { background: #fff url("../img/bg.svg") repeat-x; }
.logo { background-image: url('/static/app/img/logo.svg'); }
.icon { background: url(../img/icon.svg?v=3#glyph) no-repeat; }
.pixel { background: url("data:image/gif;base64,R0lGODlhAQABAAAAACw="); }
.remote { background: url(https://example.invalid/remote.png); }
.bi-font { font-family: "bootstrap-icons"; }
CSS
cat >"$A/css/components/buttons.css" <<'CSS'
.btn-brand { background: url(../../img/icon.svg) center / 1em no-repeat; }
.btn-brand::after { content: ""; background-image: url("../../img/logo.svg#hover"); }
CSS
cat >"$A/css/components/layout.css" <<'CSS'
@import url("../../../vendor/bootstrap-icons/font/bootstrap-icons.min.css");
.header { min-height: 4rem; background: url("../../img/bg.svg"); }
CSS
cat >"$A/js/site.js" <<'JS'
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var nodes = document.querySelectorAll("[data-toggle-theme]");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].addEventListener("click", function () {
        document.documentElement.classList.toggle("dark");
      });
    }
  });
})();
JS
printf '%s\n%s\n' \
  '(function(){"use strict";document.addEventListener("DOMContentLoaded",function(){var n=document.querySelectorAll("[data-toggle-theme]");for(var i=0;i<n.length;i++)n[i].addEventListener("click",function(){document.documentElement.classList.toggle("dark")})})})();' \
  '//# sourceMappingURL=site.min.js.map' >"$A/js/site.min.js"
echo '{"version":3,"file":"site.min.js","sources":["site.js"],"names":[],"mappings":""}' >"$A/js/site.min.js.map"

find "$SRC" -type d -exec chmod 755 {} +; find "$SRC" -type f -exec chmod 644 {} +
find "$SRC" -exec touch -h -d '2000-01-01T00:00:00Z' {} +
digest=$(cd "$SRC" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
printf 'corpus %s: %d files, %d bytes, tree %s, in %s\n' "$SIZE" "$(find "$SRC" -type f | wc -l)" \
  "$(find "$SRC" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')" "$digest" "$SRC"
