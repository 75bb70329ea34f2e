"""Running the DAGs through Airflow itself (``airflow dags test``, ``airflow tasks test``) on
the real stack, with the provider and school simulators as separate processes beside them:
what tests/test_dag_run*.py share.

Each run gets the test's own warehouse database and bucket through the same connection ids
the deployment uses (AIRFLOW_CONN_KUOTA_WAREHOUSE, AIRFLOW_CONN_KUOTA_S3), and each test module
its own Airflow metadata database (conftest.py, airflow_env).
"""

from __future__ import annotations

import collections
import contextlib
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

from conftest import query
from helpers import read_csv

from kuota import periode
from kuota.infra import db
from kuota.partners.contract import PROVIDERS

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
KUOTA = str(Path(sys.executable).with_name("kuota"))
TOOLS = [sys.executable, "-m", "kuota_tools"]  # the simulators (tools/, not the runtime CLI)
PERIODE = "2020-09"


class AirflowPeriod:
    """One period of the test's bucket and warehouse, run DAG by DAG through Airflow."""

    def __init__(self, env: dict, dsn: str, bucket: str, cutoff_uri: str):
        self.env = dict(env, AIRFLOW_CONN_KUOTA_WAREHOUSE=db.libpq_dsn(dsn))
        self.dsn, self.bucket, self.cutoff_uri = dsn, bucket, cutoff_uri
        self.exchange_uri, self.output_uri = f"s3://{bucket}/exchange", f"s3://{bucket}/output"

    @contextlib.contextmanager
    def simulators(self, faults: tuple[str, ...] = (), schools: bool = True):
        """The providers (and the schools' SPTJM decisions) playing their part while the block
        runs; the schools' corrections come when the test says (``correct``), so that what a
        stage finds is known."""
        procs = [
            subprocess.Popen(
                [*TOOLS, "simulate-providers", *self._common(), *[a for f in faults for a in ("--fault", f)]],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        ]
        if schools:
            procs.append(
                subprocess.Popen(
                    [
                        *TOOLS,
                        "simulate-schools",
                        *self._common(),
                        "--delay-seconds",
                        "1",
                        "--reject-share",
                        "0.1",
                        "--only",
                        "persetujuan",
                    ],
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        self.simulator_log = ""
        try:
            yield
        finally:
            for proc in procs:
                proc.terminate()
                self.simulator_log += proc.communicate(timeout=30)[1]

    def _common(self) -> list[str]:
        return ["--exchange-uri", self.exchange_uri, "--periode", PERIODE, "--poll-seconds", "0.5"]

    def correct(self) -> list[dict]:
        """The schools correct a share of their residu numbers (one pass of the simulator)."""
        done = subprocess.run(
            [*TOOLS, "simulate-schools", *self._common(), "--once", "--only", "koreksi"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)

    def monthly(self) -> tuple[int, str, dict]:
        """Opens the period (2020-09, so its deadline must be given: its last day has passed)."""
        deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)).isoformat(timespec="seconds")
        return self._dags_test(
            "kuota_bulanan",
            {
                "periode": PERIODE,
                "cutoff_uri": self.cutoff_uri,
                "exchange_uri": self.exchange_uri,
                "output_uri": self.output_uri,
                "batas_jawaban": deadline,
            },
        )

    def deadline_in(self, seconds: float, why: str) -> None:
        """The period's deadline moved, as an operator does (kuota periode-batas)."""
        at = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat(timespec="seconds")
        periode.set_deadline(self.dsn, PERIODE, at, why, "test")

    def stage(self, tahap: int, wait_minutes: float = 0.5, **more) -> tuple[int, str, dict]:
        return self._dags_test(
            "kuota_tahap",
            {
                "periode": PERIODE,
                "tahap": tahap,
                "exchange_uri": self.exchange_uri,
                "output_uri": self.output_uri,
                "ukuran_batch": 400,
                "poll_detik": 1,
                "tunggu_menit": wait_minutes,
                **more,
            },
        )

    def _dags_test(self, dag_id: str, conf: dict) -> tuple[int, str, dict]:
        """Exit code, log, and the states of the run's tasks (a mapped task: the set of its
        instances' states)."""
        done = subprocess.run(
            [AIRFLOW, "dags", "test", dag_id, "-c", json.dumps(conf)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        self.runs = getattr(self, "runs", 0) + 1
        saved = Path(self.env["AIRFLOW_HOME"]) / f"run-{self.bucket}-{self.runs}-{dag_id}.log"
        saved.write_text(done.stdout + done.stderr)  # the whole log, for a failure's reader
        self.run_id = self.latest_run(dag_id)
        with db.connect(self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) as conn, conn.cursor() as cur:
            cur.execute(
                """SELECT task_id, array_agg(DISTINCT state) FROM task_instance
                           WHERE dag_id = %s AND run_id = %s GROUP BY task_id""",
                (dag_id, self.run_id),
            )
            states = {task_id: s[0] if len(s) == 1 else set(s) for task_id, s in cur.fetchall()}
        return done.returncode, done.stdout + done.stderr + getattr(self, "simulator_log", ""), states

    def latest_run(self, dag_id: str) -> str:
        with db.connect(self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT run_id FROM dag_run WHERE dag_id = %s AND conf::text LIKE %s ORDER BY start_date DESC LIMIT 1",
                (dag_id, f"%{self.exchange_uri}%"),
            )
            ((run_id,),) = cur.fetchall()
        return run_id

    def labels(self, dag_id: str) -> dict[str, list[str]]:
        """task_id -> what its mapped instances show in the UI, in map index order."""
        with db.connect(self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) as conn, conn.cursor() as cur:
            cur.execute(
                """SELECT task_id, array_agg(rendered_map_index ORDER BY map_index) FROM task_instance
                           WHERE map_index >= 0 AND dag_id = %s AND run_id = %s GROUP BY 1""",
                (dag_id, self.latest_run(dag_id)),
            )
            return dict(cur.fetchall())

    def retry_task(self, task_id: str, map_index: int) -> str:
        """The task run again by Airflow (``airflow tasks test``) in the latest stage run."""
        done = subprocess.run(
            [
                AIRFLOW,
                "tasks",
                "test",
                "kuota_tahap",
                task_id,
                self.latest_run("kuota_tahap"),
                "--map-index",
                str(map_index),
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout + done.stderr


def green(code: int, log: str, states: dict) -> None:
    """The run succeeded: every task succeeded or was skipped (nothing to map), the verdict too."""
    flat = {t: s if isinstance(s, set) else {s} for t, s in states.items()}
    bad = {t: s for t, s in flat.items() if t != "any_task_failed" and not s <= {"success", "skipped"}}
    assert code == 0 and not bad and flat["any_task_failed"] == {"skipped"}, (bad, log[-3000:])


def money(dsn: str) -> list[tuple]:
    """What the providers are paid for: one row per successful injection."""
    return query(
        dsn,
        "SELECT i.jenis, i.id::text, i.msisdn, i.provider, i.paket_gb FROM kuota.injeksi i "
        "JOIN kuota.permintaan r USING (request_id) WHERE r.hasil = 'berhasil' ORDER BY 1, 2",
    )


def period_state(dsn: str) -> tuple:
    return (
        query(
            dsn,
            "SELECT jenis, id::text, status, coalesce(alasan, ''), coalesce(msisdn, '') FROM kuota.penerima "
            "ORDER BY 1, 2",
        ),
        query(dsn, "SELECT batch_id, sha256 FROM kuota.batch ORDER BY 1"),
        query(dsn, "SELECT request_id, hasil FROM kuota.permintaan ORDER BY 1"),
        query(dsn, "SELECT sptjm_no, keputusan, sha256 FROM kuota.sptjm ORDER BY 1"),
        money(dsn),
    )


def files(storage, folder: str, suffix: str) -> list[str]:
    return [f"{folder}/{n}" for n in storage.list_names(folder) if n.endswith(suffix)]


def check_export_against_ledger_and_files_sent(storage, period: AirflowPeriod, dsn: str) -> dict:
    """The §4 export agrees with the warehouse, and every package paid was sent once, on an
    approved SPTJM that listed it, and answered berhasil by its provider."""
    out = f"{period.output_uri}/{PERIODE}"
    data = storage.read_bytes(f"{out}/status_penerima.csv.gz")
    manifest = json.loads(storage.read_bytes(f"{out}/status_penerima.manifest.json"))
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(data).decode(), newline="")))
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest() and manifest["rows"] == len(rows)
    assert list(rows[0]) == ["jenis", "id", "npsn", "msisdn", "provider", "status", "alasan", "sptjm_no", "paket_gb"]
    warehouse = query(
        dsn,
        "SELECT jenis, id::text, npsn, coalesce(msisdn, ''), coalesce(provider, ''), status, "
        "coalesce(alasan, ''), coalesce(paket_gb::text, '') FROM kuota.penerima ORDER BY 1, 2",
    )
    assert [
        (r["jenis"], r["id"], r["npsn"], r["msisdn"], r["provider"], r["status"], r["alasan"], r["paket_gb"])
        for r in rows
    ] == warehouse
    ((cutoff_records,),) = query(dsn, "SELECT sum(loaded_rows) FROM snapshot.cutoff_file WHERE tabel <> 'sekolah'")
    assert len(rows) >= cutoff_records  # every cutoff record (and readable malformed rows) is there
    rekap = list(csv.DictReader(io.StringIO(storage.read_bytes(f"{out}/rekap.csv").decode(), newline="")))
    by_state = collections.Counter()
    for r in rekap:
        by_state[(r["status"], r["alasan"])] += int(r["jumlah"])
    assert by_state == collections.Counter((r["status"], r["alasan"]) for r in rows)

    # Files sent to providers, and their answers.
    sent, answers = {}, {}
    for provider in PROVIDERS:
        folder = f"{period.exchange_uri}/provider/{provider}/{PERIODE}/injeksi"
        for uri in files(storage, folder, ".csv.gz"):
            table = read_csv(storage, uri)
            if ".hasil." in uri:
                answers.update({r[0]: r[2] for r in table[1:]})
            else:
                assert table[0] == ["request_id", "msisdn", "paket_gb"]  # nothing personal leaves
                for request_id, msisdn, paket in table[1:]:
                    assert request_id not in sent
                    sent[request_id] = (provider, msisdn, int(paket))
    ledger = {
        rid: (j, i, no)
        for rid, j, i, no in query(dsn, "SELECT request_id, jenis, id::text, sptjm_no FROM kuota.injeksi")
    }
    assert set(sent) == set(ledger)
    recipients = collections.Counter((j, i) for j, i, _ in ledger.values())
    assert max(recipients.values()) == 1  # at most one injection request per recipient in the period
    # Each request on an approved SPTJM whose file lists that record with that number and package.
    listed = {}
    for no, npsn, keputusan in query(dsn, "SELECT sptjm_no, npsn, keputusan FROM kuota.sptjm"):
        table = read_csv(storage, f"{period.exchange_uri}/portal/{PERIODE}/sptjm/{npsn}/{no}.csv")
        listed.update({(no, j, i): (m, p, int(g), keputusan) for j, i, _nama, m, p, g in table[1:]})
    paid = collections.Counter()
    export = {(r["jenis"], r["id"]): r for r in rows}
    for request_id, (provider, msisdn, paket) in sent.items():
        jenis, rid, no = ledger[request_id]
        assert listed[(no, jenis, rid)] == (msisdn, provider, paket, "disetujui")
        record = export[(jenis, rid)]
        assert record["sptjm_no"] == no and record["msisdn"] == msisdn and record["provider"] == provider
        expected = {"berhasil": ("berhasil", ""), "gagal": ("residu", "injeksi_gagal")}.get(
            answers.get(request_id), ("residu", None)
        )
        assert record["status"] == expected[0] and expected[1] in (None, record["alasan"]), (record, request_id)
        if answers.get(request_id) == "berhasil":
            paid[provider, "paket"] += 1
            paid[provider, "gb"] += paket
    assert sum(r["status"] == "berhasil" for r in rows) == sum(v for (_, k), v in paid.items() if k == "paket")
    # The BAST per provider: packages and GB paid, as the answers say.
    for provider in {p for p, _ in paid}:
        bast = list(csv.DictReader(io.StringIO(storage.read_bytes(f"{out}/bast/{provider}.csv").decode())))
        assert sum(int(b["berhasil"]) for b in bast) == paid[provider, "paket"]
        assert sum(int(b["gb_berhasil"]) for b in bast) == paid[provider, "gb"]
        assert storage.read_bytes(f"{out}/bast/{provider}.pdf").startswith(b"%PDF")
    return {"records": len(rows), "sent": len(sent), "paid": sum(v for (_, k), v in paid.items() if k == "paket")}
