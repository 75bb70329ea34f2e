"""The cockpit in the Airflow UI (the ``kuota`` plugin): loaded from plugins/ by Airflow's own
plugin loader, served by a real api-server, answering only an authenticated Airflow user, and
showing the period's funnel as the warehouse counts it."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import REPO, query
from helpers import PERIODE

from kuota import cockpit
from kuota.infra import db
from kuota.periode import Period

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def test_airflow_loads_one_plugin_from_plugins_and_every_route_needs_a_user(monkeypatch):
    """Airflow's loader imports each .py of the plugins folder by itself: .airflowignore keeps it
    to kuota_plugin.py (the package kuota_airflow is imported as a package), so the loader finds
    exactly one plugin and no import error."""
    from airflow._shared.plugins_manager.plugins_manager import _load_plugins_from_plugin_directory
    from airflow.api_fastapi.core_api.security import requires_authenticated

    monkeypatch.syspath_prepend(str(REPO / "plugins"))  # as Airflow puts its plugins folder on the path
    plugins, errors = _load_plugins_from_plugin_directory(str(REPO / "plugins"))
    assert errors == {} and [p.name for p in plugins] == ["kuota"]
    (plugin,) = plugins
    assert [(a["url_prefix"], a["name"]) for a in plugin.fastapi_apps] == [("/kuota", "Kuota cockpit")]
    assert sorted(v["destination"] for v in plugin.external_views) == ["dag_run", "nav"]
    assert all(not v["href"].startswith("/") for v in plugin.external_views)  # relative: works behind a proxy
    (app,) = (a["app"] for a in plugin.fastapi_apps)
    needs = [d.dependency.__qualname__ for d in app.router.dependencies]
    assert needs == [requires_authenticated().__qualname__]


@pytest.mark.heavy
def test_the_sptjm_view_counts_each_provinces_decisions(dsn, approved, period):
    """All SPTJMs of stage 1 approved but the first, rejected: per province of the school, as
    the warehouse holds them; the oldest undecided is 0 s old when none waits."""
    rows = cockpit.sptjm(cockpit.View(period))
    expected = query(
        dsn,
        "SELECT sk.kode_provinsi, count(*), count(*) FILTER (WHERE k.keputusan = 'disetujui'), "
        "count(*) FILTER (WHERE k.keputusan = 'ditolak') FROM kuota.sptjm k JOIN kuota.periode p USING (periode) "
        "JOIN snapshot.sekolah sk ON sk.cutoff_id = p.cutoff_id AND sk.npsn = k.npsn GROUP BY 1 ORDER BY 1",
    )
    assert [(r["kode"], r["diterbitkan"], r["disetujui"], r["ditolak"]) for r in rows] == expected
    assert sum(r["ditolak"] for r in rows) == 1 and sum(r["diterbitkan"] for r in rows) == 1 + len(approved["approved"])
    assert all(r["menunggu"] == r["umur_menunggu_tertua_detik"] == 0 for r in rows)
    assert all(r["nama"] == cockpit.NAMA_PROVINSI[r["kode"]] for r in rows)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _api_server(env: dict, log: Path):
    """``airflow api-server`` on a free loopback port, as ``make airflow`` starts it; the base
    URL once its health endpoint answers."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(
        env,
        AIRFLOW__API__BASE_URL=url,
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(16),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin,viewer:viewer",
    )
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [AIRFLOW, "api-server", "-H", "127.0.0.1", "-p", str(port), "-w", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        until = time.monotonic() + 180
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/v2/monitor/health", timeout=5).status_code == 200:
                    break
            assert time.monotonic() < until, log.read_text()[-3000:]
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.heavy
def test_the_cockpit_answers_only_an_airflow_user_and_shows_the_funnel_of_the_warehouse(
    airflow_env, dsn, validated, tmp_path
):
    env = dict(airflow_env, AIRFLOW_CONN_KUOTA_WAREHOUSE=db.libpq_dsn(dsn))
    cockpit.refresh(Period(dsn, PERIODE), "validation")  # as the DAG's refresh_cockpit does
    with _api_server(env, tmp_path / "api-server.log") as url, httpx.Client(base_url=url, timeout=60) as http:
        passwords = json.loads((Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated").read_text())
        login = http.post("/auth/token", json={"username": "viewer", "password": passwords["viewer"]})
        assert login.status_code in (200, 201), login.text
        token = login.json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}

        plugins = http.get("/api/v2/plugins", headers=bearer).json()["plugins"]
        (kuota,) = [p for p in plugins if p["name"] == "kuota"]
        assert {v["destination"] for v in kuota["external_views"]} == {"nav", "dag_run"}

        paths = (
            f"/kuota/exchange?periode={PERIODE}",
            f"/kuota/bast?periode={PERIODE}",
            f"/kuota/sptjm?periode={PERIODE}",
            "/kuota/",
            "/kuota/periods",
            f"/kuota/funnel?periode={PERIODE}",
            f"/kuota/funnel?periode={PERIODE}&format=csv",
            f"/kuota/funnel?periode={PERIODE}&provinsi=32&tahap=1",
            f"/kuota/residu?periode={PERIODE}&kabupaten=3201",
            f"/kuota/trend?periode={PERIODE}&npsn=12345678",
            f"/kuota/tahap?periode={PERIODE}",
            f"/kuota/karantina?periode={PERIODE}&format=csv",
            "/kuota/static/plotly.min.js",
        )
        for path in paths:
            assert http.get(path).status_code == 401, path  # no credential at all
            assert http.get(path, headers={"Authorization": "Bearer forged"}).status_code == 403, path
            assert http.get(path, headers=bearer).status_code == 200, path
        # The UI's own way: the session cookie the api-server set at login.
        assert http.get("/kuota/periods", cookies={"_token": token}).json() == [{"periode": PERIODE, "ditutup": False}]
        assert "Kuota" in http.get("/kuota/", headers=bearer).text

        # Bounded inputs: a period is YYYY-MM, an unknown one is not found, nothing else is read.
        assert http.get("/kuota/funnel?periode=2020-13", headers=bearer).status_code == 422
        assert http.get("/kuota/funnel?periode=2020-09';--", headers=bearer).status_code == 422
        assert http.get("/kuota/funnel?periode=2021-01", headers=bearer).status_code == 404
        assert http.get(f"/kuota/funnel?periode={PERIODE}&format=xml", headers=bearer).status_code == 422
        assert http.get(f"/kuota/penerima?periode={PERIODE}", headers=bearer).status_code == 422  # no such table
        for bad in ("provinsi=3", "kabupaten=32011", "npsn=1234567x", "tahap=-1", "tahap=100"):
            assert http.get(f"/kuota/funnel?periode={PERIODE}&{bad}", headers=bearer).status_code == 422, bad
        assert http.get("/kuota/static/cockpit.html", headers=bearer).status_code == 404  # only the chart library

        rows = http.get(f"/kuota/funnel?periode={PERIODE}", headers=bearer).json()["rows"]
        total = next(r for r in rows if r["tingkat"] == "total")
        ((records, valid),) = query(
            dsn,
            "SELECT count(*), count(*) FILTER (WHERE status = 'valid') FROM kuota.penerima WHERE periode = %s",
            (PERIODE,),
        )
        assert (total["cutoff"], total["valid"], total["sptjm_disetujui"], total["injected"]) == (records, valid, 0, 0)
        provinces = [r for r in rows if r["tingkat"] == "provinsi"]
        assert sum(r["cutoff"] for r in provinces) == records
        assert all(r["nama"] == cockpit.NAMA_PROVINSI[r["kode"]] for r in provinces)
        by_provider = {r["kode"]: r["valid"] for r in rows if r["tingkat"] == "provider"}
        assert by_provider == dict(
            query(
                dsn,
                "SELECT coalesce(provider, '-'), count(*) FILTER (WHERE status = 'valid') FROM kuota.penerima "
                "WHERE periode = %s GROUP BY 1",
                (PERIODE,),
            )
        )

        # The exchange as the warehouse holds it: every validation batch sent and answered.
        exchange_rows = http.get(f"/kuota/exchange?periode={PERIODE}", headers=bearer).json()["rows"]
        assert {r["provider"]: r["batch"] for r in exchange_rows} == dict(
            query(dsn, "SELECT provider, count(*) FROM kuota.batch WHERE periode = %s GROUP BY 1", (PERIODE,))
        )
        assert all(r["jenis"] == "validasi" and r["batch"] == r["terkirim"] == r["dijawab"] for r in exchange_rows)
        assert all(r["permintaan_terbuka"] == r["umur_terbuka_tertua_detik"] == 0 for r in exchange_rows)
        assert http.get(f"/kuota/bast?periode={PERIODE}", headers=bearer).json()["rows"] == []  # nothing injected yet
        assert http.get(f"/kuota/sptjm?periode={PERIODE}", headers=bearer).json()["rows"] == []  # none issued yet

        download = http.get(f"/kuota/funnel?periode={PERIODE}&format=csv", headers=bearer)
        assert download.headers["content-disposition"] == f'attachment; filename="funnel-{PERIODE}.csv"'
        table = list(csv.DictReader(io.StringIO(download.text)))
        assert tuple(table[0]) == cockpit.FUNNEL_COLUMNS and len(table) == len(rows)
        assert {k: str(v) for k, v in total.items()} in table
        # Aggregates only: no name, NISN, NIK or number of a record in anything the cockpit serves.
        ((nisn, nama, msisdn),) = query(
            dsn,
            "SELECT d.nisn, d.nama, p.msisdn FROM kuota.penerima p JOIN snapshot.peserta_didik d "
            "ON d.peserta_didik_id = p.id WHERE p.jenis = 'pd' AND p.msisdn IS NOT NULL LIMIT 1",
        )
        served = download.text + json.dumps(rows)
        assert nisn not in served and nama not in served and msisdn not in served
