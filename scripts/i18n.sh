#!/usr/bin/env bash
# Message catalogs. Run from anywhere:
#   scripts/i18n.sh             extract every message (babel.cfg), bring the zh_CN and en catalogs
#                               up to date (creating them if absent) and report how many zh_CN
#                               entries still need a translation (listing them).
#   scripts/i18n.sh --pot FILE  only extract, into FILE (tests/core/test_i18n.py uses this).
#   scripts/i18n.sh --set TSV   set zh_CN translations from TSV (message id, TAB, translation),
#                               then bring the catalogs up to date as above.
# Updates hold a lock on the catalog directory, so several people may run it at once.
#
# Keywords: Babel's defaults (_, gettext, ngettext, ...), N_ ("mark now, translate where shown"),
# and every exception class derived from yingji.errors.UserError: their first argument is an
# English message id translated when the error is shown, e.g. UserError("The file is empty.").
# The class list is read from the source each run, so new subclasses are picked up.
#
# Idempotent: the .pot is temporary, nothing is fuzzy-matched (a changed message id comes back
# untranslated instead of with a guess), entries no longer in the code are dropped and the
# catalogs' POT-Creation-Date is left alone, so running it twice changes nothing.
# PYTHON (default .venv/bin/python) chooses the interpreter; pybabel is taken from beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
pybabel="$(dirname "$py")/pybabel"
tdir=src/yingji/translations

error_keywords() {
  "$py" - <<'PY'
import ast
import pathlib

bases: dict[str, set[str]] = {}
for path in sorted(pathlib.Path("src/yingji").rglob("*.py")):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ClassDef):
            names = {b.id if isinstance(b, ast.Name) else b.attr
                     for b in node.bases if isinstance(b, ast.Name | ast.Attribute)}
            bases.setdefault(node.name, set()).update(names)
found = {"UserError"}
while True:
    more = {name for name, parents in bases.items() if parents & found} - found
    if not more:
        break
    found |= more
print(" ".join(f"-k {name}" for name in sorted(found)))
PY
}

extract() {  # extract OUTPUT.pot
  # shellcheck disable=SC2046  # one word per keyword option, on purpose
  "$pybabel" -q extract -F babel.cfg -k N_ $(error_keywords) --no-location --sort-output \
    --project=yingji --copyright-holder=yingji -o "$1" . 2> >(grep -v "Skipping f-string" >&2)
}

if [ "${1:-}" = "--pot" ]; then
  [ -n "${2:-}" ] || { echo "usage: $0 [--pot FILE]" >&2; exit 2; }
  extract "$2"
  exit 0
fi

exec 9>"$tdir/.lock"
flock 9
if [ "${1:-}" = "--set" ]; then
  [ -n "${2:-}" ] || { echo "usage: $0 --set FILE.tsv" >&2; exit 2; }
  "$py" scripts/i18n_set.py "$2"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pot="$tmp/messages.pot"
extract "$pot"

for lang in zh_CN en; do
  mkdir -p "$tdir/$lang/LC_MESSAGES"
  "$pybabel" -q update -i "$pot" -d "$tdir" -l "$lang" --init-missing \
    --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
done

"$py" - "$tdir/zh_CN/LC_MESSAGES/messages.po" <<'PY'
import sys

from babel.messages.pofile import read_po

with open(sys.argv[1], "rb") as handle:
    catalog = read_po(handle, locale="zh_CN")
entries = [m for m in catalog if m.id]


def untranslated(message):
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return message.fuzzy or not all(strings)


missing = [m for m in entries if untranslated(m)]
print(f"zh_CN: {len(missing)} untranslated of {len(entries)} entries")
for message in missing:
    print("  -", message.id if isinstance(message.id, str) else message.id[0])
PY
