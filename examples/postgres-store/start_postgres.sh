#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the postgres-store example and its tests: a fresh data
# folder, a server listening on a Unix socket in that folder only (no TCP port), and a
# database "runs".  Prints the connection string on its last line of stdout:
#
#   bash examples/postgres-store/start_postgres.sh DIR      # start; prints host=DIR ...
#   bash examples/postgres-store/start_postgres.sh --stop DIR
#
# The server is Debian's (the postgresql package, installed with apt-get when it is missing
# and this runs as root); as root, the cluster belongs to the postgres user, since the
# server refuses to run as root.  Exits non-zero, saying why, when there is no server.
set -euo pipefail

stop=0
if [[ ${1:-} == --stop ]]; then
    stop=1
    shift
fi
if [[ $# -ne 1 ]]; then
    echo "usage: bash start_postgres.sh [--stop] DIR" >&2
    exit 2
fi
mkdir -p "$1"
dir=$(cd "$1" && pwd)

bindir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [[ -n $found && -x $found/initdb ]] && echo "$found"
}

# As root, every server command runs as the postgres user.
as_owner() {
    if [[ $(id -u) == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [[ $stop == 1 ]]; then
    bin=$(bindir) || exit 0
    [[ -f $dir/data/postmaster.pid ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null
    exit 0
fi

if ! bin=$(bindir); then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "start_postgres: installing Debian's postgresql package" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
    fi
    bin=$(bindir) || {
        echo "start_postgres: no PostgreSQL server (install Debian's postgresql package)" >&2
        exit 1
    }
fi

rm -rf "$dir/data"
mkdir -p "$dir/data"
[[ $(id -u) == 0 ]] && chown -R postgres: "$dir"
as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log"
# fsync off: a throwaway cluster for tests, never a store of anything that must survive.
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c max_connections=200" \
    start >/dev/null
as_owner "$bin/createdb" -h "$dir" -U postgres runs
echo "host=$dir dbname=runs user=postgres"
