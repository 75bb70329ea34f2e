"""Great Expectations Core, used directly: a suite runs on table assets of the ``quality.*``
views, which show one cutoff or one period (the session setting ``kuota.cutoff_id`` or
``kuota.periode`` of the suite's connection), so GX computes every expectation in SQL with
bounded memory: nothing is pulled into the worker. (A GX query asset would fetch its whole
result into the worker first.)
"""

from __future__ import annotations

import logging

from . import db
from .errors import QualityError
from .progress import alive

log = logging.getLogger(__name__)


def run_suites(dsn: str, settings: dict, scope: str, suites: dict) -> int:
    """Run each suite on its ``quality.<view>`` (scoped by the session ``settings``); raise
    QualityError naming every failed expectation. Returns how many were checked."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_postgres(name="warehouse", connection_string=db.sqlalchemy_url(dsn, settings))
    failures, checked = [], 0
    for view, expectations in suites.items():
        asset = source.add_table_asset(name=view, schema_name="quality", table_name=view)
        batch = asset.add_batch_definition_whole_table(view).get_batch()
        with alive(log, f"{scope}, quality.{view}: checking {len(expectations)} expectations"):
            result = batch.validate(gx.ExpectationSuite(name=view, expectations=expectations), result_format="SUMMARY")
        for res in result.results:
            checked += 1
            if not res.success:
                cfg = res.expectation_config
                observed = res.result.get("observed_value", res.result.get("unexpected_count"))
                kw = cfg.kwargs
                what = kw.get("column") or ",".join(
                    kw.get("column_list") or [kw.get("column_A", ""), kw.get("column_B", "")]
                )
                failures.append(f"quality.{view}: {cfg.type}({what}) failed, observed {observed}")
        log.info(
            "%s, quality.%s: %d expectations, %s",
            scope,
            view,
            len(result.results),
            "all met" if result.success else "FAILED",
        )
    if failures:
        raise QualityError(f"{scope}: {len(failures)} of {checked} expectations failed:\n" + "\n".join(failures))
    return checked
