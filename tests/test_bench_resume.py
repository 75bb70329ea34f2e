"""A national bench outlasts a session: each measured step is journalled in the scale's own
database, and ``--resume`` goes on from the first step not in the journal, without the export
(the S3 endpoint of a restarted machine has lost it) and without measuring a step twice."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import psycopg2
import pytest

from kuota.infra import db
from kuota_tools.bench import STEPS

STUDENTS = 2_500  # its own database, bench_2500: no other test runs the bench


def _bench(bucket: str, *args: str) -> list[str]:
    env = {**os.environ, "KUOTA_BUCKET": bucket}
    out = subprocess.run(
        [sys.executable, "-m", "kuota_tools.bench", "--students", str(STUDENTS), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    steps = [line for line in out.stdout.splitlines() if line.startswith(f"| {STUDENTS:,} |")]
    return [line for line in steps if line.split("|")[2].strip() in STEPS]  # not the goals table's


def _steps(rows: list[str]) -> list[str]:
    return [row.split("|")[2].strip() for row in rows]


def _journal(dsn: str) -> dict[str, tuple]:
    with contextlib.closing(psycopg2.connect(db.libpq_dsn(dsn))) as conn, conn.cursor() as cur:
        cur.execute("SELECT step, recorded_at, result->>'seconds' FROM public.bench_journal")
        return {step: (at, seconds) for step, at, seconds in cur.fetchall()}


@pytest.fixture
def bench_dsn():
    base = os.environ["KUOTA_WAREHOUSE_DSN"]
    name = f"bench_{STUDENTS}"
    yield base.rsplit("/", 1)[0] + "/" + name
    with contextlib.closing(psycopg2.connect(db.libpq_dsn(base))) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_stopped_bench_resumes_from_its_first_unmeasured_step_without_the_export(bench_dsn, s3, bucket):
    first = _bench(bucket, "--until", "check_snapshot", "--keep")
    assert _steps(first) == ["generate", "verify_manifest", "load_snapshot", "copy_baseline", "check_snapshot"]
    before = _journal(bench_dsn)
    assert set(before) == set(_steps(first))

    # The machine restarted: the S3 endpoint kept nothing, the database everything.
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        if page.get("Contents"):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": o["Key"]} for o in page["Contents"]]})

    resumed = _bench(
        bucket, "--until", "normalize_numbers_sql", "--skip", "normalize_numbers_libphonenumber", "--resume"
    )
    assert _steps(resumed) == [*_steps(first), "normalize_numbers_sql"]
    for old, again in zip(first, resumed, strict=False):
        assert again.startswith(old) and "recorded" in again, "a journalled step is shown as measured, not run again"
    assert "recorded" not in resumed[-1]
    after = _journal(bench_dsn)
    assert {step: after[step] for step in before} == before, "no journalled step was measured again"
    assert float(after["normalize_numbers_sql"][1]) > 0

    # A run without --resume starts the scale afresh.
    fresh = _bench(bucket, "--until", "copy_baseline", "--keep")
    assert all("recorded" not in row for row in fresh)
    assert set(_journal(bench_dsn)) == {"generate", "verify_manifest", "load_snapshot", "copy_baseline"}
