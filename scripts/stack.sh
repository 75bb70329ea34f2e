#!/usr/bin/env bash
# The embedded local stack: a throwaway PostgreSQL cluster (Airflow metadata + warehouse)
# started from this machine's server binaries, and an S3 endpoint (moto server), both on
# 127.0.0.1 only.  Usage: scripts/stack.sh up|down|status|env
#
# Configuration (environment, all optional):
#   KUOTA_STACK_DIR   state and logs            (default: <repo>/.stack)
#   KUOTA_PG_PORT     PostgreSQL port           (default: 54329)
#   KUOTA_S3_PORT     S3 endpoint port          (default: 54330)
#   KUOTA_BUCKET      exchange bucket           (default: kuota)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
stack_dir=${KUOTA_STACK_DIR:-$repo/.stack}
pg_port=${KUOTA_PG_PORT:-54329}
s3_port=${KUOTA_S3_PORT:-54330}
bucket=${KUOTA_BUCKET:-kuota}
# The cluster lives under /tmp so that the postgres user can reach it whatever the
# permissions of the checkout's parent directories are.
pg_data=${KUOTA_PG_DATA:-/tmp/kuota-pg-$pg_port}
venv_python=${KUOTA_PYTHON:-$repo/.venv/bin/python}
pg_user=kuota
pg_password=kuota

die() { echo "stack: $*" >&2; exit 1; }

find_pg_bin() {
  local d
  for d in "${KUOTA_PG_BIN:-}" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) /usr/local/bin /usr/bin; do
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

pg_bin=$(find_pg_bin) || pg_bin=""

# initdb refuses to run as root: as root, run the server as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to own the cluster (install the postgresql package)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_running() { [ -n "$pg_bin" ] && as_pg "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; }

psql_admin() {
  PGPASSWORD=$pg_password psql -v ON_ERROR_STOP=1 -q -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres "$@"
}

pg_up() {
  [ -n "$pg_bin" ] || die "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package 'postgresql' (or set KUOTA_PG_BIN)"
  command -v psql >/dev/null || die "psql not found: install the Debian package 'postgresql-client'"
  if pg_running; then echo "stack: PostgreSQL already running on 127.0.0.1:$pg_port"; return 0; fi
  if [ ! -s "$pg_data/PG_VERSION" ]; then
    rm -rf "$pg_data"; mkdir -p "$pg_data"
    [ "$(id -u)" = 0 ] && chown postgres: "$pg_data"
    local pwfile; pwfile=$(mktemp); echo "$pg_password" > "$pwfile"; chmod 644 "$pwfile"
    as_pg "$pg_bin/initdb" -D "$pg_data" -U "$pg_user" --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$stack_dir/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; cat "$stack_dir/initdb.log" >&2; die "initdb failed (log: $stack_dir/initdb.log)"; }
    rm -f "$pwfile"
    cat >>"$pg_data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_data'
max_connections = 200
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 8GB
synchronous_commit = off
fsync = off
full_page_writes = off
CONF
  fi
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 start >/dev/null \
    || { tail -20 "$pg_data/server.log" >&2; die "PostgreSQL did not start (log: $pg_data/server.log)"; }
  local db
  for db in airflow warehouse; do
    [ "$(psql_admin -tAc "select 1 from pg_database where datname='$db'")" = 1 ] || psql_admin -c "create database $db"
  done
  echo "stack: PostgreSQL up on 127.0.0.1:$pg_port (data: $pg_data)"
}

s3_running() { [ -f "$stack_dir/s3.pid" ] && kill -0 "$(cat "$stack_dir/s3.pid")" 2>/dev/null; }

s3_up() {
  if s3_running; then echo "stack: S3 endpoint already running on 127.0.0.1:$s3_port"; return 0; fi
  [ -x "$venv_python" ] || die "$venv_python not found: run 'make venv' first"
  nohup "$venv_python" -m moto.server -H 127.0.0.1 -p "$s3_port" >"$stack_dir/s3.log" 2>&1 &
  echo $! >"$stack_dir/s3.pid"
  local i
  for i in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$s3_port/moto-api/" >/dev/null 2>&1 && break
    kill -0 "$(cat "$stack_dir/s3.pid")" 2>/dev/null || { cat "$stack_dir/s3.log" >&2; die "S3 endpoint died at start (log: $stack_dir/s3.log)"; }
    sleep 0.2
  done
  (eval "$(env_vars)"; "$venv_python" - "$bucket" <<'PY'
import sys, boto3
s3 = boto3.client("s3")
if sys.argv[1] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
    s3.create_bucket(Bucket=sys.argv[1])
PY
  ) || die "could not create bucket $bucket"
  echo "stack: S3 endpoint up on http://127.0.0.1:$s3_port (bucket: $bucket)"
}

env_vars() {
  local wh="postgresql://$pg_user:$pg_password@127.0.0.1:$pg_port/warehouse"
  cat <<ENV
export KUOTA_STACK_DIR='$stack_dir'
export KUOTA_BUCKET='$bucket'
export KUOTA_WAREHOUSE_DSN='$wh'
export AIRFLOW_CONN_KUOTA_WAREHOUSE='$wh'
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN='postgresql+psycopg2://$pg_user:$pg_password@127.0.0.1:$pg_port/airflow'
export AWS_ENDPOINT_URL='http://127.0.0.1:$s3_port'
export AWS_ACCESS_KEY_ID='kuota-local'
export AWS_SECRET_ACCESS_KEY='kuota-local-secret'
export AWS_DEFAULT_REGION='us-east-1'
export AIRFLOW_CONN_KUOTA_S3='{"conn_type": "aws", "login": "kuota-local", "password": "kuota-local-secret", "extra": {"endpoint_url": "http://127.0.0.1:$s3_port", "region_name": "us-east-1"}}'
ENV
}

up() {
  mkdir -p "$stack_dir"
  pg_up
  s3_up
  env_vars >"$stack_dir/env"
  echo "stack: environment in $stack_dir/env (source it)"
}

down() {
  if s3_running; then kill "$(cat "$stack_dir/s3.pid")" 2>/dev/null || true; fi
  rm -f "$stack_dir/s3.pid"
  if pg_running; then as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null; fi
  rm -rf "$pg_data"
  echo "stack: stopped"
}

status() {
  pg_running && echo "postgres: up 127.0.0.1:$pg_port" || echo "postgres: down"
  s3_running && echo "s3: up 127.0.0.1:$s3_port" || echo "s3: down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_vars ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
