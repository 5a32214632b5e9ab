#!/usr/bin/env bash
# A throw-away PostgreSQL server for the test suite's database tests.
#
#   .ci/postgres.sh run -- COMMAND...   start a server, run COMMAND with TITLERULES_TEST_PG set
#                                       to its URI, stop the server (whatever COMMAND did)
#
# When TITLERULES_TEST_PG is already set, COMMAND runs against that server and none is started.
# The server is Debian's (package postgresql, installed here when missing and running as root):
# a cluster made with initdb in a temporary folder, on a free port of 127.0.0.1, owned by the
# `postgres` user when run as root.  Without a server (not root, no PostgreSQL) COMMAND still
# runs: the database tests then fail under CI=true and are skipped otherwise.
set -euo pipefail

if [[ "${1:-}" != "run" || "${2:-}" != "--" || $# -lt 3 ]]; then
    echo "usage: $0 run -- COMMAND..." >&2
    exit 64
fi
shift 2

if [[ -n "${TITLERULES_TEST_PG:-}" ]]; then
    exec "$@"
fi

find_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$found" && -x "$found/initdb" ]]; then
        echo "$found"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    fi
}

BIN=$(find_bin)
if [[ -z "$BIN" && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: installing PostgreSQL (Debian package postgresql)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BIN=$(find_bin)
fi
if [[ -z "$BIN" ]]; then
    echo "postgres.sh: no PostgreSQL server here (initdb not found); database tests skip," \
        "or fail under CI=true" >&2
    exec "$@"
fi

DIR=$(mktemp -d /tmp/titlerules-pg.XXXXXX)
AS=()
if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$DIR"
    AS=(runuser -u postgres --)
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
    "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap stop EXIT

"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
"${AS[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres titlerules_test
export TITLERULES_TEST_PG="postgresql://postgres@127.0.0.1:$PORT/titlerules_test"
echo "postgres.sh: $("$BIN/pg_ctl" --version) at $TITLERULES_TEST_PG" >&2
set +e
"$@"
status=$?
set -e
exit $status
