"""What the demo prints at its end, after the run summary: the period's history, the cutoff's
refused rows and the files the period exchanged, each named where an operator finds it (the paths built by
``kuota.partners.layout``, as the pipeline writes them). Run as ``python -m
kuota_tools.demo_report --periode P --exchange-uri URI --output-uri URI``."""

from __future__ import annotations

import argparse
import os
import sys

from kuota import periode as lifecycle
from kuota.bulanan import snapshot
from kuota.infra import db
from kuota.infra.storage import Storage
from kuota.partners import layout
from kuota.partners.contract import PROVIDERS


def report(dsn: str, storage: Storage, exchange_uri: str, output_uri: str, periode: str) -> list[str]:
    lines = [f"   the period's history (kuota periode-status --periode {periode}):"]
    for at, aksi, batas, alasan, oleh in lifecycle.history(dsn, periode):
        lines.append(f"     {at}  {aksi:<15} deadline {batas}  {alasan or '-'}  ({oleh})")
    lines.append("   first format_tidak_valid rows (table, line, rule):")
    with db.connect(dsn) as conn:
        ((cutoff_id, _, _),) = db.run(conn, "bulanan/snapshot/01_find_periode_cutoff", {"periode": periode})
    for tabel, baris, rule in snapshot.invalid_rows(dsn, cutoff_id, limit=8):
        lines.append(f"     {tabel:<14} line {baris:<7} {rule}")

    residu = layout.residu_folder(exchange_uri, periode)
    files = [n for n in storage.list_names(residu) if n.endswith(".csv")]
    lines += [
        "   residu back to schools (exchange.md §3):",
        f"     {len(files)} school files under {residu}/ (each with its manifest), e.g. {files[0] if files else '-'}",
        f"     counts per province, district and school: {layout.portal_root(exchange_uri, periode)}/rekap_residu.csv",
        "   files exchanged (exchange.md §2-4):",
    ]
    for provider in PROVIDERS:
        counts = []
        for kind in ("validasi", "injeksi"):
            names = storage.list_names(layout.provider_folder(exchange_uri, provider, periode, kind))
            sent = [n for n in names if n.endswith(".csv.gz") and ".hasil." not in n]
            answered = [n for n in names if n.endswith(".hasil.csv.gz")]
            counts.append(f"{kind}: {len(sent)} batches sent, {len(answered)} answered")
        lines.append(f"     {provider:<10} " + "; ".join(counts))
    sptjm_folder = layout.portal_folder(exchange_uri, periode, "sptjm")
    pdfs = [k for k in storage.modified_by_name(sptjm_folder, recursive=True) if k.endswith(".pdf")]
    bast = storage.list_names(layout.export_folder(output_uri, periode) + "/bast")
    lines += [
        f"     {len(pdfs)} SPTJM (CSV + PDF + manifest) under {sptjm_folder}/, e.g. {pdfs[0] if pdfs else '-'}",
        f"     decisions taken from {layout.decisions_folder(exchange_uri, periode)}/, corrections from "
        f"{layout.portal_folder(exchange_uri, periode, 'koreksi')}/",
        f"     period export: {layout.export_uri(output_uri, periode, 'status_penerima.csv.gz')} and rekap.csv "
        "(each with its manifest)",
        f"     BAST per provider: {layout.bast_uri(output_uri, periode, '<provider>')} and .pdf: "
        + ", ".join(bast[:4])
        + ", ...",
        f"     quarantined partner files, if any: {exchange_uri}/karantina/ (error files name the file, the rows "
        "and the rule)",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kuota_tools.demo_report", description=__doc__)
    parser.add_argument("--periode", required=True)
    parser.add_argument("--exchange-uri", required=True)
    parser.add_argument("--output-uri", required=True)
    args = parser.parse_args(argv)
    dsn = os.environ.get("KUOTA_WAREHOUSE_DSN")
    if not dsn:
        sys.exit("no warehouse: set KUOTA_WAREHOUSE_DSN (scripts/stack.sh env)")
    print("\n".join(report(dsn, Storage(), args.exchange_uri, args.output_uri, args.periode)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
