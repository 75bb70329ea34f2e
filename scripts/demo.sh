#!/usr/bin/env bash
# The main job end to end on generated data, on the local stack (run through `make demo`):
# generate a Dapodik cutoff into S3, start the provider simulator, run the monthly DAG with
# Airflow, print the summary.
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
"$bin/airflow" db migrate >"$KUOTA_STACK_DIR/airflow-db-migrate.log" 2>&1 \
  || { tail -20 "$KUOTA_STACK_DIR/airflow-db-migrate.log"; exit 1; }

echo "== 2. Synthetic Dapodik cutoff: $students students -> $cutoff_uri"
"$bin/kuota" generate --out "$cutoff_uri" --students "$students" --seed "$seed" --cutoff-date 2020-09-11 \
  | "$bin/python" -c 'import json,sys; r=json.load(sys.stdin); print("   rows:", r["rows"], "labels:", r["labels"], "seconds:", r["seconds"])'

echo "== 3. Provider simulator (kuota simulate-providers; log: $KUOTA_STACK_DIR/demo-providers.log)"
faults=()
for f in ${DEMO_FAULTS:-}; do faults+=(--fault "$f"); done
"$bin/kuota" simulate-providers --exchange-uri "s3://$bucket/exchange" --periode "$periode" \
  --poll-seconds 1 ${faults[@]+"${faults[@]}"} >"$KUOTA_STACK_DIR/demo-providers.log" 2>&1 &
providers=$!
trap 'kill $providers 2>/dev/null || true' EXIT
echo "   playing telkomsel, indosat, xl, axis, tri, smartfren (pid $providers)"

echo "== 4. kuota_bulanan for periode $periode (airflow dags test; log: $KUOTA_STACK_DIR/demo-dag.log)"
deadline=$(date -u -d "+30 minutes" +%Y-%m-%dT%H:%M:%S+00:00)
conf=$(printf '{"periode": "%s", "cutoff_uri": "%s", "exchange_uri": "s3://%s/exchange", "output_uri": "s3://%s/output", "ukuran_batch": %s, "batas_jawaban": "%s", "poll_detik": 2}' \
  "$periode" "$cutoff_uri" "$bucket" "$bucket" "${DEMO_BATCH_ROWS:-5000}" "$deadline")
if ! "$bin/airflow" dags test kuota_bulanan -c "$conf" >"$KUOTA_STACK_DIR/demo-dag.log" 2>&1; then
  grep -E "Task failed|Error|error:|quarantined" "$KUOTA_STACK_DIR/demo-dag.log" | tail -20
  echo "demo: the DAG run failed (full log: $KUOTA_STACK_DIR/demo-dag.log)"; exit 1
fi
grep -oE "DagRun Finished: .*run_duration=[0-9.]+|state=(success|failed), run_type" "$KUOTA_STACK_DIR/demo-dag.log" | tail -2 | sed 's/^/   /'
"$bin/python" - <<'PY'
import os
from kuota import db
with db.connect(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) as conn, conn.cursor() as cur:
    cur.execute("""SELECT task_id, count(*), string_agg(DISTINCT state, ','), max(try_number),
                          round(sum(extract(epoch FROM end_date - start_date))::numeric, 1)
                   FROM task_instance WHERE dag_id = 'kuota_bulanan' AND run_id =
                     (SELECT run_id FROM dag_run WHERE dag_id = 'kuota_bulanan' ORDER BY start_date DESC LIMIT 1)
                   GROUP BY task_id ORDER BY min(start_date) NULLS LAST""")
    for task_id, n, state, tries, seconds in cur.fetchall():
        mapped = f" x{n}" if n > 1 else ""
        print(f"   {task_id + mapped:<48} {state:<10} try {tries}  {seconds}s")
PY

echo "== 5. Run summary"
"$bin/python" -c "import os; from kuota import pipeline; print(pipeline.summary(os.environ['KUOTA_WAREHOUSE_DSN'], '$periode'))"
echo "   first format_tidak_valid rows (table, line, rule):"
"$bin/python" - "$periode" <<'PY'
import os, sys
from kuota import db, snapshot
with db.connect(os.environ["KUOTA_WAREHOUSE_DSN"]) as conn, conn.cursor() as cur:
    cur.execute("SELECT cutoff_id FROM kuota.periode WHERE periode = %s", (sys.argv[1],))
    (cutoff_id,), = cur.fetchall()
for tabel, baris, rule in snapshot.invalid_rows(os.environ["KUOTA_WAREHOUSE_DSN"], cutoff_id, limit=8):
    print(f"     {tabel:<14} line {baris:<7} {rule}")
PY
echo "   residu back to schools (exchange.md §3):"
"$bin/python" - "$bucket" "$periode" <<'PY'
import sys
from kuota.storage import Storage
bucket, periode = sys.argv[1:]
portal = f"s3://{bucket}/exchange/portal/{periode}"
names = Storage().list_names(f"{portal}/residu")
files = [n for n in names if n.endswith(".csv")]
print(f"     {len(files)} school files under {portal}/residu/ (each with its manifest), e.g. {files[0] if files else '-'}")
print(f"     counts per province, district and school: {portal}/rekap_residu.csv")
PY
echo "   provider exchange (exchange.md §2):"
"$bin/python" - "$bucket" "$periode" <<'PY'
import sys
from kuota.contract import PROVIDERS
from kuota.storage import Storage
bucket, periode = sys.argv[1:]
storage = Storage()
for provider in PROVIDERS:
    names = storage.list_names(f"s3://{bucket}/exchange/provider/{provider}/{periode}/validasi")
    sent = [n for n in names if n.endswith(".csv.gz") and ".hasil." not in n]
    answered = [n for n in names if n.endswith(".hasil.csv.gz")]
    print(f"     {provider:<10} {len(sent)} batches sent, {len(answered)} answered, e.g. {sent[0] if sent else '-'}")
quarantined = storage.list_names(f"s3://{bucket}/exchange/karantina/provider")
print(f"     quarantined answers: see s3://{bucket}/exchange/karantina/ (error files name the batch and rows)")
PY
echo "demo: done. Open the Airflow UI with 'make stack-up && make airflow' (see README)."
