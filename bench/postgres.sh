#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for `bench/run.sh cluster`, on 127.0.0.1 only, with PostgreSQL's default durability
# (fsync and synchronous commit on: the bench counts the server's CPU, so it must do what a real one does).
#   bench/postgres.sh start DIR PORT [OPTION ...]   initdb + start; prints the connection string of an empty database
#                                                   uw_bench. OPTIONs go to the server, e.g. -c track_commit_timestamp=on
#                                                   (commit times: cluster-live measures from the commit then)
#   bench/postgres.sh stop DIR                      stops the server and deletes DIR
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
cmd=${1:?start|stop}; dir=${2:?data folder}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
start)
    port=${3:?port}
    mkdir -p "$dir"; [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -A trust -U uw -E UTF8 >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start \
        -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c max_connections=200 ${*:4}" >/dev/null
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U uw uw_bench
    echo "Host=127.0.0.1;Port=$port;Username=uw;Database=uw_bench"
    ;;
stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
*) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
