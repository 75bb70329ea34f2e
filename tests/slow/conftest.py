"""The slow tier (``make test-slow``; not part of ``make test``): Airflow as ``make airflow``
runs it (scripts/airflow.sh: api-server, scheduler, dag-processor, triggerer, each its own
process), driven the way a user drives it: the REST API, the CLI, the UI in a browser.

One Airflow for the session, with its own metadata database, warehouse database, bucket,
AIRFLOW_HOME and port on the local stack, so it never meets ``make test``'s ``airflow dags
test`` runs nor a ``make airflow`` of the same stack. Stopping it must leave no process behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg2
import pytest
from conftest import query

from kuota.infra import db
from kuota.infra.storage import Storage
from kuota_tools import generator

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
KUOTA = str(Path(sys.executable).with_name("kuota"))
TOOLS = [sys.executable, "-m", "kuota_tools"]  # the simulators (tools/, not the runtime CLI)
SCRIPT = str(REPO / "scripts" / "airflow.sh")
STUDENTS = 3_000  # small: the machine has 2 cores, shared
SEED = 11
RUN_TIMEOUT = 30 * 60


def pytest_collection_modifyitems(config, items):
    """Only ``make test-slow`` (KUOTA_SLOW_TESTS=1) runs these; ``make test`` lists them skipped."""
    if os.environ.get("KUOTA_SLOW_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="the slow tier (a real scheduler, a backfill, a browser): make test-slow")
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, looked for before the minutes the stack and the scheduler take
    (tests name it first, with usefixtures)."""
    path = shutil.which("chromium")
    assert path, "Debian's chromium is not installed: make test-slow installs it (apt-get install chromium)"
    return path


@pytest.fixture
def page(chromium):
    """A page of Playwright driving Debian's chromium, patient as a busy 2-core machine needs."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)  # the UI may take a while
            yield page
        finally:
            browser.close()


def login(page, airflow, url: str) -> None:
    """Not logged in: the UI sends the browser to the simple auth manager's form, then back."""
    page.goto(url)
    page.wait_for_url(re.compile(r"/auth/login"))
    page.fill("input[name=username]", airflow.user)
    page.fill("input[name=password]", airflow.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(url.split("://", 1)[1].split("/", 1)[1]) + "$"))


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests with 'make test-slow' (it starts the local stack)")
    return value


