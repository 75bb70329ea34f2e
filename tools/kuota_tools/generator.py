"""Synthetic Dapodik cutoff export (exchange.md §1) with planted anomalies and their labels.

Deterministic for a seed: every chunk of rows draws from its own generator seeded by
(seed, table, chunk number), so the bytes do not depend on memory or machine.  Rows are
built column-wise with NumPy and streamed to gzip chunk by chunk, so national scale
(45 million students) runs in bounded memory.

Besides the three tables it writes ``labels.csv.gz`` (``jenis, id, label, partner_id,
varian``): the ground truth of every anomaly it planted, and of the look-alikes that are *not*
anomalies (twins, siblings sharing a phone, pupils of one common name born one day in one
district), for measuring precision and recall. ``varian`` says how a pupil planted twice was
written the second time (``<name kind>|<mother's name kind>``, nama_varian.py), so that the
similarity index is measured per kind.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kuota.infra.storage import Storage, join
from kuota.partners.contract import CUTOFF_COLUMNS, KODE_PROVINSI, SCHEMA_VERSION
from kuota.partners.manifest import now_iso, sha256_file

from . import nama_varian

log = logging.getLogger(__name__)

CHUNK = 100_000  # base rows per chunk: part of the output's definition, keep fixed

# BPS province codes (34 provinces, 2020) with rough shares of school-age population and
# their number of kabupaten/kota.
_PROVINSI = {
    "11": (2.0, 23),
    "12": (5.6, 33),
    "13": (2.1, 19),
    "14": (2.6, 12),
    "15": (1.3, 11),
    "16": (3.2, 17),
    "17": (0.8, 10),
    "18": (3.2, 15),
    "19": (0.5, 7),
    "21": (0.8, 7),
    "31": (3.6, 6),
    "32": (18.0, 27),
    "33": (12.6, 35),
    "34": (1.3, 5),
    "35": (14.4, 38),
    "36": (4.9, 8),
    "51": (1.6, 9),
    "52": (2.0, 10),
    "53": (2.3, 22),
    "61": (2.0, 14),
    "62": (1.0, 14),
    "63": (1.5, 13),
    "64": (1.4, 10),
    "65": (0.3, 5),
    "71": (0.9, 15),
    "72": (1.1, 13),
    "73": (3.3, 24),
    "74": (1.0, 17),
    "75": (0.4, 6),
    "76": (0.5, 6),
    "81": (0.7, 11),
    "82": (0.5, 10),
    "91": (0.4, 13),
    "94": (1.3, 29),
}
PROVINSI = {code: _PROVINSI[code] for code in KODE_PROVINSI}
# bentuk_pendidikan: share of schools, students per school (median), grade range
BENTUK = {
    "SD": (0.45, 180, 1, 6),
    "SMP": (0.15, 330, 7, 9),
    "SMA": (0.06, 400, 10, 12),
    "SMK": (0.06, 380, 10, 13),
    "SLB": (0.01, 60, 1, 12),
    "PKBM": (0.03, 70, 1, 12),
    "TK": (0.14, 45, 0, 0),
    "KB": (0.10, 30, 0, 0),
}
# 2020 partner prefixes and the recipients' shares by provider (domain.md)
PREFIXES = {
    "telkomsel": (0.50, ["811", "812", "813", "821", "822", "823", "851", "852", "853"]),
    "indosat": (0.17, ["814", "815", "816", "855", "856", "857", "858"]),
    "xl": (0.12, ["817", "818", "819", "859", "877", "878"]),
    "axis": (0.05, ["831", "832", "833", "838"]),
    "tri": (0.11, ["895", "896", "897", "898", "899"]),
    "smartfren": (0.05, ["881", "882", "883", "884", "885", "886", "887", "888", "889"]),
}

NAMA_L = np.array(
    """Muhammad Ahmad Rizki Fajar Andi Budi Agus Dedi Eko Hendra Irfan Joko Yoga Rudi Sigit
Arif Bayu Dimas Fikri Gilang Hadi Ilham Krisna Lukman Made Nyoman Ketut Putu Wayan Rangga Reza Satria
Taufik Wahyu Yusuf Zainal Aditya Bagas Danu Farhan Galih Hafiz Imam Kevin Naufal Rafi Rehan Alif Akbar
Aldi Bima Daffa Raihan Rizal Ari Tegar Angga Yohanes Petrus Stefanus Markus Fransiskus Gede Dwi Teguh""".split(),
    dtype=object,
)
NAMA_P = np.array(
    """Siti Nur Dewi Sri Putri Ayu Fitri Indah Lestari Rina Wulan Yuni Ani Ratna Nia
Aisyah Annisa Citra Dinda Eka Fadilah Gita Hana Intan Kartika Laila Maya Nabila Oktavia Puspita Rahma
Salsabila Tiara Utami Vina Wati Yanti Zahra Amelia Bunga Cahya Desi Elisa Febri Hasna Khofifah Melati
Nadia Nurul Rani Safira Tasya Zaskia Maria Theresia Kadek Komang Ni Luh Anggun Yulia Sekar""".split(),
    dtype=object,
)
MARGA = np.array(
    """Pratama Saputra Wijaya Santoso Hidayat Nugroho Kurniawan Setiawan Siregar Nasution
