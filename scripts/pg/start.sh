#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the team ledger's tests and benchmarks, on a unix socket
# only (listen_addresses=''), and prints its socket folder (pass it as OFFLOAD_TEST_PG_HOST, or as
# `?host=` of a postgres:// URL). Usage: scripts/pg/start.sh [DIR] (default $OFFLOAD_PG_DIR, else
# /tmp/offload-pg-server). DIR holds data/, sock/ and server.log; stop and remove it with
# scripts/pg/stop.sh DIR. Idempotent: when DIR's server already runs, it only prints the socket folder.
# The server refuses to run as root, so as root it runs as the `postgres` user (runuser), which
# then owns DIR. Extra server settings: OFFLOAD_PG_OPTIONS (e.g. "-c fsync=off").
set -euo pipefail

dir=${1:-${OFFLOAD_PG_DIR:-/tmp/offload-pg-server}}
if [ -n "${OFFLOAD_PG_BIN:-}" ]; then
  bin=$OFFLOAD_PG_BIN
elif ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
elif command -v initdb >/dev/null; then
  bin=$(dirname "$(command -v initdb)")
else
  echo "no PostgreSQL found: install Debian's postgresql package (apt-get install postgresql) or set OFFLOAD_PG_BIN" >&2
  exit 1
fi

as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$dir/sock"
if [ "$(id -u)" = 0 ]; then chown postgres: "$dir" "$dir/sock"; fi
if as_server "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  echo "$dir/sock"
  exit 0
fi
if [ ! -f "$dir/data/PG_VERSION" ]; then
  as_server "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
fi
as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses='' -k $dir/sock -c max_connections=300 ${OFFLOAD_PG_OPTIONS:-}" start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }
echo "$dir/sock"