def _admin():
    conn = psycopg2.connect(db.libpq_dsn(_require("KUOTA_WAREHOUSE_DSN")).rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    return conn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_of(home: Path) -> list[str]:
    """Every process on this machine started for this AIRFLOW_HOME (by its environment), as
    ``pid args``: what ``pgrep -af airflow`` shows of this Airflow, and nothing of another; a
    Celery worker too, which retitles itself ``[celeryd: worker-1@host:MainProcess]``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            args = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if f"AIRFLOW_HOME={home}".encode() in environ and ("airflow" in args or "celeryd" in args):
            found.append(f"{proc.name} {args}")
    return found


class Airflow:
    """One running Airflow: its REST API as the admin, its CLI, and what the tests share."""

    def __init__(self, url: str, env: dict, home: Path, dsn: str, bucket: str):
        self.url, self.env, self.home, self.dsn, self.bucket = url, env, home, dsn, bucket
        self.exchange_uri, self.output_uri = f"s3://{bucket}/exchange", f"s3://{bucket}/output"
        self.user = "admin"
        self.password = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())[self.user]
        self.http = httpx.Client(base_url=url, timeout=120)
        self._token = None

    # -- the REST API ------------------------------------------------------------------------
    def token(self) -> str:
        """A JWT from the simple auth manager (POST /auth/token), as the README's runbook gets it."""
        if self._token is None:
            r = self.http.post("/auth/token", json={"username": self.user, "password": self.password})
            assert r.status_code == 201, r.text
            self._token = r.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, expect: int = 200, **kw):
        r = self.http.request(
            method, path, headers={"Authorization": f"Bearer {self.token()}", **kw.pop("headers", {})}, **kw
        )
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text[:2000]}"
        return r.json()

    def paged(self, path: str, key: str, **params) -> list[dict]:
        """Every item of a list endpoint (the API returns at most 100 a page)."""
        out, offset = [], 0
        while True:
            page = self.api("GET", path, params={**params, "limit": 100, "offset": offset})
            out += page[key]
            offset += len(page[key])
            if not page[key] or offset >= page["total_entries"]:
                return out

    def params(self, dag_id: str) -> dict:
        return self.api("GET", f"/api/v2/dags/{dag_id}/details")["params"]

    def conf(self, dag_id: str, **values) -> dict:
        """The run's conf, with only what ``dag_id`` declares: ``batas_jawaban`` goes to
        kuota_bulanan (new interface: stored when the period opens) or, on the old one, to
        kuota_tahap, whichever declares it."""
        declared = self.params(dag_id)
        return {k: v for k, v in values.items() if k in declared}

    def trigger(self, dag_id: str, conf: dict) -> str:
        run = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
        return run["dag_run_id"]

    def trigger_monthly(self, periode: str, cutoff_uri: str, deadline: str) -> str:
        """kuota_bulanan opening ``periode`` on ``cutoff_uri``, this Airflow's exchange and output."""
        return self.trigger(
            "kuota_bulanan",
            self.conf(
                "kuota_bulanan",
                periode=periode,
                cutoff_uri=cutoff_uri,
                exchange_uri=self.exchange_uri,
                output_uri=self.output_uri,
                batas_jawaban=deadline,
            ),
        )

    def run(self, dag_id: str, run_id: str) -> dict:
        return self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")

    def wait(self, dag_id: str, run_id: str, timeout: float = RUN_TIMEOUT) -> dict:
        """The run once it has finished (success or failed)."""
        deadline = time.monotonic() + timeout
        while (run := self.run(dag_id, run_id))["state"] not in ("success", "failed"):
            if time.monotonic() > deadline:
                pytest.fail(f"{dag_id} {run_id} still {run['state']} after {timeout}s: {self.states(dag_id, run_id)}")
            time.sleep(5)
        return run

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.paged(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", "task_instances")

    def states(self, dag_id: str, run_id: str) -> dict:
        """task_id -> its state (a mapped task: the set of its instances' states)."""
        by_task: dict[str, set] = {}
        for ti in self.task_instances(dag_id, run_id):
            by_task.setdefault(ti["task_id"], set()).add(ti["state"])
        return {t: next(iter(s)) if len(s) == 1 else s for t, s in by_task.items()}

    def mapped(self, dag_id: str, run_id: str, task_id: str) -> list[dict]:
        return sorted(
            self.paged(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/listMapped", "task_instances"),
            key=lambda ti: ti["map_index"],
        )

    def log(self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1) -> str:
        """A task's log as the UI reads it: GET .../logs/{try_number} (JSON: the log's events)."""
        body = self.api(
            "GET",
            f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
            params={"map_index": map_index, "full_content": "true"},
            headers={"Accept": "application/json"},
        )
        return "\n".join(e if isinstance(e, str) else e.get("event", "") for e in body["content"])

    # -- the CLI -----------------------------------------------------------------------------
    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout)

    # -- the warehouse -----------------------------------------------------------------------
    def query(self, sql: str, params=None) -> list[tuple]:
        return query(self.dsn, sql, params)


@pytest.fixture(scope="session")
def storage_session(s3) -> Storage:
    return Storage(s3)


@pytest.fixture(scope="session")
def airflow(tmp_path_factory, template_db, s3):
    """Airflow started by scripts/airflow.sh (as ``make airflow``), stopped at the end: the
    stop must leave no process of it, LocalExecutor workers and tasks included."""
    with started_airflow(tmp_path_factory, template_db, s3) as airflow:
        yield airflow


@contextlib.contextmanager
def started_airflow(tmp_path_factory, template_db, s3, **extra_env):
    """scripts/airflow.sh start with its own metadata and warehouse databases, bucket, home and
    port (``extra_env``: KUOTA_EXECUTOR=celery and the like); yields an ``Airflow``; then stop,
    which must leave no process."""
    celery = extra_env.get("KUOTA_EXECUTOR") == "celery"
    warehouse = _require("KUOTA_WAREHOUSE_DSN")
    metadata = _require("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    tag = uuid.uuid4().hex[:8]
    meta_db, wh_db, bucket = f"airflow_slow_{tag}", f"kuota_slow_{tag}", f"kuota-slow-{tag}"
    admin = _admin()
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {meta_db}")
        cur.execute(f"CREATE DATABASE {wh_db} TEMPLATE {template_db}")
    s3.create_bucket(Bucket=bucket)
    dsn = warehouse.rsplit("/", 1)[0] + "/" + wh_db
    home = tmp_path_factory.mktemp("airflow-home")
    port = _free_port()
    env = dict(
        os.environ,
        AIRFLOW_HOME=str(home),
        KUOTA_AIRFLOW_PORT=str(port),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata.rsplit("/", 1)[0] + "/" + meta_db,
        AIRFLOW_CONN_KUOTA_WAREHOUSE=db.libpq_dsn(dsn),
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO / "include"), os.environ.get("PYTHONPATH")) if p),
        AIRFLOW__CORE__PARALLELISM="4",
        **extra_env,
    )
    for name in ("AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__PLUGINS_FOLDER"):
        env.pop(name, None)  # the script's defaults: this checkout's dags/ and plugins/
    started = subprocess.run([SCRIPT, "start"], env=env, capture_output=True, text=True, timeout=900)
    run_dir = home / "run"
    sessions = [int(p.read_text()) for p in run_dir.glob("*.pid")]
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"http://127.0.0.1:{port}" in started.stdout and "log in as 'admin'" in started.stdout
        workers = [f"worker-{i}" for i in range(1, int(env.get("KUOTA_CELERY_WORKERS", "2")) + 1)] if celery else []
        assert sorted(p.stem for p in run_dir.glob("*.pid")) == sorted(
            ["api-server", "dag-processor", "scheduler", "triggerer", *workers]
        )
        airflow = Airflow(f"http://127.0.0.1:{port}", env, home, dsn, bucket)
        # Active at once (make airflow unpauses them), so a triggered run or a backfill runs.
        assert {d["dag_id"]: d["is_paused"] for d in airflow.api("GET", "/api/v2/dags")["dags"]} == {
            "kuota_bulanan": False,
            "kuota_tahap": False,
            "kuota_peringatan": False,
        }
        yield airflow
    finally:
        stopped = subprocess.run([SCRIPT, "stop"], env=env, capture_output=True, text=True, timeout=300)
        left = processes_of(home)
        in_sessions = (
            subprocess.run(
                ["ps", "-o", "pid=,args=", "-s", ",".join(map(str, sessions))], capture_output=True, text=True
            ).stdout.strip()
            if sessions
            else ""
        )
        for name in (wh_db, meta_db):
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=obj["Key"])
        s3.delete_bucket(Bucket=bucket)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert "no process left" in stopped.stdout, stopped.stdout
        assert not left and not in_sessions, (left, in_sessions)


