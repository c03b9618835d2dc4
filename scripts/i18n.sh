#!/usr/bin/env bash
# Bring the zh_CN and en catalogs up to date with the templates (and N_() labels in Python):
#   bash scripts/i18n.sh
# New strings arrive untranslated; tests/test_i18n.py fails until zh_CN has them all.
set -euo pipefail
cd "$(dirname "$0")/.."
pot=$(mktemp --suffix=.pot)
trap 'rm -f "$pot"' EXIT
.venv/bin/pybabel -q extract -F babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 --no-location --sort-output -w 100 \
  --project laotie -o "$pot" src/laotie
for locale in zh_CN en; do
  po=src/laotie/locale/$locale/LC_MESSAGES/messages.po
  if [ -f "$po" ]; then
    .venv/bin/pybabel -q update -i "$pot" -o "$po" -l "$locale" --no-fuzzy-matching --ignore-obsolete -w 100
  else
    .venv/bin/pybabel -q init -i "$pot" -o "$po" -l "$locale"
  fi
done
