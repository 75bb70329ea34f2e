"""The Celery demo's comparison (kuota_tools.run_digest): two runs that differ only in when
they ran compare identical; any other difference in a table or a file is found and named."""

from __future__ import annotations

import gzip

import pytest
from conftest import new_database, query
from helpers import PERIODE, decide

from kuota.infra.storage import join
from kuota.partners.layout import provider_folder
from kuota.partners.manifest import manifest_name
from kuota.tahap.ekspor import render_bast_pdf
from kuota_tools import pdf_samples, run_digest


def _copy_prefix(storage, src: str, dst: str) -> None:
    bucket, _, prefix = src[len("s3://") :].partition("/")
    for page in storage.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            storage.write_bytes(
                join(dst, item["Key"][len(prefix) + 1 :]), storage.read_bytes(f"s3://{bucket}/{item['Key']}")
            )


def _differ(a_dsn, b_dsn, storage, a_uri, b_uri) -> list[str]:
    tables = run_digest.compare(run_digest.table_digests(a_dsn), run_digest.table_digests(b_dsn))
    files = run_digest.compare(run_digest.file_digests(storage, a_uri), run_digest.file_digests(storage, b_uri))
    return tables + files


def _main(exchange: str, copy_uri: str) -> int:
    """The command as the Celery demo runs it: the DSNs by the names of the variables that hold them."""
    return run_digest.main(["--a", "DIGEST_A", exchange, exchange, "--b", "DIGEST_B", copy_uri, copy_uri])


def test_only_times_and_run_names_are_left_out(dsn, storage, bucket, validated, monkeypatch, capsys):
    exchange = validated
    copy_uri = f"s3://{bucket}/copy"
    _copy_prefix(storage, exchange, copy_uri)
    template = dsn.rsplit("/", 1)[1]
    with new_database("kuota_digest", template) as other:
        assert _differ(dsn, other, storage, exchange, copy_uri) == []
        monkeypatch.setenv("DIGEST_A", dsn)
        with pytest.raises(SystemExit, match="DIGEST_B .* is not set"):
            _main(exchange, copy_uri)
        monkeypatch.setenv("DIGEST_B", other)
        assert _main(exchange, copy_uri) == 0

        # When and by which run: a later time everywhere, another run's name, a partner's
        # answer gzipped at another time (its digest in the warehouse too), its manifest
        # written later.
        query(other, "UPDATE kuota.penerima SET diubah_at = diubah_at + interval '1 hour' RETURNING 1")
        query(other, "UPDATE kuota.schema_version SET applied_by = 'kuota_bulanan manual__later' RETURNING 1")
        query(other, "UPDATE kuota.jawaban SET sha256 = repeat('0', 64), sidik = '1:x' RETURNING 1")
        folder = provider_folder(copy_uri, "telkomsel", PERIODE, "validasi")
        relative = folder[len(copy_uri) + 1 :]
        names = storage.list_names(folder)
        answer = next(n for n in names if n.endswith(".hasil.csv.gz"))
        answer_uri = join(folder, answer)
        text = gzip.decompress(storage.read_bytes(answer_uri))
        storage.write_bytes(answer_uri, gzip.compress(text, mtime=1_900_000_000))  # gzipped at another time
        manifest = join(folder, manifest_name(answer))
        storage.write_bytes(manifest, run_digest.TIME.sub(b"2031-01-01T00:00:00+00:00", storage.read_bytes(manifest)))
        assert _differ(dsn, other, storage, exchange, copy_uri) == []

        # What: one recipient's status, one byte of an answer, a file gone.
        query(
            other,
            "UPDATE kuota.penerima SET status = 'residu', alasan = 'nomor_tidak_aktif' "
            "WHERE ctid = (SELECT min(ctid) FROM kuota.penerima WHERE status = 'valid') RETURNING 1",
        )
        storage.write_bytes(answer_uri, gzip.compress(text.replace(b"aktif", b"AKTIF", 1)))
        gone = next(n for n in names if n.endswith(".csv.gz") and ".hasil." not in n)
        storage.delete(join(folder, gone))
        differ = _differ(dsn, other, storage, exchange, copy_uri)
        assert "kuota.penerima" in differ
        assert f"{relative}/{answer}" in differ
        assert f"{relative}/{gone}" in differ
        assert len(differ) == 3, differ
        capsys.readouterr()
        assert _main(exchange, copy_uri) == 1
        assert "differs: kuota.penerima" in capsys.readouterr().out


def test_decisions_bundled_otherwise_and_a_pdf_written_at_another_time_compare_identical(
    dsn, storage, bucket, approved
):
    """The schools' decisions, in other files (as they saw the SPTJMs of two workers' provinces
    in another order), and a BAST of another time: identical; another decision, or another
    word in a PDF: found."""
    exchange, copy_uri = approved["exchange"], f"s3://{bucket}/copy"
    _copy_prefix(storage, exchange, copy_uri)
    with new_database("kuota_digest", dsn.rsplit("/", 1)[1]) as other:
        assert _differ(dsn, other, storage, exchange, copy_uri) == []
        folder = f"{copy_uri}/portal/{PERIODE}/persetujuan"
        for name in storage.list_names(folder):
            storage.delete(join(folder, name))
        decisions = {approved["rejected"]: "ditolak", **dict.fromkeys(approved["approved"], "disetujui")}
        numbers = sorted(decisions)
        decide(storage, copy_uri, "keputusan-a", {no: decisions[no] for no in numbers[::2]})
        decide(storage, copy_uri, "keputusan-b", {no: decisions[no] for no in numbers[1::2]})
        query(
            other,
            "INSERT INTO kuota.berkas_portal (periode, jenis, nama, sha256, hasil, tahap, baris) "
            "VALUES (%s, 'persetujuan', 'keputusan-b.csv', repeat('0', 64), 'dimuat', 1, 0) RETURNING 1",
            (PERIODE,),
        )
        periode, provider, rows, _ = pdf_samples.bast()
        storage.write_bytes(
            f"{exchange}/bast.pdf", render_bast_pdf(periode, provider, rows, "2020-09-30T10:00:00+00:00")
        )
        storage.write_bytes(
            f"{copy_uri}/bast.pdf", render_bast_pdf(periode, provider, rows, "2020-10-01T11:11:11+00:00")
        )
        assert _differ(dsn, other, storage, exchange, copy_uri) == []

        decide(
            storage,
            copy_uri,
            "keputusan-c",
            {numbers[0]: "disetujui" if decisions[numbers[0]] == "ditolak" else "ditolak"},
        )
        storage.write_bytes(f"{copy_uri}/bast.pdf", render_bast_pdf(periode, "xl", rows, "2020-09-30T10:00:00+00:00"))
        query(
            other,
            "INSERT INTO kuota.berkas_portal (periode, jenis, nama, sha256, hasil, tahap, pesan) "
            "VALUES (%s, 'persetujuan', 'keputusan-c.csv', repeat('1', 64), 'dikarantina', 1, 'x') RETURNING 1",
            (PERIODE,),
        )
        differ = _differ(dsn, other, storage, exchange, copy_uri)
        assert differ == [
            "kuota.berkas_portal, persetujuan (rows loaded, files quarantined)",
            "bast.pdf",
            f"portal/{PERIODE}/persetujuan/* (their rows as one set)",
        ], differ