Lubis Harahap Simanjuntak Sitompul Pangaribuan Hutapea Manurung Lestari Rahmawati Handayani Wulandari
Susanti Permata Sari Maharani Ramadhan Firmansyah Hakim Syahputra Gunawan Purnama Utomo Wibowo Suryadi
Tambunan Sinaga Panjaitan Pakpahan Rumbiak Wenda Mandagi Lumban Tobing Daeng Pattimura Kase Bere""".split(),
    dtype=object,
)
GELAR = np.array(["", "", "S.Pd.", "S.Pd.", "S.Pd.I.", "M.Pd.", "S.Ag.", "S.Kom.", "S.Si."], dtype=object)

# Row categories of a base student row (mutually exclusive) and their shares.
CATEGORIES = {
    "bersih": 0.8735,
    "tidak_aktif": 0.04,
    "nomor_kosong": 0.03,
    "nomor_tidak_valid": 0.035,
    "operator_tidak_didukung": 0.006,
    "kepemilikan_kosong": 0.01,
    "nisn_tidak_valid": 0.004,
    "format_tidak_valid": 0.0015,
}
# Pair anomalies and look-alikes, per base row (planted on clean rows only).
PAIRS = {
    "nisn_ganda": 0.003,
    "rekaman_duplikat": 0.002,
    "nisn_konflik": 0.001,
    "kemungkinan_orang_sama": 0.002,
    "kembar": 0.004,
    "saudara": 0.03,
    "nama_umum": 0.002,
}
SHARED_GROUP_EVERY = 20_000  # one number typed for 11-14 recipients per this many rows


@dataclass
class Scale:
    students: int
    ptk: int
    schools: int

    @classmethod
    def for_students(cls, students: int, ptk: int | None = None, schools: int | None = None) -> Scale:
        # National ratios: 45M students, 3M PTK, 220k schools.
        return cls(
            students,
            ptk if ptk is not None else max(students // 15, 5),
            schools if schools is not None else max(students // 205, 3),
        )


def _uniq(i: np.ndarray, modulus: int, mult: int, add: int) -> np.ndarray:
    """A bijection of the index onto [0, modulus): unique numbers without a lookup."""
    return (i.astype(np.int64) * mult + add) % modulus


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    if not len(values):
        return np.empty(0, dtype=object)
    return np.char.zfill(values.astype(np.int64).astype("U"), width).astype(object)


_HEX = np.array(list("0123456789abcdef"))


def _uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexes = np.empty((n, 32), dtype="U1")
    hexes[:, 0::2] = _HEX[raw >> 4]
    hexes[:, 1::2] = _HEX[raw & 15]
    out = np.full((n, 36), "-", dtype="U1")
    for dst, src in ((0, 0), (9, 8), (14, 12), (19, 16), (24, 20)):
        width = {0: 8, 24: 12}.get(dst, 4)
        out[:, dst : dst + width] = hexes[:, src : src + width]
    return out.view("U36").ravel().astype(object)


def _dates(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.datetime64("1970-01-01") + days.astype("timedelta64[D]"), unit="D").astype(object)


def _day(iso: str) -> int:
    return int((np.datetime64(iso) - np.datetime64("1970-01-01")).astype(int))


def _nik_tail(birth: np.ndarray, male: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """NIK after the kabupaten: kecamatan, birth DDMMYY (+40 on the day for women), sequence."""
    when = np.datetime64("1970-01-01") + birth.astype("timedelta64[D]")
    month_start = when.astype("datetime64[M]")
    day = (when - month_start).astype(np.int64) + 1 + np.where(male, 0, 40)
    month = month_start.astype(np.int64) % 12 + 1
    year = (when.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
    return _digits(seq // 10**4, 2) + _digits(day * 10**4 + month * 100 + year, 6) + _digits(seq % 10**4, 4)


def _pick(rng, arr: np.ndarray, n: int) -> np.ndarray:
    return arr[rng.integers(0, len(arr), n)]


def _names(rng, male: np.ndarray) -> np.ndarray:
    n = len(male)
    given = np.where(male, _pick(rng, NAMA_L, n), _pick(rng, NAMA_P, n))
    second = np.where(male, _pick(rng, NAMA_L, n), _pick(rng, NAMA_P, n))
    family = _pick(rng, MARGA, n)
    words = rng.integers(1, 4, n)
    return np.where(
        words == 1,
        given + " " + family,
        np.where(words == 2, given + " " + second, given + " " + second + " " + family),
    )


def _one_slip_apart(a: str, b: str) -> bool:
    """Equal, or one letter dropped, added, replaced, or two neighbours swapped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class _Numbers:
    """Mobile numbers, unique by construction, typed the ways school operators type them."""

    def __init__(self):
        self.prefix_p = np.concatenate([np.full(len(p), s / len(p)) for s, p in PREFIXES.values()])
        self.prefix_p /= self.prefix_p.sum()
        self.prefixes = np.array([p for _, ps in PREFIXES.values() for p in ps], dtype=object)

    def national(self, rng, index: np.ndarray) -> np.ndarray:
        """'8xx' + 6 to 9 digits (mostly 8: unique per index, a bijection), provider by 2020 shares."""
        n = len(index)
        prefix = self.prefixes[rng.choice(len(self.prefixes), n, p=self.prefix_p)]
        body = _uniq(index, 10**8, 2_654_435_761, 12_345_678)
        width = rng.choice([8, 7, 9, 6], n, p=[0.80, 0.10, 0.07, 0.03])
        out = prefix + _digits(body, 8)
        for w in (6, 7, 9):
            rows = np.flatnonzero(width == w)
            value = body[rows] * 10 + rng.integers(0, 10, len(rows)) if w == 9 else body[rows] // 10 ** (8 - w)
            out[rows] = prefix[rows] + _digits(value, w)
        return out

    @staticmethod
    def typed(rng, national: np.ndarray) -> np.ndarray:
        n = len(national)
        style = rng.choice(12, n, p=[0.33, 0.10, 0.10, 0.10, 0.10, 0.09, 0.05, 0.04, 0.04, 0.02, 0.02, 0.01])
        head, mid, tail = (
            np.array([s[:3] for s in national], dtype=object),
            np.array([s[3:7] for s in national], dtype=object),
            np.array([s[7:] for s in national], dtype=object),
        )
        forms = [
            "0" + national,
            "0" + head + "-" + mid + "-" + tail,
            "+62 " + head + " " + mid + " " + tail,
            "62" + national,
            national,
            "0" + head + " " + mid + " " + tail,
            "0" + head + "." + mid + "." + tail,
            " 0" + national + " ",
            "(+62)" + national,
            "'0" + national,  # a spreadsheet's text marker
            "+62 0" + national,  # the trunk zero kept after the country code
            "0" + national + ",",  # trailing junk
        ]
        return np.choose(style, forms)

    @staticmethod
    def invalid(rng, national: np.ndarray) -> np.ndarray:
        n = len(national)
        kind = rng.integers(0, 5, n)
        area = np.array(["21", "22", "24", "31", "61", "411", "274", "361"], dtype=object)
        landline = "0" + _pick(rng, area, n) + "-" + _digits(rng.integers(0, 10**7, n), 7)
        short = "0" + np.array([s[:6] for s in national], dtype=object)
        # at least 13 digits after the 0: longer than any mobile number (12)
        tail = _digits(rng.integers(0, 10**7, n), 7)
        long_ = np.array(
            ["0" + s + t[: max(3, 13 - len(s))] for s, t in zip(national, tail, strict=True)], dtype=object
        )
        letter = np.array(["0" + s[:5] + "O" + s[6:] for s in national], dtype=object)
        dup0 = "00" + national
        return np.choose(kind, [landline, short, long_, letter, dup0])


