#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests (used by .ci/run and `make test`).
#
#   scripts/pg-cluster.sh start   create + start a cluster on a free 127.0.0.1 port, print its URL
#                                 (if one is already running in that folder, just print its URL)
#   scripts/pg-cluster.sh url     print the URL of the running cluster
#   scripts/pg-cluster.sh stop    stop the cluster and delete its directory
#   scripts/pg-cluster.sh status  exit 0 if the cluster is running
#
# Typical use:
#   export SAGEGATE_TEST_POSTGRES_URL="$(scripts/pg-cluster.sh start)"
#   .venv/bin/python -m pytest tests
#   scripts/pg-cluster.sh stop
#
# The cluster lives in $SAGEGATE_PG_DIR (default: ${TMPDIR:-/tmp}/sagegate-pg.<uid>), uses
# trust authentication on loopback only, and runs with fsync off: it is for tests, never data.
# As root, the server runs as the `postgres` OS user (created if missing), since PostgreSQL
# refuses to run as root. If no server binaries are found, `apt-get install -y postgresql`
# is run (non-interactively). Logs go to $SAGEGATE_PG_DIR/server.log. Only the URL is
# printed on stdout; progress goes to stderr.
set -euo pipefail

BASE="${SAGEGATE_PG_DIR:-${TMPDIR:-/tmp}/sagegate-pg.$(id -u)}"
DATA="$BASE/data"
URL_FILE="$BASE/url"
DBNAME="sagegate"

log() { echo "pg-cluster: $*" >&2; }

find_bindir() {
    local d
    if [[ -n "${PG_BINDIR:-}" && -x "${PG_BINDIR}/initdb" ]]; then
        echo "$PG_BINDIR"; return 0
    fi
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$d" && -x "$d/initdb" ]]; then echo "$d"; return 0; fi
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
    return 1
}

ensure_binaries() {
    if BINDIR="$(find_bindir)"; then return 0; fi
    log "PostgreSQL server binaries not found; installing with apt-get"
    local sudo=""
    [[ "$(id -u)" -eq 0 ]] || sudo="sudo -n"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q </dev/null >&2
    $sudo apt-get install -y -q postgresql </dev/null >&2
    BINDIR="$(find_bindir)" || { log "no initdb after installing postgresql"; exit 1; }
}

# Run a command as the cluster owner: ourselves, or `postgres` when we are root.
as_owner() {
    if [[ "$(id -u)" -ne 0 ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    else
        su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
    fi
}

ensure_owner() {
    [[ "$(id -u)" -eq 0 ]] || return 0
    if ! id postgres >/dev/null 2>&1; then
        log "creating OS user postgres"
        useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

is_running() {
    [[ -f "$DATA/postmaster.pid" ]] && BINDIR="$(find_bindir)" \
        && as_owner "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

cmd_start() {
    if is_running; then
        if [[ -f "$URL_FILE" ]]; then cat "$URL_FILE"; return 0; fi
        cmd_stop  # running but its URL is lost: start afresh
    fi
    ensure_binaries
    ensure_owner
    rm -rf "$BASE"
    mkdir -p "$BASE"
    chmod 0755 "$BASE"
    if [[ "$(id -u)" -eq 0 ]]; then chown postgres: "$BASE"; fi
    # The cluster directory must be reachable by its owner even when TMPDIR is private.
    as_owner test -w "$BASE" || { log "$BASE is not writable by the cluster owner"; exit 1; }
    as_owner "$BINDIR/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$BASE/initdb.log" 2>&1 </dev/null \
        || as_owner "$BINDIR/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-locale \
        >"$BASE/initdb.log" 2>&1 </dev/null \
        || { cat "$BASE/initdb.log" >&2; exit 1; }
    local port attempt
    for attempt in $(seq 1 20); do
        port=$(( 20000 + RANDOM % 40000 ))
        port_in_use "$port" && continue
        if as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$BASE/server.log" -w -t 60 \
            -o "-p $port -c listen_addresses=127.0.0.1 -k $BASE -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null </dev/null; then
            as_owner "$BINDIR/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
                -c "CREATE DATABASE $DBNAME" </dev/null >/dev/null
            echo "postgresql+psycopg://postgres@127.0.0.1:$port/$DBNAME" >"$URL_FILE"
            log "started on 127.0.0.1:$port ($DATA)"
            cat "$URL_FILE"
            return 0
        fi
        log "start on port $port failed (attempt $attempt); retrying"
        tail -n 5 "$BASE/server.log" >&2 || true
    done
    log "could not start PostgreSQL"; exit 1
}

cmd_stop() {
    if [[ -f "$DATA/postmaster.pid" ]] && BINDIR="$(find_bindir)"; then
        as_owner "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 </dev/null || true
    fi
    rm -rf "$BASE"
    log "stopped"
}

cmd_url() {
    if is_running && [[ -f "$URL_FILE" ]]; then cat "$URL_FILE"; return 0; fi
    log "no running cluster in $BASE (run: $0 start)"; exit 1
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) cmd_url ;;
    status) is_running ;;
    *) echo "usage: $0 start|stop|url|status" >&2; exit 2 ;;
esac
