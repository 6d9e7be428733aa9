#!/usr/bin/env bash
# The whole suite on SQLite, then the whole suite on PostgreSQL. Fails loudly.
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
status=0
echo "== tests on SQLite"
$py -m pytest "$@" || status=$?
echo "== tests on PostgreSQL"
scripts/with-postgres.sh env YINGJI_TEST_BACKEND=postgresql $py -m pytest -m "not e2e" "$@"
pg=$?
if [ $pg -eq 3 ]; then
  echo "!! the PostgreSQL half of the suite did NOT run: PostgreSQL could not be started (see above)." >&2
fi
[ $pg -ne 0 ] && status=$pg
[ $status -ne 0 ] && echo "!! TESTS FAILED (exit $status)" >&2
exit $status