NUMBERS = _Numbers()


class _GzipCsv:
    """A gzip CSV file in the contract's dialect, with a zero timestamp in its header so that
    the same seed gives the same bytes (hence the same sha256)."""

    def __init__(self, path: Path, header: tuple[str, ...], level: int):
        self.path = path
        self._file = open(path, "wb")
        gz = gzip.GzipFile(filename=path.name, mode="wb", compresslevel=level, mtime=0, fileobj=self._file)
        self._fh = io.TextIOWrapper(gz, encoding="utf-8", newline="")
        self._csv = csv.writer(self._fh, lineterminator="\n")
        self._csv.writerow(header)

    def close(self) -> None:
        self._fh.close()
        self._file.close()


class _Writer(_GzipCsv):
    """One cutoff table; counts its data rows."""

    def __init__(self, path: Path, columns: tuple[str, ...], level: int):
        super().__init__(path, columns, level)
        self.columns, self.rows = columns, 0

    def write(self, cols: dict) -> None:
        rows = zip(*(cols[c] for c in self.columns), strict=False)
        self._csv.writerows(rows)
        self.rows += len(cols[self.columns[0]])

    def write_short(self, cols: dict, rows: np.ndarray) -> None:
        """Rows that lost their last field (malformed on purpose)."""
        self._csv.writerows([[cols[c][r] for c in self.columns[:-1]] for r in rows])
        self.rows += len(rows)


def _schools(rng, n: int) -> dict:
    prov_codes = np.array(list(PROVINSI), dtype=object)
    prov_share = np.array([s for s, _ in PROVINSI.values()])
    prov = rng.choice(len(prov_codes), n, p=prov_share / prov_share.sum())
    kab_count = np.array([k for _, k in PROVINSI.values()])[prov]
    kab = rng.integers(0, kab_count) + 1
    kab = np.where(rng.random(n) < 0.15, 71 + rng.integers(0, 3, n), kab)  # kota codes 71xx
    kode_kab = prov_codes[prov] + _digits(kab, 2)
    order = np.argsort(kode_kab, kind="stable")  # schools of one region side by side
    bentuk_names = np.array(list(BENTUK), dtype=object)
    bentuk = rng.choice(len(bentuk_names), n, p=[v[0] for v in BENTUK.values()])
    median = np.array([v[1] for v in BENTUK.values()])[bentuk]
    size = rng.lognormal(np.log(median), 0.6)
    negeri = rng.random(n) < 0.55
    nomor = rng.integers(1, 60, n).astype("U").astype(object)
    jenis = np.where(
        negeri,
        "NEGERI",
        _pick(rng, np.array(["SWASTA", "IT", "MUHAMMADIYAH", "KRISTEN", "ISLAM TERPADU"], dtype=object), n),
    )
    cols = {
        "sekolah_id": _uuids(rng, n),
        "npsn": _digits(_uniq(np.arange(n), 10**7, 3_141_593, 2_718_281) + 10**7 * rng.integers(1, 7, n), 8),
        "nama": bentuk_names[bentuk]
        + " "
        + jenis
        + " "
        + nomor
        + " "
        + _pick(rng, MARGA, n).astype("U").astype(object),
        "bentuk_pendidikan": bentuk_names[bentuk],
        "status": np.where(rng.random(n) < 0.01, "tutup", "aktif").astype(object),
        "kode_provinsi": prov_codes[prov],
        "kode_kabupaten": kode_kab,
    }
    cols = {k: v[order] for k, v in cols.items()}
    return {"cols": cols, "size": size[order], "bentuk": bentuk[order]}


