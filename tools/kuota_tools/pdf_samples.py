"""An SPTJM and a BAST with the names Dapodik really holds, rendered as a principal and a
provider would print them; the pictures in docs/img/ come from here.

    python -m kuota_tools.pdf_samples docs/img     (needs pdftoppm, Debian's poppler-utils)
    python -m kuota_tools.pdf_samples --rate       (SPTJMs rendered per CPU second, by size)

The names: Indonesian (Javanese and Balinese full names often run past 30 characters),
Arabic-transliterated with their dots and macrons, Vietnamese with stacked diacritics, and
Chinese-Indonesian in their Latin spellings; apostrophes; and one name of 60 characters.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from kuota.tahap.ekspor import render_bast_pdf
from kuota.tahap.sptjm import render_pdf

NAMES = {
    "Indonesian": [
        "Siti Nurhaliza",
        "Muhammad Rizky Pratama",
        "Ni Putu Ayu Kusumawati Dewi Lestari Anggraeni",
        "Raden Roro Ayu Kusumaningtyas Wulandari",
        "Nur'aini",
    ],
    "Arabic-transliterated": [
        "Zulaikhā Ṣāliḥ",
        "ʿAbd al-Raḥmān Ḥasan",
        "Muh. Ma'ruf Al-Ḥabsyī",
        "Fāṭimah az-Zahrā'",
    ],
    "Vietnamese": ["Nguyễn Thị Lan", "Trần Văn Đức", "Phạm Thị Hồng Nhung"],
    "Chinese-Indonesian": ["Tjoa Siauw Ling", "Liem Swie King", "Oey Hong Lian", "The Kian Hwa"],
    "60 characters": ["Anak Agung Istri Ayu Dewi Kusumawardani Sukmawati Prameswari"],
}
ALL_NAMES = [name for names in NAMES.values() for name in names]
assert len(NAMES["60 characters"][0]) == 60
PROVIDERS = ("telkomsel", "indosat", "xl", "axis", "tri", "smartfren")


def sptjm(rows: int = 250) -> tuple[dict, list[tuple]]:
    """The head and rows of one SPTJM, as tahap/sptjm/02_list_sptjm_isi.sql gives them."""
    listed = [
        (
            "ptk" if n % 9 == 0 else "pd",
            f"00000000-0000-4000-8000-{n:012d}",
            ALL_NAMES[n % len(ALL_NAMES)],
            f"6281{n:010d}" if n % 2 else f"62812{n:08d}",  # 14 digits (the longest) and 13
            PROVIDERS[n % len(PROVIDERS)],
            42 if n % 9 == 0 else 35,
        )
        for n in range(rows)
    ]
    head = {
        "periode": "2020-09",
        "tahap": 1,
        "sptjm_no": "SPTJM-2020-09-50100017-1",
        "npsn": "50100017",
        "dibuat_at": "2020-09-15T08:00:00+00:00",
        "kepala_sekolah": "Dra. Ni Made Sri Rahayu Ṣāliḥah Kusumadewi, M.Pd.",
        "nama_sekolah": "SD Negeri 3 Sanur Kauh",
        "paket_gb": sum(r[5] for r in listed),
    }
    return head, listed


def bast() -> tuple[str, str, list[dict], str]:
    rows = [
        {
            "provider": "telkomsel",
            "paket_gb": gb,
            "diminta": requested,
            "berhasil": paid,
            "gb_berhasil": paid * gb,
            "gagal": failed,
            "tanpa_respons": requested - paid - failed,
            "menunggu": 0,
            "anomali": 2,
        }
        for gb, requested, paid, failed in ((20, 412_118, 401_003, 8_771), (35, 2_904_561, 2_861_240, 31_002))
    ]
    return "2020-09", "telkomsel", rows, "2020-10-01T00:00:00+00:00"


def page_count(path: Path) -> int:
    """The pages of a PDF as poppler counts them (pdfinfo)."""
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, nargs="?")
    parser.add_argument("--rate", action="store_true", help="SPTJMs rendered per CPU second, by size")
    args = parser.parse_args(argv)
    if args.rate:
        print("| rows | SPTJMs rendered per CPU second (one core) | bytes |\n|---:|---:|---:|")
        for rows in (10, 30, 100, 200, 250):
            head, listed = sptjm(rows)
            pdf = render_pdf(head, listed)
            n = max(20, 2000 // rows)
            started = time.process_time()
            for _ in range(n):
                render_pdf(head, listed)
            print(f"| {rows} | {n / (time.process_time() - started):,.0f} | {len(pdf):,} |")
        return 0
    if args.folder is None:
        parser.error("a folder for the pictures, or --rate")
    args.folder.mkdir(parents=True, exist_ok=True)
    documents = {"sptjm": render_pdf(*sptjm()), "bast": render_bast_pdf(*bast())}
    for name, pdf in documents.items():
        path = args.folder / f"{name}.pdf"
        path.write_bytes(pdf)
        pages = page_count(path)
        for page in sorted({1, pages}):
            out = args.folder / f"{name}-halaman-{page}"
            subprocess.run(
                ["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", path, out], check=True
            )
            print(f"{out}.png", file=sys.stdout)
        path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
