#!/usr/bin/env bash
# The embedded local stack: a throwaway PostgreSQL cluster (Airflow metadata + warehouse)
# started from this machine's server binaries, an S3 endpoint (moto server), an SMTP sink
# for the operators' alerts (aiosmtpd, each mail a .eml file) and, where Debian's
# redis-server is installed, Redis as the CeleryExecutor's broker (make demo-celery), all on
# 127.0.0.1 only.
# Usage: scripts/stack.sh up|down|status|env
#
# Configuration (environment, all optional):
#   KUOTA_STACK_DIR   state and logs            (default: <repo>/.stack)
#   KUOTA_PG_PORT     PostgreSQL port           (default: 54329)
#   KUOTA_S3_PORT     S3 endpoint port          (default: 54330)
#   KUOTA_SMTP_PORT   SMTP sink port            (default: KUOTA_S3_PORT + 1, 54331; mails in $KUOTA_STACK_DIR/mail)
#   KUOTA_REDIS_PORT  Redis port                (default: KUOTA_S3_PORT + 2, 54332)
#   KUOTA_ALERT_TO    who the alerts go to      (default: operator@localhost)
#   KUOTA_BUCKET      exchange bucket           (default: kuota)
#
# Secrets: the PostgreSQL and Redis passwords and the S3 keys are generated on first use (up or env) into
# $KUOTA_STACK_DIR/secrets (mode 600, 24 random bytes in hex each) and reused afterwards, until
# that file is removed.  The cluster records which stack directory created it
# ($pg_data/kuota-stack-dir); `down` removes the cluster and its data, not the secrets.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
stack_dir=${KUOTA_STACK_DIR:-$repo/.stack}
stack_dir=$(realpath -m "$stack_dir")
pg_port=${KUOTA_PG_PORT:-54329}
s3_port=${KUOTA_S3_PORT:-54330}
smtp_port=${KUOTA_SMTP_PORT:-$((s3_port + 1))}  # beside its S3 endpoint: two stacks never share a sink
redis_port=${KUOTA_REDIS_PORT:-$((s3_port + 2))}
alert_to=${KUOTA_ALERT_TO:-operator@localhost}
bucket=${KUOTA_BUCKET:-kuota}
# The cluster lives under /tmp so that the postgres user can reach it whatever the
# permissions of the checkout's parent directories are.
pg_data=${KUOTA_PG_DATA:-/tmp/kuota-pg-$pg_port}
venv_python=${KUOTA_PYTHON:-$repo/.venv/bin/python}
pg_user=kuota
secrets_file=$stack_dir/secrets
owner_file=$pg_data/kuota-stack-dir
# Set by load_secrets.
pg_password="" s3_access_key="" s3_secret_key="" redis_password=""

die() { echo "stack: $*" >&2; exit 1; }

# 24 random bytes in hex: 48 characters, never a word that appears in a path or a log (Airflow
# masks every occurrence of a connection's password in task logs).
new_secret() { od -An -vtx1 -N24 /dev/urandom | tr -d ' \n'; }

# The stack directory whose secrets the cluster at $pg_data was created with ("" if none
# recorded: check_password then tells whether it takes this stack's secrets).
pg_owner() {
  if [ -e "$owner_file" ]; then cat "$owner_file"; fi
}

load_secrets() {
  if [ ! -s "$secrets_file" ]; then
    mkdir -p "$stack_dir"
    local tmp; tmp=$(umask 077 && mktemp "$stack_dir/.secrets.XXXXXX")
    printf 'pg_password=%s\ns3_access_key=%s\ns3_secret_key=%s\n' "$(new_secret)" "$(new_secret)" "$(new_secret)" >"$tmp"
    ln "$tmp" "$secrets_file" 2>/dev/null || true   # atomic: a concurrent first call wins, both read it
    rm -f "$tmp"
  fi
  # A secrets file from before Redis joined the stack gets its password added.
  grep -q '^redis_password=' "$secrets_file" || printf 'redis_password=%s\n' "$(new_secret)" >>"$secrets_file"
  pg_password=$(sed -n 's/^pg_password=//p' "$secrets_file")
  redis_password=$(sed -n 's/^redis_password=//p' "$secrets_file")
  s3_access_key=$(sed -n 's/^s3_access_key=//p' "$secrets_file")
  s3_secret_key=$(sed -n 's/^s3_secret_key=//p' "$secrets_file")
  local v
  for v in "$pg_password" "$s3_access_key" "$s3_secret_key"; do
    [[ $v =~ ^[0-9a-f]{48,}$ ]] || die "$secrets_file is malformed (each value: 48+ hex digits): remove it, then" \
      "scripts/stack.sh down && scripts/stack.sh up (new secrets, new cluster)"
  done
}

# The cluster on this port must have been created by this stack directory, with its secrets.
check_owner() {
  local owner; owner=$(pg_owner)
  [ -z "$owner" ] || [ "$owner" = "$stack_dir" ] \
    || die "the PostgreSQL cluster for port $pg_port ($pg_data) belongs to the stack in $owner, with its secrets:" \
      "use KUOTA_STACK_DIR=$owner, or another KUOTA_PG_PORT and KUOTA_S3_PORT for $stack_dir"
}

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

