"""What the cockpit in the Airflow UI shows (the plugin kuota_airflow.cockpit serves it): the
programme's business state as aggregates, never a record. Only counts leave this module: no
name, NISN, NIK or phone number, whatever is asked. Each table is ``(columns, rows)``.

- the funnel, the run summary's (summary/06_count_funnel.sql): per province, per provider and
  in total, the records at each step they reached (cutoff, screened, valid, on an approved
  SPTJM, injected) and the GB injected;
- the exchange per provider and kind (cockpit/02_count_batch.sql): batches and their state,
  open requests and the age of the oldest;
- the money: the BAST per provider and package (kuota.tahap.ekspor.bast), what is paid and what
  is not;
- the SPTJMs per province (cockpit/03_count_sptjm.sql): issued, approved, rejected, undecided,
  and the age of the oldest undecided.
"""

from __future__ import annotations

from .infra import db
from .partners.contract import LATER_REASONS
from .periode import Period
from .tahap import ekspor

# BPS province codes of 2020 (the cutoff's kode_provinsi) and their names.
NAMA_PROVINSI = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua Barat",
    "94": "Papua",
}
FUNNEL_COLUMNS = ("tingkat", "kode", "nama", "cutoff", "screened", "valid", "sptjm_disetujui", "injected", "gb")
EXCHANGE_COLUMNS = (
    "provider",
    "jenis",
    "batch",
    "terkirim",
    "dijawab",
    "perlu_redo",
    "ditutup_tanpa_jawaban",
    "permintaan_terbuka",
    "umur_terbuka_tertua_detik",
)
BAST_COLUMNS = (*ekspor.BAST_COLUMNS, "anomali")
SPTJM_COLUMNS = ("kode", "nama", "diterbitkan", "disetujui", "ditolak", "menunggu", "umur_menunggu_tertua_detik")


def periods(dsn: str) -> list[dict]:
    """The periods opened so far, newest first."""
    with db.connect(dsn) as conn:
        return [{"periode": p, "ditutup": closed} for p, closed in db.run(conn, "cockpit/01_list_periode")]


def funnel(period: Period) -> list[dict]:
    """The period's funnel: one row per province (with its name), per provider, and the total."""
    with db.connect(period.dsn) as conn:
        rows = db.run(conn, "summary/06_count_funnel", {"periode": period.periode, "later": list(LATER_REASONS)})
    order = {"provinsi": 0, "provider": 1, "total": 2}
    out = []
    for level, key, *counts in sorted(rows, key=lambda r: (order[r[0]], r[1])):
        name = NAMA_PROVINSI.get(key, key) if level == "provinsi" else ("Indonesia" if level == "total" else key)
        out.append(dict(zip(FUNNEL_COLUMNS, (level, key, name, *(int(n) for n in counts)), strict=True)))
    return out


def exchange(period: Period) -> list[dict]:
    """The provider exchange per provider and kind (validasi, injeksi)."""
    with db.connect(period.dsn) as conn:
        rows = db.run(conn, "cockpit/02_count_batch", {"periode": period.periode})
    return [dict(zip(EXCHANGE_COLUMNS, (p, j, *(int(n) for n in counts)), strict=True)) for p, j, *counts in rows]


def bast(period: Period) -> list[dict]:
    """The money per provider and package size: requested, paid (berhasil, in packages and GB),
    failed, unanswered, waiting; and the provider's anomalies."""
    return [{k: int(v) if k not in ("provider",) else v for k, v in r.items()} for r in ekspor.bast(period)]


def sptjm(period: Period) -> list[dict]:
    """The SPTJMs per province of their school."""
    with db.connect(period.dsn) as conn:
        rows = db.run(conn, "cockpit/03_count_sptjm", {"periode": period.periode})
    return [
        dict(zip(SPTJM_COLUMNS, (kode, NAMA_PROVINSI.get(kode, kode), *(int(n) for n in counts)), strict=True))
        for kode, *counts in rows
    ]
