"""Fixtures on the real local stack (scripts/stack.sh): PostgreSQL and S3 over loopback.

Every test gets its own warehouse database (cloned from a migrated template) and its own
bucket, so tests never see each other's cutoffs. The periods many tests start from (screened,
validated, SPTJMs approved) are built once per test session by the pipeline itself and cloned
into each test's database and bucket (``Prebuilt``).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import psycopg2
import pytest
from helpers import PERIODE, approve_all_but_first, screened_period, validated_period

from kuota.infra import db, migrations
from kuota.infra.storage import Storage
from kuota.periode import Period

REPO = Path(__file__).resolve().parent.parent


# The two modules that run whole periods through Airflow: minutes each on one xdist worker
# (make test: --dist loadfile, in collection order). They go first, one per worker, and the
# other modules fill the workers around them; collected last, one of them would run alone at
# the end while the other worker stood idle. (xdist queues one more module behind each: the
# slow tier's, skipped in make test, come next.)
LONGEST_FIRST = ("test_dag_run.py", "test_dag_run_faults.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests with 'make test' (it starts the local stack)")
    return value


def _admin(dsn: str):
    conn = psycopg2.connect(db.libpq_dsn(dsn).rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def new_database(prefix: str, template: str | None = None):
    """A warehouse database of its own (empty, or a copy of ``template``), dropped afterwards;
    yields its DSN."""
    base = _require("KUOTA_WAREHOUSE_DSN")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with contextlib.closing(_admin(base)) as admin, admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with contextlib.closing(_admin(base)) as admin, admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def template_db():
    """The migrated warehouse every test's database is copied from; yields its name."""
    with new_database("kuota_tpl") as dsn:
        migrations.migrate(dsn)
        yield dsn.rsplit("/", 1)[1]


@pytest.fixture
def dsn(template_db):
    with new_database("kuota_t", template_db) as dsn:
        yield dsn


@pytest.fixture(scope="session")
def s3():
    _require("AWS_ENDPOINT_URL")
    return boto3.client("s3")


@pytest.fixture
def bucket(s3):
    name = f"kuota-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    _empty_bucket(s3, name)


def _empty_bucket(s3, name: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        if page.get("Contents"):
            s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": o["Key"]} for o in page["Contents"]]})
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def storage(s3):
    return Storage(s3)


@pytest.fixture
def period(dsn, storage, bucket) -> Period:
    """The test's period, PERIODE, as the steps are handed it: its own warehouse and bucket,
    the exchange and the export under it, stage 1, no deadline (``period.with_`` for one)."""
    return Period(dsn, PERIODE, storage, f"s3://{bucket}/exchange", f"s3://{bucket}/output")


class Prebuilt:
    """Periods built once per test session (per xdist worker), then cloned for each test: its
    database is recreated under the same name from the built one (CREATE DATABASE … TEMPLATE)
    and the built bucket's objects are copied into its bucket. Nothing in the warehouse names
    the bucket a period was built in but the cutoff's source_uri, which no step reads back."""

    def __init__(self, base: str, template_db: str, s3):
        self.base, self.template_db, self.s3 = base, template_db, s3
        self.built: dict[str, tuple[str, str]] = {}

    def _dsn(self, name: str) -> str:
        return self.base.rsplit("/", 1)[0] + "/" + name

    def restore(self, key: str, dsn: str, bucket: str, build, start: tuple | None = None) -> None:
        """``build(dsn, storage, bucket)`` makes the state ``key`` the first time, from an
        empty warehouse or from the state ``start`` (its key and build)."""
        if key not in self.built:
            name, source = f"kuota_pre_{uuid.uuid4().hex[:10]}", f"kuota-pre-{uuid.uuid4().hex[:12]}"
            with contextlib.closing(_admin(self.base)) as admin, admin.cursor() as cur:
                cur.execute(f"CREATE DATABASE {name} TEMPLATE {self.template_db}")
            self.s3.create_bucket(Bucket=source)
            if start:
                start_key, start_build = start
                self.restore(start_key, self._dsn(name), source, start_build)
            build(self._dsn(name), Storage(self.s3), source)
            self.built[key] = (name, source)
        self.clone(*self.built[key], dsn, bucket)

    def clone(self, name: str, source: str, dsn: str, bucket: str) -> None:
        """Database ``name`` and bucket ``source`` copied to ``dsn`` (recreated) and ``bucket``."""
        target = dsn.rsplit("/", 1)[1]
        with contextlib.closing(_admin(self.base)) as admin, admin.cursor() as cur:
            # GX's pooled connections to the built database would block it as a template.
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cur.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
            cur.execute(f"CREATE DATABASE {target} TEMPLATE {name}")
        keys = [
            obj["Key"]
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=source)
            for obj in page.get("Contents", [])
        ]
        with ThreadPoolExecutor(16) as pool:
            list(
                pool.map(
                    lambda key: self.s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": source, "Key": key}),
                    keys,
                )
            )

    def drop(self) -> None:
        with contextlib.closing(_admin(self.base)) as admin, admin.cursor() as cur:
            for name, source in self.built.values():
                cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                _empty_bucket(self.s3, source)


