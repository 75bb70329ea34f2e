"""Data-quality suites (Great Expectations Core, used directly) on warehouse tables.

Each suite reads table assets on the ``quality.*`` views, which show one cutoff (the
session setting ``kuota.cutoff_id`` of the suite's connection), so GX computes every
expectation in SQL with bounded memory: nothing is pulled into the worker.
"""
from __future__ import annotations

import logging

from . import db
from .contract import (BENTUK_PENDIDIKAN, JENIS_KELAMIN, JENIS_KELUAR, JENIS_PTK, KEPEMILIKAN_HP,
                       KODE_PROVINSI, STATUS_PD, STATUS_PTK, STATUS_SEKOLAH)

log = logging.getLogger(__name__)


class QualityError(Exception):
    """A stage's output breaks its contract: the run must stop here."""


def _snapshot_suites(gx, expected_rows: dict) -> dict:
    E = gx.expectations
    common = {
        "sekolah": [
            E.ExpectColumnValuesToNotBeNull(column="sekolah_id"),
            E.ExpectColumnValuesToBeUnique(column="sekolah_id"),
            E.ExpectColumnValuesToNotBeNull(column="npsn"),
            E.ExpectColumnValuesToBeUnique(column="npsn"),
            E.ExpectColumnValuesToBeInSet(column="bentuk_pendidikan", value_set=list(BENTUK_PENDIDIKAN)),
            E.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUS_SEKOLAH)),
            E.ExpectColumnValuesToBeInSet(column="kode_provinsi", value_set=list(KODE_PROVINSI)),
        ],
        "peserta_didik": [
            E.ExpectColumnValuesToNotBeNull(column="peserta_didik_id"),
            E.ExpectColumnValuesToBeUnique(column="peserta_didik_id"),
            E.ExpectColumnValuesToNotBeNull(column="sekolah_id"),
            E.ExpectColumnValuesToBeInSet(column="jenis_kelamin", value_set=list(JENIS_KELAMIN)),
            E.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUS_PD)),
            E.ExpectColumnValuesToBeInSet(column="kepemilikan_hp", value_set=list(KEPEMILIKAN_HP)),
            E.ExpectColumnValuesToBeBetween(column="tingkat_pendidikan", min_value=0, max_value=13),
        ],
        "ptk": [
            E.ExpectColumnValuesToNotBeNull(column="ptk_id"),
            E.ExpectColumnValuesToBeUnique(column="ptk_id"),
            E.ExpectColumnValuesToNotBeNull(column="sekolah_id"),
            E.ExpectColumnValuesToBeInSet(column="jenis_kelamin", value_set=list(JENIS_KELAMIN)),
            E.ExpectColumnValuesToBeInSet(column="jenis_ptk", value_set=list(JENIS_PTK)),
            E.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUS_PTK)),
            E.ExpectColumnValuesToBeInSet(column="jenis_keluar", value_set=list(JENIS_KELUAR)),
            E.ExpectColumnValuesToBeInSet(column="kepemilikan_hp", value_set=list(KEPEMILIKAN_HP)),
        ],
    }
    for table, expectations in common.items():
        # Every manifest row is either in the snapshot or reported format_tidak_valid.
        expectations.append(E.ExpectTableRowCountToEqual(value=expected_rows[table]))
    return common


def _expected_rows(dsn: str, cutoff_id: int) -> dict:
    """Manifest rows minus reported rows, counted from the evidence, not from the loader."""
    with db.connect(dsn) as conn:
        rows = db.run(conn, "snapshot_expected_rows", {"cutoff_id": cutoff_id})
    return {table: int(n) for table, n in rows}


def check_snapshot(dsn: str, cutoff_id: int) -> dict:
    """Run the snapshot suite of one cutoff; raise QualityError naming every failure."""
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_postgres(
        name="warehouse", connection_string=db.sqlalchemy_url(dsn, {"kuota.cutoff_id": int(cutoff_id)}))
    expected = _expected_rows(dsn, int(cutoff_id))
    failures, checked = [], 0
    for table, expectations in _snapshot_suites(gx, expected).items():
        asset = source.add_table_asset(name=f"snapshot_{table}", schema_name="quality",
                                       table_name=f"snapshot_{table}")
        batch = asset.add_batch_definition_whole_table(f"cutoff_{int(cutoff_id)}").get_batch()
        suite = gx.ExpectationSuite(name=f"snapshot_{table}", expectations=expectations)
        result = batch.validate(suite, result_format="SUMMARY")
        for res in result.results:
            checked += 1
            if not res.success:
                cfg = res.expectation_config
                observed = res.result.get("observed_value", res.result.get("unexpected_count"))
                failures.append(f"snapshot.{table}: {cfg.type}({cfg.kwargs.get('column', '')}) failed, observed {observed}")
        log.info("snapshot.%s: %d expectations, %s", table, len(result.results),
                 "all met" if result.success else "FAILED")
    if failures:
        raise QualityError(f"cutoff {cutoff_id}: {len(failures)} of {checked} expectations failed:\n" + "\n".join(failures))
    return {"cutoff_id": int(cutoff_id), "expectations": checked, "failed": 0}
