"""What bounds the SPTJM step (issue 19): ``write_sptjm`` on copies of one issued database as it
is (two render processes), with one render process, and with no rendering at all (a fixed body
of a PDF's size instead: the step if rendering cost nothing), then the raw PUTs of the same
files; each with the CPU of the step, of its rendering, of the S3 endpoint and of PostgreSQL.

    make bench BENCH_ARGS="--students 1000000 --until issue_sptjm --skip normalize_numbers_libphonenumber --keep"
    psql ... -c "CREATE DATABASE sptjm_1000000 TEMPLATE bench_1000000"
    python -m kuota_tools.sptjm_bound --template sptjm_1000000 --uri s3://kuota/bench/n1000000-seed2020

Needs the stack's environment, like the bench. The step writes the same keys on every copy,
so the raw PUTs read what the last variant wrote: a real PDF, as "no rendering" goes first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time

import psycopg2

from kuota.infra import db

from . import servers_cpu
from .bench import _database

# Run in the step's own process before the bench's step (a spawn render process would not see it).
VARIANTS = {
    "no rendering": (
        "sptjm._render_processes = lambda workers: 0\n"
        "body = bytes(range(256)) * 215\n"
        "sptjm._render_timed = lambda head, rows: (body, 0.0, set())\n"
    ),
    "one render process": "sptjm._render_processes = lambda workers: 1\n",
    "two render processes": "",
}


def measure(base_dsn: str, template: str, uri: str, variant: str, step: str = "write_sptjm") -> str:
    copy = "sptjm_bound"
    admin = psycopg2.connect(db.libpq_dsn(base_dsn).rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with contextlib.closing(admin), admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")
        cur.execute(f'CREATE DATABASE {copy} TEMPLATE "{template}"')
    dsn = _database(base_dsn, copy)
    code = (
        "import sys\nfrom kuota.tahap import sptjm\n"
        + VARIANTS[variant]
        + "from kuota_tools.bench import main\n"
        + f"sys.exit(main(['--step', {step!r}, '--dsn', {dsn!r}, '--uri', {uri!r}, '--students', '1']))\n"
    )
    servers = servers_cpu.server_pids(dsn)
    before = servers_cpu.sample(servers)
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"sptjm_bound: {step} ({variant}) failed")
    time.sleep(0.5)  # the step's backends reaped
    cpu = servers_cpu.spent(before, servers_cpu.sample(servers))
    detail = json.loads(out.decode().strip().splitlines()[-1])
    seconds = detail.get("timed_seconds", wall)
    sptjms = detail.get("groups", detail["rows"])
    name = variant if step == "write_sptjm" else "raw PUTs of the same files"
    return (
        f"| {name} | {sptjms:,} | {seconds:.1f} | {sptjms / seconds:.1f} | {usage.ru_utime + usage.ru_stime:.1f} "
        f"({detail.get('render_seconds', 0):.1f}) | {cpu.get('s3', float('nan')):.1f} | "
        f"{cpu.get('postgres', float('nan')):.1f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", required=True, help="a warehouse database whose SPTJMs are issued")
    parser.add_argument("--uri", required=True, help="the bench's S3 folder of that database")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    base = os.environ["KUOTA_WAREHOUSE_DSN"]
    print("| variant | SPTJMs | seconds | SPTJMs/s | CPU: step (rendering) | CPU: S3 endpoint | CPU: PostgreSQL |")
    print("|---|---:|---:|---:|---:|---:|---:|", flush=True)
    for _ in range(args.rounds):
        for variant in VARIANTS:
            print(measure(base, args.template, args.uri, variant), flush=True)
        print(measure(base, args.template, args.uri, "two render processes", "put_baseline_sptjm"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