@pytest.fixture(scope="session")
def prebuilt(template_db, s3):
    built = Prebuilt(_require("KUOTA_WAREHOUSE_DSN"), template_db, s3)
    yield built
    built.drop()


@pytest.fixture
def screened(dsn, storage, bucket, prebuilt):
    """A screened period of 4,000 students: the exchange's starting point."""
    prebuilt.restore("screened-4000", dsn, bucket, lambda d, s, b: screened_period(d, s, b, 4_000, seed=11))
    return {"exchange": f"s3://{bucket}/exchange", "cutoff": f"s3://{bucket}/dapodik/cutoff"}


VALIDATED = ("validated-3000", lambda d, s, b: validated_period(d, s, b, PERIODE, 3_000, seed=5))


@pytest.fixture
def validated(dsn, storage, bucket, prebuilt):
    """A period of 3,000 students screened and validated by the provider simulator; returns
    its exchange root."""
    key, build = VALIDATED
    prebuilt.restore(key, dsn, bucket, build)
    return f"s3://{bucket}/exchange"


@pytest.fixture
def approved(dsn, storage, bucket, prebuilt):
    """The validated period with its SPTJMs issued and written; all approved but the first,
    rejected."""

    def build(d, s, b):
        approve_all_but_first(d, s, f"s3://{b}/exchange")

    prebuilt.restore("approved-3000", dsn, bucket, build, start=VALIDATED)
    numbers = [n for (n,) in query(dsn, "SELECT sptjm_no FROM kuota.sptjm ORDER BY 1")]
    return {"exchange": f"s3://{bucket}/exchange", "rejected": numbers[0], "approved": numbers[1:]}


@pytest.fixture(scope="session")
def airflow_template(tmp_path_factory):
    """Airflow's metadata database migrated once per session (per xdist worker): each module's
    own database is a copy of it, not a migration of its own."""
    base = _require("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    name = f"airflow_tpl_{uuid.uuid4().hex[:10]}"
    with contextlib.closing(_admin(base)) as admin, admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    env = dict(
        os.environ,
        AIRFLOW_HOME=str(tmp_path_factory.mktemp("airflow-template")),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=base.rsplit("/", 1)[0] + "/" + name,
    )
    migrated = subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), "db", "migrate"], env=env, capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    yield name
    with contextlib.closing(_admin(base)) as admin, admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory, airflow_template):
    """The environment of ``airflow`` commands run by a test module (tests/airflow_runs.py):
    its own AIRFLOW_HOME and its own metadata database, so two modules on two workers never
    meet in Airflow's tables."""
    base = _require("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    name = f"airflow_t_{uuid.uuid4().hex[:10]}"
    with contextlib.closing(_admin(base)) as admin, admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name} TEMPLATE {airflow_template}")
    yield dict(
        os.environ,
        AIRFLOW_HOME=str(tmp_path_factory.mktemp("airflow-home")),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=base.rsplit("/", 1)[0] + "/" + name,
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
    )
    with contextlib.closing(_admin(base)) as admin, admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def query(dsn: str, sql: str, params=None) -> list[tuple]:
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []
