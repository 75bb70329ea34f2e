"""Fixtures on the real local stack (scripts/stack.sh): PostgreSQL and S3 over loopback.

Every test gets its own warehouse database (cloned from a migrated template) and its own
bucket, so tests never see each other's cutoffs.
"""

from __future__ import annotations

import os
import uuid

import boto3
import psycopg2
import pytest

from kuota.infra import db
from kuota.infra.storage import Storage


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests with 'make test' (it starts the local stack)")
    return value


def _admin(dsn: str):
    conn = psycopg2.connect(db.libpq_dsn(dsn).rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def template_db():
    base = _require("KUOTA_WAREHOUSE_DSN")
    name = f"kuota_tpl_{uuid.uuid4().hex[:8]}"
    admin = _admin(base)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    db.migrate(base.rsplit("/", 1)[0] + "/" + name)
    yield name
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture
def dsn(template_db):
    base = _require("KUOTA_WAREHOUSE_DSN")
    name = f"kuota_t_{uuid.uuid4().hex[:10]}"
    admin = _admin(base)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name} TEMPLATE {template_db}")
    yield base.rsplit("/", 1)[0] + "/" + name
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture(scope="session")
def s3():
    _require("AWS_ENDPOINT_URL")
    return boto3.client("s3")


@pytest.fixture
def bucket(s3):
    name = f"kuota-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=obj["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def storage(s3):
    return Storage(s3)


def query(dsn: str, sql: str, params=None) -> list[tuple]:
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []
