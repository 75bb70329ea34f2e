#!/usr/bin/env bash
# The demo period on CeleryExecutor, compared with the same period in one process (run
# through `make demo-celery`, on the local stack with its Redis).
#
# The same generated cutoff runs twice, each on its own warehouse database and its own exchange
# and output folders, with the same partners (the provider simulator; the schools' decisions
# as they come, their corrections handed in between the DAG runs):
#   1. in one process: `airflow dags test`, as `make demo` runs it;
#   2. on CeleryExecutor: scripts/airflow.sh with KUOTA_EXECUTOR=celery (a scheduler, Redis as
#      the broker, two workers of 4 processes each), every run triggered through the REST API.
# Then every table and every file of the two are compared byte for byte
# (python -m kuota_tools.run_digest): the script fails if one differs.
#
# Environment: DEMO_STUDENTS (default 5000), DEMO_SEED (2020), DEMO_PERIODE (2020-09),
# KUOTA_CELERY_WORKERS (2), KUOTA_CELERY_CONCURRENCY (4), KUOTA_CELERY_AIRFLOW_PORT (8091).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/.venv/bin
students=${DEMO_STUDENTS:-5000}
seed=${DEMO_SEED:-2020}
periode=${DEMO_PERIODE:-2020-09}
bucket=${KUOTA_BUCKET:-kuota}
port=${KUOTA_CELERY_AIRFLOW_PORT:-8091}
cutoff_uri="s3://$bucket/dapodik/cutoff-2020-09-11-seed$seed-n$students"
work=$KUOTA_STACK_DIR/demo-celery
export AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__DAGS_FOLDER=$repo/dags AIRFLOW__CORE__PLUGINS_FOLDER=$repo/plugins
mkdir -p "$work"

grep -q "redis: up" <<<"$("$repo/scripts/stack.sh" status)" \
  || { echo "demo-celery: the stack's Redis is not running (install Debian's redis-server; make demo-celery does)"; exit 1; }

# A fresh database on the stack's server; prints its DSN (read from the environment: a password
# in argv shows in ps).
fresh_db() {
  "$bin/python" - "$1" <<'PY'
import os, sys, psycopg2
from kuota.infra import db
dsn, name = os.environ["KUOTA_WAREHOUSE_DSN"], sys.argv[1]
conn = psycopg2.connect(db.libpq_dsn(dsn)); conn.autocommit = True
with conn.cursor() as cur:
    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    cur.execute(f'CREATE DATABASE "{name}"')
print(dsn.rsplit("/", 1)[0] + "/" + name)
PY
}

empty_prefix() {
  "$bin/python" - "$1" <<'PY'
import sys
from kuota.infra.storage import Storage
bucket, _, prefix = sys.argv[1][len("s3://"):].partition("/")
s3 = Storage().s3
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
    keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
    if keys:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
PY
}

echo "== 1. Synthetic Dapodik cutoff: $students students -> $cutoff_uri"
"$bin/python" -m kuota_tools generate --out "$cutoff_uri" --students "$students" --seed "$seed" --cutoff-date 2020-09-11 \
  | "$bin/python" -c 'import json,sys; r=json.load(sys.stdin); print("   rows:", r["rows"], "seconds:", r["seconds"])'

