#!/usr/bin/env bash
# The whole suite on SQLite (browser tests included) and, at the same time on the other core, the
# whole suite on PostgreSQL (its output is shown when both are done). Fails loudly if either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
pg_log=$(mktemp "${TMPDIR:-/tmp}/yingji-pg-tests.XXXXXX")
trap 'rm -f "$pg_log"' EXIT
echo "== tests on PostgreSQL started in the background"
scripts/with-postgres.sh env YINGJI_TEST_BACKEND=postgresql $py -m pytest -m "not e2e and not bench" "$@" >"$pg_log" 2>&1 &
pg_pid=$!
status=0
echo "== tests on SQLite"
$py -m pytest "$@" || status=$?
wait "$pg_pid"
pg=$?
echo "== tests on PostgreSQL"
cat "$pg_log"
if [ $pg -eq 3 ]; then
  echo "!! the PostgreSQL half of the suite did NOT run: PostgreSQL could not be started (see above)." >&2
fi
[ $pg -ne 0 ] && status=$pg
[ $status -ne 0 ] && echo "!! TESTS FAILED (exit $status)" >&2
exit $status