def _school_rows(total: int, size: np.ndarray) -> np.ndarray:
    """Students per school summing to ``total``, proportional to the drawn sizes."""
    share = size / size.sum() * total
    counts = np.floor(share).astype(np.int64)
    rest = total - counts.sum()
    counts[np.argsort(counts - share)[:rest]] += 1
    return counts


def _student_block(rng, idx: np.ndarray, school: np.ndarray, schools: dict, cutoff_day: int) -> dict:
    """Clean student rows for global row numbers ``idx`` attending school indices ``school``."""
    n = len(idx)
    sc = schools["cols"]
    lo = np.array([v[2] for v in BENTUK.values()])[schools["bentuk"][school]]
    hi = np.array([v[3] for v in BENTUK.values()])[schools["bentuk"][school]]
    grade = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    grade = np.where(grade == 13, np.where(rng.random(n) < 0.9, 12, 13), grade)
    age = np.where(grade == 0, 4 + rng.integers(0, 3, n), grade + 6)
    birth = cutoff_day - (age * 365.25 + rng.integers(0, 365, n)).astype(np.int64)
    male = rng.random(n) < 0.51
    kab = sc["kode_kabupaten"][school]
    birth_s = _dates(birth)
    nik = kab + _nik_tail(birth, male, _uniq(idx, 10**6, 387_403, 13))
    entry_year = 2020 - np.maximum(grade - np.where(grade >= 10, 9, np.where(grade >= 7, 6, 0)) - 1, 0)
    years, which = np.unique(entry_year, return_inverse=True)
    entry = _dates(np.array([_day(f"{y}-07-13") for y in years]))[which]
    national = NUMBERS.national(rng, idx)
    pip = rng.random(n) < 0.10
    return {
        "peserta_didik_id": _uuids(rng, n),
        "nisn": _digits(_uniq(idx, 10**10, 6_364_136_223, 1_442_695_041), 10),
        "nik": nik,
        "nama": _names(rng, male),
        "jenis_kelamin": np.where(male, "L", "P").astype(object),
        "tanggal_lahir": birth_s,
        "nama_ibu_kandung": _pick(rng, NAMA_P, n) + " " + _pick(rng, MARGA, n),
        "sekolah_id": sc["sekolah_id"][school],
        "tingkat_pendidikan": grade.astype("U").astype(object),
        "status": np.full(n, "aktif", dtype=object),
        "nomor_hp": NUMBERS.typed(rng, national),
        "kepemilikan_hp": np.array(["orang_tua", "sendiri", "wali", "saudara", "lainnya"], dtype=object)[
            rng.choice(5, n, p=[0.58, 0.32, 0.05, 0.03, 0.02])
        ],
        "penerima_pip": np.where(pip, "true", "false").astype(object),
        "penerima_pkh": np.where(rng.random(n) < 0.08, "true", "false").astype(object),
        "nomor_kip": np.where(pip, np.char.upper(_uuids(rng, n).astype("U")).astype(object), ""),
        "nomor_kps": np.where(rng.random(n) < 0.03, _digits(rng.integers(0, 10**9, n), 9), ""),
        "tanggal_masuk_sekolah": entry,
        "_national": national,
        "_school": school,
    }


def _take(cols: dict, rows: np.ndarray) -> dict:
    return {k: v[rows].copy() for k, v in cols.items()}


def _concat(parts: list[dict]) -> dict:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


class _Labels(_GzipCsv):
    """Ground truth, streamed to its own gzip file as rows are planted."""

    def __init__(self, path: Path, level: int):
        super().__init__(path, ("jenis", "id", "label", "partner_id", "varian"), level)
        self.count = 0

    def add(self, jenis: str, ids, label: str, partners=None, varian=None) -> None:
        partners = [""] * len(ids) if partners is None else partners
        varian = [""] * len(ids) if varian is None else varian
        self._csv.writerows((jenis, i, label, p, v) for i, p, v in zip(ids, partners, varian, strict=True))
        self.count += len(ids)


