"""The bench's account of the stack's servers' CPU (kuota_tools.servers_cpu), read from the
real local PostgreSQL and S3 endpoint: a step's work on either shows in that server's figure,
a backend's CPU once it has ended."""

from __future__ import annotations

import contextlib
import time

import psycopg2

from kuota.infra import db
from kuota_tools import servers_cpu


def test_the_stack_servers_are_found_and_their_work_is_counted(dsn, storage, bucket):
    pids = servers_cpu.server_pids(dsn)
    assert set(pids) == {"s3", "postgres"}, "the local stack's endpoint and postmaster, from its own files"
    before = servers_cpu.sample(pids)

    with contextlib.closing(psycopg2.connect(db.libpq_dsn(dsn))) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM generate_series(1, 3000000) g WHERE md5(g::text) LIKE 'a%'")
        ((hits,),) = cur.fetchall()
    assert hits > 0
    for n in range(300):
        storage.write_bytes(f"s3://{bucket}/cpu/{n:04d}", b"x" * 50_000)

    deadline = time.monotonic() + 10
    while True:  # the backend ends after its connection closes; its postmaster then reaps it
        used = servers_cpu.spent(before, servers_cpu.sample(pids))
        if used["postgres"] >= 0.3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert used["postgres"] >= 0.3, f"3 million md5s took {used['postgres']:.2f} s of the server's CPU"
    assert used["s3"] >= 0.1, f"300 PUTs took {used['s3']:.2f} s of the endpoint's CPU"


def test_a_server_that_is_not_a_local_process_is_left_out():
    assert servers_cpu.cpu_seconds(2**22 + 12345) is None
    assert servers_cpu.sample({"s3": 2**22 + 12345}) == {}
