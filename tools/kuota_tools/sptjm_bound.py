"""What bounds the SPTJM step (issue 19): ``write_sptjm`` on copies of one issued database as it
is (two render processes), with one render process, and with no rendering at all (a fixed body
of a PDF's size instead: the step if rendering cost nothing), then the raw PUTs of the same
files; each with the CPU of the step, of its rendering, of the S3 endpoint and of PostgreSQL
(the bench's own measure, ``bench._measure``).

    make bench BENCH_ARGS="--students 1000000 --until issue_sptjm --skip normalize_numbers_libphonenumber --keep"
    psql ... -c "CREATE DATABASE sptjm_1000000 TEMPLATE bench_1000000"
    python -m kuota_tools.sptjm_bound --template sptjm_1000000 --uri s3://kuota/bench/n1000000-seed2020

Needs the stack's environment, like the bench. The step writes the same keys on every copy,
so the raw PUTs read what the last variant wrote: a real PDF, as "no rendering" goes first.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

import psycopg2

from kuota.infra import db
from kuota.tahap import sptjm

from . import bench

# The variant's name, and its value of KUOTA_BENCH_RENDERING in the step's process.
VARIANTS = {"no rendering": "none", "one render process": "one", "two render processes": ""}


def apply_variant(variant: str) -> None:
    """Called by the bench's write_sptjm step, in its own process, before it writes."""
    if variant == "one":
        sptjm._render_processes = lambda workers: 1
    elif variant == "none":
        body = bytes(range(256)) * 215  # about a 118-row SPTJM's size
        sptjm._render_processes = lambda workers: 0
        sptjm._render_timed = lambda head, rows: (body, 0.0, set())
    elif variant:
        raise SystemExit(f"bench: KUOTA_BENCH_RENDERING={variant!r} is neither 'one' nor 'none'")


def measure(base_dsn: str, template: str, uri: str, variant: str, step: str = "write_sptjm") -> str:
    copy = "sptjm_bound"
    admin = psycopg2.connect(db.libpq_dsn(base_dsn).rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with contextlib.closing(admin), admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")
        cur.execute(f'CREATE DATABASE {copy} TEMPLATE "{template}"')
    os.environ["KUOTA_BENCH_RENDERING"] = VARIANTS[variant]
    r = bench._measure(step, bench._database(base_dsn, copy), uri, 1, 2020)
    sptjms = r["detail"].get("groups", r["rows"])  # the raw PUTs count objects, three an SPTJM
    cpu = r["cpu"]
    name = variant if step == "write_sptjm" else "raw PUTs of the same files"
    return (
        f"| {name} | {sptjms:,} | {r['seconds']:.1f} | {sptjms / r['seconds']:.1f} | {cpu['step']:.1f} "
        f"({r['detail'].get('render_seconds', 0):.1f}) | {cpu.get('s3', float('nan')):.1f} | "
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
