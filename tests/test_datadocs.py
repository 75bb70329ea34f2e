"""The suites' Data Docs: built into the period's output in the real S3 on every run, named by
a failure, free of personal values, and served by the cockpit to an Airflow user only."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from conftest import query
from helpers import PERIODE
from test_cockpit import _api_server

from kuota.bulanan import quality
from kuota.infra import datadocs, db
from kuota.infra.errors import QualityError
from kuota.infra.suites import run_suites

FAILED_PAGE = re.compile(r"Data Docs of quality\.(\w+): (s3://\S+) \(cockpit: (\S+)\)")


def _objects(s3, bucket: str, prefix: str) -> dict[str, bytes]:
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for o in page.get("Contents", [])
    ]
    return {k[len(prefix) :]: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def _lose_a_record(dsn: str) -> None:
    query(dsn, "DELETE FROM kuota.penerima WHERE id = (SELECT min(id::text)::uuid FROM kuota.penerima) RETURNING 1")


@pytest.mark.heavy
def test_each_screening_run_rewrites_its_data_docs_and_a_failure_names_the_page(s3, bucket, dsn, screened, period):
    prefix = f"output/{PERIODE}/data_docs/screening/"
    assert quality.check_screening(period)["failed"] == 0
    passed = _objects(s3, bucket, prefix)
    summary = json.loads(passed["kuota.json"])
    assert summary["success"] and summary["failed_views"] == [] and summary["periode"] == PERIODE
    assert set(summary["pages"]) == {"penerima", "penerima_siap", "penerima_kemiripan"}
    assert b"<html" in passed["index.html"] and all(page in passed for page in summary["pages"].values())
    assert "static/styles/data_docs_default_styles.css" in passed

    _lose_a_record(dsn)
    with pytest.raises(QualityError) as failure:
        quality.check_screening(period)
    message = str(failure.value)
    ((view, uri, cockpit),) = FAILED_PAGE.findall(message)
    assert view == "penerima" and "expect_table_row_count_to_equal" in message
    page = uri.removeprefix(f"s3://{bucket}/{prefix}")
    assert uri == f"s3://{bucket}/{prefix}{page}" and page.startswith("validations/penerima/screening/")
    assert cockpit == f"/kuota/datadocs/{PERIODE}/screening/{page}"

    failed = _objects(s3, bucket, prefix)
    assert b"Must have exactly" in failed[page] and b"Failed" in failed[page]
    summary = json.loads(failed["kuota.json"])
    assert not summary["success"] and summary["failed_views"] == ["penerima"] and summary["pages"]["penerima"] == page
    # The folder holds the latest run only: its three result pages, none of the first run's.
    results = sorted(name for name in failed if name.startswith("validations/"))
    assert results == sorted(summary["pages"].values())
    assert not set(results) & {p for p in passed if p.startswith("validations/")}


def test_the_data_docs_of_a_failing_suite_hold_no_personal_value(s3, bucket, dsn, screened, period):
    """Expectations every row breaks, on the columns that identify a person: GX samples their
    values; none reaches the pages, the run's summary or the error (what the task log shows)."""
    import great_expectations as gx

    E = gx.expectations
    ((cutoff_id,),) = query(dsn, "SELECT cutoff_id FROM kuota.periode WHERE periode = %s", (PERIODE,))
    suites = {
        "snapshot_peserta_didik": [
            E.ExpectColumnValuesToMatchRegex(column="nisn", regex="^x$"),
            E.ExpectColumnValuesToBeInSet(column="nama", value_set=["-"]),
            E.ExpectColumnValuesToBeUnique(column="nik"),
            E.ExpectColumnValuesToMatchRegex(column="nomor_hp", regex="^x$"),
        ],
        "penerima_siap": [E.ExpectColumnValuesToMatchRegex(column="msisdn", regex="^x$")],
    }
    site = datadocs.Site(period.storage, period.output_uri, PERIODE, "snapshot")
    settings = {"kuota.periode": PERIODE, "kuota.cutoff_id": cutoff_id}
    with pytest.raises(QualityError) as failure:
        run_suites(dsn, settings, "a test", suites, site)
    assert {view for view, _, _ in FAILED_PAGE.findall(str(failure.value))} == set(suites)

    docs = _objects(s3, bucket, f"output/{PERIODE}/data_docs/snapshot/")
    text = "\n".join(body.decode("utf-8", "replace") for name, body in docs.items() if not name.startswith("static/"))
    text += str(failure.value)
    assert "unexpected" in text.lower()
    people = query(
        dsn,
        "SELECT nisn, nik, nama, nomor_hp FROM snapshot.peserta_didik WHERE cutoff_id = %s",
        (cutoff_id,),
    )
    numbers = [n for (n,) in query(dsn, "SELECT msisdn FROM kuota.penerima WHERE msisdn IS NOT NULL")]
    values = {v for row in people for v in row if v and (len(v.strip()) >= 8 or " " in v.strip())} | set(numbers)
    assert len(values) > 1000
    leaked = sorted(v for v in values if v in text)
    assert leaked == []
    assert urlparse(db.libpq_dsn(dsn)).password not in text