pids=()
stop_partners() { kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; pids=(); }
airflow_celery_home=$KUOTA_STACK_DIR/airflow-celery
cleanup() {
  stop_partners
  AIRFLOW_HOME=$airflow_celery_home "$repo/scripts/airflow.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

# One period, start to end; $1 names the run (one_process or celery), $2 runs one DAG run:
# "$2 DAG_ID CONF LOG".
period() {
  local name=$1 runner=$2 exchange=s3://$bucket/demo-celery/$1/exchange output=s3://$bucket/demo-celery/$1/output
  empty_prefix "s3://$bucket/demo-celery/$name"
  "$bin/python" -m kuota_tools simulate-providers --exchange-uri "$exchange" --periode "$periode" --poll-seconds 1 \
    >"$work/$name-providers.log" 2>&1 &
  pids+=($!)
  "$bin/python" -m kuota_tools simulate-schools --exchange-uri "$exchange" --periode "$periode" --only persetujuan \
    --poll-seconds 1 --delay-seconds 3 >"$work/$name-schools.log" 2>&1 &
  pids+=($!)
  # The schools' corrections of the residu sent back, handed in once between runs (not as
  # they come): both runs then take the same corrections into the same stage.
  corrections() {
    "$bin/python" -m kuota_tools simulate-schools --exchange-uri "$exchange" --periode "$periode" --only koreksi --once \
      >>"$work/$name-schools.log" 2>&1
  }
  local deadline conf
  deadline=$(date -u -d "+40 minutes" +%Y-%m-%dT%H:%M:%S+00:00)
  conf=$(printf '{"periode": "%s", "cutoff_uri": "%s", "exchange_uri": "%s", "output_uri": "%s", "batas_jawaban": "%s"}' \
    "$periode" "$cutoff_uri" "$exchange" "$output" "$deadline")
  "$runner" kuota_bulanan "$conf" "$work/$name-bulanan.log"
  stage() {
    printf '{"periode": "%s", "tahap": %s, "exchange_uri": "%s", "output_uri": "%s", "ukuran_batch": 1000, "poll_detik": 2, "tunggu_menit": %s%s}' \
      "$periode" "$1" "$exchange" "$output" "$2" "${3:-}"
  }
  for tahap in 1 2; do
    corrections
    "$runner" kuota_tahap "$(stage "$tahap" 1)" "$work/$name-tahap$tahap.log"
  done
  AIRFLOW_CONN_KUOTA_WAREHOUSE=$warehouse KUOTA_WAREHOUSE_DSN=$warehouse "$bin/kuota" periode-batas --periode "$periode" \
    --batas-jawaban "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" --alasan "demo: the month ends after two stages" >/dev/null
  "$runner" kuota_tahap "$(stage 3 0 ', "alasan_tutup": "demo: what still waits stays as it is"')" "$work/$name-tahap3.log"
  stop_partners
}

# In one process, as make demo: airflow dags test.
dags_test() {
  local dag_id=$1 conf=$2 log=$3
  echo "   $dag_id (airflow dags test; log: $log)"
  AIRFLOW_CONN_KUOTA_WAREHOUSE=$warehouse "$bin/airflow" dags test "$dag_id" -c "$conf" >"$log" 2>&1 \
    || { grep -E "[A-Za-z]+Error: " "$log" | tail -5; echo "demo-celery: the $dag_id run failed (log: $log)"; exit 1; }
}

# Through the scheduler and the Celery workers, triggered as a user does (the REST API).
triggered() {
  local dag_id=$1 conf=$2 log=$3
  if "$bin/python" -m kuota_tools.airflow_run --url "http://127.0.0.1:$port" \
    --password-file "$airflow_celery_home/simple_auth_manager_passwords.json.generated" "$dag_id" "$conf" >"$log" 2>&1; then
    cat "$log"
  else
    cat "$log"; echo "demo-celery: the $dag_id run failed (its task logs: the UI on http://127.0.0.1:$port)"; exit 1
  fi
}

echo "== 2. The period in one process (airflow dags test, as make demo)"
warehouse=$(fresh_db kuota_demo_one_process)
one_process=$warehouse
export AIRFLOW_HOME=$KUOTA_STACK_DIR/airflow-one-process
metadata=$(fresh_db airflow_demo_one_process)
(umask 077 && AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://${metadata#postgresql://} "$bin/airflow" db migrate >"$work/one_process-db-migrate.log" 2>&1)  # airflow.cfg: its secrets
if [ -f "$AIRFLOW_HOME/airflow.cfg" ]; then chmod 600 "$AIRFLOW_HOME/airflow.cfg"; fi
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://${metadata#postgresql://}
started=$SECONDS
period one_process dags_test
echo "   the period in one process: $((SECONDS - started)) s"

echo "== 3. The period on CeleryExecutor: ${KUOTA_CELERY_WORKERS:-2} workers, Redis as the broker (UI: http://127.0.0.1:$port)"
warehouse=$(fresh_db kuota_demo_celery)
metadata=$(fresh_db airflow_demo_celery)
export AIRFLOW_HOME=$airflow_celery_home
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://${metadata#postgresql://}
export AIRFLOW__CELERY__RESULT_BACKEND=db+postgresql://${metadata#postgresql://}
rm -rf "$AIRFLOW_HOME/logs"
AIRFLOW_CONN_KUOTA_WAREHOUSE=$warehouse KUOTA_EXECUTOR=celery KUOTA_AIRFLOW_PORT=$port "$repo/scripts/airflow.sh" start \
  | grep -v "log in as\|print(json" | sed 's/^/   /'
started=$SECONDS
period celery triggered
echo "   the period on CeleryExecutor: $((SECONDS - started)) s"
echo "   task instances each worker ran (from their logs, $AIRFLOW_HOME/run/worker-*.log):"
for log in "$AIRFLOW_HOME"/run/worker-*.log; do
  echo "     $(basename "$log" .log): $(grep -c "Task execute_workload\[.*\] succeeded" "$log") succeeded, $(grep -c "Task execute_workload\[.*\] raised" "$log") failed"
done
AIRFLOW_HOME=$airflow_celery_home "$repo/scripts/airflow.sh" stop | sed 's/^/   /'

echo "== 4. The two periods compared, byte for byte (python -m kuota_tools.run_digest)"
DIGEST_A_DSN=$one_process DIGEST_B_DSN=$warehouse "$bin/python" -m kuota_tools.run_digest --names one_process celery \
  --a DIGEST_A_DSN "s3://$bucket/demo-celery/one_process/exchange" "s3://$bucket/demo-celery/one_process/output" \
  --b DIGEST_B_DSN "s3://$bucket/demo-celery/celery/exchange" "s3://$bucket/demo-celery/celery/output" \
  || { echo "demo-celery: the two runs differ (above)"; exit 1; }
echo "demo-celery: done. The same period in one process and on CeleryExecutor: every table and file identical."
