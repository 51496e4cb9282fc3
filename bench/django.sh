#!/usr/bin/env bash
# bench/django.sh CORPUS: one cold and one warm Django 5.2 + whitenoise 6.12
# collectstatic (CompressedManifestStaticFilesStorage) over the corpus, from a
# pinned venv. Prints "cold_s warm_s".
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CORPUS=$(cd "$1" && pwd)
VENV=$WORK/venv
if [[ ! -f $VENV/.ready ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "Django==5.2.19" "asgiref==3.13.0" "sqlparse==0.6.1" "whitenoise[brotli]==6.12.0" "Brotli==1.2.1" >&2
  touch "$VENV/.ready"
fi
SET=$CORPUS/bench-out/djsettings; mkdir -p "$SET"
cat >"$SET/benchsettings.py" <<PY
SECRET_KEY = "bench"
INSTALLED_APPS = ["django.contrib.staticfiles"]
STATIC_URL = "/static/"
STATIC_ROOT = "$CORPUS/bench-out/django-root"
STATICFILES_DIRS = ["$CORPUS/src/admin", "$CORPUS/src/vendor", "$CORPUS/src/app"]
STORAGES = {"staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
PY
run() { /usr/bin/time -f '%e' -o "$SET/t" env PYTHONPATH="$SET" DJANGO_SETTINGS_MODULE=benchsettings "$VENV/bin/django-admin" collectstatic --noinput >/dev/null 2>&1; cat "$SET/t"; }
rm -rf "$CORPUS/bench-out/django-root"; wait_quiet; cold=$(run); wait_quiet; warm=$(run)
echo "$cold $warm"
