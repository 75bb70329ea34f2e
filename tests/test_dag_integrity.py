"""Every DAG imports cleanly, documents itself and reads well in the UI."""

from __future__ import annotations

import ast
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parent.parent / "dags"


@pytest.fixture(scope="module")
def dagbag():
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_every_dag_imports(dagbag):
    assert dagbag.import_errors == {}
    assert {"kuota_bulanan", "kuota_tahap"} <= set(dagbag.dags)


def test_every_dag_is_documented_and_acyclic(dagbag):

    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md and len(dag.doc_md) > 200, dag_id
        assert dag.tags, dag_id
        # topological_sort raises on a cycle.
        assert len(dag.topological_sort()) == len(dag.tasks)


def test_monthly_dag_shape(dagbag):
    dag = dagbag.dags["kuota_bulanan"]
    assert set(dag.params) >= {"periode", "cutoff_uri", "exchange_uri", "output_uri"}
    ids = set(dag.task_ids)
    assert {
        "prepare_warehouse",
        "cutoff_snapshot.verify_manifest",
        "cutoff_snapshot.load_snapshot",
        "cutoff_snapshot.check_snapshot",
        "run_summary",
    } <= ids
    screening = [
        "screening.record_policies",
        "screening.normalize_numbers",
        "screening.screen_records",
        "screening.check_screening",
        "screening.residu_provinces",
        "screening.residu_to_schools",  # mapped: a province each
        "screening.residu_rekap",
        "screening.refresh_cockpit",
    ]
    chain = ["cutoff_snapshot.load_snapshot", "cutoff_snapshot.check_snapshot", *screening, "run_summary"]
    for before, after in itertools.pairwise(chain):
        assert before in dag.get_task(after).upstream_task_ids, (before, after)


STAGE_CHAIN = [
    "open_stage",
    "corrections.ingest_corrections",
    "validation.providers",
    "validation.plan_batches",
    "validation.list_batches",
    "validation.batch.send_batch",
    "validation.batch.wait_for_answer",
    "validation.batch.ingest_answer",
    "validation.refresh_cockpit",
    "sptjm.issue_sptjm",
    "sptjm.sptjm_provinces",
    "sptjm.write_sptjm",
    "sptjm.collect_decisions",
    "injection.providers",
    "injection.plan_batches",
    "injection.list_batches",
    "injection.batch.send_batch",
    "injection.batch.wait_for_answer",
    "injection.batch.ingest_answer",
    "reconciliation.close_at_deadline",
    "reconciliation.refresh_residu",
    "reconciliation.check_exchange",
    "reconciliation.check_reconciliation",
    "reconciliation.export_period",
    "reconciliation.close_period",
    "reconciliation.refresh_cockpit",
    "alerts.notify_operators",
    "run_summary",
]


def test_stage_dag_advances_every_step_in_order(dagbag):
    dag = dagbag.dags["kuota_tahap"]
    assert set(dag.params) >= {
        "periode",
        "tahap",
        "exchange_uri",
        "output_uri",
        "ukuran_batch",
        "tunggu_menit",
        "poll_detik",
        "alasan_tutup",
    }
    assert "batas_jawaban" not in dag.params  # the deadline is the period's, stored when it opened
    assert dag.max_active_runs == 1
    for before, after in itertools.pairwise(STAGE_CHAIN):
        assert before in dag.get_task(after).upstream_task_ids, (before, after)
    # One provider's bad batch does not hold up the SPTJMs, nor the close and the checks.
    for task_id in (
        "sptjm.issue_sptjm",
        "reconciliation.close_at_deadline",
        "reconciliation.check_exchange",
        "validation.refresh_cockpit",
        "reconciliation.refresh_cockpit",
        "alerts.notify_operators",
        "run_summary",
    ):
        assert dag.get_task(task_id).trigger_rule == "all_done", task_id
    for kind in ("validation", "injection"):
        assert dag.get_task(f"{kind}.list_batches").trigger_rule == "none_failed"  # no provider: nothing mapped
    # Every stage run looks again at the answers already loaded (an overwritten one is quarantined).
    assert "corrections.ingest_corrections" in dag.get_task("validation.recheck_answers").upstream_task_ids
    assert "validation.recheck_answers" in dag.get_task("sptjm.issue_sptjm").upstream_task_ids
    assert "sptjm.collect_decisions" in dag.get_task("injection.recheck_answers").upstream_task_ids
    assert "injection.recheck_answers" in dag.get_task("reconciliation.close_at_deadline").upstream_task_ids


@pytest.mark.parametrize("dag_id", ["kuota_bulanan", "kuota_tahap"])
def test_the_trigger_form_works_with_its_defaults_and_the_dag_can_be_backfilled(dagbag, dag_id):
    """The UI's Trigger button needs every parameter valid as the form shows it; `airflow
    backfill create` needs a periodic timetable."""
    dag = dagbag.dags[dag_id]
    resolved = dag.params.validate()
    assert resolved["periode"] is None  # from the run's logical date
    from airflow.serialization.encoders import encode_timetable
    from airflow.timetables.trigger import CronTriggerTimetable

    encoded = encode_timetable(dag.timetable)
    assert encoded["__type"] == "airflow.timetables.trigger.CronTriggerTimetable"
    scheduled = CronTriggerTimetable(encoded["__var"]["expression"], timezone=encoded["__var"]["timezone"])
    assert scheduled.periodic and scheduled.can_be_scheduled and encoded["__var"]["timezone"] == "Asia/Jakarta"
    assert not dag.catchup and dag.max_active_runs == 1
    for name, param in dag.params.items():
        assert param.description, name


