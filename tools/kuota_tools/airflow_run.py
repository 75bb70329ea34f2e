"""One DAG run through a running Airflow's REST API, as a user triggers it: POST the run with
its conf, wait until it ends, print each task's state (a mapped task: its instances, e.g. x6)
and exit 1 if the run failed. The Celery demo (scripts/demo-celery.sh) runs the period with it,
so the scheduler hands every task to the workers.

    python -m kuota_tools.airflow_run --url http://127.0.0.1:8091 --password-file F DAG_ID CONF_JSON
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import httpx


class Api:
    def __init__(self, url: str, user: str, password: str):
        self.http = httpx.Client(base_url=url, timeout=120)
        r = self.http.post("/auth/token", json={"username": user, "password": password})
        r.raise_for_status()
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def call(self, method: str, path: str, **kw) -> dict:
        r = self.http.request(method, path, headers=self.headers, **kw)
        if r.status_code >= 400:
            raise SystemExit(f"airflow_run: {method} {path}: {r.status_code} {r.text[:1000]}")
        return r.json()

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        out, offset = [], 0
        while True:
            page = self.call(
                "GET",
                f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                params={"limit": 100, "offset": offset},
            )
            out += page["task_instances"]
            offset += len(page["task_instances"])
            if not page["task_instances"] or offset >= page["total_entries"]:
                return out


def run(api: Api, dag_id: str, conf: dict, timeout: float) -> bool:
    run_id = api.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})["dag_run_id"]
    print(f"   {dag_id}: run {run_id} triggered", flush=True)
    deadline = time.monotonic() + timeout
    while (state := api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]) not in ("success", "failed"):
        if time.monotonic() > deadline:
            raise SystemExit(f"airflow_run: {dag_id} {run_id} still {state} after {timeout:.0f} s")
        time.sleep(3)
    by_task: dict[str, list[dict]] = {}
    for ti in sorted(api.task_instances(dag_id, run_id), key=lambda ti: ti["start_date"] or "~"):
        by_task.setdefault(ti["task_id"], []).append(ti)
    for task_id, tis in by_task.items():
        states = ",".join(sorted({ti["state"] or "none" for ti in tis}))
        mapped = f" x{len(tis)}" if len(tis) > 1 else ""
        tries = max(ti["try_number"] or 0 for ti in tis)
        seconds = sum(ti["duration"] or 0 for ti in tis)
        print(f"   {task_id + mapped:<48} {states:<10} try {tries}  {seconds:.1f}s")
    print(f"   {dag_id}: run {run_id} {state}", flush=True)
    return state == "success"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kuota_tools.airflow_run", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password-file", required=True, help="the simple auth manager's generated passwords")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("dag_id")
    parser.add_argument("conf", help="the run's conf, JSON")
    args = parser.parse_args(argv)
    with open(args.password_file) as f:
        password = json.load(f)[args.user]
    return 0 if run(Api(args.url, args.user, password), args.dag_id, json.loads(args.conf), args.timeout) else 1


if __name__ == "__main__":
    sys.exit(main())