def _students_chunk(
    rng, chunk_no: int, idx: np.ndarray, school: np.ndarray, schools: dict, cutoff_day: int, labels: _Labels
) -> dict:
    base = _student_block(rng, idx, school, schools, cutoff_day)
    n = len(idx)
    sc = schools["cols"]
    school_open = sc["status"][school] == "aktif"
    names = list(CATEGORIES)
    cat = np.array(names, dtype=object)[rng.choice(len(names), n, p=list(CATEGORIES.values()))]
    ids = base["peserta_didik_id"]
    labels.add("pd", ids[~school_open], "sekolah_tidak_aktif")

    def mark(c: str) -> np.ndarray:
        rows = (cat == c) & school_open
        labels.add("pd", ids[rows], c)
        return rows

    rows = mark("tidak_aktif")
    base["status"][rows] = np.where(rng.random(rows.sum()) < 0.6, "keluar", "lulus")
    rows = mark("nomor_kosong")
    base["nomor_hp"][rows] = np.where(rng.random(rows.sum()) < 0.7, "", "   ")
    rows = mark("nomor_tidak_valid")
    base["nomor_hp"][rows] = NUMBERS.invalid(rng, base["_national"][rows])
    rows = mark("operator_tidak_didukung")
    base["nomor_hp"][rows] = "0828" + _digits(_uniq(idx[rows], 10**7, 2_654_435_761, 7), 7)
    rows = mark("kepemilikan_kosong")
    base["kepemilikan_hp"][rows] = ""
    rows = mark("nisn_tidak_valid")
    k = rows.sum()
    bad = np.choose(
        rng.integers(0, 3, k),
        [
            "",
            np.array([s[:9] for s in base["nisn"][rows]], dtype=object),
            np.array([s[:4] + "A" + s[5:] for s in base["nisn"][rows]], dtype=object),
        ],
    )
    base["nisn"][rows] = bad
    rows = mark("format_tidak_valid")
    for pos in np.flatnonzero(rows):
        kind = int(rng.integers(0, 5))
        if kind == 0:
            base["tanggal_lahir"][pos] = base["tanggal_lahir"][pos][:5] + "02-30"
        elif kind == 1:
            base["jenis_kelamin"][pos] = "X"
        elif kind == 2:
            base["tingkat_pendidikan"][pos] = "14"
        elif kind == 3:
            base["penerima_pip"][pos] = "ya"
        else:
            base["tanggal_masuk_sekolah"][pos] = "13/07/2019"

    # Pairs are planted on clean rows of open schools, each source used once.
    clean = np.flatnonzero((cat == "bersih") & school_open)
    rng.shuffle(clean)
    open_rows = np.flatnonzero(school_open)
    extra_parts = []
    next_extra = [50_000_000 + chunk_no * 10_000]

    def fresh(k: int) -> np.ndarray:
        start = next_extra[0]
        next_extra[0] += k
        return np.arange(start, start + k)

    used = 0
    counts = {name: int(rng.binomial(n, share)) for name, share in PAIRS.items()}
    pick = {}
    for name, k in counts.items():
        pick[name] = clean[used : used + k]
        used += k

    def nearby_school(src: np.ndarray, other: bool, same_kabupaten: bool = False) -> np.ndarray:
        """An open school of a row near each source (schools are sorted by region), in the
        same district when asked (else the source's own school)."""
        target = base["_school"][src].copy()
        kab = sc["kode_kabupaten"]
        for j, s in enumerate(src):
            for _ in range(20):
                cand = open_rows[
                    min(max(np.searchsorted(open_rows, s) + int(rng.integers(-300, 300)), 0), len(open_rows) - 1)
                ]
                school = base["_school"][cand]
                if other and school == base["_school"][s]:
                    continue
                if same_kabupaten and kab[school] != kab[base["_school"][s]]:
                    continue
                target[j] = school
                break
        return target

    def copy_rows(src: np.ndarray) -> dict:
        out = _take(base, src)
        out["peserta_didik_id"] = _uuids(rng, len(src))
        return out

    src = pick["nisn_ganda"]
    if len(src):
        dup = copy_rows(src)
        dup["_school"] = nearby_school(src, other=True)
        moved = dup["_school"] != base["_school"][src]
        dup = _take(dup, moved)
        src = src[moved]
        dup["sekolah_id"] = sc["sekolah_id"][dup["_school"]]
        labels.add("pd", ids[src], "nisn_ganda", dup["peserta_didik_id"])
        labels.add("pd", dup["peserta_didik_id"], "nisn_ganda", ids[src])
        extra_parts.append(dup)

    src = pick["rekaman_duplikat"]
    if len(src):
        dup = copy_rows(src)
        dup["tanggal_masuk_sekolah"] = _dates(np.array([_day(d) for d in dup["tanggal_masuk_sekolah"]]) - 365)
        labels.add("pd", dup["peserta_didik_id"], "rekaman_duplikat", ids[src])
        extra_parts.append(dup)

    src = pick["nisn_konflik"]
    if len(src):
        other = _student_block(rng, fresh(len(src)), nearby_school(src, other=False), schools, cutoff_day)
        other["nisn"] = base["nisn"][src]
        # Clearly two people: the name and the birth date both differ (domain.md, Dedup).
        same_day = other["tanggal_lahir"] == base["tanggal_lahir"][src]
        if same_day.any():
            other["tanggal_lahir"][same_day] = _dates(
                np.array([_day(d) for d in other["tanggal_lahir"][same_day]]) + 40
            )
        same_name = other["nama"] == base["nama"][src]
        other["nama"][same_name] = other["nama"][same_name] + " Putra"
        labels.add("pd", ids[src], "nisn_konflik", other["peserta_didik_id"])
        labels.add("pd", other["peserta_didik_id"], "nisn_konflik", ids[src])
        extra_parts.append(other)

    src = pick["kemungkinan_orang_sama"]
    if len(src):
        fresh_idx = fresh(len(src))
        # Each pair is written the second time in one of the kinds of nama_varian, the mother's
        # name too; the source's own name may change first so that the kind applies.
        kinds = rng.choice(list(nama_varian.VARIAN_NAMA), len(src), p=list(nama_varian.VARIAN_NAMA.values()))
        kinds_ibu = rng.choice(list(nama_varian.VARIAN_IBU), len(src), p=list(nama_varian.VARIAN_IBU.values()))
        second, second_ibu, varian = [], [], []
        for j, s in enumerate(src):
            base["nama"][s], nama, kind = nama_varian.varian(rng, kinds[j], base["nama"][s], MARGA)
            base["nama_ibu_kandung"][s], ibu, kind_ibu = nama_varian.varian_ibu(
                rng, kinds_ibu[j], base["nama_ibu_kandung"][s]
            )
            second.append(nama)
            second_ibu.append(ibu)
            varian.append(f"{kind}|{kind_ibu}")
        dup = copy_rows(src)
        dup["nama"] = np.array(second, dtype=object)
        dup["nama_ibu_kandung"] = np.array(second_ibu, dtype=object)
        dup["nisn"] = _digits(_uniq(fresh_idx, 10**10, 6_364_136_223, 1_442_695_041), 10)
        # A child re-registered in another school of the district (domain.md: "school region").
        dup["_school"] = nearby_school(src, other=True, same_kabupaten=True)
        dup["sekolah_id"] = sc["sekolah_id"][dup["_school"]]
        dup["_national"] = NUMBERS.national(rng, fresh_idx)
        dup["nomor_hp"] = NUMBERS.typed(rng, dup["_national"])
        labels.add("pd", ids[src], "kemungkinan_orang_sama", dup["peserta_didik_id"], varian)
        labels.add("pd", dup["peserta_didik_id"], "kemungkinan_orang_sama", ids[src], varian)
        extra_parts.append(dup)

    src = pick["kembar"]
    if len(src):
        twin = _student_block(rng, fresh(len(src)), base["_school"][src], schools, cutoff_day)
        for col in (
            "tanggal_lahir",
            "nama_ibu_kandung",
            "tingkat_pendidikan",
            "tanggal_masuk_sekolah",
            "nomor_hp",
            "kepemilikan_hp",
        ):
            twin[col] = base[col][src].copy()
        family = np.array([s.rsplit(" ", 1)[-1] for s in base["nama"][src]], dtype=object)
        pos = rng.integers(0, min(len(NAMA_L), len(NAMA_P)), len(src))
        male = twin["jenis_kelamin"] == "L"
        # Twins never share a name word, nor have two one slip apart ("Ni"/"Nia"), nor one word
        # spelled two ways ("Joko"/"Yoga" fold to one slip): data alone cannot tell those from
        # one child typed twice (docs/kemiripan.md, limits).
        given = np.where(male, NAMA_L[pos], NAMA_P[pos])
        words = [[nama_varian.lipat(w) for w in s.split(" ")] for s in base["nama"][src]]
        for step in range(1, 9):
            close = np.array(
                [any(_one_slip_apart(nama_varian.lipat(g), w) for w in ws) for g, ws in zip(given, words, strict=True)],
                dtype=bool,
            )
            if not close.any():
                break
            nxt = np.where(male, NAMA_L[(pos + step) % len(NAMA_L)], NAMA_P[(pos + step) % len(NAMA_P)])
            given = np.where(close, nxt, given)
        twin["nama"] = given + " " + family
        labels.add("pd", ids[src], "kembar", twin["peserta_didik_id"])
        labels.add("pd", twin["peserta_didik_id"], "kembar", ids[src])
        extra_parts.append(twin)

    # Siblings: a younger child in the same school, same mother, typed on the parent's phone.
    src = pick["saudara"]
    if len(src):
        sib = _student_block(rng, fresh(len(src)), base["_school"][src], schools, cutoff_day)
        sib["nama_ibu_kandung"] = base["nama_ibu_kandung"][src].copy()
        sib["nomor_hp"] = base["nomor_hp"][src].copy()
        sib["kepemilikan_hp"] = np.full(len(src), "orang_tua", dtype=object)
        older = np.array([_day(d) for d in base["tanggal_lahir"][src]])
        sib["tanggal_lahir"] = _dates(older + 400 + rng.integers(0, 1500, len(src)))
        labels.add("pd", ids[src], "saudara", sib["peserta_didik_id"])
        labels.add("pd", sib["peserta_didik_id"], "saudara", ids[src])
        extra_parts.append(sib)

    # Common-name controls: another pupil of the same name, born the same day in the same
    # district, whose mother is someone else (no word of her name one slip from a word of the
    # other's, folded): two children, never one.
    src = pick["nama_umum"]
    if len(src):
        other = _student_block(
            rng, fresh(len(src)), nearby_school(src, other=True, same_kabupaten=True), schools, cutoff_day
        )
        for col in ("nama", "tanggal_lahir", "jenis_kelamin"):
            other[col] = base[col][src].copy()
        for j, s in enumerate(src):
            theirs = [nama_varian.lipat(w) for w in base["nama_ibu_kandung"][s].split(" ")]
            mother = other["nama_ibu_kandung"][j]
            while any(_one_slip_apart(nama_varian.lipat(w), t) for w in mother.split(" ") for t in theirs):
                mother = f"{NAMA_P[rng.integers(0, len(NAMA_P))]} {MARGA[rng.integers(0, len(MARGA))]}"
            other["nama_ibu_kandung"][j] = mother
        labels.add("pd", ids[src], "nama_umum", other["peserta_didik_id"])
        labels.add("pd", other["peserta_didik_id"], "nama_umum", ids[src])
        extra_parts.append(other)

    # One number typed for a dozen recipients (a shop's or an operator's own number).
    groups = max(n // SHARED_GROUP_EVERY, 1 if n >= 1_000 else 0)
    pool = clean[used:]
    for g in range(groups):
        size = int(rng.integers(11, 15))
        members = pool[g * 15 : g * 15 + size]
        if len(members) < size:
            break
        base["nomor_hp"][members] = "0" + base["_national"][members[0]]
        labels.add("pd", ids[members], "nomor_dipakai_bersama")

    # Rows of a pair or group never get a broken line too: their partner's label would lie.
    base["_pasangan"] = np.zeros(n, dtype=bool)
    base["_pasangan"][np.concatenate([clean[:used], *(pool[g * 15 : g * 15 + 15] for g in range(groups))])] = True
    for part in extra_parts:
        part["_pasangan"] = np.ones(len(part["nisn"]), dtype=bool)
    return _concat([base, *extra_parts]) if extra_parts else base


def _ptk_chunk(rng, idx: np.ndarray, school: np.ndarray, schools: dict, cutoff_day: int, labels: _Labels) -> dict:
    n = len(idx)
    sc = schools["cols"]
    male = rng.random(n) < 0.4
    birth = cutoff_day - (rng.integers(22, 60, n) * 365.25 + rng.integers(0, 365, n)).astype(np.int64)
    birth_s = _dates(birth)
    kab = sc["kode_kabupaten"][school]
    nik = kab + _nik_tail(birth, male, _uniq(idx, 10**6, 612_787, 29))
    jenis = np.array(["guru", "kepala_sekolah", "tenaga_administrasi", "operator", "lainnya"], dtype=object)[
        rng.choice(5, n, p=[0.80, 0.07, 0.08, 0.03, 0.02])
    ]
    keluar = rng.random(n) < 0.03
    gelar = _pick(rng, GELAR, n)
    nama = _names(rng, male)
    nama = np.where(gelar == "", nama, nama + ", " + gelar)
    national = NUMBERS.national(rng, idx)
    cols = {
        "ptk_id": _uuids(rng, n),
        "nuptk": np.where(rng.random(n) < 0.7, _digits(_uniq(idx, 10**16, 73_939_133, 1_000_000_000_000_000), 16), ""),
        "nik": nik,
        "nama": nama,
        "jenis_kelamin": np.where(male, "L", "P").astype(object),
        "tanggal_lahir": birth_s,
        "nama_ibu_kandung": _pick(rng, NAMA_P, n) + " " + _pick(rng, MARGA, n),
        "jenis_ptk": jenis,
        "sekolah_id": sc["sekolah_id"][school],
        "ptk_induk": np.full(n, "true", dtype=object),
        "status": np.where(keluar, "keluar", "aktif").astype(object),
        "jenis_keluar": np.where(
            keluar,
            _pick(
                rng, np.array(["pensiun", "mengundurkan_diri", "diberhentikan", "meninggal", "mutasi"], dtype=object), n
            ),
            "",
        ),
        "nomor_hp": NUMBERS.typed(rng, national),
        "kepemilikan_hp": np.where(rng.random(n) < 0.97, "sendiri", "").astype(object),
        "_school": school,
    }
    ids = cols["ptk_id"]
    open_school = sc["status"][school] == "aktif"
    labels.add("ptk", ids[~open_school], "sekolah_tidak_aktif")
    labels.add("ptk", ids[open_school & keluar], "tidak_aktif")
    labels.add(
        "ptk",
        ids[open_school & ~keluar & np.isin(jenis, ["tenaga_administrasi", "operator", "lainnya"])],
        "jenis_ptk_tidak_berhak",
    )
    labels.add("ptk", ids[open_school & ~keluar & (cols["kepemilikan_hp"] == "")], "kepemilikan_kosong")
    eligible = np.flatnonzero(
        open_school & ~keluar & np.isin(jenis, ["guru", "kepala_sekolah"]) & (cols["kepemilikan_hp"] != "")
    )
    rng.shuffle(eligible)
    k_extra, k_ganda = int(rng.binomial(n, 0.05)), int(rng.binomial(n, 0.003))
    cols["_pasangan"] = np.zeros(n, dtype=bool)
    parts = [cols]
    open_idx = np.flatnonzero(open_school)
    for rows, label, induk in (
        (eligible[:k_extra], "bukan_sekolah_induk", "false"),
        (eligible[k_extra : k_extra + k_ganda], "ptk_ganda", "true"),
    ):
        if not len(rows) or not len(open_idx):
            continue
        copy = _take(cols, rows)
        copy["ptk_id"] = _uuids(rng, len(rows))
        target = open_idx[rng.integers(0, len(open_idx), len(rows))]
        moved = school[target] != school[rows]
        copy, rows, target = _take(copy, moved), rows[moved], target[moved]
        copy["sekolah_id"] = sc["sekolah_id"][school[target]]
        copy["ptk_induk"] = np.full(len(rows), induk, dtype=object)
        copy["_pasangan"][:] = True
        cols["_pasangan"][rows] = True
        labels.add("ptk", copy["ptk_id"], label, ids[rows])
        if label == "ptk_ganda":
            labels.add("ptk", ids[rows], label, copy["ptk_id"])
        parts.append(copy)
    return _concat(parts)


def _malformed(rng, cols: dict, columns: tuple[str, ...], share: float, jenis: str, labels: _Labels) -> np.ndarray:
    """Rows to write with their last field missing: malformed, with a readable id (never a
    row of a planted pair)."""
    n = len(cols[columns[0]])
    rows = np.flatnonzero((rng.random(n) < share) & ~cols["_pasangan"])
    labels.add(jenis, cols[columns[0]][rows], "format_tidak_valid")
    return rows


def generate(
    out_uri: str,
    scale: Scale,
    seed: int = 42,
    cutoff_date: str = "2020-09-11",
    storage: Storage | None = None,
    labels_uri: str | None = None,
    compresslevel: int = 1,
    workdir: str | None = None,
) -> dict:
    """Write a cutoff export (three tables + manifest.json) and its ground-truth labels."""
    storage = storage or Storage()
    started = time.monotonic()
    cutoff_day = _day(cutoff_date)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="kuota-gen-") as tmp:
        tmp = Path(tmp)
        label_path = tmp / "labels.csv.gz"
        labels = _Labels(label_path, compresslevel)
        rng = np.random.default_rng([seed, 0, 0])
        schools = _schools(rng, scale.schools)
        sekolah = _Writer(tmp / "sekolah.csv.gz", CUTOFF_COLUMNS["sekolah"], compresslevel)
        sekolah.write(schools["cols"])
        sekolah.close()
        open_schools = np.flatnonzero(schools["cols"]["status"] == "aktif")
        if not len(open_schools):
            raise ValueError("no open school generated: raise the number of schools")

        stats = {}
        for table, total, jenis in (("peserta_didik", scale.students, "pd"), ("ptk", scale.ptk, "ptk")):
            columns = CUTOFF_COLUMNS[table]
            writer = _Writer(tmp / f"{table}.csv.gz", columns, compresslevel)
            if table == "peserta_didik":
                per_school = _school_rows(total, schools["size"])
            else:
                per_school = _school_rows(total, np.sqrt(schools["size"]))
            bounds = np.cumsum(per_school)
            t0 = time.monotonic()
            for chunk_no, start in enumerate(range(0, total, CHUNK)):
                rng = np.random.default_rng([seed, 1 if jenis == "pd" else 2, chunk_no])
                idx = np.arange(start, min(start + CHUNK, total))
                school = np.searchsorted(bounds, idx, side="right")
                if jenis == "pd":
                    cols = _students_chunk(rng, chunk_no, idx, school, schools, cutoff_day, labels)
                else:
                    cols = _ptk_chunk(rng, idx + 80_000_000, school, schools, cutoff_day, labels)
                short = _malformed(rng, cols, columns, 0.0002, jenis, labels)
                keep = np.ones(len(cols[columns[0]]), dtype=bool)
                keep[short] = False
                writer.write({c: cols[c][keep] for c in columns})
                writer.write_short(cols, short)
                if (chunk_no + 1) % 10 == 0:
                    log.info(
                        "%s: %d rows generated (%.0f rows/s)", table, writer.rows, writer.rows / (time.monotonic() - t0)
                    )
            writer.close()
            stats[table] = writer.rows

        labels.close()
        files = {}
        for table, path in (
            ("sekolah", sekolah.path),
            ("peserta_didik", tmp / "peserta_didik.csv.gz"),
            ("ptk", tmp / "ptk.csv.gz"),
        ):
            rows = sekolah.rows if table == "sekolah" else stats[table]
            files[path.name] = {"rows": rows, "sha256": sha256_file(path)}
            storage.upload_file(path, join(out_uri, path.name))
        storage.upload_file(label_path, labels_uri or join(out_uri, "labels.csv.gz"))
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "cutoff_date": cutoff_date,
            "created_at": now_iso(),
            "files": files,
        }
        # The manifest last: only its presence means the export is complete.
        storage.write_bytes(join(out_uri, "manifest.json"), json.dumps(manifest, indent=2).encode())
    seconds = time.monotonic() - started
    return {
        "out": out_uri,
        "rows": {"sekolah": sekolah.rows, **stats},
        "labels": labels.count,
        "seconds": round(seconds, 2),
    }
