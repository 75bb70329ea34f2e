"""The SPTJM a principal signs and the BAST a provider signs, read back as a user's tools read
them (poppler's pdftotext and pdfinfo): every name in full, every page numbered, the table's
header on every page it runs over, and the same bytes on every rendering."""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import subprocess
import sys
import unicodedata
from concurrent.futures import ProcessPoolExecutor

import pytest
from helpers import pdf_text

from kuota.infra import pdf as layout
from kuota.infra.pdf import angka
from kuota.partners.layout import sptjm_uri
from kuota.tahap import sptjm
from kuota.tahap.ekspor import render_bast_pdf
from kuota.tahap.sptjm import COLUMNS, render_pdf
from kuota_tools import pdf_samples

HEADER = " ".join(c.title for c in COLUMNS)


def _pages(tmp_path, pdf: bytes) -> int:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return pdf_samples.page_count(path)


def test_every_name_of_250_rows_comes_back_whole_in_its_row(tmp_path):
    head, rows = pdf_samples.sptjm(250)
    text = pdf_text(render_pdf(head, rows))
    for number, (jenis, _id, nama, msisdn, provider, paket) in enumerate(rows, 1):
        assert f" {number} {jenis.upper()} {nama} {msisdn} {provider} {paket} GB " in text, (number, nama)
    for name in pdf_samples.ALL_NAMES:  # none cut at 30 characters
        assert name in text
    assert f"Nama kepala sekolah : {head['kepala_sekolah']}" in text
    assert f"Jumlah: 250 penerima, {angka(head['paket_gb'])} GB" in text
    assert head["paket_gb"] >= 1000 and not re.search(r"[0-9],[0-9]{3}", text)  # 8.946, never 8,946


def test_counts_are_grouped_by_thousands_as_an_indonesian_form_writes_them():
    assert [angka(n) for n in (0, 999, 1000, 8946, 1234567)] == ["0", "999", "1.000", "8.946", "1.234.567"]


def test_each_page_is_numbered_and_the_table_header_heads_every_page(tmp_path):
    head, rows = pdf_samples.sptjm(250)
    pdf = render_pdf(head, rows)
    pages = _pages(tmp_path, pdf)
    seen = []
    for page in range(1, pages + 1):
        text = pdf_text(pdf, page)
        assert text.startswith(" KEMENTERIAN PENDIDIKAN DAN KEBUDAYAAN REPUBLIK INDONESIA") or text.startswith(
            "KEMENTERIAN PENDIDIKAN DAN KEBUDAYAAN REPUBLIK INDONESIA"
        ), page
        assert f"{head['sptjm_no']} · NPSN {head['npsn']} halaman {page} / {pages}" in text
        numbers = [int(n) for n in re.findall(r" (\d+) (?:PD|PTK) ", text)]
        if numbers:  # the header comes before the page's first row
            assert text.index(HEADER) < text.index(f" {numbers[0]} {rows[numbers[0] - 1][0].upper()} ")
        seen += numbers
    assert seen == list(range(1, 251))  # each row once, in order, none lost at a page break
    last = pdf_text(pdf, pages)
    assert "Kepala Sekolah," in last and "Meterai Rp 6.000" in last and "stempel sekolah" in last
    # 250 rows of at most two lines (about 30 a page), the heading and the signature: 8 pages.
    assert pages == 8


def test_a_short_sptjm_fits_one_page_with_its_signature(tmp_path):
    head, rows = pdf_samples.sptjm(12)
    pdf = render_pdf(head, rows)
    assert _pages(tmp_path, pdf) == 1
    assert "halaman 1 / 1" in pdf_text(pdf)


