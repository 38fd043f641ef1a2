#!/usr/bin/env bash
# A private PostgreSQL + PostGIS cluster for demine's tests: initdb in a temporary directory,
# listening on 127.0.0.1 (a free port) and a Unix socket in that directory, trust
# authentication (loopback only: this cluster is for tests, never for data), torn down by `stop`.
#
#   scripts/pg-test-cluster.sh start   # start it (installs PostgreSQL/PostGIS from Debian if missing)
#   eval "$(scripts/pg-test-cluster.sh env)"   # export DEMINE_TEST_PG=postgres://…
#   scripts/pg-test-cluster.sh replica # add a hot standby (streaming replica) on another port
#   scripts/pg-test-cluster.sh stop    # stop them and delete the directory
#
# DEMINE_TEST_PG names the `postgres` database (the tests connect there as the superuser to
# create theirs). The cluster holds a database `demine_template` with PostGIS: tests create one database per
# test from it (CREATE DATABASE … TEMPLATE demine_template), so they never share state.
# `DEMINE_PG_STATE` chooses where the cluster's directory is (default /tmp/demine-pg-test-$UID).
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
STATE="${DEMINE_PG_STATE:-${TMPDIR:-/tmp}/demine-pg-test-$(id -u)}"

die() { echo "pg-test-cluster: $*" >&2; exit 1; }

install_packages() {
  if [[ -x "$BIN/initdb" && -f "/usr/share/postgresql/${PG_MAJOR}/extension/postgis.control" ]]; then
    return
  fi
  [[ "$(id -u)" == 0 ]] || die "PostgreSQL ${PG_MAJOR} with PostGIS is not installed; as root: apt-get install postgresql-${PG_MAJOR} postgresql-${PG_MAJOR}-postgis-3"
  echo "pg-test-cluster: installing PostgreSQL ${PG_MAJOR} and PostGIS 3 from Debian" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-${PG_MAJOR}" "postgresql-${PG_MAJOR}-postgis-3" >&2
}

# Runs a command as the cluster's owner: PostgreSQL refuses to run as root.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u "$(cat "$STATE/owner")" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 20000))
    if ! ss -Hltn "sport = :$p" | grep -q .; then
      echo "$p"
      return
    fi
  done
  die "no free loopback port found"
}

url() {
  echo "postgres://postgres@127.0.0.1:$(cat "$STATE/port")/postgres"
}

running() {
  [[ -f "$STATE/port" ]] && as_owner "$BIN/pg_ctl" -D "$STATE/data" status >/dev/null 2>&1
}

start() {
  install_packages
  if running; then
    echo "pg-test-cluster: already running in $STATE" >&2
    echo "DEMINE_TEST_PG=$(url)"
    return
  fi
  rm -rf "$STATE"
  mkdir -p "$STATE"
  chmod 700 "$STATE"
  local owner
  owner="$(id -un)"
  if [[ "$(id -u)" == 0 ]]; then
    if getent passwd postgres >/dev/null; then owner=postgres; else owner=nobody; fi
    chown "$owner" "$STATE"
  fi
  echo "$owner" >"$STATE/owner"
  local port
  port="$(free_port)"
  echo "$port" >"$STATE/port"
  as_owner "$BIN/initdb" -D "$STATE/data" -U postgres --auth-local=trust --auth-host=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 || { cat "$STATE/initdb.log" >&2; die "initdb failed"; }
  # Loopback only; small settings for a shared test machine; fsync off (test data only).
  cat >>"$STATE/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$STATE'
max_connections = 200
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  as_owner "$BIN/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w -t 60 start >/dev/null \
    || { cat "$STATE/server.log" >&2; die "the server did not start"; }
  local psql=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$STATE" -p "$port" -U postgres)
  as_owner "${psql[@]}" -d postgres -c "CREATE DATABASE demine_template" >/dev/null
  as_owner "${psql[@]}" -d demine_template -c "CREATE EXTENSION postgis" >/dev/null
  as_owner "${psql[@]}" -d postgres -c "UPDATE pg_database SET datistemplate = true WHERE datname = 'demine_template'" >/dev/null
  echo "pg-test-cluster: PostgreSQL ${PG_MAJOR} + PostGIS on 127.0.0.1:$port ($STATE)" >&2
  echo "DEMINE_TEST_PG=$(url)"
}

# A hot standby of the cluster (streaming replication, pg_basebackup -R) on another loopback
# port: what `demine serve --read-replica` is tested against.
replica() {
  running || die "the primary is not running; start it with: $0 start"
  if replica_running; then
    echo "DEMINE_TEST_PG_REPLICA=$(replica_url)"
    return
  fi
  local port rport
  port="$(cat "$STATE/port")"
  rport="$(free_port)"
  echo "$rport" >"$STATE/replica-port"
  rm -rf "$STATE/replica"
  as_owner "$BIN/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$STATE/replica" -R -X stream -c fast \
    >"$STATE/basebackup.log" 2>&1 || { cat "$STATE/basebackup.log" >&2; die "pg_basebackup failed"; }
  printf 'port = %s\nhot_standby = on\n' "$rport" >>"$STATE/replica/postgresql.conf"
  as_owner "$BIN/pg_ctl" -D "$STATE/replica" -l "$STATE/replica.log" -w -t 60 start >/dev/null \
    || { cat "$STATE/replica.log" >&2; die "the replica did not start"; }
  echo "pg-test-cluster: hot standby on 127.0.0.1:$rport, streaming from :$port" >&2
  echo "DEMINE_TEST_PG_REPLICA=$(replica_url)"
}

replica_url() {
  echo "postgres://postgres@127.0.0.1:$(cat "$STATE/replica-port")/postgres"
}

replica_running() {
  [[ -f "$STATE/replica-port" ]] && as_owner "$BIN/pg_ctl" -D "$STATE/replica" status >/dev/null 2>&1
}

stop() {
  if [[ -d "$STATE/replica" ]]; then
    as_owner "$BIN/pg_ctl" -D "$STATE/replica" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [[ -d "$STATE/data" ]]; then
    as_owner "$BIN/pg_ctl" -D "$STATE/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$STATE"
  echo "pg-test-cluster: stopped" >&2
}

case "${1:-}" in
  start) start ;;
  replica) replica ;;
  stop) stop ;;
  env)
    running || die "not running; start it with: $0 start"
    echo "export DEMINE_TEST_PG=$(url)"
    if replica_running; then echo "export DEMINE_TEST_PG_REPLICA=$(replica_url)"; fi
    ;;
  *) die "usage: $0 start|replica|stop|env" ;;
esac
