#!/usr/bin/env bash
# Ensures a PostgreSQL server on loopback for the test suite and prints its URL.
# Installs Debian's server with apt-get when it is absent; runs a throwaway cluster
# owned by the postgres user on its own port, so it never touches a system cluster.
set -euo pipefail
PORT="${RAPPORT_PG_PORT:-54329}"
DIR="${RAPPORT_PG_DIR:-/tmp/rapport-pg}"
URL="postgres://postgres@127.0.0.1:${PORT}/postgres"

find_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

BIN="$(find_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "postgres: installing PostgreSQL with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  BIN="$(find_bin)"
fi

if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  echo "$URL"
  exit 0
fi

RUN_AS=()
if [ "$(id -u)" = "0" ]; then
  RUN_AS=(runuser -u postgres --)
fi
rm -rf "$DIR"
mkdir -p "$DIR"
[ "$(id -u)" = "0" ] && chown postgres "$DIR"
"${RUN_AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres -A trust --no-sync >/dev/null
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >&2
echo "$URL"