def test_rendering_again_gives_the_same_bytes_in_another_process():
    head, rows = pdf_samples.sptjm(250)
    here = hashlib.sha256(render_pdf(head, rows)).hexdigest()
    assert hashlib.sha256(render_pdf(head, rows)).hexdigest() == here
    there = subprocess.run(
        [
            sys.executable,
            "-c",
            "import hashlib; from kuota_tools import pdf_samples; from kuota.tahap.sptjm import render_pdf; "
            "print(hashlib.sha256(render_pdf(*pdf_samples.sptjm(250))).hexdigest())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert there == here
    bast = hashlib.sha256(render_bast_pdf(*pdf_samples.bast())).hexdigest()
    assert hashlib.sha256(render_bast_pdf(*pdf_samples.bast())).hexdigest() == bast


def test_a_font_subset_made_once_gives_the_bytes_a_fresh_process_makes():
    """The subsets are kept between documents (``_reuse_font_programs``): a document rendered
    after others, with its subset kept, dropped or never made, is byte for byte what a process
    that rendered nothing else makes."""
    head, rows = pdf_samples.sptjm(12)
    cold = subprocess.run(
        [
            sys.executable,
            "-c",
            "import hashlib; from kuota_tools import pdf_samples; from kuota.tahap.sptjm import render_pdf; "
            "print(hashlib.sha256(render_pdf(*pdf_samples.sptjm(12))).hexdigest())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert hashlib.sha256(render_pdf(head, rows)).hexdigest() == cold
    for n in range(80):  # more subsets than are kept: each its own first non-ASCII letter
        other = [(*row[:2], chr(0xC0 + n % 64) + chr(0x100 + n) + row[2], *row[3:]) for row in rows]
        render_pdf(head, other)
    assert hashlib.sha256(render_pdf(head, rows)).hexdigest() == cold, "its subset dropped, made again"
    assert hashlib.sha256(render_pdf(head, rows)).hexdigest() == cold, "its subset kept"


THREADS = """
from concurrent.futures import ThreadPoolExecutor
from kuota.tahap.sptjm import render_pdf
from kuota_tools import pdf_samples

head, rows = pdf_samples.sptjm(6)

def document(n):  # each its own subset: the font file is read for each
    return render_pdf(head, [(*r[:2], chr(0xC0 + n % 64) + chr(0x100 + n % 300) + r[2], *r[3:]) for r in rows])

with ThreadPoolExecutor(8) as pool:  # from a process that has not loaded the fonts yet
    together = list(pool.map(document, range(500)))
print(sum(a != b for a, b in zip(together, map(document, range(500)), strict=True)))
"""


def test_documents_rendered_by_threads_at_once_are_the_bytes_rendered_one_by_one():
    """Writer threads render where no process may start (one core, a daemonic worker) and
    provinces' tasks may share a process: ReportLab's fonts are the process's, so they are
    loaded once and rendering is one document at a time, or documents fail or are garbled
    (``_REPORTLAB``)."""
    done = subprocess.run([sys.executable, "-c", THREADS], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "0", "documents differ from those rendered one by one"


def test_the_bast_shows_each_package_paid_and_failed_and_both_parties(tmp_path):
    periode, provider, rows, created_at = pdf_samples.bast()
    pdf = render_bast_pdf(periode, provider, rows, created_at)
    text = pdf_text(pdf)
    assert _pages(tmp_path, pdf) == 1 and f"BAST {periode} · {provider} halaman 1 / 1" in text
    for r in rows:
        assert (
            f"{r['paket_gb']} GB {angka(r['diminta'])} {angka(r['berhasil'])} {angka(r['gb_berhasil'])} "
            f"{angka(r['gagal'])} {angka(r['tanpa_respons'])} {angka(r['menunggu'])}"
        ) in text
    paid = sum(r["berhasil"] for r in rows)
    gb = sum(r["gb_berhasil"] for r in rows)
    assert f"Dibayar: {angka(paid)} paket, {angka(gb)} GB (hanya injeksi berhasil)." in text
    assert gb >= 1000 and not re.search(r"[0-9],[0-9]{3}", text)
    assert "Pihak pertama," in text and "Pihak kedua," in text and f"Penyedia: {provider}" in text
    assert "(nama dan NIP)" in text and "(nama dan jabatan)" in text and "Meterai Rp 6.000" in text


def test_a_character_the_font_cannot_draw_prints_as_its_code_point_and_is_reported(tmp_path, caplog):
    head, rows = pdf_samples.sptjm(3)
    rows[1] = (*rows[1][:2], "Tan 陈 Mei", *rows[1][3:])
    with caplog.at_level(logging.WARNING, logger="kuota.infra.pdf"):
        pdf = render_pdf(head, rows)
    assert "U+9648" in caplog.text and "Tan" not in caplog.text  # the code point, never the name
    assert "Tan <U+9648> Mei" in pdf_text(pdf)


def test_without_the_font_the_error_says_what_to_install(tmp_path):
    env = {**os.environ, "KUOTA_PDF_FONT_DIR": str(tmp_path)}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from kuota_tools import pdf_samples; from kuota.tahap.sptjm import render_pdf; "
            "render_pdf(*pdf_samples.sptjm(1))",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode != 0
    assert f"the PDF font {tmp_path}/DejaVuSans.ttf is missing: install Debian's fonts-dejavu-core" in run.stderr


@pytest.mark.parametrize("rows", [1, 30])
def test_a_name_never_decides_the_layout_of_another_document(tmp_path, rows):
    """Fonts are subset per document: one SPTJM's names never change another's bytes."""
    head, listed = pdf_samples.sptjm(rows)
    alone = render_pdf(head, listed)
    render_pdf(head, [(*r[:2], "Nguyễn Ṣāliḥ ʿAbd", *r[3:]) for r in listed])
    assert render_pdf(head, listed) == alone


def _words_by_page(pdf: bytes, tmp_path) -> list[list[tuple[float, str]]]:
    """Each page's words with the top of each (points from the page's top), from pdftotext -bbox."""
    path = tmp_path / "bbox.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [
        [(float(y), word) for y, word in re.findall(r'<word xMin="[^"]+" yMin="([^"]+)"[^>]*>([^<]*)</word>', page)]
        for page in html.split("<page ")[1:]
    ]


def test_a_name_taller_than_a_page_is_split_over_pages_and_nothing_falls_off_them(tmp_path):
    head, rows = pdf_samples.sptjm(3)
    giant = " ".join(f"Kusuma{n}" for n in range(450))
    rows[1] = (*rows[1][:2], giant, *rows[1][3:])
    pdf = render_pdf(head, rows)
    assert re.findall(r"Kusuma\d+", pdf_text(pdf)) == giant.split()  # every word, in order
    pages = _words_by_page(pdf, tmp_path)
    footer_top = layout.PAGE_H - (layout.BOTTOM - 8)  # the rule above the footer
    for n, words in enumerate(pages, 1):
        below = " ".join(w for y, w in words if y > footer_top)
        assert below == f"{head['sptjm_no']} · NPSN {head['npsn']} halaman {n} / {len(pages)}", n
        assert any(w == "Jenis" for _, w in words) or n == len(pages), n  # each page of the table has its header
    assert len(pages) >= 3


def test_the_header_never_stands_alone_at_a_page_foot():
    doc = layout.Document(layout.LETTERHEAD, "ref", "title")
    one_line_row = layout.LEADING + 2 * layout.PAD
    header = layout.LEADING + 2 * layout.PAD
    doc.space(doc.y - layout.BOTTOM - header - one_line_row - 1)  # room for the header and one line, no more
    doc.table(COLUMNS, [(1, "PD", pdf_samples.NAMES["60 characters"][0], "6281234567890", "xl", "35 GB")])
    assert len(doc.pages) == 2
    assert not [op for op in doc.pages[0] if op[0] == "text"]  # the header went over with its row


def test_names_in_decomposed_form_print_composed_and_right_to_left_letters_as_code_points(tmp_path, caplog):
    head, rows = pdf_samples.sptjm(4)
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Lan")
    rows[0] = (*rows[0][:2], decomposed, *rows[0][3:])
    rows[1] = (*rows[1][:2], "عبد Rahman", *rows[1][3:])
    rows[2] = (*rows[2][:2], "Siti\u200bAminah", *rows[2][3:])  # a zero-width space hidden in a name
    rows[3] = (*rows[3][:2], "", *rows[3][3:])  # no name in Dapodik: the row still prints
    with caplog.at_level(logging.WARNING, logger="kuota.infra.pdf"):
        text = pdf_text(render_pdf(head, rows))
    assert "Nguyễn Thị Lan" in text and decomposed != "Nguyễn Thị Lan"
    assert "<U+0639><U+0628><U+062F> Rahman" in text
    assert "Siti<U+200B>Aminah" in text
    assert f" 4 {rows[3][0].upper()} {rows[3][3]} " in text
    assert "(U+0628 U+062F U+0639 U+200B)" in caplog.text and "Rahman" not in caplog.text


def test_a_word_longer_than_its_cell_breaks_between_letters_never_inside_a_code_point():
    lines = layout.wrap("A" * 30 + "陈" * 20, 60)
    assert "".join(lines) == "A" * 30 + "<U+9648>" * 20
    assert all(re.fullmatch(r"A*(<U\+9648>)*", line) for line in lines)
    marks = unicodedata.normalize("NFD", "ẽ") * 40  # a letter whose mark has no composed form with it
    assert all(not unicodedata.combining(line[0]) for line in layout.wrap("q\u0303" * 40 + marks, 40))


def test_the_duty_stamp_follows_the_law_of_the_period(tmp_path):
    head, rows = pdf_samples.sptjm(1)
    assert "Meterai Rp 6.000" in pdf_text(render_pdf(head, rows))
    assert "Meterai Rp 10.000" in pdf_text(render_pdf(head | {"periode": "2021-01"}, rows))


def test_a_process_that_renders_hands_back_what_it_could_not_draw_to_the_task_log(storage, bucket, caplog):
    head, rows = pdf_samples.sptjm(2)
    rows[0] = (*rows[0][:2], "Tan 陈 Mei", *rows[0][3:])
    with (
        ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as renderers,
        caplog.at_level(logging.WARNING, logger="kuota.infra.pdf"),
    ):
        sptjm._write_one(storage, f"s3://{bucket}/exchange", head, rows, renderers)
    assert f"SPTJM {head['sptjm_no']}: 1 characters the font cannot draw" in caplog.text and "U+9648" in caplog.text
    uri = sptjm_uri(f"s3://{bucket}/exchange", head["periode"], head["npsn"], head["sptjm_no"], "pdf")
    assert storage.read_bytes(uri) == render_pdf(head, rows)  # the same bytes as rendered here
