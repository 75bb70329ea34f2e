"""Great Expectations Core, used directly: a suite runs on table assets of the ``quality.*``
views, which show one cutoff or one period (the session setting ``kuota.cutoff_id`` or
``kuota.periode`` of the suite's connection), so GX computes every expectation in SQL with
bounded memory: nothing is pulled into the worker. (A GX query asset would fetch its whole
result into the worker first.)

Given a Data Docs site (kuota.infra.datadocs), the run's pages go to the period's output and a
failure names the page of each failed suite, so the task log leads to it.
"""

from __future__ import annotations

import logging

from . import datadocs, db
from .errors import QualityError
from .progress import alive

log = logging.getLogger(__name__)


def run_suites(dsn: str, settings: dict, scope: str, suites: dict, docs: datadocs.Site | None = None) -> int:
    """Run each suite on its ``quality.<view>`` (scoped by the session ``settings``); build
    the run's Data Docs at ``docs`` (if given); raise QualityError naming every failed
    expectation and the Data Docs page of its suite. Returns how many were checked."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_postgres(name="warehouse", connection_string=db.sqlalchemy_url(dsn, settings))
    failures, failed_views, runs, checked = [], [], {}, 0
    for view, expectations in suites.items():
        asset = source.add_table_asset(name=view, schema_name="quality", table_name=view)
        batch = asset.add_batch_definition_whole_table(view).get_batch()
        suite = gx.ExpectationSuite(name=view, expectations=expectations)
        with alive(log, f"{scope}, quality.{view}: checking {len(expectations)} expectations"):
            result = batch.validate(suite, result_format="SUMMARY")
        runs[view] = (suite, result)
        for res in result.results:
            datadocs.scrub(res)
            checked += 1
            if not res.success:
                cfg = res.expectation_config
                observed = res.result.get("observed_value", res.result.get("unexpected_count"))
                kw = cfg.kwargs
                what = kw.get("column") or ",".join(
                    filter(None, kw.get("column_list") or [kw.get("column_A"), kw.get("column_B")])
                )
                failures.append(f"quality.{view}: {cfg.type}({what}) failed, observed {observed}")
        if not result.success:
            failed_views.append(view)
        log.info(
            "%s, quality.%s: %d expectations, %s",
            scope,
            view,
            len(result.results),
            "all met" if result.success else "FAILED",
        )
    pages = _build_docs(context, docs, runs, checked, failed_views)
    if failures:
        named = [
            f"Data Docs of quality.{view}: {docs.page_uri(pages[view])} (cockpit: {docs.cockpit_path(pages[view])})"
            for view in failed_views
            if view in pages
        ]
        raise QualityError(
            f"{scope}: {len(failures)} of {checked} expectations failed:\n" + "\n".join([*failures, *named])
        )
    return checked


def _build_docs(context, docs, runs, checked, failed_views) -> dict:
    """The run's Data Docs; a failure to write them must not hide the suites' verdict: when a
    suite failed, that failure is what the task raises (the docs' error is logged beside it);
    when all passed, the docs' error fails the task (a retry rewrites them)."""
    if docs is None:
        return {}
    try:
        return datadocs.build(context, docs, runs, checked, failed_views)
    except Exception as err:
        if not failed_views:
            raise
        log.error("Data Docs of the %s suites not written to %s: %s", docs.suite, docs.uri, err)
        return {}
