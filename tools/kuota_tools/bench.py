"""Benchmark: generate a cutoff export, load and check it, normalize its numbers, screen it,
send residu to schools, exchange validation batches with the provider simulator (send, answer,
ingest), issue and write the SPTJMs, take the schools' decisions (the school simulator),
exchange injection batches, check the reconciliation and write the period export and BAST;
then the accuracy of every screening reason against the generator's labels, and the
similarity index beside Splink (the reference) on the same pupils.

    python -m kuota_tools.bench --students 1000000 10000000      (make bench)

Each step runs in its own child process so that its wall time and peak resident memory
(``ru_maxrss`` of that child) are its own. Each scale gets a fresh warehouse database on the
same server (``bench_<students>``) and an export under ``s3://<bucket>/bench/``; both are
removed afterwards unless ``--keep``. Each measured step is journalled in that database, and
``--resume`` goes on from the first step not in the journal (a national run outlasts a session).
Needs the stack's environment (scripts/stack.sh env).
The PostgreSQL server's own memory is bounded by its configuration, not measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg2

from kuota import cockpit
from kuota.bulanan import nomor, quality, residu, screening, snapshot
from kuota.cli import configure_logging
from kuota.infra import db, migrations
from kuota.infra.storage import Storage, join
from kuota.partners import exchange
from kuota.partners.layout import portal_folder, residu_folder
from kuota.periode import Period
from kuota.tahap import ekspor, injeksi, rekonsiliasi, sptjm, validasi

from . import accuracy, baselines, nomor_reference, servers_cpu

# The per-row libphonenumber baseline runs on the first million numbers only (its rate is
# what matters; at 10 million it would take longer than everything else together).
BASELINE_ROWS = 1_000_000
PERIODE = "2020-09"
STEPS = (
    "generate",
    "verify_manifest",
    "load_snapshot",
    "copy_baseline",
    "check_snapshot",
    "normalize_numbers_sql",
    "normalize_numbers_libphonenumber",
    "screen_records",
    "check_screening",
    "residu_to_schools",
    "put_baseline",
    "send_validation",
    "simulate_providers",
    "ingest_answers",
    "issue_sptjm",
    "write_sptjm",
    "put_baseline_sptjm",
    "simulate_schools",
    "ingest_decisions",
    "send_injection",
    "simulate_injection",
    "ingest_injection",
    "check_reconciliation",
    "export_period",
    "refresh_cockpit",
    "cockpit_views",
    "accuracy",
    "similarity_splink",
)


def _database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


def _recreate(dsn: str, name: str, drop_only: bool = False) -> None:
    conn = psycopg2.connect(db.libpq_dsn(dsn))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def _delete_prefix(storage: Storage, uri: str) -> None:
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    pages = storage.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
    for page in pages:
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            storage.s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def step(name: str, dsn: str, uri: str, students: int, seed: int) -> dict:
    """One measured step, run in the child process; returns the rows it handled."""
    storage = Storage()
    period = Period(dsn, PERIODE, storage, join(uri, "exchange"), join(uri, "output"))
    if name == "generate":
        from . import generator

        result = generator.generate(uri, generator.Scale.for_students(students), seed=seed)
        return {"rows": sum(result["rows"].values())}
    if name == "verify_manifest":
        manifest = snapshot.verify_cutoff(storage, uri)
    elif name in READS_THE_EXPORT:
        manifest = snapshot.read_manifest(storage, uri)
    else:  # once loaded, the manifest is the warehouse's: a resumed run needs no export
        manifest = {"tables": _loaded_manifest(dsn)}
    rows = sum(entry["rows"] for entry in manifest["tables"].values())
    if name == "load_snapshot":
        migrations.migrate(dsn)
        snapshot.load_snapshot(dsn, storage, manifest, PERIODE)
    elif name == "copy_baseline":  # the bare COPY the load is compared with (timed inside)
        return baselines.copy_baseline(dsn, storage, uri)
    elif name == "check_snapshot":
        quality.check_snapshot(dsn, _cutoff_id(dsn))
    elif name == "normalize_numbers_sql":
        return {"rows": nomor.normalize_cutoff(dsn, _cutoff_id(dsn))["rows"]}
    elif name == "normalize_numbers_libphonenumber":
        return {"rows": nomor_reference.libphonenumber_baseline(dsn, _cutoff_id(dsn), BASELINE_ROWS)["rows"]}
    elif name == "screen_records":
        result = screening.screen(period)
        return {
            "rows": result["records"],
            "similarity_seconds": result["seconds"]["screen_kemiripan"],
        }
    elif name == "check_screening":
        return {"rows": quality.check_screening(period)["records"]}
    elif name == "residu_to_schools":
        written = residu.write_residu(period)
        return {"rows": written["rows"], "objects": 2 * written["written"]}  # a file and its manifest
    elif name == "put_baseline":  # the raw PUT rate the residu writer is compared with (timed inside)
        return baselines.put_baseline(storage, residu_folder(period.exchange(), PERIODE), join(uri, "baseline", "put"))
    elif name == "put_baseline_sptjm":  # the raw PUT rate the SPTJM writer is compared with (its threads)
        sptjm_folder = portal_folder(period.exchange(), PERIODE, "sptjm")
        return baselines.put_baseline(storage, sptjm_folder, join(uri, "baseline", "put_sptjm"), 6_000, sptjm.WRITERS)
    elif name in ("send_validation", "send_injection"):
        kind = validasi.EXCHANGE if name == "send_validation" else injeksi.EXCHANGE
        sent = 0
        for provider in kind.providers(period):
            for batch in kind.plan(period, provider):
                sent += exchange.send_batch(period, batch["batch_id"])["rows"]
        return {"rows": sent, "batches": len(kind.batches(period))}
    elif name in ("simulate_providers", "simulate_injection"):  # the partner's side, measured for scale only
        from .simulator import ProviderSimulator

        events = ProviderSimulator(storage, join(uri, "exchange"), PERIODE).step()
        return {"rows": sum(int(e["action"].split()[1]) for e in events), "batches": len(events)}
    elif name in ("ingest_answers", "ingest_injection"):
        loaded = 0
        for batch in exchange.batches_of(period, "validasi" if name == "ingest_answers" else "injeksi"):
            loaded += exchange.ingest_answer(period, batch["batch_id"])["rows"]
        return {"rows": loaded}
    elif name == "issue_sptjm":
        issued = sptjm.issue(period)
        return {"rows": issued["records"], "sptjm": issued["sptjm"]}
    elif name == "write_sptjm":
        from .sptjm_bound import apply_variant  # here: it imports this module

        apply_variant(os.environ.get("KUOTA_BENCH_RENDERING", ""))
        written = sptjm.write_files(period)
        return {"rows": written["written"], **{k: written[k] for k in ("render_seconds", "render_processes")}}
    elif name == "simulate_schools":  # the partner's side: decide every SPTJM
        from .school_simulator import SchoolSimulator

        events = SchoolSimulator(storage, join(uri, "exchange"), PERIODE, only="persetujuan").step()
        return {"rows": sum(e["approved"] + e["rejected"] for e in events)}
    elif name == "ingest_decisions":
        taken = sptjm.ingest_decisions(period)
        return {"rows": sum(n for key, n in taken.items() if key.startswith("penerima_"))}
    elif name == "check_reconciliation":
        rekonsiliasi.check_reconciliation(period)
        return {"rows": _count(dsn, "SELECT count(*) FROM kuota.injeksi")}
    elif name == "export_period":
        exported = ekspor.write_export(period, final=True)
        ekspor.write_bast(period)
        return {"rows": exported["records"]}
    elif name == "refresh_cockpit":
        return {"rows": cockpit.refresh(period, "bench")["cutoff"]}
    elif name == "cockpit_views":
        return {"rows": rows, "views": _cockpit_views(period)}
    elif name == "accuracy":
        return {
            "rows": rows,
            **accuracy.evaluate(dsn, storage, join(uri, "labels.csv.gz"), PERIODE),
            "default_threshold": float(screening.policies(period)["ambang_kemiripan"]),
        }
    elif name == "similarity_splink":
        from . import splink_reference

        result = splink_reference.run(dsn, storage, join(uri, "labels.csv.gz"), PERIODE)
        return {"rows": result["records"], **result}
    return {"rows": rows}


def _cockpit_views(period) -> dict[str, float]:
    """Each view the cockpit serves, the slowest of three reads (the first is cold), in
    seconds; from Indonesia down to one school of the largest province."""
    top = cockpit.View(period)
    province = max((r for r in cockpit.funnel(top) if r["tingkat"] == "provinsi"), key=lambda r: r["cutoff"])
    in_province = cockpit.View(period, cockpit.Scope(provinsi=province["kode"]))
    district = next(r for r in cockpit.funnel(in_province) if r["tingkat"] == "kabupaten")
    in_district = cockpit.View(period, cockpit.Scope(kabupaten=district["kode"]))
    school = next(r for r in cockpit.funnel(in_district) if r["tingkat"] == "sekolah")
    in_school = cockpit.View(period, cockpit.Scope(npsn=school["kode"]))
    views = {
        "funnel Indonesia": (cockpit.funnel, top),
        "funnel province": (cockpit.funnel, in_province),
        "funnel district": (cockpit.funnel, in_district),
        "funnel school": (cockpit.funnel, in_school),
        "residu Indonesia": (cockpit.residu, top),
        "residu province": (cockpit.residu, in_province),
        "residu trend": (cockpit.trend, top),
        "stages": (cockpit.stages, top),
        "bast": (cockpit.bast, top),
        "exchange": (cockpit.exchange, top),
        "sptjm": (cockpit.sptjm, top),
        "quarantines": (cockpit.quarantines, top),
    }
    out = {}
    for name, (view, where) in views.items():
        took = []
        for _ in range(3):
            started = time.perf_counter()
            view(where)
            took.append(time.perf_counter() - started)
        out[name] = max(took)
    return out


# The steps that read the generated export itself; every later one reads the warehouse.
READS_THE_EXPORT = ("load_snapshot", "copy_baseline", "accuracy", "similarity_splink")


def _loaded_manifest(dsn: str) -> dict:
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT manifest FROM snapshot.cutoff WHERE cutoff_id = %s", (_cutoff_id(dsn),))
        ((tables,),) = cur.fetchall()
    return tables


def _count(dsn: str, sql: str) -> int:
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def _cutoff_id(dsn: str) -> int:
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT cutoff_id FROM kuota.periode WHERE periode = %s", (PERIODE,))
        ((cutoff_id,),) = cur.fetchall()
    return cutoff_id


STEP_DSN = "KUOTA_BENCH_STEP_DSN"


def _measure(name: str, dsn: str, uri: str, students: int, seed: int) -> dict:
    argv = [
        sys.executable,
        "-m",
        "kuota_tools.bench",
        "--step",
        name,
        "--uri",
        uri,
        "--students",
        str(students),
        "--seed",
        str(seed),
    ]
    servers = servers_cpu.server_pids(dsn)
    before = servers_cpu.sample(servers)
    started = time.monotonic()
    # The DSN holds the password: through the child's environment, never its argv (ps shows that).
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, env={**os.environ, STEP_DSN: dsn})
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    time.sleep(0.5)  # the step's backends gone and reaped, their CPU counted in the postmaster's
    cpu = {"step": usage.ru_utime + usage.ru_stime, **servers_cpu.spent(before, servers_cpu.sample(servers))}
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(
            f"bench: step {name} at {students:,} students failed (exit {os.waitstatus_to_exitcode(status)})"
        )
    detail = json.loads(out.decode().strip().splitlines()[-1])
    rows = detail.pop("rows")
    seconds = detail.pop("timed_seconds", seconds)  # a baseline times only its own part
    return {
        "step": name,
        "students": students,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_mib": usage.ru_maxrss / 1024,
        "cpu": cpu,
        "detail": detail,
    }


# Each measured step of a scale, kept in that scale's own database: a national run outlasts a
# session (or a restart of the machine), and --resume goes on from the first step not in it.
JOURNAL = """
CREATE TABLE IF NOT EXISTS public.bench_journal (
    step text PRIMARY KEY,
    result jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
)"""


def _journal(dsn: str) -> dict[str, dict]:
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(JOURNAL)
        cur.execute("SELECT step, result FROM public.bench_journal")
        return dict(cur.fetchall())


def _record(dsn: str, result: dict) -> None:
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO public.bench_journal (step, result) VALUES (%s, %s)"
            " ON CONFLICT (step) DO UPDATE SET result = EXCLUDED.result, recorded_at = now()",
            (result["step"], json.dumps(result)),
        )


def _exists(dsn: str, name: str) -> bool:
    return _count(dsn, f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == 1


def run(
    students: list[int],
    seed: int,
    keep: bool,
    skip: tuple[str, ...] = (),
    until: str | None = None,
    resume: bool = False,
) -> list[dict]:
    dsn = os.environ.get("KUOTA_WAREHOUSE_DSN")
    bucket = os.environ.get("KUOTA_BUCKET")
    if not dsn or not bucket:
        raise SystemExit("bench: KUOTA_WAREHOUSE_DSN and KUOTA_BUCKET are not set: run it with the stack (make bench)")
    storage = Storage()
    results = []
    for n in students:
        name = f"bench_{n}"
        bench_dsn, uri = _database(dsn, name), join(f"s3://{bucket}", "bench", f"n{n}-seed{seed}")
        if not (resume and _exists(dsn, name)):
            _recreate(dsn, name)
            _delete_prefix(storage, uri)
        done = _journal(bench_dsn)
        try:
            scale = []
            last = STEPS.index(until) if until else len(STEPS) - 1
            for step_name in [s for s in STEPS[: last + 1] if s not in skip]:
                if step_name in done:
                    result = done[step_name]
                    print(_row(result) + f" <!-- recorded {result['recorded']} -->", flush=True)
                else:
                    result = _measure(step_name, bench_dsn, uri, n, seed)
                    result["recorded"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
                    _record(bench_dsn, result)
                    print(_row(result), flush=True)
                if "views" in result["detail"]:
                    print(_views_table(n, result["detail"]["views"]), flush=True)
                scale.append(result)
            by_step = {r["step"]: r for r in scale}
            print(_goals_table(by_step), flush=True)
            if {"accuracy", "similarity_splink"} <= set(by_step):
                print(_accuracy_tables(by_step), flush=True)
            results.extend(scale)
        finally:
            if not keep:
                _recreate(dsn, name, drop_only=True)
                _delete_prefix(storage, uri)
    return results


HEADER = (
    "| students | step | rows | seconds | rows/s | peak RSS (MiB) | CPU s: step / S3 / PostgreSQL |\n"
    "|---:|---|---:|---:|---:|---:|---:|"
)


def _row(r: dict) -> str:
    cpu = " / ".join(f"{r['cpu'][k]:.1f}" if k in r["cpu"] else "-" for k in ("step", "s3", "postgres"))
    return (
        f"| {r['students']:,} | {r['step']} | {r['rows']:,} | {r['seconds']:.1f} | "
        f"{r['rows_per_s']:,.0f} | {r['peak_mib']:,.0f} | {cpu} |"
    )


def _views_table(students: int, views: dict[str, float]) -> str:
    """The cockpit's views, each read through kuota.cockpit as the plugin does (target: < 1 s)."""
    lines = ["", "| students | cockpit view | seconds (slowest of 3) |", "|---:|---|---:|"]
    lines += [f"| {students:,} | {name} | {seconds:.3f} |" for name, seconds in views.items()]
    return "\n".join([*lines, ""])


