#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL from the installed binaries:
#   scripts/with-postgres.sh CMD...   (YINGJI_TEST_PG_URL is set for CMD)
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "!! PostgreSQL could not be started: no server binaries under /usr/lib/postgresql (apt-get install postgresql)." >&2
  exit 3
fi
dir=$(mktemp -d /tmp/yingji-pg.XXXXXX)
port=${YINGJI_PG_PORT:-$(( 20000 + RANDOM % 20000 ))}
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home "$dir" postgres
  chown postgres "$dir"; chmod 700 "$dir"
  as_pg=(runuser -u postgres --)
fi
cleanup() { "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; echo "!! PostgreSQL could not be started: initdb failed." >&2; exit 3; }
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
  "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
  || { cat "$dir/server.log" >&2; echo "!! PostgreSQL could not be started: pg_ctl start failed." >&2; exit 3; }
export YINGJI_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
echo "throwaway PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on port $port"
"$@"
