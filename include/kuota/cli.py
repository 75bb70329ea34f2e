"""Command line of the package, the same functions the DAGs' tasks call:

- ``kuota migrate``: the warehouse's migrations;
- ``kuota snapshot``, ``kuota screen``: the monthly run's snapshot and screening;
- ``kuota validate``: a stage's validation exchange; ``kuota redo-batch``: one provider batch again;
- ``kuota summary``: a period's run summary;
- ``kuota periode-status``, ``periode-batas``, ``periode-buka-kembali``: the period's lifecycle
  (its deadline, and reopening a closed period, each with a reason).

The synthetic cutoff and the partners' stand-ins are not here: ``python -m kuota_tools``
(tools/, never in the runtime image).

Connections come from the environment (KUOTA_WAREHOUSE_DSN; boto3's AWS_* variables).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys

from . import periode, summary
from .bulanan import screening, snapshot
from .infra import db, migrations
from .infra.errors import ContractError, MigrationError, QualityError
from .infra.storage import Storage
from .partners import exchange
from .periode import Period
from .tahap import validasi


def _dsn(args) -> str:
    # From the environment only: a DSN carries the password, and an argument shows in ps.
    dsn = os.environ.get("KUOTA_WAREHOUSE_DSN")
    if not dsn:
        sys.exit('no warehouse: set KUOTA_WAREHOUSE_DSN (eval "$(scripts/stack.sh env)" on the local stack)')
    return dsn


def _who(args) -> str:
    """Who changed a period's lifecycle, for its history: the command and the OS user."""
    return f"kuota {args.command} ({getpass.getuser()})"


def configure_logging() -> None:
    """Our progress at INFO on stderr; the libraries' chatter (GX, boto) only from WARNING."""
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("kuota").setLevel(logging.INFO)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


OUTPUT_HELP = "the period's output, s3://bucket/prefix: its suites' Data Docs go to <output>/<periode>/data_docs/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kuota", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    snap = sub.add_parser("snapshot", help="verify and load a cutoff export, opening its period (as kuota_bulanan)")
    snap.add_argument("--periode", required=True)
    snap.add_argument("--cutoff-uri", required=True)
    snap.add_argument(
        "--batas-jawaban",
        help="the period's deadline for answers, ISO 8601 with offset; default: "
        "its last day 23:59 WIB (refused if already passed)",
    )
    snap.add_argument("--hari-tahap", help="the stage calendar, days of the month (default: 15,28)")
    snap.add_argument("--output-uri", help=OUTPUT_HELP)

    scr = sub.add_parser("screen", help="screen a loaded period and send residu to schools (as kuota_bulanan)")
    scr.add_argument("--periode", required=True)
    scr.add_argument("--exchange-uri", required=True, help="root of the portal files, s3://bucket/prefix")
    scr.add_argument("--output-uri", help=OUTPUT_HELP)

    val = sub.add_parser(
        "validate", help="validation exchange with providers (as a stage's validation): send, wait, ingest"
    )
    val.add_argument("--periode", required=True)
    val.add_argument("--exchange-uri", required=True)
    val.add_argument("--batch-rows", type=int, default=exchange.DEFAULT_BATCH_ROWS)
    val.add_argument("--deadline", help="ISO 8601 with offset; default: the period's deadline")
    val.add_argument("--poll-seconds", type=float, default=5.0)

    redo = sub.add_parser("redo-batch", help="re-send one provider batch (same bytes) and ingest its answer")
    redo.add_argument("--batch-id", required=True)
    redo.add_argument("--exchange-uri", required=True)
    redo.add_argument("--wait-seconds", type=float, default=600, help="how long to wait for the answer")
    redo.add_argument("--poll-seconds", type=float, default=5.0)

    mig = sub.add_parser("migrate", help="apply the warehouse's migrations not yet applied (as prepare_warehouse)")
    mig.add_argument("--status", action="store_true", help="only list the migrations and when each was applied")

    sm = sub.add_parser("summary", help="the period's run summary, as at the end of each run's log")
    sm.add_argument("--periode", required=True)

    st = sub.add_parser("periode-status", help="a period's deadline, calendar, state and history")
    st.add_argument("--periode", required=True)

    dl = sub.add_parser("periode-batas", help="move an open period's deadline for answers (audited)")
    dl.add_argument("--periode", required=True)
    dl.add_argument("--batas-jawaban", required=True, help="ISO 8601 with offset, e.g. 2020-10-07T23:59:00+07:00")
    dl.add_argument("--alasan", required=True, help="why (goes into the period's history)")

    ro = sub.add_parser("periode-buka-kembali", help="reopen a closed period (audited)")
    ro.add_argument("--periode", required=True)
    ro.add_argument("--alasan", required=True, help="why (goes into the period's history)")
    ro.add_argument("--batas-jawaban", help="a new deadline for answers (default: unchanged)")

    args = parser.parse_args(argv)
    configure_logging()
    try:
        if args.command == "migrate":
            if args.status:
                done = migrations.applied(_dsn(args))
                result = [
                    {
                        "migration": m.path.name,
                        "applied_at": done[m.version]["applied_at"] if m.version in done else None,
                    }
                    for m in migrations.available()
                ]
            else:
                result = {"applied": migrations.migrate(_dsn(args), _who(args))}
        elif args.command == "snapshot":
            result = snapshot.run_snapshot(
                _dsn(args),
                args.periode,
                args.cutoff_uri,
                None,
                args.batas_jawaban,
                args.hari_tahap,
                strict=True,
                output_uri=args.output_uri,
            )
        elif args.command == "screen":
            result = screening.run_screening(
                Period(_dsn(args), args.periode, Storage(), args.exchange_uri, args.output_uri)
            )
        elif args.command == "validate":
            period = Period.opened(_dsn(args), args.periode, storage=Storage(), exchange_uri=args.exchange_uri)
            if args.deadline:
                period = period.with_(deadline=periode.parse_deadline(args.deadline, args.periode))
            result = validasi.EXCHANGE.run(period, args.batch_rows, args.poll_seconds)
        elif args.command == "redo-batch":
            p = exchange.periode_of_batch(_dsn(args), args.batch_id)
            period = Period.opened(_dsn(args), p, storage=Storage(), exchange_uri=args.exchange_uri)
            result = exchange.redo_batch(period, args.batch_id, args.wait_seconds, args.poll_seconds)
        elif args.command == "summary":
            print(summary.summary(Period(_dsn(args), args.periode)))
            return 0
        elif args.command == "periode-status":
            result = {
                "state": periode.state(_dsn(args), args.periode),
                "history": periode.history(_dsn(args), args.periode),
            }
        elif args.command == "periode-batas":
            result = periode.set_deadline(_dsn(args), args.periode, args.batas_jawaban, args.alasan, _who(args))
        elif args.command == "periode-buka-kembali":
            result = periode.reopen(_dsn(args), args.periode, args.alasan, _who(args), args.batas_jawaban)
    except (ContractError, QualityError, MigrationError, db.Busy) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