# Cutoff to validation batches written: the steps before the first file reaches a provider.
BEFORE_PROVIDERS = (
    "verify_manifest",
    "load_snapshot",
    "check_snapshot",
    "normalize_numbers_sql",
    "screen_records",
    "check_screening",
    "residu_to_schools",
    "send_validation",
)


def _goals_table(by_step: dict) -> str:
    """Issue 17's goals, each as measured in this run: a step against its baseline of the same
    run (a ratio, so the host's speed cancels), or a rate where the goal is one."""
    lines = ["", "| students | goal | measured | target | met |", "|---:|---|---:|---:|---|"]

    def rate(step: str) -> float | None:
        return by_step[step]["rows_per_s"] if step in by_step else None

    goals = [
        ("load / bare COPY", "load_snapshot", "copy_baseline", 0.6, "{:.2f}"),
        (
            "phone numbers / per-row libphonenumber",
            "normalize_numbers_sql",
            "normalize_numbers_libphonenumber",
            50,
            "{:.1f}",
        ),
        ("screening, records/s", "screen_records", None, 250_000, "{:,.0f}"),
        ("validation planning and sending, numbers/s", "send_validation", None, 200_000, "{:,.0f}"),
        ("validation ingestion, numbers/s", "ingest_answers", None, 200_000, "{:,.0f}"),
    ]
    students = next(iter(by_step.values()))["students"] if by_step else 0
    for goal, step, baseline, target, shape in goals:
        if rate(step) is None or (baseline and rate(baseline) is None):
            continue
        value = rate(step) / rate(baseline) if baseline else rate(step)
        lines.append(
            f"| {students:,} | {goal} | {shape.format(value)} | {shape.format(target)} | "
            f"{'yes' if value >= target else 'no'} |"
        )
    if "residu_to_schools" in by_step and by_step.get("put_baseline", {}).get("rows"):
        residu_puts = by_step["residu_to_schools"]["detail"]["objects"] / by_step["residu_to_schools"]["seconds"]
        value = residu_puts / by_step["put_baseline"]["rows_per_s"]
        lines.append(
            f"| {students:,} | residu files' PUTs / raw PUTs (16 threads, same sizes) | {value:.2f} | 0.80 | "
            f"{'yes' if value >= 0.8 else 'no'} |"
        )
    if by_step.get("write_sptjm", {}).get("rows"):
        # What the render processes can render a second (each its CPU rate) against the SPTJMs
        # written a second, writes included: above 1, the S3 writes bound the step (issue 19).
        written = by_step["write_sptjm"]
        per_core = written["rows"] / max(written["detail"]["render_seconds"], 1e-9)
        processes = max(1, written["detail"]["render_processes"])
        value = per_core * processes / written["rows_per_s"]
        lines.append(
            f"| {students:,} | SPTJM rendering ({processes} x {per_core:,.0f}/s of CPU) / SPTJM written per second | "
            f"{value:.1f} | 1.0 | {'yes' if value >= 1 else 'no'} |"
        )
    if by_step.get("write_sptjm", {}).get("rows") and by_step.get("put_baseline_sptjm", {}).get("rows"):
        raw = by_step["put_baseline_sptjm"]
        value = by_step["write_sptjm"]["rows_per_s"] / (raw["detail"]["groups"] / raw["seconds"])  # SPTJMs a second
        lines.append(
            f"| {students:,} | SPTJMs written / raw PUTs of their files ({sptjm.WRITERS} threads, same sizes) | "
            f"{value:.2f} | 0.80 | "
            f"{'yes' if value >= 0.8 else 'no'} |"
        )
    if all(s in by_step for s in BEFORE_PROVIDERS):
        total = sum(by_step[s]["seconds"] for s in BEFORE_PROVIDERS)
        national = by_step["load_snapshot"]["rows"] >= 48_000_000
        met = ("yes" if total <= 600 else "no") if national else "judged at 48 M records"
        lines.append(
            f"| {students:,} | cutoff to validation batches written, seconds | {total:,.0f} | 600 (at 48 M records) | "
            f"{met} |"
        )
    return "\n".join([*lines, ""])


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _accuracy_tables(by_step: dict) -> str:
    """Each reason against the labels, then the similarity index beside Splink."""
    n = by_step["accuracy"]["students"]
    detail = by_step["accuracy"]["detail"]
    lines = [
        "",
        "| students | reason | labelled | flagged | correct | precision | recall |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in detail["reasons"]:
        lines.append(
            f"| {n:,} | {r['reason']} | {r['labelled']:,} | {r['flagged']:,} | {r['correct']:,} | "
            f"{_share(r['precision'])} | {_share(r['recall'])} |"
        )
    lines += [
        "",
        "| students | method | threshold | pairs flagged | correct | twin pairs flagged | precision "
        "| recall | seconds | peak RSS (MiB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ours = by_step["screen_records"]["detail"]["similarity_seconds"]
    splink = by_step["similarity_splink"]
    methods = [
        ("kuota (SQL index)", detail["similarity"], ours, "in PostgreSQL"),
        (
            "Splink 4 (DuckDB)",
            splink["detail"]["similarity"],
            splink["detail"]["seconds"],
            f"{splink['peak_mib']:,.0f}",
        ),
    ]
    for method, rows, seconds, peak in methods:
        for r in rows:
            default = (
                " (default)" if r["threshold"] == detail["default_threshold"] and method.startswith("kuota") else ""
            )
            lines.append(
                f"| {n:,} | {method} | {r['threshold']}{default} | {r['flagged']:,} | {r['correct']:,} | "
                f"{r['twins_flagged']:,} | {_share(r['precision'])} | {_share(r['recall'])} | "
                f"{seconds:.1f} | {peak} |"
            )
    lines += [
        "",
        f"| students | part | kind | pairs | kuota flagged | kuota recall | Splink flagged "
        f"(p >= {splink['detail']['kinds_threshold']}) | Splink recall |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    theirs = {(r["part"], r["kind"]): r for r in splink["detail"]["kinds"]}
    for r in detail["kinds"]:
        t = theirs[(r["part"], r["kind"])]
        lines.append(
            f"| {n:,} | {r['part']} | {r['kind']} | {r['pairs']:,} | {r['flagged']:,} | "
            f"{_share(r['recall'])} | {t['flagged']:,} | {_share(t['recall'])} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kuota_tools.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--keep", action="store_true", help="keep the bench databases and exports")
    parser.add_argument(
        "--skip",
        nargs="+",
        default=[],
        choices=[s for s in STEPS if s not in STEPS[:3]],
        help="steps to leave out (e.g. accuracy similarity_splink normalize_numbers_libphonenumber)",
    )
    parser.add_argument(
        "--until",
        choices=STEPS[3:],
        help="the last step to run (send_validation: the month before the providers, as at 48 million)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on with a kept scale's database from its first step not yet measured (a stopped national run)",
    )
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        configure_logging()
        print(json.dumps(step(args.step, os.environ[STEP_DSN], args.uri, args.students[0], args.seed)))
        return 0
    print(HEADER, flush=True)
    run(args.students, args.seed, args.keep or args.resume, tuple(args.skip), args.until, args.resume)
    return 0


if __name__ == "__main__":
    sys.exit(main())