# A cluster that refuses this stack's password was created with other secrets (say, the
# secrets file was removed since): it is throwaway, so recreate it.
check_password() {
  local out
  out=$(PGCONNECT_TIMEOUT=10 psql_admin -tAc "select 1" 2>&1) && return 0
  # Another failure (not ready yet, ...): the next step reports it.
  grep -q "password authentication failed" <<<"$out" || return 0
  die "PostgreSQL on 127.0.0.1:$pg_port ($pg_data) refuses the password in $secrets_file: it was created" \
    "with other secrets. It is throwaway: KUOTA_STACK_DIR=$stack_dir KUOTA_PG_PORT=$pg_port scripts/stack.sh down" \
    "removes it and its data, then scripts/stack.sh up creates it again with these secrets."
}

pg_up() {
  [ -n "$pg_bin" ] || die "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package 'postgresql' (or set KUOTA_PG_BIN)"
  command -v psql >/dev/null || die "psql not found: install the Debian package 'postgresql-client'"
  if pg_running; then
    check_password
    echo "stack: PostgreSQL already running on 127.0.0.1:$pg_port"; return 0
  fi
  if [ ! -s "$pg_data/PG_VERSION" ]; then
    rm -rf "$pg_data"; mkdir -p "$pg_data"
    [ "$(id -u)" = 0 ] && chown postgres: "$pg_data"
    local pwfile; pwfile=$(umask 077 && mktemp); echo "$pg_password" > "$pwfile"
    [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
    as_pg "$pg_bin/initdb" -D "$pg_data" -U "$pg_user" --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$stack_dir/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; cat "$stack_dir/initdb.log" >&2; die "initdb failed (log: $stack_dir/initdb.log)"; }
    rm -f "$pwfile"
    echo "$stack_dir" >"$owner_file"
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
  check_password
  local db
  for db in airflow warehouse; do
    [ "$(psql_admin -tAc "select 1 from pg_database where datname='$db'")" = 1 ] || psql_admin -c "create database $db"
  done
  echo "stack: PostgreSQL up on 127.0.0.1:$pg_port (data: $pg_data)"
}

# Starts a server on its port and waits until `ready` (a command) succeeds. The stack's ports
# lie in the kernel's ephemeral range, so a client connection may hold one for a moment (or
# in TIME-WAIT): on "address already in use" it tries again, for up to 90 s.
# Usage: start_bound NAME LOG PIDFILE READY COMMAND...
start_bound() {
  local name=$1 log=$2 pidfile=$3 ready=$4 i deadline=$((SECONDS + 90))
  shift 4
  while :; do
    nohup "$@" >"$log" 2>&1 &
    echo $! >"$pidfile"
    for i in $(seq 1 100); do
      eval "$ready" && return 0
      kill -0 "$(cat "$pidfile")" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$(cat "$pidfile")" 2>/dev/null && return 0  # alive, slow to answer: as before
    if grep -qi "address already in use" "$log" && [ $SECONDS -lt $deadline ]; then
      echo "stack: a connection holds the $name's port for now; trying again"
      sleep 3
      continue
    fi
    cat "$log" >&2
    die "$name died at start (log: $log)"
  done
}

s3_running() { [ -f "$stack_dir/s3.pid" ] && kill -0 "$(cat "$stack_dir/s3.pid")" 2>/dev/null; }

s3_up() {
  if s3_running; then echo "stack: S3 endpoint already running on 127.0.0.1:$s3_port"; return 0; fi
  [ -x "$venv_python" ] || die "$venv_python not found: run 'make venv' first"
  start_bound "S3 endpoint" "$stack_dir/s3.log" "$stack_dir/s3.pid" \
    "curl -fsS http://127.0.0.1:$s3_port/moto-api/ >/dev/null 2>&1" \
    "$venv_python" -m moto.server -H 127.0.0.1 -p "$s3_port"
  (eval "$(env_vars)"; "$venv_python" - "$bucket" <<'PY'
import sys, boto3
s3 = boto3.client("s3")
if sys.argv[1] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
    s3.create_bucket(Bucket=sys.argv[1])
PY
  ) || die "could not create bucket $bucket"
  echo "stack: S3 endpoint up on http://127.0.0.1:$s3_port (bucket: $bucket)"
}

smtp_running() { [ -f "$stack_dir/smtp.pid" ] && kill -0 "$(cat "$stack_dir/smtp.pid")" 2>/dev/null; }

smtp_up() {
  if smtp_running; then echo "stack: SMTP sink already running on 127.0.0.1:$smtp_port"; return 0; fi
  [ -x "$venv_python" ] || die "$venv_python not found: run 'make venv' first"
  mkdir -p "$stack_dir/mail"
  PYTHONPATH="$repo/tools${PYTHONPATH:+:$PYTHONPATH}" start_bound "SMTP sink" "$stack_dir/smtp.log" \
    "$stack_dir/smtp.pid" "grep -q 'mail sink: SMTP on' '$stack_dir/smtp.log' 2>/dev/null" \
    "$venv_python" -m kuota_tools.mail_sink --port "$smtp_port" --folder "$stack_dir/mail"
  echo "stack: SMTP sink up on 127.0.0.1:$smtp_port (mails: $stack_dir/mail)"
}

