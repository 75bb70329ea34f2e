"""The cockpit's web app, mounted by the ``kuota`` plugin (plugins/kuota_plugin.py) inside the
api-server at ``/kuota``: the page the UI shows (nav entry *Kuota*, and a tab on each run), and
the figures it reads, as JSON or CSV.

Plugin endpoints are not protected by Airflow on their own: every route of this app requires an
authenticated Airflow user (the api-server's JWT, as a bearer token or the UI's session cookie)
and answers 401 without one. Inputs are bounded (a period is YYYY-MM) and only aggregates leave
(kuota.cockpit).
"""

from __future__ import annotations

import csv
import importlib.resources
import io
from pathlib import Path as FilePath

from airflow.api_fastapi.core_api.security import requires_authenticated
from fastapi import Depends, FastAPI, HTTPException, Path, Query
from fastapi.responses import HTMLResponse, Response

from kuota import cockpit
from kuota.periode import PERIODE_PATTERN, Period
from kuota_airflow import datadocs, dsn

STATIC = FilePath(__file__).with_name("static")

app = FastAPI(
    title="Kuota cockpit",
    description="The programme's funnel and money per province, provider and school (aggregates only).",
    dependencies=[Depends(requires_authenticated())],
)
app.include_router(datadocs.router)  # before /{table}, which would take /datadocs


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
def page() -> HTMLResponse:
    return HTMLResponse((STATIC / "cockpit.html").read_text(encoding="utf-8"))


# The chart library, as the plotly wheel ships it: served from the installed package, so the
# page needs nothing from the internet. Only this one file is served.
CHARTS = importlib.resources.files("plotly") / "package_data" / "plotly.min.js"


@app.get("/static/plotly.min.js", include_in_schema=False)
def charts() -> Response:
    return Response(
        CHARTS.read_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "private, max-age=86400"},
    )


@app.get("/periods")
def periods() -> list[dict]:
    """The periods opened so far, newest first."""
    return cockpit.periods(dsn())


def _table(name: str, view: cockpit.View, rows: list[dict], columns: tuple[str, ...], fmt: str):
    periode = view.period.periode
    _, kode, _ = view.scope.level()
    stage = [] if view.tahap is None else [f"tahap{view.tahap}"]
    named = "-".join([name, periode, *stage, *([kode] if kode else [])])  # funnel-2020-09-tahap1-32
    if fmt == "json":
        return {"periode": periode, "tahap": view.tahap, "rows": rows}
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{named}.csv"'},
    )


# Every table of the cockpit: its figures and columns (kuota.cockpit).
TABLES = {
    "funnel": (cockpit.funnel, cockpit.FUNNEL_COLUMNS),
    "residu": (cockpit.residu, cockpit.RESIDU_COLUMNS),
    "trend": (cockpit.trend, cockpit.TREND_COLUMNS),
    "tahap": (cockpit.stages, cockpit.TAHAP_COLUMNS),
    "exchange": (cockpit.exchange, cockpit.EXCHANGE_COLUMNS),
    "karantina": (cockpit.quarantines, cockpit.KARANTINA_COLUMNS),
    "bast": (cockpit.bast, cockpit.BAST_COLUMNS),
    "sptjm": (cockpit.sptjm, cockpit.SPTJM_COLUMNS),
}


@app.get("/{table}")
def table(
    table: str = Path(..., pattern=f"^({'|'.join(TABLES)})$", description=", ".join(TABLES)),
    periode: str = Query(..., pattern=PERIODE_PATTERN, description="The period, YYYY-MM"),
    tahap: int | None = Query(None, ge=0, le=99, description="The stage (0: the screening). Empty: the latest."),
    provinsi: str | None = Query(None, pattern="^[0-9]{2}$", description="A province, BPS code"),
    kabupaten: str | None = Query(None, pattern="^[0-9]{4}$", description="A district, BPS code"),
    npsn: str | None = Query(None, pattern="^[0-9]{8}$", description="A school, NPSN"),
    fmt: str = Query("json", alias="format", pattern="^(json|csv)$", description="json or csv"),
):
    """One table of a period, as of a stage, for a scope (the narrowest of provinsi, kabupaten,
    npsn; none: Indonesia): ``funnel`` (cutoff -> screened -> valid -> SPTJM approved ->
    injected, GB: the scope's children, each provider, the total), ``residu`` (by reason, the
    scope's and its children's), ``trend`` (the scope's residu at every stage of every period so
    far), ``tahap`` (the stages with figures), ``exchange`` (batches per provider and kind, their
    state, open requests), ``karantina`` (quarantined partner files and what to do),
    ``bast`` (the money per provider and package), ``sptjm`` (issued, approved, rejected,
    undecided per province)."""
    if periode not in {p["periode"] for p in cockpit.periods(dsn())}:
        raise HTTPException(status_code=404, detail=f"periode {periode} is not opened")
    figures, columns = TABLES[table]
    view = cockpit.View(Period(dsn(), periode), cockpit.Scope(provinsi, kabupaten, npsn), tahap)
    return _table(table, view, figures(view), columns, fmt)
