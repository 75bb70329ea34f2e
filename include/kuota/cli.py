"""Command line of the package: ``kuota generate`` (synthetic cutoff), ``kuota snapshot`` (stage 1),
``kuota screen`` (stage 2), the same functions the DAG's tasks call.

Connections come from the environment (KUOTA_WAREHOUSE_DSN; boto3's AWS_* variables).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from . import generator, pipeline
from .manifest import ContractError
from .quality import QualityError


def _dsn(args) -> str:
    dsn = args.dsn or os.environ.get("KUOTA_WAREHOUSE_DSN")
    if not dsn:
        sys.exit("no warehouse: pass --dsn or set KUOTA_WAREHOUSE_DSN (scripts/stack.sh env)")
    return dsn


def configure_logging() -> None:
    """Our progress at INFO on stderr; the libraries' chatter (GX, boto) only from WARNING."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kuota").setLevel(logging.INFO)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kuota", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic Dapodik cutoff export (exchange.md §1)")
    gen.add_argument("--out", required=True, help="s3://bucket/prefix or a local directory")
    gen.add_argument("--students", type=int, default=10_000)
    gen.add_argument("--ptk", type=int, help="default: students / 15")
    gen.add_argument("--schools", type=int, help="default: students / 205")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--cutoff-date", default="2020-09-11")
    gen.add_argument("--labels", help="where the ground-truth labels go (default: <out>/labels.csv.gz)")
    gen.add_argument("--compresslevel", type=int, default=1)

    snap = sub.add_parser("snapshot", help="verify and load a cutoff export for a period (stage 1)")
    snap.add_argument("--periode", required=True)
    snap.add_argument("--cutoff-uri", required=True)
    snap.add_argument("--dsn")

    scr = sub.add_parser("screen", help="screen a loaded period and send residu to schools (stage 2)")
    scr.add_argument("--periode", required=True)
    scr.add_argument("--exchange-uri", required=True, help="root of the portal files, s3://bucket/prefix")
    scr.add_argument("--dsn")

    args = parser.parse_args(argv)
    configure_logging()
    try:
        if args.command == "generate":
            scale = generator.Scale.for_students(args.students, args.ptk, args.schools)
            result = generator.generate(args.out, scale, seed=args.seed, cutoff_date=args.cutoff_date,
                                        labels_uri=args.labels, compresslevel=args.compresslevel)
        elif args.command == "snapshot":
            result = pipeline.run_snapshot(_dsn(args), args.periode, args.cutoff_uri)
        else:
            result = pipeline.run_screening(_dsn(args), args.periode, args.exchange_uri)
    except (ContractError, QualityError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
