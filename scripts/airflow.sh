#!/usr/bin/env bash
# Airflow on the local stack, in the background: the api-server (UI and REST API), the
# scheduler (LocalExecutor), the dag-processor and the triggerer, each its own process in its
# own session, with a pid file and a log under $AIRFLOW_HOME/run/. With KUOTA_EXECUTOR=celery
# the scheduler hands the tasks to Celery workers instead (Redis as the broker, the stack's),
# and the workers start beside the other components, each one a component of its own.
#   Usage: scripts/airflow.sh start|stop|status
# (make airflow / make airflow-stop / make airflow-status run it with the stack's environment.)
#
# Needs the stack's environment (eval "$(scripts/stack.sh env)"): the metadata database
# (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN) and the connections kuota_warehouse and kuota_s3.
#
# Configuration (environment, all optional):
#   KUOTA_AIRFLOW_PORT   the api-server's port on 127.0.0.1       (default: 8080)
#   AIRFLOW_HOME         airflow.cfg, logs, the admin's password,
#                        run/ (pid files and the components' logs)  (default: $KUOTA_STACK_DIR/airflow-home)
#   KUOTA_AIRFLOW_START_TIMEOUT  seconds to wait for the UI and the DAGs (default: 300)
#   KUOTA_EXECUTOR       local or celery                            (default: local)
#   KUOTA_CELERY_WORKERS Celery workers (celery only)               (default: 2)
#   KUOTA_CELERY_CONCURRENCY  task processes per worker             (default: 4)
#   AIRFLOW__*           any other Airflow setting; the defaults below apply unless it is set
#
# start: `airflow db migrate`, then the four components; waits until the REST API answers and
# every DAG of dags/ is parsed, unpauses them, and prints the URL and the login. Nothing listens
# beyond 127.0.0.1: the api-server is bound to it, and the log servers of the scheduler and
# the triggerer are not started (every component writes its logs to $AIRFLOW_HOME/logs on this
# machine, where the api-server reads them).
# stop: each component's whole session (the LocalExecutor's workers, the task and trigger
# processes they started) is ended: SIGTERM to the component, then to whatever of its session
# is left, then SIGKILL; it says which process, if any, survived.
set -euo pipefail
shopt -s extglob

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/.venv/bin
stack_dir=$(realpath -m "${KUOTA_STACK_DIR:-$repo/.stack}")
port=${KUOTA_AIRFLOW_PORT:-8080}
start_timeout=${KUOTA_AIRFLOW_START_TIMEOUT:-300}
export AIRFLOW_HOME=$(realpath -m "${AIRFLOW_HOME:-$stack_dir/airflow-home}")
run=$AIRFLOW_HOME/run
url=http://127.0.0.1:$port
executor=${KUOTA_EXECUTOR:-local}
workers=${KUOTA_CELERY_WORKERS:-2}
concurrency=${KUOTA_CELERY_CONCURRENCY:-4}
# In the order they start; stopped all at once. stop and status also look for workers left
# by an earlier celery start, whatever KUOTA_EXECUTOR says now.
components=(api-server scheduler dag-processor triggerer)

die() { echo "airflow: $*" >&2; exit 1; }

case $executor in
  local) ;;
  celery)
    [[ $workers =~ ^[1-9][0-9]*$ ]] || die "KUOTA_CELERY_WORKERS=$workers is not a number of workers"
    [[ $concurrency =~ ^[1-9][0-9]*$ ]] || die "KUOTA_CELERY_CONCURRENCY=$concurrency is not a number of processes"
    for i in $(seq 1 "$workers"); do components+=("worker-$i"); done
    ;;
  *) die "KUOTA_EXECUTOR=$executor: local or celery" ;;
esac

[[ $port =~ ^[0-9]+$ ]] && [ "$port" -gt 0 ] && [ "$port" -lt 65536 ] || die "KUOTA_AIRFLOW_PORT=$port is not a port"

