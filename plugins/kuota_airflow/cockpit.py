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
import io
from pathlib import Path as FilePath

from airflow.api_fastapi.core_api.security import requires_authenticated
from fastapi import Depends, FastAPI, HTTPException, Path, Query
from fastapi.responses import HTMLResponse, Response

from kuota import cockpit
from kuota.periode import PERIODE_PATTERN, Period
from kuota_airflow import dsn

STATIC = FilePath(__file__).with_name("static")

app = FastAPI(
    title="Kuota cockpit",
    description="The programme's funnel and money per province, provider and school (aggregates only).",
    dependencies=[Depends(requires_authenticated())],
)


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
def page() -> HTMLResponse:
    return HTMLResponse((STATIC / "cockpit.html").read_text(encoding="utf-8"))


@app.get("/periods")
def periods() -> list[dict]:
    """The periods opened so far, newest first."""
    return cockpit.periods(dsn())


def _table(name: str, periode: str, rows: list[dict], columns: tuple[str, ...], fmt: str):
    if fmt == "json":
        return {"periode": periode, "rows": rows}
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-{periode}.csv"'},
    )


# Every table of the cockpit: its figures and columns (kuota.cockpit).
TABLES = {
    "funnel": (cockpit.funnel, cockpit.FUNNEL_COLUMNS),
    "exchange": (cockpit.exchange, cockpit.EXCHANGE_COLUMNS),
    "bast": (cockpit.bast, cockpit.BAST_COLUMNS),
    "sptjm": (cockpit.sptjm, cockpit.SPTJM_COLUMNS),
}


@app.get("/{table}")
def table(
    table: str = Path(..., pattern="^(funnel|exchange|bast|sptjm)$", description="funnel, exchange, bast or sptjm"),
    periode: str = Query(..., pattern=PERIODE_PATTERN, description="The period, YYYY-MM"),
    fmt: str = Query("json", alias="format", pattern="^(json|csv)$", description="json or csv"),
):
    """One table of a period: ``funnel`` (cutoff -> screened -> valid -> SPTJM approved ->
    injected, GB; per province, per provider and in total), ``exchange`` (batches per provider
    and kind, their state, open requests), ``bast`` (the money per provider and package),
    ``sptjm`` (issued, approved, rejected, undecided per province)."""
    if periode not in {p["periode"] for p in cockpit.periods(dsn())}:
        raise HTTPException(status_code=404, detail=f"periode {periode} is not opened")
    figures, columns = TABLES[table]
    return _table(table, periode, figures(Period(dsn(), periode)), columns, fmt)
