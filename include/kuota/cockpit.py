"""What the cockpit in the Airflow UI shows (the plugin kuota_airflow.cockpit serves it): the
programme's business state as aggregates, never a record. Only counts leave this module: no
name, NISN, NIK or phone number, whatever is asked. Each table is a list of rows (dicts).

The views at national scale read the aggregates the pipeline's own steps keep (``refresh``,
migration 0007: cockpit.funnel, cockpit.residu, cockpit.bast), per period and stage, so that a
view reads a few indexed rows instead of the recipients:

- the funnel of a scope (Indonesia, a province, a district, a school), its children and each
  provider: the records at each step they reached (cutoff, screened, valid, on an approved
  SPTJM, injected) and the GB injected;
- the residu by reason of the scope and its children, and its trend across stages and periods;
- the money: the BAST per provider and package, what is paid and what is not.

What stays small at any scale is read live: the exchange per provider and kind
(cockpit/02_count_batch.sql: one row per batch), the SPTJMs per province (one per school and
stage), and the quarantined partner files with what to do about each.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re

from . import periode as lifecycle
from .alerts import redacted
from .infra import db
from .infra.progress import alive
from .partners.contract import LATER_REASONS
from .periode import Period
from .tahap import ekspor

log = logging.getLogger(__name__)

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
LEVELS = ("indonesia", "provinsi", "kabupaten", "sekolah")
FUNNEL_COLUMNS = ("tingkat", "kode", "nama", "cutoff", "screened", "valid", "sptjm_disetujui", "injected", "gb")
RESIDU_COLUMNS = ("tingkat", "kode", "nama", "alasan", "jumlah")
TREND_COLUMNS = ("periode", "tahap", "alasan", "jumlah")
TAHAP_COLUMNS = ("tahap", "langkah", "dihitung_at")
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
KARANTINA_COLUMNS = ("dari", "provider", "jenis", "batch_id", "berkas", "pesan", "diterima_at", "tindakan")


@dataclasses.dataclass(frozen=True)
class Scope:
    """Where the cockpit looks: Indonesia, or a province (BPS code), a district (BPS code) or a
    school (NPSN); the narrowest one given wins. Checked like user input, since it is."""

    provinsi: str | None = None
    kabupaten: str | None = None
    npsn: str | None = None

    def __post_init__(self):
        for name, digits in (("provinsi", 2), ("kabupaten", 4), ("npsn", 8)):
            value = getattr(self, name)
            if value is not None and not re.fullmatch(f"[0-9]{{{digits}}}", value):
                raise ValueError(f"{name} is {digits} digits, not {value!r}")

    def level(self) -> tuple[str, str, str | None]:
        """(its level, its code, its children's level)."""
        if self.npsn:
            return "sekolah", self.npsn, None
        if self.kabupaten:
            return "kabupaten", self.kabupaten, "sekolah"
        if self.provinsi:
            return "provinsi", self.provinsi, "kabupaten"
        return "indonesia", "", "provinsi"


@dataclasses.dataclass(frozen=True)
class View:
    """One look at the cockpit: a period, a scope, and the stage whose figures to show (None:
    the latest the pipeline refreshed)."""

    period: Period
    scope: Scope = Scope()
    tahap: int | None = None

    def stage(self) -> int | None:
        if self.tahap is not None:
            return self.tahap
        done = stages(self)
        return done[-1]["tahap"] if done else None

    def params(self) -> dict | None:
        tahap = self.stage()
        if tahap is None:
            return None
        tingkat, kode, anak = self.scope.level()
        return {"periode": self.period.periode, "tahap": tahap, "tingkat": tingkat, "kode": kode, "anak": anak}


def refresh(period: Period, langkah: str, tahap: int | None = None) -> dict:
    """Recount the period's aggregates for its stage (``tahap``: the period's, 0 for the
    monthly run's screening) from the recipients, as the step ``langkah`` left them: one pass
    over the period's records, replacing the stage's figures in one transaction."""
    tahap = period.tahap if tahap is None else tahap
    if lifecycle.state(period.dsn, period.periode) is None:
        log.info("periode %s is not opened (its run stopped before): no figures to count", period.periode)
        return {"periode": period.periode, "tahap": tahap, "langkah": langkah, "skipped": True}
    money = [{k: int(v) if k != "provider" else v for k, v in row.items()} for row in ekspor.bast(period)]
    params = {"periode": period.periode, "tahap": tahap, "later": list(LATER_REASONS), "langkah": langkah}
    with db.connect(period.dsn) as conn, alive(log, f"periode {period.periode}: counting the cockpit's figures"):
        db.run(conn, "cockpit/04_refresh_rekap", params)
        db.run(conn, "cockpit/05_record_bast", dict(params, rows=json.dumps(money)))
    total = funnel(View(period, tahap=tahap))
    return {"periode": period.periode, "tahap": tahap, "langkah": langkah, **(total[-1] if total else {})}


def periods(dsn: str) -> list[dict]:
    """The periods opened so far, newest first."""
    with db.connect(dsn) as conn:
        return [{"periode": p, "ditutup": closed} for p, closed in db.run(conn, "cockpit/01_list_periode")]


def stages(view: View) -> list[dict]:
    """The stages of the period with figures, the step that last refreshed each, and when."""
    with db.connect(view.period.dsn) as conn:
        rows = db.run(conn, "cockpit/09_list_dihitung", {"periode": view.period.periode})
    return [dict(zip(TAHAP_COLUMNS, (t, langkah, at.isoformat()), strict=True)) for t, langkah, at in rows]


def _name(tingkat: str, kode: str, school: str | None) -> str:
    if tingkat == "indonesia":
        return "Indonesia"
    if tingkat == "provinsi":
        return NAMA_PROVINSI.get(kode, kode)
    return school or kode


def funnel(view: View) -> list[dict]:
    """The scope's children (provinces, districts or schools), each provider in the scope, then
    the scope's total (tingkat ``total``)."""
    params = view.params()
    if params is None:
        return []
    with db.connect(view.period.dsn) as conn:
        rows = db.run(conn, "cockpit/06_read_funnel", params)
    children, providers, total = [], [], []
    for tingkat, kode, provider, school, *counts in rows:
        counts = [int(n) for n in counts]
        if tingkat == params["tingkat"] and provider == "*":
            total.append(("total", kode, _name(tingkat, kode, school), *counts))
        elif tingkat == params["tingkat"]:
            providers.append(("provider", provider, provider, *counts))
        else:
            children.append((tingkat, kode, _name(tingkat, kode, school), *counts))
    return [dict(zip(FUNNEL_COLUMNS, r, strict=True)) for r in (*sorted(children), *sorted(providers), *total)]


def residu(view: View) -> list[dict]:
    """The residu by reason of the scope (tingkat ``total``), largest first, then of each child."""
    params = view.params()
    if params is None:
        return []
    with db.connect(view.period.dsn) as conn:
        rows = db.run(conn, "cockpit/07_read_residu", params)
    out = []
    for tingkat, kode, alasan, jumlah in rows:
        own = tingkat == params["tingkat"]
        out.append((not own, "total" if own else tingkat, kode, _name(tingkat, kode, None), alasan, int(jumlah)))
    out.sort(key=lambda r: (r[0], r[2], -r[5], r[4]))
    return [dict(zip(RESIDU_COLUMNS, r[1:], strict=True)) for r in out]


def trend(view: View) -> list[dict]:
    """The scope's residu by reason at every stage of every period up to the view's, oldest
    first (tahap 0: after the monthly run's screening)."""
    tingkat, kode, _ = view.scope.level()
    with db.connect(view.period.dsn) as conn:
        rows = db.run(conn, "cockpit/08_read_residu_trend", {"tingkat": tingkat, "kode": kode})
    return [dict(zip(TREND_COLUMNS, (p, t, a, int(n)), strict=True)) for p, t, a, n in rows if p <= view.period.periode]


def bast(view: View) -> list[dict]:
    """The money per provider and package size, as of the stage: requested, paid (berhasil, in
    packages and GB), failed, unanswered, waiting; and the provider's anomalies."""
    params = view.params()
    if params is None:
        return []
    with db.connect(view.period.dsn) as conn:
        rows = db.run(conn, "cockpit/10_read_bast", params)
    return [dict(zip(BAST_COLUMNS, (p, *(int(n) for n in counts)), strict=True)) for p, *counts in rows]


def exchange(view: View) -> list[dict]:
    """The provider exchange per provider and kind (validasi, injeksi), live."""
    with db.connect(view.period.dsn) as conn:
        rows = db.run(conn, "cockpit/02_count_batch", {"periode": view.period.periode})
    return [dict(zip(EXCHANGE_COLUMNS, (p, j, *(int(n) for n in counts)), strict=True)) for p, j, *counts in rows]


def sptjm(view: View) -> list[dict]:
    """The SPTJMs per province of their school, live."""
    with db.connect(view.period.dsn) as conn:
        rows = db.run(conn, "cockpit/03_count_sptjm", {"periode": view.period.periode})
    return [
        dict(zip(SPTJM_COLUMNS, (kode, NAMA_PROVINSI.get(kode, kode), *(int(n) for n in counts)), strict=True))
        for kode, *counts in rows
    ]


def action(dari: str, jenis: str, batch_id: str | None, at: dt.datetime, loaded_at: dt.datetime | None) -> str:
    """The runbook's answer to one quarantined file: what the operator does about it."""
    if dari == "sekolah":
        folder = "koreksi" if jenis == "koreksi" else "persetujuan"
        return (
            f"Nothing to redo here: the school fixes what the error names and uploads the file again under a new "
            f"name in portal/<periode>/{folder}/; the next stage run takes it."
        )
    group = "validation" if jenis == "validasi" else "injection"
    if loaded_at is None:
        return (
            f"Ask the provider for a corrected answer to batch {batch_id}, then redo it: the next kuota_tahap run "
            f"re-sends the batch (byte-identical) and waits; at once: kuota redo-batch --batch-id {batch_id}, or "
            f"clear {group}.batch.send_batch (map index {batch_id}) with Downstream."
        )
    if loaded_at > at:
        return f"Done: a corrected answer to batch {batch_id} was loaded after this one was refused."
    return (
        f"Nothing to redo: batch {batch_id}'s first answer stands (loaded before); the provider overwrote it. "
        f"Report the overwrite to the provider: it is counted as an anomaly of its BAST."
    )


def quarantines(view: View) -> list[dict]:
    """The period's quarantined partner files, newest first (500 at most), each with its error
    masked as the operators' mails are (kuota.alerts.redacted: long digit runs, quoted values
    that are not ids) and the runbook's action."""
    with db.connect(view.period.dsn) as conn:
        rows = db.run(conn, "cockpit/11_list_karantina", {"periode": view.period.periode})
    return [
        dict(
            zip(
                KARANTINA_COLUMNS,
                (
                    dari,
                    provider,
                    jenis,
                    batch_id,
                    berkas,
                    redacted(pesan),
                    at.isoformat(),
                    action(dari, jenis, batch_id, at, loaded_at),
                ),
                strict=True,
            )
        )
        for dari, provider, jenis, batch_id, berkas, pesan, at, loaded_at in rows
    ]