redis_running() { [ -f "$stack_dir/redis.pid" ] && kill -0 "$(cat "$stack_dir/redis.pid")" 2>/dev/null; }

# Redis is the CeleryExecutor's broker only: without Debian's redis-server the rest of the
# stack works as before (make demo-celery installs it).
redis_up() {
  if ! command -v redis-server >/dev/null; then
    echo "stack: redis-server not installed: only the CeleryExecutor needs it (make demo-celery installs it)"
    return 0
  fi
  if redis_running; then echo "stack: Redis already running on 127.0.0.1:$redis_port"; return 0; fi
  mkdir -p "$stack_dir/redis"
  # The password in a file of mode 600, not on a command line that ps shows.
  (umask 077 && cat >"$stack_dir/redis.conf" <<CONF
bind 127.0.0.1
port $redis_port
protected-mode yes
requirepass $redis_password
daemonize yes
pidfile $stack_dir/redis.pid
logfile $stack_dir/redis.log
dir $stack_dir/redis
save ""
appendonly no
CONF
  )
  # The port is in the kernel's ephemeral range, as the stack's others: a client connection of
  # a minute ago may still hold it in TIME-WAIT, which Redis does not bind over. It waits.
  local i deadline=$((SECONDS + 90))
  while :; do
    : >"$stack_dir/redis.log"
    redis-server "$stack_dir/redis.conf" || die "Redis did not start (log: $stack_dir/redis.log)"
    for i in $(seq 1 50); do
      [ "$(REDISCLI_AUTH=$redis_password redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ] && break 2
      grep -q "Address already in use" "$stack_dir/redis.log" && break
      sleep 0.2
    done
    grep -q "Address already in use" "$stack_dir/redis.log" && [ $SECONDS -lt $deadline ] || {
      tail -5 "$stack_dir/redis.log" >&2; die "Redis does not answer on 127.0.0.1:$redis_port (log: $stack_dir/redis.log)"; }
    echo "stack: 127.0.0.1:$redis_port is still held by a closed connection (TIME-WAIT); trying again"
    sleep 3
  done
  echo "stack: Redis up on 127.0.0.1:$redis_port (the CeleryExecutor's broker)"
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
export AWS_ACCESS_KEY_ID='$s3_access_key'
export AWS_SECRET_ACCESS_KEY='$s3_secret_key'
export AWS_DEFAULT_REGION='us-east-1'
export AIRFLOW_CONN_KUOTA_S3='{"conn_type": "aws", "login": "$s3_access_key", "password": "$s3_secret_key", "extra": {"endpoint_url": "http://127.0.0.1:$s3_port", "region_name": "us-east-1"}}'
export AIRFLOW_CONN_KUOTA_SMTP='{"conn_type": "smtp", "host": "127.0.0.1", "port": $smtp_port, "extra": {"from_email": "kuota-alerts@localhost", "disable_ssl": true, "disable_tls": true, "timeout": 10, "retry_limit": 1}}'
export KUOTA_ALERT_TO='$alert_to'
export KUOTA_MAIL_DIR='$stack_dir/mail'
export AIRFLOW__CELERY__BROKER_URL='redis://:$redis_password@127.0.0.1:$redis_port/0'
export AIRFLOW__CELERY__RESULT_BACKEND='db+postgresql://$pg_user:$pg_password@127.0.0.1:$pg_port/airflow'
ENV
}

up() {
  check_owner
  mkdir -p "$stack_dir"
  load_secrets
  pg_up
  s3_up
  smtp_up
  redis_up
  (umask 077 && env_vars >"$stack_dir/env") && chmod 600 "$stack_dir/env"
  echo "stack: environment in $stack_dir/env (source it)"
}

down() {
  check_owner
  if s3_running; then kill "$(cat "$stack_dir/s3.pid")" 2>/dev/null || true; fi
  rm -f "$stack_dir/s3.pid"
  if smtp_running; then kill "$(cat "$stack_dir/smtp.pid")" 2>/dev/null || true; fi
  rm -f "$stack_dir/smtp.pid"
  if redis_running; then kill "$(cat "$stack_dir/redis.pid")" 2>/dev/null || true; fi
  rm -f "$stack_dir/redis.pid"
  if pg_running; then as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null; fi
  rm -rf "$pg_data"
  echo "stack: stopped"
}

status() {
  pg_running && echo "postgres: up 127.0.0.1:$pg_port" || echo "postgres: down"
  s3_running && echo "s3: up 127.0.0.1:$s3_port" || echo "s3: down"
  smtp_running && echo "smtp: up 127.0.0.1:$smtp_port (mails: $stack_dir/mail)" || echo "smtp: down"
  if redis_running; then echo "redis: up 127.0.0.1:$redis_port"
  elif command -v redis-server >/dev/null; then echo "redis: down"
  else echo "redis: not installed"; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) check_owner; load_secrets; env_vars ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
