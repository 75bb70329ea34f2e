#!/usr/bin/env bash
# The main job end to end on generated data, on the local stack (run through `make demo`):
# generate a Dapodik cutoff into S3, start the provider and school simulators, run the monthly
# DAG then the period's stages with Airflow, print the summary, the BAST and the export.
# Environment: DEMO_STUDENTS (default 20000), DEMO_SEED (default 2020), DEMO_PERIODE (2020-09),
# DEMO_FAULTS (simulator faults, e.g. "missing_rows:xl"; default none).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/.venv/bin
students=${DEMO_STUDENTS:-20000}
seed=${DEMO_SEED:-2020}
periode=${DEMO_PERIODE:-2020-09}
bucket=${KUOTA_BUCKET:-kuota}
cutoff_uri="s3://$bucket/dapodik/cutoff-2020-09-11-seed$seed-n$students"

export AIRFLOW_HOME=${AIRFLOW_HOME:-$repo/.stack/airflow-home}
export AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__DAGS_FOLDER=$repo/dags
export AIRFLOW__CORE__PLUGINS_FOLDER=$repo/plugins

echo "== 1. Airflow metadata database"
# umask 077: the airflow.cfg it writes holds the secrets it generates (Fernet key, JWT secret).
(umask 077 && "$bin/airflow" db migrate >"$KUOTA_STACK_DIR/airflow-db-migrate.log" 2>&1) \
  || { tail -20 "$KUOTA_STACK_DIR/airflow-db-migrate.log"; exit 1; }
if [ -f "$AIRFLOW_HOME/airflow.cfg" ]; then chmod 600 "$AIRFLOW_HOME/airflow.cfg"; fi  # and one left readable before

echo "== 2. Synthetic Dapodik cutoff: $students students -> $cutoff_uri"
"$bin/python" -m kuota_tools generate --out "$cutoff_uri" --students "$students" --seed "$seed" --cutoff-date 2020-09-11 \
  | "$bin/python" -c 'import json,sys; r=json.load(sys.stdin); print("   rows:", r["rows"], "labels:", r["labels"], "seconds:", r["seconds"])'

echo "== 3. Partners: provider and school simulators (logs: $KUOTA_STACK_DIR/demo-{providers,schools}.log)"
faults=()
for f in ${DEMO_FAULTS:-}; do faults+=(--fault "$f"); done
"$bin/python" -m kuota_tools simulate-providers --exchange-uri "s3://$bucket/exchange" --periode "$periode" \
  --poll-seconds 1 ${faults[@]+"${faults[@]}"} >"$KUOTA_STACK_DIR/demo-providers.log" 2>&1 &
providers=$!
"$bin/python" -m kuota_tools simulate-schools --exchange-uri "s3://$bucket/exchange" --periode "$periode" \
  --poll-seconds 1 --delay-seconds 3 >"$KUOTA_STACK_DIR/demo-schools.log" 2>&1 &
schools=$!
trap 'kill $providers $schools 2>/dev/null || true' EXIT
echo "   providers: telkomsel, indosat, xl, axis, tri, smartfren (pid $providers)"
echo "   schools: correct residu numbers, decide SPTJMs 3 s after they appear (pid $schools)"

# One DAG run through Airflow; prints its task states (mapped tasks: instances, e.g. x6).
run_dag() {
  local dag_id=$1 conf=$2 log=$3
  if ! "$bin/airflow" dags test "$dag_id" -c "$conf" >"$log" 2>&1; then
    grep -E "^\S+ \[error|[A-Za-z]+Error: |quarantined to" "$log" | cut -c1-400 | tail -20
    echo "demo: the $dag_id run failed (full log: $log)"; exit 1
  fi
  "$bin/python" - "$dag_id" <<'PY'
import os, sys
from kuota.infra import db
with db.connect(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) as conn, conn.cursor() as cur:
    cur.execute("""SELECT task_id, count(*), string_agg(DISTINCT state, ','), max(try_number),
                          round(sum(extract(epoch FROM end_date - start_date))::numeric, 1)
                   FROM task_instance WHERE dag_id = %(d)s AND run_id =
                     (SELECT run_id FROM dag_run WHERE dag_id = %(d)s ORDER BY start_date DESC LIMIT 1)
                   GROUP BY task_id ORDER BY min(start_date) NULLS LAST""", {"d": sys.argv[1]})
    for task_id, n, state, tries, seconds in cur.fetchall():
        mapped = f" x{n}" if n > 1 else ""
        print(f"   {task_id + mapped:<48} {state:<10} try {tries}  " + (f"{seconds}s" if seconds is not None else "-"))
PY
}

# The period's deadline for answers, stored when it opens (its real one, the month's last day,
# passed long ago: a period is never opened past its deadline). The stages run within it.
deadline=$(date -u -d "+30 minutes" +%Y-%m-%dT%H:%M:%S+00:00)
echo "== 4. kuota_bulanan opens periode $periode (deadline $deadline): cutoff, screening, residu to schools"
conf=$(printf '{"periode": "%s", "cutoff_uri": "%s", "exchange_uri": "s3://%s/exchange", "output_uri": "s3://%s/output", "batas_jawaban": "%s"}' \
  "$periode" "$cutoff_uri" "$bucket" "$bucket" "$deadline")
run_dag kuota_bulanan "$conf" "$KUOTA_STACK_DIR/demo-dag.log"

stage_conf() {
  printf '{"periode": "%s", "tahap": %s, "exchange_uri": "s3://%s/exchange", "output_uri": "s3://%s/output", "ukuran_batch": %s, "poll_detik": 2, "tunggu_menit": %s%s}' \
    "$periode" "$1" "$bucket" "$bucket" "${DEMO_BATCH_ROWS:-5000}" "$2" "${3:-}"
}
for tahap in 1 2; do
  echo "== $((4 + tahap)). kuota_tahap, stage $tahap: corrections, validation, SPTJM, decisions, injection, export"
  [ "$tahap" = 2 ] && sleep 5  # the schools send corrections of the residu stage 1 sent back
  run_dag kuota_tahap "$(stage_conf "$tahap" 1)" "$KUOTA_STACK_DIR/demo-tahap$tahap.log"
done
echo "== 7. The month ends now: the deadline moved (audited), then stage 3 closes the period"
"$bin/kuota" periode-batas --periode "$periode" --batas-jawaban "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" \
  --alasan "demo: the month ends after two stages" >/dev/null
# Records still short of a request (an SPTJM not decided in time, ...) would keep the period
# open and fail the run; the demo closes with them, saying why (kept in the period's history).
run_dag kuota_tahap "$(stage_conf 3 0 ', "alasan_tutup": "demo: what still waits stays as it is"')" \
  "$KUOTA_STACK_DIR/demo-tahap3.log"

echo "== 8. Run summary"
"$bin/kuota" summary --periode "$periode"
"$bin/python" -m kuota_tools.demo_report --periode "$periode" \
  --exchange-uri "s3://$bucket/exchange" --output-uri "s3://$bucket/output"
echo "demo: done. Open the Airflow UI with 'make stack-up && make airflow' (see README); the cockpit of this"
echo "      period is then at http://127.0.0.1:${KUOTA_AIRFLOW_PORT:-8080}/kuota/?periode=$periode (Kuota in the navigation)."
