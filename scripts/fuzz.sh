#!/usr/bin/env bash
# Fuzz the JSON API with schemathesis: no input may produce a 5xx.
#
# Builds a throw-away SQLite database with the demo data, creates an API token for a demo user,
# starts the real server on a free loopback port, runs schemathesis against its OpenAPI document
# with the token (check: not_a_server_error), stops the server and removes everything.
# Exits non-zero when schemathesis finds a failure or the set-up fails.
#
# Environment:  FUZZ_USER (demo user, default admin)   FUZZ_EXAMPLES (per operation, default 20)
#               FUZZ_SEED (reproduce a run)           FUZZ_TIMEOUT (whole run, seconds, default 1500)
#               FUZZ_KEEP=1 keeps the temporary directory (server log, reports)
# Extra arguments are passed to `schemathesis run` (e.g. --include-path-regex '^/api/units').
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
py=$root/.venv/bin/python
st=$root/.venv/bin/schemathesis
user=${FUZZ_USER:-admin}
examples=${FUZZ_EXAMPLES:-20}
budget=${FUZZ_TIMEOUT:-1500}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/yingji-fuzz.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  if [ "${FUZZ_KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh database of our own: never whatever YINGJI_* the caller's shell points at.
for var in $(env | sed -n 's/^\(YINGJI_[A-Z0-9_]*\)=.*/\1/p'); do unset "$var"; done
export YINGJI_VAR_DIR="$tmp/var" YINGJI_QUEUE_URL=memory:// YINGJI_ENV=test YINGJI_LANG=en PYTHONUNBUFFERED=1

token=$(FUZZ_USER="$user" $py - <<'EOF'
import os, sys

from sqlalchemy import select

from yingji import demo, domains, migrate
from yingji.core import accounts, auth
from yingji.core.models import Unit, User
from yingji.core.schemas import TokenCreate
from yingji.core.scope import system_principal
from yingji.db import Database
from yingji.settings import Settings

database = Database(Settings())
migrate.upgrade(database.engine)
with database.unit_of_work() as session:
    domains.load_defaults(session, system_principal("fuzz"))
    demo.load(session, system_principal("fuzz"))
with database.unit_of_work() as session:
    user = session.scalars(select(User).where(User.username == os.environ["FUZZ_USER"])).one()
    principal = auth.principal_for(user, session.get_one(Unit, user.unit_id), via="session", request_id="fuzz")
    _, secret = accounts.create_token(session, principal, TokenCreate(name="fuzz"))
sys.stdout.write(secret)
EOF
) || { echo "!! could not build the fuzz database" >&2; exit 2; }

port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port"
$py -m yingji.cli serve --no-worker --host 127.0.0.1 --port "$port" >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 150); do
  curl -fsS -o /dev/null "$url/health" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
if ! curl -fsS -o /dev/null "$url/health"; then
  echo "!! the server did not start; its log:" >&2; tail -n 40 "$tmp/server.log" >&2; exit 2
fi
echo "== fuzzing $url/openapi.json as $user, $examples examples per operation"

seed_args=()
[ -n "${FUZZ_SEED:-}" ] && seed_args=(--seed "$FUZZ_SEED")
# Revoking a token is excluded: the fuzzer would revoke its own and test the rest signed out.
# From inside the temporary directory: schemathesis keeps a crash cache (.schemathesis/) in its
# working directory, and that must not land in (or rewrite files of) the repository.
(cd "$tmp" && exec timeout --kill-after=10 "$budget" "$st" run "$url/openapi.json" \
  --url "$url" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error \
  --exclude-path '/api/tokens/{token_id}' \
  --max-examples "$examples" \
  --request-timeout 30 \
  --generation-database none \
  --report junit --report-dir "$tmp/report" \
  --no-color \
  "${seed_args[@]}" "$@")
status=$?
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
  echo "!! schemathesis did not finish within ${budget}s" >&2
fi
# One line per unhandled server-side exception: what, and where in yingji it was raised.
$py - "$tmp/server.log" >&2 <<'EOF'
import re, sys

text = open(sys.argv[1], errors="replace").read()
blocks = text.split("Exception in ASGI application")[1:]
if blocks:
    print(f"== the server logged {len(blocks)} unhandled exception(s):")
for block in blocks:
    lines = block.splitlines()
    frames = [re.sub(r'^\s*File ".*/src/yingji/(.*)", line (\d+), in (\w+).*', r"\1:\2 \3", line) for line in lines
              if "/src/yingji/" in line and "/web/middleware.py" not in line]
    errors = [line for line in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception)\b", line)]
    print(f"  {errors[-1] if errors else '?'}\n      at {' > '.join(frames) or '?'}")
EOF
[ $status -ne 0 ] && echo "!! FUZZING FAILED (exit $status)" >&2
exit $status