@contextlib.contextmanager
def simulators(env: dict, exchange_uri: str, periode: str, faults: tuple[str, ...] = ()):
    """The providers (with ``faults``) and the schools' SPTJM decisions, as separate processes."""
    common = ["--exchange-uri", exchange_uri, "--periode", periode, "--poll-seconds", "1"]
    env = {k: v for k, v in env.items() if k != "AIRFLOW_HOME"}  # partners, not Airflow
    procs = [
        subprocess.Popen(
            [*TOOLS, "simulate-providers", *common, *[a for f in faults for a in ("--fault", f)]],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ),
        subprocess.Popen(
            [
                *TOOLS,
                "simulate-schools",
                *common,
                "--delay-seconds",
                "1",
                "--reject-share",
                "0.1",
                "--only",
                "persetujuan",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ),
    ]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
            proc.communicate(timeout=60)


def future_deadline(days: int = 2) -> str:
    """A deadline for answers after the test: a past period (2020) is refused one already passed."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).isoformat(timespec="seconds")


def cutoff(storage: Storage, bucket: str, periode: str) -> str:
    """A small synthetic Dapodik cutoff at s3://<bucket>/dapodik/cutoff-<periode> (the
    kuota_bulanan default's shape, ``cutoff-{periode}``), dated the 11th of the month."""
    uri = f"s3://{bucket}/dapodik/cutoff-{periode}"
    generator.generate(
        uri, generator.Scale.for_students(STUDENTS), seed=SEED, cutoff_date=f"{periode}-11", storage=storage
    )
    return uri


@pytest.fixture(scope="session")
def failed_stage(airflow, storage_session):
    """Period 2020-09 opened by a triggered kuota_bulanan run, then stage 1 triggered with the
    provider simulator quarantining one xl validation batch (missing rows): the stage run
    fails at that batch. The simulators keep running for the session (a re-sent batch is
    answered cleanly)."""
    periode = "2020-09"
    uri = cutoff(storage_session, airflow.bucket, periode)
    deadline = future_deadline()
    with simulators(airflow.env, airflow.exchange_uri, periode, ("missing_rows:xl:1:validasi",)):
        monthly = airflow.trigger_monthly(periode, uri, deadline)
        run = airflow.wait("kuota_bulanan", monthly)
        assert run["state"] == "success", airflow.states("kuota_bulanan", monthly)
        stage = airflow.trigger(
            "kuota_tahap",
            airflow.conf(
                "kuota_tahap",
                periode=periode,
                tahap=1,
                exchange_uri=airflow.exchange_uri,
                output_uri=airflow.output_uri,
                ukuran_batch=400,
                poll_detik=1,
                tunggu_menit=3,
                batas_jawaban=deadline,
            ),
        )
        run = airflow.wait("kuota_tahap", stage)
        yield {"periode": periode, "monthly_run": monthly, "run_id": stage, "run": run}