@pytest.mark.heavy
def test_the_cockpit_serves_the_data_docs_to_an_airflow_user_and_nothing_else(
    airflow_env, s3, bucket, dsn, screened, period, tmp_path
):
    _lose_a_record(dsn)
    with pytest.raises(QualityError) as failure:
        quality.check_screening(period)
    ((_, _, cockpit),) = FAILED_PAGE.findall(str(failure.value))
    # Beside the period's Data Docs, a file of the period the cockpit must never hand out.
    s3.put_object(Bucket=bucket, Key=f"output/{PERIODE}/status_penerima.html", Body=b"secret")
    s3.put_object(Bucket=bucket, Key=f"output/{PERIODE}/data_docs/secret.html", Body=b"secret")

    env = dict(airflow_env, AIRFLOW_CONN_KUOTA_WAREHOUSE=db.libpq_dsn(dsn), KUOTA_OUTPUT_URI=f"s3://{bucket}/output")
    with _api_server(env, tmp_path / "api-server.log") as url, httpx.Client(base_url=url, timeout=60) as http:
        passwords = json.loads((Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated").read_text())
        login = http.post("/auth/token", json={"username": "viewer", "password": passwords["viewer"]})
        assert login.status_code in (200, 201), login.text
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}

        listing = f"/kuota/datadocs?periode={PERIODE}"
        paths = (listing, cockpit, f"/kuota/datadocs/{PERIODE}/screening/index.html", "/kuota/datadocs/datadocs.js")
        for path in paths:
            assert http.get(path).status_code == 401, path
            assert http.get(path, headers={"Authorization": "Bearer forged"}).status_code == 403, path
            assert http.get(path, headers=bearer).status_code == 200, path

        # The cockpit page lists them (static/datadocs.js, loaded relative to the page).
        assert '<section id="datadocs">' in http.get("/kuota/", headers=bearer).text
        assert '<script src="datadocs/datadocs.js">' in http.get("/kuota/", headers=bearer).text
        assert "kuota:periode" in http.get("/kuota/datadocs/datadocs.js", headers=bearer).text
        (site,) = http.get(listing, headers=bearer).json()["sites"]
        assert site["suite"] == "screening" and not site["success"] and site["failed_views"] == ["penerima"]
        assert "/kuota/" + site["pages"]["penerima"] == cockpit
        assert site["index"] == f"datadocs/{PERIODE}/screening/index.html"
        assert http.get("/kuota/datadocs?periode=2021-01", headers=bearer).json()["sites"] == []

        served = http.get(cockpit, headers=bearer)
        assert served.headers["content-type"].startswith("text/html")
        assert "connect-src 'none'" in served.headers["content-security-policy"]
        assert "https:" not in served.headers["content-security-policy"]  # no CDN: no third-party code
        assert "Must have exactly" in served.text
        css = f"/kuota/datadocs/{PERIODE}/screening/static/styles/data_docs_default_styles.css"
        style = http.get(css, headers=bearer)
        assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")

        refused = (
            "/kuota/datadocs?periode=2020-13",
            "/kuota/datadocs/2020-13/screening/index.html",
            f"/kuota/datadocs/{PERIODE}/secret.html",
            f"/kuota/datadocs/{PERIODE}/other/index.html",
            f"/kuota/datadocs/{PERIODE}/screening/../../status_penerima.html",
            f"/kuota/datadocs/{PERIODE}/screening/%2E%2E/%2E%2E/status_penerima.html",
            f"/kuota/datadocs/{PERIODE}/screening/..%2F..%2Fstatus_penerima.html",
            f"/kuota/datadocs/{PERIODE}/screening/%2e%2e%2fsecret.html",
            f"/kuota/datadocs/{PERIODE}/screening/.hidden.html",
            f"/kuota/datadocs/{PERIODE}/screening/index.py",
            f"/kuota/datadocs/{PERIODE}/screening/absent.html",
            f"/kuota/datadocs/{PERIODE}/screening/" + "a/" * 200 + "index.html",
        )
        for path in refused:
            # httpx drops a literal ../ itself: FastAPI's trailing-slash redirect then lands on a 422.
            answer = http.get(path, headers=bearer, follow_redirects=True)
            assert answer.status_code in (404, 422), (path, answer.status_code)
            assert "secret" not in answer.text
        # An encoded ../ reaches the route as ../ and is refused there, before S3 is asked.
        for path in [p for p in refused if "%2" in p.lower() or "/.hidden" in p]:
            assert http.get(path, headers=bearer).json()["detail"] == "not a Data Docs page", path