@pytest.mark.parametrize("group", ["validation", "injection"])
def test_provider_batches_are_mapped_waited_for_on_the_triggerer_and_named(dagbag, group):
    """The shape only: that the wait really defers to the triggerer and wakes at the deadline
    is run by Airflow in tests/test_dag_run_faults.py (a batch never answered)."""
    dag = dagbag.dags["kuota_tahap"]
    from kuota_airflow.sensors import DecisionCollector, ProviderAnswerSensor

    wait = dag.get_task(f"{group}.batch.wait_for_answer")
    assert wait.operator_class is ProviderAnswerSensor
    assert wait.kind == {"validation": "validasi", "injection": "injeksi"}[group]
    for task_id in (
        f"{group}.plan_batches",
        f"{group}.batch.send_batch",
        f"{group}.batch.wait_for_answer",
        f"{group}.batch.ingest_answer",
    ):
        assert dag.get_task(task_id).map_index_template, task_id
    assert dag.get_task("sptjm.collect_decisions").operator_class is DecisionCollector


@pytest.mark.parametrize("dag_id", ["kuota_bulanan", "kuota_tahap"])
def test_failures_do_not_hide_behind_the_tasks_that_run_after_them(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    verdict = dag.get_task("any_task_failed")
    assert verdict.trigger_rule == "one_failed"
    assert verdict.upstream_task_ids == set(dag.task_ids) - {"any_task_failed"}


@pytest.mark.parametrize("dag_id", ["kuota_bulanan", "kuota_tahap", "kuota_peringatan"])
def test_a_failed_run_mails_the_operators(dagbag, dag_id):
    from kuota_airflow.alerts import RunFailedAlert

    callbacks = dagbag.dags[dag_id].on_failure_callback
    assert any(isinstance(c, RunFailedAlert) for c in (callbacks if isinstance(callbacks, list) else [callbacks]))


def test_the_alerts_are_checked_hourly_between_stage_runs(dagbag):
    dag = dagbag.dags["kuota_peringatan"]
    assert dag.task_ids == ["notify_operators"]
    assert not dag.catchup and dag.max_active_runs == 1


def test_dag_files_stay_thin():
    """DAG files wire tasks; SQL lives in include/sql and logic in the kuota package."""
    for path in DAGS.glob("*.py"):
        text = path.read_text()
        assert "SELECT " not in text.upper().replace("SELECT_", ""), path
        assert "import psycopg2" not in text and "import pandas" not in text, path


def test_package_never_imports_airflow():
    package = DAGS.parent / "include" / "kuota"
    for path in package.rglob("*.py"):
        assert "import airflow" not in path.read_text() and "from airflow" not in path.read_text(), path


def test_runtime_never_imports_the_tools():
    """The generator, the simulators and the bench (tools/kuota_tools) are not in the runtime
    image: the package, the DAGs and the plugins must run without them."""
    runtime = [DAGS.parent / "include" / "kuota", DAGS, DAGS.parent / "plugins"]
    for path in (p for folder in runtime for p in folder.rglob("*.py")):
        assert not re.search(r"^\s*(from|import)\s+kuota_tools\b", path.read_text(), re.M), path


# The partners' stand-ins and their own reading of the contract (tools/kuota_tools).
PARTNER_MODULES = ("simulator", "school_simulator", "partner_contract")


def _imported(tree: ast.AST, package: str) -> set[str]:
    """Every module an AST of a module of ``package`` imports by name: ``import a.b``,
    ``from a.b import c`` (as a.b and a.b.c), ``from .d import e`` (as package.d and
    package.d.e), and importlib.import_module / __import__ of a literal name."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = ".".join(filter(None, [package] * (node.level > 0) + [node.module]))
            names |= {module} | {f"{module}.{alias.name}" for alias in node.names}
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def test_simulators_build_their_own_paths():
    """The partners' stand-ins read the contract themselves (exchange.md), in
    kuota_tools.partner_contract: a misreading of it (where a file lives, its columns, its
    manifest, the providers, the reasons) must not be shared with the pipeline through anything
    of kuota.partners (contract, layout, manifest...), imported directly or through another
    module."""
    tools = DAGS.parent / "tools" / "kuota_tools"
    for name in PARTNER_MODULES:
        imported = _imported(ast.parse((tools / f"{name}.py").read_text()), "kuota_tools")
        assert not {m for m in imported if m == "kuota.partners" or m.startswith("kuota.partners.")}, name
        tools_used = {m.split(".")[1] for m in imported if m.startswith("kuota_tools.")}
        assert tools_used <= set(PARTNER_MODULES), (name, tools_used)  # not the generator, say
    # Nothing they import brings kuota.partners in either (a fresh interpreter: this one has it).
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            + "".join(f"import kuota_tools.{name}\n" for name in PARTNER_MODULES)
            + "print(' '.join(m for m in sys.modules if m == 'kuota.partners' or m.startswith('kuota.partners.')))",
        ],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(str(DAGS.parent / d) for d in ("include", "tools"))},
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.split() == []
