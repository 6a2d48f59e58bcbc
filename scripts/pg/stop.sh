#!/usr/bin/env bash
# Stops the server scripts/pg/start.sh started in DIR and removes DIR. Usage: scripts/pg/stop.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/pg/stop.sh DIR}
if [ -f "$dir/data/PG_VERSION" ]; then
  if [ -n "${OFFLOAD_PG_BIN:-}" ]; then bin=$OFFLOAD_PG_BIN
  elif ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  else bin=$(dirname "$(command -v pg_ctl)"); fi
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  else "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
fi
rm -rf "$dir"
