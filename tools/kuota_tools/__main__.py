"""Command line of the development tools: ``generate`` (a synthetic Dapodik cutoff, with its
ground-truth labels), ``simulate-providers`` and ``simulate-schools`` (the partners' stand-ins,
written from the contract only, that the demo and the tests run against). Run as ``python -m
kuota_tools <command>`` (or ``kuota-tools``); the bench is ``python -m kuota_tools.bench``.

Nothing here is part of the runtime package ``kuota`` nor of its image: ``kuota`` never
imports ``kuota_tools`` (a test checks), the tools import ``kuota`` freely.
"""

from __future__ import annotations

import argparse
import json
import sys

from kuota.cli import configure_logging
from kuota.infra.errors import Busy, ContractError, QualityError
from kuota.infra.storage import Storage

from . import generator, school_simulator, simulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kuota_tools", description=__doc__)
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

    sim = sub.add_parser("simulate-providers", help="play the providers against the S3 contract (exchange.md §2)")
    sim.add_argument("--exchange-uri", required=True)
    sim.add_argument("--periode", required=True)
    sim.add_argument(
        "--provider", action="append", choices=simulator.PROVIDERS, help="a provider to play (repeatable); default: all"
    )
    sim.add_argument(
        "--shares",
        help="status shares, e.g. aktif=0.57,pascabayar=0.03,tidak_aktif=0.22,"
        "masa_tenggang=0.10,tidak_dikenal=0.08 (the default, 2020 figures)",
    )
    sim.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:PROVIDER[:COUNT[:validasi|injeksi]]]",
        help=f"misbehave on purpose: {', '.join(simulator.FAULTS)} (repeatable)",
    )
    sim.add_argument("--delay-seconds", type=float, default=0.0, help="answer this long after a batch appears")
    sim.add_argument("--late-seconds", type=float, default=3600.0, help="delay of a 'late' answer")
    sim.add_argument("--poll-seconds", type=float, default=2.0)
    sim.add_argument("--once", action="store_true", help="one pass, then exit")
    sim.add_argument("--idle-exit-seconds", type=float, help="exit after this long with nothing to do")
    sim.add_argument("--seed", type=int, default=2020)

    sch = sub.add_parser("simulate-schools", help="play the schools against the portal contract (exchange.md §3)")
    sch.add_argument("--exchange-uri", required=True)
    sch.add_argument("--periode", required=True)
    sch.add_argument(
        "--correct-share",
        type=float,
        default=school_simulator.DEFAULT_CORRECT_SHARE,
        help="share of correctable residu numbers a school corrects, per residu file version",
    )
    sch.add_argument(
        "--reject-share", type=float, default=school_simulator.DEFAULT_REJECT_SHARE, help="share of SPTJMs rejected"
    )
    sch.add_argument(
        "--delay-seconds",
        type=float,
        default=0.0,
        help="decide an SPTJM (correct a residu file) this long after it appeared",
    )
    sch.add_argument("--poll-seconds", type=float, default=2.0)
    sch.add_argument("--only", choices=("koreksi", "persetujuan"), help="play one part only: corrections or decisions")
    sch.add_argument("--once", action="store_true", help="one pass, then exit")
    sch.add_argument("--idle-exit-seconds", type=float, help="exit after this long with nothing to do")
    sch.add_argument("--seed", type=int, default=2020)

    args = parser.parse_args(argv)
    configure_logging()
    try:
        if args.command == "generate":
            scale = generator.Scale.for_students(args.students, args.ptk, args.schools)
            result = generator.generate(
                args.out,
                scale,
                seed=args.seed,
                cutoff_date=args.cutoff_date,
                labels_uri=args.labels,
                compresslevel=args.compresslevel,
            )
        else:
            if args.command == "simulate-schools":
                sim = school_simulator.SchoolSimulator(
                    Storage(),
                    args.exchange_uri,
                    args.periode,
                    args.correct_share,
                    args.reject_share,
                    args.delay_seconds,
                    args.seed,
                    args.only,
                )
            else:
                sim = simulator.ProviderSimulator(
                    Storage(),
                    args.exchange_uri,
                    args.periode,
                    args.provider or simulator.PROVIDERS,
                    simulator.parse_shares(args.shares),
                    [simulator.Fault.parse(f) for f in args.fault],
                    args.delay_seconds,
                    args.late_seconds,
                    args.seed,
                )
            if args.once:
                result = sim.step()
            else:
                sim.run(args.poll_seconds, args.idle_exit_seconds)
                result = {"stopped": "idle"}
    except (ContractError, QualityError, Busy) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
