"""The period's Data Docs in the cockpit: the suite runs' GX sites live in S3 (kuota.infra.datadocs),
where an operator has no browser; the cockpit lists them and serves their pages through the
``kuota_s3`` connection, to an authenticated Airflow user only (the cockpit app's dependency
applies to this router's routes too).

Only a period's ``data_docs/`` folder can be read, and only page-like files: the period is
YYYY-MM, the path is one of the suites' folders and plain names (no ``..``, no hidden names),
its extension one GX writes. The pages are GX's own, which would load their styles and scripts
from public CDNs: a Content-Security-Policy lets nothing from elsewhere in (no CDN script, no
fetch, no form, no remote image), so a page cannot act as the signed-in user nor tell anyone
what it shows.
"""

from __future__ import annotations

import os
from pathlib import Path as FilePath

from botocore.exceptions import ClientError
from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response, StreamingResponse

from kuota.infra import datadocs
from kuota.infra.storage import join
from kuota.periode import PERIODE_PATTERN
from kuota_airflow import OUTPUT_URI, storage

SCRIPT = FilePath(__file__).with_name("static") / "datadocs.js"

router = APIRouter(prefix="/datadocs", tags=["Data Docs"])

# What GX writes into a site, and how it is served.
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "json": "application/json",
    "png": "image/png",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "ico": "image/x-icon",
    "otf": "font/otf",
    "ttf": "font/ttf",
    "woff": "font/woff",
    "woff2": "font/woff2",
}
# GX's pages ask public CDNs for their styles and scripts. None is let in: no third-party code
# runs on the Airflow origin, and nothing leaves for the internet; the pages' own HTML (the
# results, counts only) reads unstyled, and nothing it loads can call anything or post a form.
POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; connect-src 'none'; form-action 'none'; "
    "frame-ancestors 'self'; base-uri 'none'"
)
MAX_PATH = 300


def output_uri() -> str:
    """The DAGs' default output root; KUOTA_OUTPUT_URI where a deployment's runs write elsewhere."""
    return os.environ.get("KUOTA_OUTPUT_URI") or OUTPUT_URI


@router.get("/datadocs.js", include_in_schema=False)
def script() -> Response:
    """The cockpit page's Data Docs list (static/datadocs.js)."""
    return Response(SCRIPT.read_text(encoding="utf-8"), media_type=MEDIA_TYPES["js"])


@router.get("")
def sites(periode: str = Query(..., pattern=PERIODE_PATTERN, description="The period, YYYY-MM")) -> dict:
    """The period's Data Docs, one per suite run that built them: when, whether it passed,
    the failed suites, and the cockpit paths of its index and of each suite's result page."""
    files, found = storage(), []
    for suite in datadocs.SUITES:
        summary = datadocs.read_summary(files, output_uri(), periode, suite)
        if summary is None:
            continue
        pages = {
            view: f"datadocs/{periode}/{suite}/{page}"
            for view, page in summary.get("pages", {}).items()
            if datadocs.PAGE_PATTERN.match(page)
        }
        found.append(
            {
                "suite": suite,
                "built_at": summary.get("built_at"),
                "success": bool(summary.get("success")),
                "expectations": summary.get("expectations"),
                "failed": summary.get("failed"),
                "failed_views": [v for v in summary.get("failed_views", []) if v in pages],
                "index": f"datadocs/{periode}/{suite}/index.html",
                "pages": pages,
            }
        )
    return {"periode": periode, "sites": found}


@router.get("/{periode}/{path:path}", include_in_schema=False)
def page(
    periode: str = Path(..., pattern=PERIODE_PATTERN),
    path: str = Path(..., max_length=MAX_PATH),
) -> StreamingResponse:
    """One file of a period's Data Docs, streamed from S3."""
    suite, _, rest = path.partition("/")
    extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suite not in datadocs.SUITES or not datadocs.PAGE_PATTERN.match(path) or extension not in MEDIA_TYPES:
        raise HTTPException(status_code=404, detail="not a Data Docs page")
    if not rest or any(part.startswith(".") for part in path.split("/")):
        raise HTTPException(status_code=404, detail="not a Data Docs page")
    files = storage()
    uri = join(datadocs.site_root(output_uri(), periode), path)
    try:
        body = files.open_read(uri)
    except (FileNotFoundError, ClientError) as err:
        raise HTTPException(status_code=404, detail=f"no such Data Docs page for periode {periode}") from err
    return StreamingResponse(
        body.iter_chunks() if hasattr(body, "iter_chunks") else body,
        media_type=MEDIA_TYPES[extension],
        headers={
            "Content-Security-Policy": POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "private, no-cache",
        },
    )
