"""Great Expectations Data Docs of a suite run, kept with the period's output: an operator
reading a failed check wants the page GX renders for it, and the task log only has a line.

A suite run (the snapshot's, screening's, reconciliation's) builds a GX site in a temporary
directory and copies it to ``<output_uri>/<periode>/data_docs/<suite>/``; whatever an earlier
run left there and this one did not write is removed, so the folder always holds the latest
run, whole. ``kuota.json`` beside ``index.html`` says what the run found (for the cockpit).

Only counts leave: GX's results quote sample values of the rows that broke an expectation
(NISNs, numbers, names), so each result is cut down to its counts and ratios before anything
is rendered or logged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
import tempfile
from pathlib import Path

from .storage import Storage, join

log = logging.getLogger(__name__)

# The suite runs that build Data Docs, one folder each under the period's data_docs/.
SUITES = ("snapshot", "screening", "reconciliation")
FOLDER = "data_docs"
SUMMARY = "kuota.json"
# Where the cockpit (kuota_airflow.datadocs) serves a period's Data Docs.
COCKPIT_PATH = "/kuota/datadocs"
# What a rendered result may show: how many rows, how many broke it, a numeric observation.
COUNTS = (
    "element_count",
    "missing_count",
    "missing_percent",
    "unexpected_count",
    "unexpected_percent",
    "unexpected_percent_total",
    "unexpected_percent_nonmissing",
)
# A page's path under a site: what the cockpit accepts as well (kuota_airflow.datadocs).
PAGE_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")


@dataclasses.dataclass(frozen=True)
class Site:
    """Where one suite run's Data Docs go: ``<output_uri>/<periode>/data_docs/<suite>``."""

    storage: Storage = dataclasses.field(repr=False)
    output_uri: str
    periode: str
    suite: str

    def __post_init__(self):
        if self.suite not in SUITES:
            raise ValueError(f"Data Docs suite {self.suite!r}: one of {', '.join(SUITES)}")

    @classmethod
    def of(cls, period, suite: str) -> Site | None:
        """The period's site for the suite; None when the period has no output to keep it in
        (a test or a CLI run without --output-uri): then no Data Docs are built."""
        if period is None or period.storage is None or not period.output_uri:
            return None
        return cls(period.storage, period.output_uri, period.periode, suite)

    @property
    def uri(self) -> str:
        return join(self.output_uri, self.periode, FOLDER, self.suite)

    def page_uri(self, page: str) -> str:
        return join(self.uri, page)

    def cockpit_path(self, page: str) -> str:
        return cockpit_path(self.periode, f"{self.suite}/{page}")


def site_root(output_uri: str, periode: str) -> str:
    """Where a period's Data Docs sites are (the cockpit reads them from here)."""
    return join(output_uri, periode, FOLDER)


def cockpit_path(periode: str, path: str) -> str:
    return f"{COCKPIT_PATH}/{periode}/{path}"


def scrub(result) -> None:
    """Cut one expectation's result (GX ExpectationValidationResult) down to counts: the
    sample values GX keeps of the unexpected rows, and an exception's text (which may quote
    them), never reach a page or a log line."""
    kept = {k: v for k, v in (result.result or {}).items() if k in COUNTS}
    observed = (result.result or {}).get("observed_value")
    if isinstance(observed, int | float) and not isinstance(observed, bool):
        kept["observed_value"] = observed
    result.result = kept
    info = result.exception_info or {}
    if info.get("raised_exception"):
        result.exception_info = {
            "raised_exception": True,
            "exception_message": "the expectation could not be computed (details withheld: they may quote values)",
            "exception_traceback": None,
        }


def build(context, site: Site, runs: dict, checked: int, failed: list[str]) -> dict[str, str]:
    """Render the suite runs (view -> (suite, its scrubbed validation result)) as a GX site
    and copy it to the site's folder. Returns view -> the page of its result, relative to the
    site."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    built_at = dt.datetime.now(dt.UTC)
    run_id = RunIdentifier(run_name=site.suite, run_time=built_at)
    with tempfile.TemporaryDirectory(prefix="kuota-data-docs-") as local:
        context.add_data_docs_site(
            "kuota",
            {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": local},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        pages = {}
        for view, (suite, result) in runs.items():
            context.suites.add(suite)
            key = ValidationResultIdentifier(ExpectationSuiteIdentifier(view), run_id, view)
            context.validation_results_store.set(key, result)
            pages[view] = "validations/" + "/".join(key.to_tuple()) + ".html"
        context.build_data_docs(site_names=["kuota"])
        summary = {
            "suite": site.suite,
            "periode": site.periode,
            "built_at": built_at.isoformat(),
            "success": not failed,
            "expectations": checked,
            "failed": len(failed),
            "failed_views": sorted(failed),
            "pages": pages,
        }
        (Path(local) / SUMMARY).write_text(json.dumps(summary, indent=1), encoding="utf-8")
        _publish(site, Path(local))
    log.info(
        "Data Docs of the %s suites: %s (in the cockpit: %s)",
        site.suite,
        site.page_uri("index.html"),
        site.cockpit_path("index.html"),
    )
    return pages


def _publish(site: Site, local: Path) -> None:
    """Copy the built site over the folder, then remove what an earlier run left there: the
    same pages are overwritten, a run's dated result pages do not pile up. GX's static assets
    (fonts, styles) already there are not copied again."""
    before = site.storage.modified_by_name(site.uri, recursive=True)
    written = set()
    for path in sorted(local.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(local).as_posix()
        written.add(name)
        if name.startswith("static/") and name in before:
            continue
        site.storage.upload_file(path, site.page_uri(name))
    for name in sorted(set(before) - written):
        site.storage.delete(site.page_uri(name))


def read_summary(storage: Storage, output_uri: str, periode: str, suite: str) -> dict | None:
    """What a suite run's Data Docs say of it (``kuota.json``), or None if none were built."""
    uri = join(site_root(output_uri, periode), suite, SUMMARY)
    if not storage.exists(uri):
        return None
    return json.loads(storage.read_bytes(uri))