# The settings every component shares (each one unless already set in the environment).
export PATH=$bin:$PATH
export AIRFLOW__CORE__DAGS_FOLDER=${AIRFLOW__CORE__DAGS_FOLDER:-$repo/dags}
export AIRFLOW__CORE__PLUGINS_FOLDER=${AIRFLOW__CORE__PLUGINS_FOLDER:-$repo/plugins}
export AIRFLOW__CORE__LOAD_EXAMPLES=${AIRFLOW__CORE__LOAD_EXAMPLES:-False}
if [ "$executor" = celery ]; then
  export AIRFLOW__CORE__EXECUTOR=CeleryExecutor
else
  export AIRFLOW__CORE__EXECUTOR=${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}
fi
# Tasks run at once on this 2-core machine (Airflow's default is 32; a deferred wait holds no slot).
export AIRFLOW__CORE__PARALLELISM=${AIRFLOW__CORE__PARALLELISM:-8}
# A DAG seen for the first time is active: a triggered run or a backfill runs without a click.
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False}
# Locally the DAGs run when triggered or backfilled, not on their cron: a scheduled run would
# open the current month with the default parameters (a cutoff the local bucket does not have).
# AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=True turns the schedules on.
export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=${AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE:-False}
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT=$port
# The UI's links, and where task processes reach the execution API ({base_url}/execution/).
export AIRFLOW__API__BASE_URL=$url
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-admin:admin}
password_file=${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated}
admin_user=${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS%%:*}

# A component's pid if it runs: the leader of its own session, an airflow process.
running_pid() {
  local pidfile=$run/$1.pid pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ] || return 1
  # (A Celery worker retitles itself "[celeryd: worker-1@host:MainProcess] ...".)
  [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *@(airflow|celeryd:)* ]] || return 1
  echo "$pid"
}

# Every process of a session (a stopped component's workers and tasks outlive it there).
session_pids() { ps -eo pid=,sid= | awk -v s="$1" '$2 == s {print $1}'; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

# The REST API as the admin (a JWT from the simple auth manager): wait until every DAG of the
# dags folder is parsed, then unpause those that are paused (a DAG created paused before, by an
# earlier Airflow on this database, stays paused otherwise). Usage: activate_dags TIMEOUT DAG_ID...
activate_dags() {
  "$bin/python" - "$url" "$password_file" "$admin_user" "$@" <<'PY'
import json, sys, time, urllib.error, urllib.request
url, password_file, user, timeout, *dag_ids = sys.argv[1:]
deadline = time.monotonic() + float(timeout)

def call(method, path, data=None, token=None):
    req = urllib.request.Request(url + path, method=method, data=None if data is None else json.dumps(data).encode(),
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read().decode() or "null")

password = json.load(open(password_file))[user]
token = call("POST", "/auth/token", {"username": user, "password": password})["access_token"]
while True:
    dags = {d["dag_id"]: d for d in call("GET", "/api/v2/dags?limit=1000", token=token)["dags"]}
    missing = [d for d in dag_ids if d not in dags]
    if not missing:
        break
    errors = call("GET", "/api/v2/importErrors", token=token)["import_errors"]
    if errors:
        for e in errors:
            print(f"airflow: import error in {e['filename']}:\n{e['stack_trace']}", file=sys.stderr)
        sys.exit(1)
    if time.monotonic() > deadline:
        sys.exit(f"airflow: not parsed yet: {', '.join(missing)}")
    time.sleep(3)
for dag_id in dag_ids:
    if dags[dag_id]["is_paused"]:
        call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False}, token=token)
        print(f"airflow: {dag_id} unpaused")
print(f"airflow: DAGs active: {' '.join(dag_ids)}")
PY
}

start() {
  [ -n "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-}" ] \
    || die "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN is not set: run 'make airflow' (or eval \"\$(scripts/stack.sh env)\" first)"
  [ -x "$bin/airflow" ] || die "$bin/airflow not found: run 'make venv' first"
  if [ "$executor" = celery ]; then
    [ -n "${AIRFLOW__CELERY__BROKER_URL:-}" ] \
      || die "AIRFLOW__CELERY__BROKER_URL is not set: the stack's environment (scripts/stack.sh env) has it"
    grep -q "redis: up" <<<"$("$repo/scripts/stack.sh" status)" \
      || die "the stack's Redis is not running: install Debian's redis-server, then scripts/stack.sh up"
  fi
  local c pid up=() down=()
  for c in "${components[@]}"; do
    if running_pid "$c" >/dev/null; then up+=("$c"); else down+=("$c"); fi
  done
  if [ ${#down[@]} = 0 ]; then
    url=$(cat "$run/url" 2>/dev/null || echo "$url")
    echo "airflow: already running on $url (AIRFLOW_HOME=$AIRFLOW_HOME)"; print_login; return 0
  fi
  [ ${#up[@]} = 0 ] || die "only ${up[*]} running (AIRFLOW_HOME=$AIRFLOW_HOME): 'make airflow-stop' first, then 'make airflow'"
  port_in_use && die "127.0.0.1:$port is taken by another program: choose another port, e.g. KUOTA_AIRFLOW_PORT=8081 make airflow"
  mkdir -p "$run"
  echo "$url" >"$run/url"
  echo "airflow: AIRFLOW_HOME=$AIRFLOW_HOME; migrating the metadata database (log: $run/db-migrate.log)"
  "$bin/airflow" db migrate >"$run/db-migrate.log" 2>&1 || { tail -20 "$run/db-migrate.log" >&2; die "airflow db migrate failed (log: $run/db-migrate.log)"; }
  # airflow.cfg holds the secrets airflow generated for this home (Fernet key, JWT secret).
  [ -f "$AIRFLOW_HOME/airflow.cfg" ] && chmod 600 "$AIRFLOW_HOME/airflow.cfg"
  local -A args=(
    [api-server]="api-server --host 127.0.0.1 --port $port"
    [scheduler]="scheduler --skip-serve-logs"
    [dag-processor]="dag-processor"
    [triggerer]="triggerer --skip-serve-logs"
  )
  # A worker's own name among the others (the Flower and the task logs show it); no log server:
  # the api-server reads the logs the workers write to $AIRFLOW_HOME/logs on this machine.
  for c in "${components[@]}"; do
    [[ $c == worker-* ]] && args[$c]="celery worker --celery-hostname $c@%h --concurrency $concurrency --skip-serve-logs"
  done
  for c in "${components[@]}"; do
    # setsid: a session of its own, so that stop finds every process it started by its id.
    # (Not a process-group leader here, setsid execs in place: $! is the component's pid.)
    # shellcheck disable=SC2086
    setsid "$bin/airflow" ${args[$c]} </dev/null >"$run/$c.log" 2>&1 &
    echo $! >"$run/$c.pid"
  done
  sleep 1
  for c in "${components[@]}"; do
    running_pid "$c" >/dev/null || { tail -20 "$run/$c.log" >&2; stop >/dev/null 2>&1 || true; die "$c did not start (log: $run/$c.log)"; }
  done
  echo "airflow: started ${components[*]} (pid files and logs: $run/)"
  wait_ready || { stop >/dev/null 2>&1 || true; die "not ready after ${start_timeout}s: see the logs in $run/ (stopped again)"; }
  print_login
}

# The REST API answers, and every DAG of the dags folder is parsed; then unpause them (a DAG
# created paused before, by an earlier run of Airflow, stays paused otherwise).
wait_ready() {
  local deadline=$((SECONDS + start_timeout)) c
  echo "airflow: waiting for $url and for the DAGs to be parsed (up to ${start_timeout}s)"
  until curl -fsS "$url/api/v2/monitor/health" >/dev/null 2>&1 && [ -s "$password_file" ]; do
    for c in "${components[@]}"; do
      running_pid "$c" >/dev/null || { tail -20 "$run/$c.log" >&2; echo "airflow: $c stopped (log: $run/$c.log)" >&2; return 1; }
    done
    [ $SECONDS -lt $deadline ] || return 1
    sleep 2
  done
  local dag_ids
  dag_ids=$(sed -n 's/^ *dag_id="\([A-Za-z0-9_.-]*\)".*/\1/p' "$AIRFLOW__CORE__DAGS_FOLDER"/*.py | sort -u)
  activate_dags $((deadline - SECONDS)) $dag_ids || { echo "airflow: (dag-processor log: $run/dag-processor.log)" >&2; return 1; }
}

print_login() {
  cat <<EOF
airflow: UI and REST API on $url
airflow: the cockpit (the funnel, the exchange, the money): $url/kuota/ (Kuota in the navigation, a tab on each run)
airflow: log in as '$admin_user', password in $password_file
airflow:   ($bin/python -c 'import json; print(json.load(open("$password_file"))["$admin_user"])')
airflow: stop with 'make airflow-stop' (or: AIRFLOW_HOME=$AIRFLOW_HOME scripts/airflow.sh stop)
EOF
}

# The processes of the given sessions still alive.
sessions_left() { local s; for s in "$@"; do session_pids "$s"; done; }

# Wait up to $1 seconds for the sessions ($2...) to be empty; prints what is left.
wait_sessions() {
  local deadline=$((SECONDS + $1)) left; shift
  while left=$(sessions_left "$@") && [ -n "$left" ] && [ $SECONDS -lt $deadline ]; do sleep 1; done
  echo $left
}

# Workers an earlier celery start left pid files for (stop and status find them whatever
# KUOTA_EXECUTOR says now).
add_started_workers() {
  local f c
  for f in "$run"/worker-*.pid; do
    [ -e "$f" ] || continue
    c=$(basename "$f" .pid)
    [[ " ${components[*]} " == *" $c "* ]] || components+=("$c")
  done
}

stop() {
  local c pid sids=() left
  add_started_workers
  for c in "${components[@]}"; do
    if pid=$(running_pid "$c"); then sids+=("$pid"); kill -TERM "$pid" 2>/dev/null || true; fi
  done
  if [ ${#sids[@]} -gt 0 ]; then
    # A component's session also holds what it started (executor workers, task supervisors
    # and their tasks, trigger runners), including what outlives it: all of it must end.
    left=$(wait_sessions 30 "${sids[@]}")
    if [ -n "$left" ]; then
      kill -TERM $left 2>/dev/null || true
      left=$(wait_sessions 10 "${sids[@]}")
    fi
    if [ -n "$left" ]; then
      kill -KILL $left 2>/dev/null || true
      left=$(wait_sessions 5 "${sids[@]}")
    fi
  fi
  for c in "${components[@]}"; do rm -f "$run/$c.pid"; done
  if [ -n "${left:-}" ]; then
    echo "airflow: still running after SIGKILL:" >&2
    ps -o pid=,args= -p "$(tr ' ' ',' <<<"$left")" >&2 || true
    return 1
  fi
  if [ ${#sids[@]} = 0 ]; then
    echo "airflow: not running (AIRFLOW_HOME=$AIRFLOW_HOME)"
  else
    echo "airflow: stopped; no process left in the sessions of ${#sids[@]} components"
  fi
}

status() {
  local c pid n
  add_started_workers
  for c in "${components[@]}"; do
    if pid=$(running_pid "$c"); then
      n=$(session_pids "$pid" | wc -l)
      echo "$c: up (pid $pid, $n processes in its session)"
    else
      echo "$c: down"
    fi
  done
  url=$(cat "$run/url" 2>/dev/null || echo "$url")
  curl -fsS "$url/api/v2/monitor/health" >/dev/null 2>&1 && echo "api: $url answers" || echo "api: $url does not answer"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
